// Every provider's local emulator for the sandbox, and the user settings and environment that
// point the extension (and the CLI in the workbench's terminal) at them: OpenAI and Azure share
// the OpenAI emulator, Gemini and Vertex the Google one, Bedrock has the AWS one (control plane,
// runtime and S3 on one port). All on 127.0.0.1, so no key or credentials are needed; the
// project, bucket, region and role are demo values the emulators accept.
import { startAnthropicEmulator } from '../../test/emulators/anthropic/server';
import type { TimeScale as AnthropicTimeScale } from '../../test/emulators/anthropic/server';
import { startAwsEmulator } from '../../test/emulators/aws/server';
import type { BedrockTimeScale } from '../../test/emulators/aws/server';
import { startGoogleEmulator } from '../../test/emulators/google/server';
import type { TimeScale as GoogleTimeScale } from '../../test/emulators/google/server';
import { startOpenAiEmulator } from '../../test/emulators/openai/server';
import type { TimeScale as OpenAiTimeScale } from '../../test/emulators/openai/server';

export type SandboxPace = 'fast' | 'default' | 'realistic';
export const SANDBOX_PACES: readonly SandboxPace[] = ['fast', 'default', 'realistic'];

/** How long each emulator's batches stay in each state, per pace (each emulator has its own states). */
const PACES: Record<SandboxPace, { openai: OpenAiTimeScale; anthropic: AnthropicTimeScale; google: GoogleTimeScale; aws: BedrockTimeScale }> = {
  fast: {
    openai: { validatingMs: 20, inProgressMs: 50, finalizingMs: 20 },
    anthropic: { inProgressMs: 90, cancelingMs: 20 },
    google: { validatingMs: 20, inProgressMs: 50, finalizingMs: 20 },
    aws: { submittedMs: 10, validatingMs: 10, scheduledMs: 10, inProgressMs: 50, stoppingMs: 20 },
  },
  default: {
    openai: { validatingMs: 300, inProgressMs: 700, finalizingMs: 300 },
    anthropic: { inProgressMs: 1_300, cancelingMs: 300 },
    google: { validatingMs: 300, inProgressMs: 700, finalizingMs: 300 },
    aws: { submittedMs: 100, validatingMs: 200, scheduledMs: 200, inProgressMs: 700, stoppingMs: 200 },
  },
  realistic: {
    openai: { validatingMs: 10_000, inProgressMs: 60_000, finalizingMs: 10_000 },
    anthropic: { inProgressMs: 80_000, cancelingMs: 10_000 },
    google: { validatingMs: 10_000, inProgressMs: 60_000, finalizingMs: 10_000 },
    aws: { submittedMs: 5_000, validatingMs: 10_000, scheduledMs: 10_000, inProgressMs: 60_000, stoppingMs: 10_000 },
  },
};

/** The settings a Vertex or Bedrock job needs besides the base URL: demo values the emulators take. */
export const SANDBOX_DEMO_SETTINGS = {
  'llmBatch.vertex.project': 'demo-project',
  'llmBatch.vertex.location': 'us-central1',
  'llmBatch.vertex.bucket': 'demo-bucket',
  'llmBatch.bedrock.region': 'us-east-1',
  'llmBatch.bedrock.bucket': 'demo-bucket',
  'llmBatch.bedrock.roleArn': 'arn:aws:iam::123456789012:role/BedrockBatch',
} as const;

export interface SandboxEmulators {
  /** The sandbox banner's lines: which providers each emulator serves, where, and its fault switches. */
  readonly lines: readonly string[];
  /** `llmBatch.*` user settings pointing every provider at its emulator. */
  readonly userSettings: Readonly<Record<string, string>>;
  /** Environment for the CLI in the workbench's terminal: base URLs and stand-in credentials. */
  readonly env: Readonly<Record<string, string>>;
  close(): Promise<void>;
}

/**
 * Starts the four emulators. `firstPort` 0 picks free ports; otherwise they take firstPort,
 * +1, +2, +3 (OpenAI, Anthropic, Google, AWS). If one fails to start, the ones started are closed.
 */
export async function startSandboxEmulators(pace: SandboxPace, firstPort = 0): Promise<SandboxEmulators> {
  const port = (offset: number) => (firstPort === 0 ? 0 : firstPort + offset);
  const scales = PACES[pace];
  const started: { close(): Promise<void> }[] = [];
  const closeAll = async () => {
    await Promise.all(started.map((emulator) => emulator.close().catch(() => undefined)));
  };
  try {
    const openai = await startOpenAiEmulator({ port: port(0), timeScale: scales.openai });
    started.push(openai);
    const anthropic = await startAnthropicEmulator({ port: port(1), timeScale: scales.anthropic });
    started.push(anthropic);
    const google = await startGoogleEmulator({ port: port(2), timeScale: scales.google });
    started.push(google);
    const aws = await startAwsEmulator({ port: port(3), timeScale: scales.aws });
    started.push(aws);
    return {
      lines: [
        `OpenAI, Azure OpenAI:            ${openai.url}`,
        `Anthropic:                       ${anthropic.url}`,
        `Google Gemini, Google Vertex AI: ${google.url}`,
        `AWS Bedrock (and its S3):        ${aws.url}`,
        'fault switches on each: POST <url>/__emulator/faults (see test/emulators/*/README.md)',
      ],
      userSettings: {
        'llmBatch.openai.baseUrl': openai.openaiBaseUrl,
        // Azure's endpoint is the resource itself; the OpenAI emulator serves its /openai/ routes too.
        'llmBatch.azure.endpoint': openai.url,
        'llmBatch.anthropic.baseUrl': anthropic.url,
        'llmBatch.gemini.baseUrl': google.url,
        'llmBatch.vertex.baseUrl': google.url,
        'llmBatch.bedrock.baseUrl': aws.url,
        ...SANDBOX_DEMO_SETTINGS,
      },
      env: {
        OPENAI_BASE_URL: openai.openaiBaseUrl,
        OPENAI_API_KEY: 'sandbox',
        AZURE_OPENAI_ENDPOINT: openai.url,
        AZURE_OPENAI_API_KEY: 'sandbox',
        ANTHROPIC_BASE_URL: anthropic.url,
        ANTHROPIC_API_KEY: 'sandbox',
        GOOGLE_GEMINI_BASE_URL: google.url,
        GEMINI_API_KEY: 'sandbox',
        GOOGLE_VERTEX_BASE_URL: google.url,
        GOOGLE_OAUTH_ACCESS_TOKEN: 'sandbox',
        AWS_ENDPOINT_URL_BEDROCK: aws.url,
        AWS_ACCESS_KEY_ID: 'sandbox',
        AWS_SECRET_ACCESS_KEY: 'sandbox',
        AWS_REGION: SANDBOX_DEMO_SETTINGS['llmBatch.bedrock.region'],
      },
      close: closeAll,
    };
  } catch (error) {
    await closeAll();
    throw error;
  }
}
