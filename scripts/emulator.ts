// Standalone OpenAI / Azure OpenAI batch emulator, for manual runs and out-of-process tests:
//   npm run emulator -- --provider openai|azure|anthropic --port 8080 [--time-scale fast|realistic] [--api-key KEY]
// Prints exactly `listening on http://127.0.0.1:PORT` on stdout once ready (hints go to stderr, so
// a harness can wait for that line), and runs until SIGINT or SIGTERM.

import { startOpenAiEmulator } from '../test/emulators/openai/server';
import type { EmulatorOptions } from '../test/emulators/openai/server';
import type { TimeScale } from '../test/emulators/openai/batchRunner';
import { startAnthropicEmulator } from '../test/emulators/anthropic/server';
import { startAwsEmulator } from '../test/emulators/aws/server';
import { startGoogleEmulator } from '../test/emulators/google/server';

/** `fast` suits tests; the default (~300/700/300 ms) suits demos; `realistic` lets a person watch a batch move. */
const TIME_SCALES: Record<string, TimeScale> = {
  fast: { validatingMs: 20, inProgressMs: 50, finalizingMs: 20 },
  default: { validatingMs: 300, inProgressMs: 700, finalizingMs: 300 },
  realistic: { validatingMs: 10_000, inProgressMs: 60_000, finalizingMs: 10_000 },
};

const USAGE = 'usage: npm run emulator -- --provider openai|azure|anthropic|gemini|vertex|bedrock [--port N] [--time-scale fast|default|realistic] [--api-key KEY] [--min-records N (bedrock)]';

function fail(message: string): never {
  process.stderr.write(`${message}\n${USAGE}\n`);
  process.exit(2);
}

function parseArgs(argv: readonly string[]): { provider: 'openai' | 'azure' | 'anthropic' | 'gemini' | 'vertex' | 'bedrock'; options: EmulatorOptions; minRecords: number | undefined } {
  const values = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (arg === '--help' || arg === '-h') {
      process.stdout.write(`${USAGE}\n`);
      process.exit(0);
    }
    if (!arg.startsWith('--')) fail(`unexpected argument: ${arg}`);
    const eq = arg.indexOf('=');
    if (eq > 0) {
      values.set(arg.slice(2, eq), arg.slice(eq + 1));
    } else {
      const value = argv[i + 1];
      if (value === undefined || value.startsWith('--')) fail(`${arg} needs a value`);
      values.set(arg.slice(2), value);
      i++;
    }
  }
  for (const key of values.keys()) {
    if (!['provider', 'port', 'time-scale', 'api-key', 'min-records'].includes(key)) fail(`unknown option --${key}`);
  }
  const provider = values.get('provider') ?? 'openai';
  if (provider !== 'openai' && provider !== 'azure' && provider !== 'anthropic' && provider !== 'gemini' && provider !== 'vertex' && provider !== 'bedrock') {
    fail(`--provider must be openai, azure, anthropic, gemini, vertex or bedrock, got ${provider}`);
  }
  const port = Number(values.get('port') ?? '0');
  if (!Number.isInteger(port) || port < 0 || port > 65_535) fail(`--port must be an integer 0-65535`);
  const scaleName = values.get('time-scale') ?? 'default';
  const timeScale = TIME_SCALES[scaleName];
  if (!timeScale) fail(`--time-scale must be one of ${Object.keys(TIME_SCALES).join(', ')}`);
  const options: EmulatorOptions = { port, timeScale };
  const apiKey = values.get('api-key');
  if (apiKey !== undefined) options.apiKey = apiKey;
  const minRecordsText = values.get('min-records');
  const minRecords = minRecordsText === undefined ? undefined : Number(minRecordsText);
  if (minRecords !== undefined && (!Number.isInteger(minRecords) || minRecords < 0)) fail('--min-records must be a non-negative integer');
  return { provider, options, minRecords };
}

async function main(): Promise<void> {
  const { provider, options, minRecords } = parseArgs(process.argv.slice(2));
  if (provider === 'anthropic') return startAnthropic(options);
  if (provider === 'bedrock') return startBedrock(options, minRecords);
  if (provider === 'gemini' || provider === 'vertex') return startGoogle(options);
  const emu = await startOpenAiEmulator(options);
  process.stdout.write(`listening on ${emu.url}\n`);
  // The same server speaks both dialects; the hint only says which base URL to give the client.
  const hint =
    provider === 'azure'
      ? `Azure: new AzureOpenAI({ endpoint: '${emu.azureEndpoint}', apiVersion: '2024-10-21' }) or baseURL '${emu.url}/openai/v1'`
      : `OpenAI: new OpenAI({ baseURL: '${emu.openaiBaseUrl}' })`;
  process.stderr.write(`${hint}\ncontrol: POST ${emu.url}/__emulator/faults | GET ${emu.url}/__emulator/batches | POST ${emu.url}/__emulator/reset\n`);
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    emu.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

/** Anthropic: a batch runs for the whole OpenAI-shaped time scale, and canceling lasts its finalizing part. */
async function startAnthropic(options: EmulatorOptions): Promise<void> {
  const scale = options.timeScale ?? TIME_SCALES['default'];
  const emu = await startAnthropicEmulator({
    ...(options.port === undefined ? {} : { port: options.port }),
    ...(options.apiKey === undefined ? {} : { apiKey: options.apiKey }),
    ...(scale ? { timeScale: { inProgressMs: scale.validatingMs + scale.inProgressMs + scale.finalizingMs, cancelingMs: scale.finalizingMs } } : {}),
  });
  process.stdout.write(`listening on ${emu.url}\n`);
  process.stderr.write(`Anthropic: new Anthropic({ baseURL: '${emu.url}' })\ncontrol: POST ${emu.url}/__emulator/faults | GET ${emu.url}/__emulator/batches | POST ${emu.url}/__emulator/reset\n`);
  const stop = (): void => {
    emu.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

/** Bedrock, S3 and the runtime on one port: a job's Submitted..Scheduled span the validating part, InProgress the in-progress one. */
async function startBedrock(options: EmulatorOptions, minRecords: number | undefined): Promise<void> {
  const scale = options.timeScale ?? TIME_SCALES['default'];
  const emu = await startAwsEmulator({
    ...(options.port === undefined ? {} : { port: options.port }),
    ...(options.apiKey === undefined ? {} : { apiKey: options.apiKey }),
    ...(minRecords === undefined ? {} : { minRecords }),
    ...(scale
      ? {
          timeScale: {
            submittedMs: Math.round(scale.validatingMs / 3),
            validatingMs: Math.round(scale.validatingMs / 3),
            scheduledMs: Math.round(scale.validatingMs / 3),
            inProgressMs: scale.inProgressMs + scale.finalizingMs,
            stoppingMs: scale.finalizingMs,
          },
        }
      : {}),
  });
  process.stdout.write(`listening on ${emu.url}\n`);
  process.stderr.write(
    `Bedrock: endpoint '${emu.url}' for BedrockClient, BedrockRuntimeClient (requestHandler: new NodeHttpHandler()) and S3Client (forcePathStyle: true)\ncontrol: POST ${emu.url}/__emulator/faults | GET ${emu.url}/__emulator/batches | POST ${emu.url}/__emulator/reset\n`,
  );
  const stop = (): void => {
    emu.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

/** Gemini, Vertex AI and the GCS subset on one port; --api-key is both the Gemini key and the Vertex/GCS bearer token. */
async function startGoogle(options: EmulatorOptions): Promise<void> {
  const emu = await startGoogleEmulator({
    ...(options.port === undefined ? {} : { port: options.port }),
    ...(options.apiKey === undefined ? {} : { apiKey: options.apiKey, accessToken: options.apiKey }),
    ...(options.timeScale === undefined ? {} : { timeScale: options.timeScale }),
  });
  process.stdout.write(`listening on ${emu.url}\n`);
  process.stderr.write(
    `Gemini: new GoogleGenAI({ apiKey, httpOptions: { baseUrl: '${emu.url}' } }); Vertex: new GoogleGenAI({ vertexai: true, project, location, googleAuthOptions: { authClient }, httpOptions: { baseUrl: '${emu.url}' } }); GCS JSON API at '${emu.url}'\ncontrol: POST ${emu.url}/__emulator/faults | GET ${emu.url}/__emulator/batches | POST ${emu.url}/__emulator/reset\n`,
  );
  const stop = (): void => {
    emu.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((err: unknown) => {
  process.stderr.write(`emulator failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
