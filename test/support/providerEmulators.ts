// Each provider's local emulator, and how the CLI reaches it: the base URL, the credentials it
// reads from the environment and the settings flags a first submit needs. One table, so a test
// can run the same flow through all six providers.
import type { ProviderId } from '../../src/core/providerLimits';
import { startAnthropicEmulator } from '../emulators/anthropic/server';
import { startAwsEmulator } from '../emulators/aws/server';
import { startGoogleEmulator } from '../emulators/google/server';
import { startOpenAiEmulator } from '../emulators/openai/server';

/** What every emulator offers a test, whatever its provider. */
export interface AnyEmulator {
  readonly url: string;
  /** Batches (jobs) created so far. */
  batchCount(): number;
  /** Each response as it is sent: `METHOD /path` and its status. */
  onResponse(listener: (entry: { method: string; path: string; status: number }) => void): () => void;
  close(): Promise<void>;
}

export interface ProviderRig {
  readonly provider: ProviderId;
  /** A model the provider batches and the pricer knows. */
  readonly model: string;
  /** Fewest requests one of its batches may hold (Bedrock's minimum; the emulator enforces it). */
  readonly minRequests: number;
  start(): Promise<AnyEmulator>;
  /** The `--base-url` for the CLI. */
  baseUrl(emulator: AnyEmulator): string;
  /** Credentials, as the CLI reads them from the environment. */
  readonly env: Readonly<Record<string, string>>;
  /** Settings flags the first submit needs (the job remembers them). */
  readonly submitFlags: readonly string[];
  /** `METHOD /path` of the call that creates a batch, to kill a process right after it was answered. */
  readonly createCall: RegExp;
  /** The call that stages a batch's input (an upload, an object put); none where requests go inline. */
  readonly stageCall: RegExp | undefined;
}

const FAST_OPENAI = { validatingMs: 20, inProgressMs: 60, finalizingMs: 20 };
const FAST = { validatingMs: 20, inProgressMs: 60, finalizingMs: 20 };

function adapt(emulator: { url: string; batches(): unknown[]; onResponse: AnyEmulator['onResponse']; close(): Promise<void> }): AnyEmulator {
  return { url: emulator.url, batchCount: () => emulator.batches().length, onResponse: (listener) => emulator.onResponse(listener), close: () => emulator.close() };
}

export const PROVIDER_RIGS: readonly ProviderRig[] = [
  {
    provider: 'openai',
    model: 'gpt-4o-mini',
    minRequests: 1,
    start: async () => adapt(await startOpenAiEmulator({ timeScale: FAST_OPENAI })),
    baseUrl: (emulator) => `${emulator.url}/v1`,
    env: { OPENAI_API_KEY: 'sk-test' },
    submitFlags: [],
    createCall: /^POST \/v1\/batches$/,
    stageCall: /^POST \/v1\/files$/,
  },
  {
    provider: 'azure',
    model: 'gpt-4o-mini',
    minRequests: 1,
    start: async () => adapt(await startOpenAiEmulator({ timeScale: FAST_OPENAI })),
    baseUrl: (emulator) => emulator.url,
    env: { AZURE_OPENAI_API_KEY: 'az-test' },
    submitFlags: [],
    createCall: /^POST \/openai\/v1\/batches$/,
    stageCall: /^POST \/openai\/v1\/files$/,
  },
  {
    provider: 'anthropic',
    model: 'claude-haiku-4-5',
    minRequests: 1,
    start: async () => adapt(await startAnthropicEmulator({ timeScale: { inProgressMs: 80, cancelingMs: 20 } })),
    baseUrl: (emulator) => emulator.url,
    env: { ANTHROPIC_API_KEY: 'sk-ant-test' },
    submitFlags: [],
    createCall: /^POST \/v1\/messages\/batches$/,
    stageCall: undefined,
  },
  {
    provider: 'gemini',
    model: 'gemini-2.5-flash',
    minRequests: 1,
    start: async () => adapt(await startGoogleEmulator({ timeScale: FAST })),
    baseUrl: (emulator) => emulator.url,
    env: { GEMINI_API_KEY: 'gm-test' },
    submitFlags: [],
    createCall: /^POST \/v1(beta)?\/models\/[^/]+:batchGenerateContent$/,
    stageCall: /^POST \/upload\//,
  },
  {
    provider: 'vertex',
    model: 'gemini-2.5-flash',
    minRequests: 1,
    start: async () => adapt(await startGoogleEmulator({ timeScale: FAST })),
    baseUrl: (emulator) => emulator.url,
    env: { GOOGLE_OAUTH_ACCESS_TOKEN: 'ya29.test' },
    submitFlags: ['--project', 'demo-project', '--location', 'us-central1', '--bucket', 'demo-bucket'],
    createCall: /^POST \/v1(beta1)?\/projects\/[^/]+\/locations\/[^/]+\/batchPredictionJobs$/,
    stageCall: /^POST \/upload\/storage\//,
  },
  {
    provider: 'bedrock',
    model: 'anthropic.claude-3-haiku-20240307-v1:0',
    minRequests: 100,
    start: async () => adapt(await startAwsEmulator({ timeScale: { submittedMs: 10, validatingMs: 10, scheduledMs: 10, inProgressMs: 60, stoppingMs: 20 } })),
    baseUrl: (emulator) => emulator.url,
    env: { AWS_ACCESS_KEY_ID: 'AKIATEST', AWS_SECRET_ACCESS_KEY: 'secret', AWS_REGION: 'us-east-1' },
    submitFlags: ['--region', 'us-east-1', '--bucket', 'demo-bucket', '--role-arn', 'arn:aws:iam::123456789012:role/BedrockBatch'],
    createCall: /^POST \/model-invocation-job$/,
    stageCall: /^PUT \/demo-bucket\//,
  },
];
