// Every provider's emulator as the engine tests see it: one shape for all six, so the lifecycle,
// ladder and model-based tests run the same scenarios through each. Tests keep speaking the
// OpenAI emulator's vocabulary (its FaultConfig and route names, e.g. `POST /batches`); each rig
// maps that onto its own emulator's fault switches and routes, and says which switches its
// provider has no counterpart for (and why), so a test can skip them rather than pretend.
import type { ProviderId } from '../../src/core/providerLimits';
import { PROVIDER_IDS, PROVIDER_LIMITS } from '../../src/core/providerLimits';
import type { ProviderSettings } from '../../src/core/providerSettings';
import type { BatchProvider } from '../../src/providers/batchProvider';
import { TAG_BATCH, TAG_JOB } from '../../src/providers/bedrock/bedrockMapping';
import { tagsOfDisplayName } from '../../src/providers/google/googleMapping';
import type { ProviderConnection } from '../../src/providers/providerConfig';
import { providerEntry } from '../../src/providers/registry';
import { errorForCode as anthropicErrorForCode } from '../emulators/anthropic/fakeMessages';
import type { AnthropicRoute, FaultConfig as AnthropicFaults } from '../emulators/anthropic/server';
import { startAnthropicEmulator } from '../emulators/anthropic/server';
import type { AwsFaultConfig, AwsRoute } from '../emulators/aws/server';
import { startAwsEmulator } from '../emulators/aws/server';
import { errorForCode as awsErrorForCode } from '../emulators/aws/fakeBedrockModel';
import { errorForCode as googleErrorForCode } from '../emulators/google/fakeModel';
import type { FaultConfig as GoogleFaults, GoogleRoute } from '../emulators/google/server';
import { startGoogleEmulator } from '../emulators/google/server';
import { errorForCode as openAiErrorForCode } from '../emulators/openai/fakeModel';
import type { EmulatorRoute, FaultConfig } from '../emulators/openai/faults';
import { startOpenAiEmulator } from '../emulators/openai/server';

/** Every provider, in the registry's order. */
export const PROVIDERS: readonly ProviderId[] = PROVIDER_IDS;

/** The provider a replay asks for (LLM_BATCH_PROVIDER), if any; throws on a name no rig has. */
export function providerFromEnv(): ProviderId | undefined {
  const value = process.env['LLM_BATCH_PROVIDER'];
  if (value === undefined || value === '') return undefined;
  if (!(PROVIDERS as readonly string[]).includes(value)) throw new Error(`LLM_BATCH_PROVIDER=${value} is not one of ${PROVIDERS.join(', ')}`);
  return value as ProviderId;
}

/** The routes the tests name, in the OpenAI emulator's words: what each provider call is for. */
export type NeutralRoute = Extract<EmulatorRoute, 'POST /files' | 'POST /batches' | 'GET /batches' | 'GET /batches/{id}' | 'GET /files/{id}/content' | 'POST /batches/{id}/cancel' | 'POST /chat/completions'>;

/** One request the emulator answered; `route` says what it was for (undefined: nothing a test names). */
export interface EmulatedRequest {
  readonly method: string;
  readonly path: string;
  readonly status: number;
  readonly route: NeutralRoute | undefined;
}

/** One batch (job) the emulator made, reduced to what the tests compare across providers. */
export interface EmulatedBatch {
  readonly remoteId: string;
  /** Our tags as the provider carries them; undefined where it carries none (Anthropic). */
  readonly jobId: string | undefined;
  readonly batchKey: string | undefined;
  /** The model the batch ran, as the emulator recorded it (Anthropic: per request, so undefined). */
  readonly model: string | undefined;
  /** The provider's own state word. */
  readonly rawState: string;
  /** Whether the batch ended without failing as a whole (completed, succeeded, ended…). */
  readonly endedWell: boolean;
}

export interface ProviderEmulator {
  readonly provider: ProviderId;
  readonly url: string;
  /** Takes the OpenAI emulator's switches; throws for one this provider has no counterpart of (see `unsupported`). */
  setFaults(faults: FaultConfig): void;
  batches(): EmulatedBatch[];
  /** Create requests that passed auth, faulted ones included. */
  createCalls(): number;
  requests(): EmulatedRequest[];
  onResponse(listener: (entry: EmulatedRequest) => void): () => void;
  reset(): void;
  close(): Promise<void>;
}

export interface EmulatorStart {
  /** The only key (token, access key id) the emulator takes; any by default. */
  readonly key?: string | undefined;
  readonly faults?: FaultConfig | undefined;
  /** Multiplies the rig's fast time scale (e.g. 0.5 for the model-based test). */
  readonly speed?: number | undefined;
}

export interface ProviderRig {
  readonly provider: ProviderId;
  /** Two models the provider batches and the pricer knows: the usual one, and another. */
  readonly models: readonly [string, string];
  /** The settings a job for this provider needs (project, bucket, region…). */
  readonly settings: ProviderSettings | undefined;
  /** Fewest requests in one of its batches (below it, the engine retries through sync calls). */
  readonly minRequests: number;
  /** Whether the requests go inline in the create, so there is nothing to stage (Anthropic). */
  readonly inlineRequests: boolean;
  /** How a portable chat body asks this provider for a JSON answer (not every provider converts response_format). */
  askForJson: ((body: Record<string, unknown>) => Record<string, unknown>) | undefined;
  /**
   * The normalized state of a batch whose time ran out with some items done: `expired`, or
   * `completed` where the provider ends the batch and marks the unfinished items instead.
   */
  readonly expiredBatchState: 'expired' | 'completed';
  /** Whether a batch holds one model only (Anthropic's requests each name theirs, so its batches mix). */
  readonly oneModelPerBatch: boolean;
  /** Why the adapter cannot tell the emulator's capacity refusal from another refusal, if it cannot. */
  readonly capacityRefusalUnrecognized: string | undefined;
  /** The OpenAI fault switches this provider has no counterpart of, with why. */
  readonly unsupported: Readonly<Partial<Record<keyof FaultConfig, string>>>;
  start(options?: EmulatorStart): Promise<ProviderEmulator>;
  /** An adapter over the registry, as the CLI makes it, reaching `emulator` with `key`. */
  adapter(emulator: ProviderEmulator, key: string, options?: { maxRetries?: number }): BatchProvider;
  /** The last user message's text of one of this provider's native request lines. */
  lastUserText(line: Readonly<Record<string, unknown>>): string;
  /** The message the provider's emulator gives for a `[[fail:CODE]]` marker (what a dead letter quotes). */
  markerMessage(code: string): string;
}

/** Thrown by setFaults for a switch the provider has no counterpart of. */
export class UnsupportedFault extends Error {}

function refuseUnsupported(rig: Pick<ProviderRig, 'provider' | 'unsupported'>, faults: FaultConfig): void {
  for (const key of Object.keys(faults) as (keyof FaultConfig)[]) {
    const why = rig.unsupported[key];
    if (why !== undefined && faults[key] !== undefined && faults[key] !== false) throw new UnsupportedFault(`${rig.provider} has no ${key}: ${why}`);
  }
}

// ---- routes -------------------------------------------------------------------------------------

/** Each neutral route's own routes at one provider (Bedrock's sync call is two: invoke and converse). */
type RouteTable<R extends string> = Readonly<Record<NeutralRoute, readonly R[]>>;

function mapEndpointFaults<R extends string, F>(table: RouteTable<R>, faults: FaultConfig['endpointFaults'], make: (route: R, fault: NonNullable<FaultConfig['endpointFaults']>[number]) => F): F[] | undefined {
  if (faults === undefined) return undefined;
  return faults.flatMap((fault) => {
    const routes = table[fault.endpoint as NeutralRoute] as readonly R[] | undefined;
    if (routes === undefined) throw new UnsupportedFault(`no counterpart of ${fault.endpoint}`);
    return routes.map((route) => make(route, fault));
  });
}

/** Classifies a request by regexes on `METHOD path`, first match wins. */
function classifier(patterns: readonly (readonly [RegExp, NeutralRoute])[]): (method: string, path: string) => NeutralRoute | undefined {
  return (method, path) => patterns.find(([re]) => re.test(`${method} ${path}`))?.[1];
}

const classifyOpenAi = classifier([
  [/^POST .*\/files$/, 'POST /files'],
  [/^POST .*\/batches$/, 'POST /batches'],
  [/^GET .*\/batches$/, 'GET /batches'],
  [/^GET .*\/batches\/[^/]+$/, 'GET /batches/{id}'],
  [/^GET .*\/files\/[^/]+\/content$/, 'GET /files/{id}/content'],
  [/^POST .*\/batches\/[^/]+\/cancel$/, 'POST /batches/{id}/cancel'],
  [/^POST .*\/chat\/completions$/, 'POST /chat/completions'],
]);

const classifyAnthropic = classifier([
  [/^POST \/v1\/messages\/batches$/, 'POST /batches'],
  [/^GET \/v1\/messages\/batches$/, 'GET /batches'],
  [/^GET \/v1\/messages\/batches\/[^/]+\/results$/, 'GET /files/{id}/content'],
  [/^GET \/v1\/messages\/batches\/[^/]+$/, 'GET /batches/{id}'],
  [/^POST \/v1\/messages\/batches\/[^/]+\/cancel$/, 'POST /batches/{id}/cancel'],
  [/^POST \/v1\/messages$/, 'POST /chat/completions'],
]);

const ANTHROPIC_ROUTES: RouteTable<AnthropicRoute> = {
  // Requests go inline in the create: "uploading" them is the create.
  'POST /files': ['POST /v1/messages/batches'],
  'POST /batches': ['POST /v1/messages/batches'],
  'GET /batches': ['GET /v1/messages/batches'],
  'GET /batches/{id}': ['GET /v1/messages/batches/{id}'],
  'GET /files/{id}/content': ['GET /v1/messages/batches/{id}/results'],
  'POST /batches/{id}/cancel': ['POST /v1/messages/batches/{id}/cancel'],
  'POST /chat/completions': ['POST /v1/messages'],
};

const GEMINI_ROUTES: RouteTable<GoogleRoute> = {
  'POST /files': ['POST /upload/files'],
  'POST /batches': ['POST /models/{model}:batchGenerateContent'],
  'GET /batches': ['GET /batches'],
  'GET /batches/{id}': ['GET /batches/{id}'],
  'GET /files/{id}/content': ['GET /files/{id}:download'],
  'POST /batches/{id}/cancel': ['POST /batches/{id}:cancel'],
  'POST /chat/completions': ['POST /models/{model}:generateContent'],
};

const VERTEX_ROUTES: RouteTable<GoogleRoute> = {
  'POST /files': ['POST /upload/storage/v1/b/{bucket}/o'],
  'POST /batches': ['POST /batchPredictionJobs'],
  'GET /batches': ['GET /batchPredictionJobs'],
  'GET /batches/{id}': ['GET /batchPredictionJobs/{id}'],
  'GET /files/{id}/content': ['GET /storage/v1/b/{bucket}/o/{object}'],
  'POST /batches/{id}/cancel': ['POST /batchPredictionJobs/{id}:cancel'],
  'POST /chat/completions': ['POST /publishers/google/models/{model}:generateContent'],
};

const BEDROCK_ROUTES: RouteTable<AwsRoute> = {
  'POST /files': ['PUT /{bucket}/{key}'],
  'POST /batches': ['POST /model-invocation-job'],
  'GET /batches': ['GET /model-invocation-jobs'],
  'GET /batches/{id}': ['GET /model-invocation-job/{id}'],
  'GET /files/{id}/content': ['GET /{bucket}/{key}'],
  'POST /batches/{id}/cancel': ['POST /model-invocation-job/{id}/stop'],
  'POST /chat/completions': ['POST /model/{id}/invoke', 'POST /model/{id}/converse'],
};

function reverse<R extends string>(table: RouteTable<R>, skip: readonly NeutralRoute[] = []): (route: R | null | undefined) => NeutralRoute | undefined {
  const byRoute = new Map<string, NeutralRoute>();
  for (const [neutral, routes] of Object.entries(table) as [NeutralRoute, readonly R[]][]) if (!skip.includes(neutral)) for (const route of routes) byRoute.set(route, neutral);
  return (route) => (route ? byRoute.get(route) : undefined);
}

// ---- line texts ---------------------------------------------------------------------------------

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The text of a message's content: a string, or the text parts of a list (Anthropic, Bedrock, Gemini parts). */
function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content.map((part) => (isRecord(part) && typeof part['text'] === 'string' ? part['text'] : '')).join('');
}

function lastUserOf(messages: unknown, contentKey: 'content' | 'parts'): string {
  if (!Array.isArray(messages)) return '';
  const users = messages.filter((m) => isRecord(m) && (m['role'] === 'user' || m['role'] === undefined));
  const last = users[users.length - 1] as Record<string, unknown> | undefined;
  return last ? textOf(last[contentKey]) : '';
}

const record = (v: unknown): Record<string, unknown> => (isRecord(v) ? v : {});

// ---- the rigs -----------------------------------------------------------------------------------

const OPENAI_TIME = { validatingMs: 20, inProgressMs: 40, finalizingMs: 20 };
const GOOGLE_TIME = { validatingMs: 20, inProgressMs: 40, finalizingMs: 20 };
const ANTHROPIC_TIME = { inProgressMs: 60, cancelingMs: 20 };
const AWS_TIME = { submittedMs: 5, validatingMs: 10, scheduledMs: 5, inProgressMs: 40, stoppingMs: 20 };

function scaled<T extends object>(time: T, speed: number | undefined): T {
  if (speed === undefined || speed === 1) return time;
  return Object.fromEntries(Object.entries(time).map(([k, v]) => [k, Math.max(1, Math.round((v as number) * speed))])) as T;
}

function connectionOf(provider: ProviderId, settings: ProviderSettings | undefined, url: string, key: string, maxRetries: number): ProviderConnection {
  const base = { provider, ...settings, baseUrl: url, maxRetries };
  switch (provider) {
    case 'vertex':
      return { ...base, accessToken: key };
    case 'bedrock':
      return { ...base, awsCredentials: { accessKeyId: key, secretAccessKey: 'emulator-secret' } };
    default:
      return { ...base, apiKey: key };
  }
}

const JSON_OBJECT = (body: Record<string, unknown>) => ({ ...body, response_format: { type: 'json_object' } });

const OPENAI_ONLY = {
  completedWithNullOutput: 'only OpenAI and Azure complete a batch with no output file at all',
  duplicateOutputLines: 'only the OpenAI emulator writes an output line twice',
  capacityRefusalFailFast: 'capacity is refused at create anyway: there is no whole-batch capacity failure to choose instead',
  azureVariants: 'an Azure wire quirk',
  capacityLimitTokens: 'an OpenAI wording detail',
} as const satisfies Partial<Record<keyof FaultConfig, string>>;

function openAiRig(provider: 'openai' | 'azure'): ProviderRig {
  const rig: ProviderRig = {
    provider,
    models: ['gpt-4o-mini', 'gpt-4o'],
    settings: undefined,
    minRequests: PROVIDER_LIMITS[provider].minRequests,
    oneModelPerBatch: PROVIDER_LIMITS[provider].oneModelPerBatch,
    capacityRefusalUnrecognized: undefined,
    inlineRequests: false,
    askForJson: JSON_OBJECT,
    expiredBatchState: 'expired',
    unsupported: {},
    async start(options = {}) {
      const emulator = await startOpenAiEmulator({ timeScale: scaled(OPENAI_TIME, options.speed), faults: options.faults ?? {}, ...(options.key ? { apiKey: options.key } : {}) });
      const toRequest = (r: { method: string; path: string; status: number }): EmulatedRequest => ({ method: r.method, path: r.path, status: r.status, route: classifyOpenAi(r.method, r.path) });
      return {
        provider,
        url: provider === 'openai' ? emulator.openaiBaseUrl : emulator.url,
        setFaults: (faults) => emulator.setFaults(faults),
        batches: () =>
          emulator.batches().map((b) => ({
            remoteId: b.id,
            jobId: b.metadata?.['llmb_job'],
            batchKey: b.metadata?.['llmb_batch'],
            model: b.model ?? undefined,
            rawState: b.status,
            endedWell: b.status === 'completed',
          })),
        createCalls: () => emulator.createCalls(),
        requests: () => emulator.requests().map(toRequest),
        onResponse: (listener) => emulator.onResponse((entry) => listener(toRequest(entry))),
        reset: () => emulator.reset(),
        close: () => emulator.close(),
      };
    },
    adapter: (emulator, key, options = {}) => providerEntry(provider).create(connectionOf(provider, undefined, emulator.url, key, options.maxRetries ?? 2)),
    lastUserText: (line) => lastUserOf(record(line['body'])['messages'], 'content'),
    markerMessage: (code) => openAiErrorForCode(code).body.error.message,
  };
  return rig;
}

const anthropicRig: ProviderRig = {
  provider: 'anthropic',
  models: ['claude-haiku-4-5', 'claude-sonnet-4-5'],
  settings: undefined,
  minRequests: PROVIDER_LIMITS.anthropic.minRequests,
  oneModelPerBatch: PROVIDER_LIMITS.anthropic.oneModelPerBatch,
  capacityRefusalUnrecognized:
    "Anthropic answers a full processing queue with the same 429 rate_limit_error as its rate limit, so the adapter cannot call it a capacity refusal (it is retried as any 429; see the adapter's create)",
  inlineRequests: true,
  // The converter refuses both JSON mode and a JSON schema for Anthropic batches: a portable line cannot ask it for JSON.
  askForJson: undefined,
  // A batch ends when its time is up; the requests it did not reach come back `expired`.
  expiredBatchState: 'completed',
  unsupported: {
    ...OPENAI_ONLY,
    failValidation: 'Anthropic validates a batch when it is created (a 400, no batch): no batch fails validation as a whole afterwards',
  },
  async start(options = {}) {
    const toAnthropic = (faults: FaultConfig): AnthropicFaults => {
      refuseUnsupported(anthropicRig, faults);
      const out: AnthropicFaults = {};
      const endpointFaults = mapEndpointFaults(ANTHROPIC_ROUTES, faults.endpointFaults, (endpoint, f) => ({ endpoint, times: f.times, status: f.status, ...(f.retryAfter !== undefined ? { retryAfter: f.retryAfter } : {}) }));
      if (endpointFaults) out.endpointFaults = endpointFaults;
      if (faults.itemErrors) out.itemErrors = Object.fromEntries(Object.entries(faults.itemErrors).map(([id, f]) => [id, { type: anthropicErrorForCode(f.code).error.type, ...(f.message ? { message: f.message } : {}) }]));
      if (faults.expireAfterFraction !== undefined) out.expireAfterFraction = faults.expireAfterFraction;
      if (faults.ordered !== undefined) out.ordered = faults.ordered;
      if (faults.truncateDownload !== undefined) out.truncateDownload = faults.truncateDownload;
      if (faults.emptyContent !== undefined) out.emptyContent = faults.emptyContent;
      if (faults.nonJsonContent !== undefined) out.nonJsonContent = faults.nonJsonContent;
      if (faults.capacityRefusals !== undefined) out.capacityRefusals = faults.capacityRefusals;
      return out;
    };
    const emulator = await startAnthropicEmulator({ timeScale: scaled(ANTHROPIC_TIME, options.speed), faults: toAnthropic(options.faults ?? {}), ...(options.key ? { apiKey: options.key } : {}) });
    const toRequest = (r: { method: string; path: string; status: number }): EmulatedRequest => ({ method: r.method, path: r.path, status: r.status, route: classifyAnthropic(r.method, r.path) });
    return {
      provider: 'anthropic',
      url: emulator.url,
      setFaults: (faults) => emulator.setFaults(toAnthropic(faults)),
      batches: () =>
        emulator.batches().map((b) => ({
          remoteId: b.id,
          jobId: undefined,
          batchKey: undefined,
          model: undefined,
          rawState: b.status,
          endedWell: b.status === 'ended',
        })),
      createCalls: () => emulator.createCalls(),
      requests: () => emulator.requests().map(toRequest),
      onResponse: (listener) => emulator.onResponse((entry) => listener(toRequest(entry))),
      reset: () => emulator.reset(),
      close: () => emulator.close(),
    };
  },
  adapter: (emulator, key, options = {}) => providerEntry('anthropic').create(connectionOf('anthropic', undefined, emulator.url, key, options.maxRetries ?? 2)),
  lastUserText: (line) => lastUserOf(record(line['params'])['messages'], 'content'),
  markerMessage: (code) => anthropicErrorForCode(code).error.message,
};

function googleRig(provider: 'gemini' | 'vertex'): ProviderRig {
  const table = provider === 'gemini' ? GEMINI_ROUTES : VERTEX_ROUTES;
  const settings: ProviderSettings | undefined = provider === 'vertex' ? { project: 'demo-project', location: 'us-central1', bucket: 'demo-bucket' } : undefined;
  const rig: ProviderRig = {
    provider,
    models: ['gemini-2.5-flash', 'gemini-2.5-pro'],
    settings,
    minRequests: PROVIDER_LIMITS[provider].minRequests,
    oneModelPerBatch: PROVIDER_LIMITS[provider].oneModelPerBatch,
    capacityRefusalUnrecognized: undefined,
    inlineRequests: false,
    askForJson: JSON_OBJECT,
    expiredBatchState: 'expired',
    unsupported: OPENAI_ONLY,
    async start(options = {}) {
      const toGoogle = (faults: FaultConfig): GoogleFaults => {
        refuseUnsupported(rig, faults);
        const out: GoogleFaults = {};
        const endpointFaults = mapEndpointFaults(table, faults.endpointFaults, (endpoint, f) => ({ endpoint, times: f.times, status: f.status, ...(f.retryAfter !== undefined ? { retryAfter: f.retryAfter } : {}) }));
        if (endpointFaults) out.endpointFaults = endpointFaults;
        if (faults.itemErrors) out.itemErrors = Object.fromEntries(Object.entries(faults.itemErrors).map(([id, f]) => [id, { code: googleErrorForCode(f.code).code, ...(f.message ? { message: f.message } : {}) }]));
        if (faults.failValidation !== undefined) out.failValidation = faults.failValidation;
        if (faults.expireAfterFraction !== undefined) out.expireAfterFraction = faults.expireAfterFraction;
        if (faults.ordered !== undefined) out.ordered = faults.ordered;
        if (faults.truncateDownload !== undefined) out.truncateDownload = faults.truncateDownload;
        if (faults.emptyContent !== undefined) out.emptyContent = faults.emptyContent;
        if (faults.nonJsonContent !== undefined) out.nonJsonContent = faults.nonJsonContent;
        if (faults.capacityRefusals !== undefined) out.capacityRefusals = faults.capacityRefusals;
        return out;
      };
      const key = options.key ? (provider === 'gemini' ? { apiKey: options.key } : { accessToken: options.key }) : {};
      const emulator = await startGoogleEmulator({ timeScale: scaled(GOOGLE_TIME, options.speed), faults: toGoogle(options.faults ?? {}), ...key });
      const classify = reverse(table);
      const toRequest = (r: { method: string; path: string; status: number; route: GoogleRoute | undefined }): EmulatedRequest => ({ method: r.method, path: r.path, status: r.status, route: classify(r.route) });
      return {
        provider,
        url: emulator.url,
        setFaults: (faults) => emulator.setFaults(toGoogle(faults)),
        batches: () =>
          emulator
            .batches()
            .filter((b) => b.backend === provider)
            .map((b) => {
              const tags = tagsOfDisplayName(b.displayName);
              return {
                remoteId: b.name,
                jobId: tags?.jobId,
                batchKey: tags?.batchKey,
                model: b.model.slice(b.model.lastIndexOf('/') + 1),
                rawState: b.state,
                endedWell: b.state === 'succeeded',
              };
            }),
        createCalls: () => emulator.createCalls(),
        requests: () => emulator.requests().map(toRequest),
        onResponse: (listener) => emulator.onResponse((entry) => listener(toRequest(entry))),
        reset: () => emulator.reset(),
        close: () => emulator.close(),
      };
    },
    adapter: (emulator, key, options = {}) => providerEntry(provider).create(connectionOf(provider, settings, emulator.url, key, options.maxRetries ?? 2)),
    lastUserText: (line) => lastUserOf(record(line['request'])['contents'], 'parts'),
    markerMessage: (code) => googleErrorForCode(code).message,
  };
  return rig;
}

const BEDROCK_SETTINGS: ProviderSettings = { region: 'us-east-1', bucket: 'demo-bucket', roleArn: 'arn:aws:iam::123456789012:role/BedrockBatch' };

const bedrockRig: ProviderRig = {
  provider: 'bedrock',
  models: ['anthropic.claude-3-haiku-20240307-v1:0', 'anthropic.claude-3-5-sonnet-20240620-v1:0'],
  settings: BEDROCK_SETTINGS,
  minRequests: PROVIDER_LIMITS.bedrock.minRequests,
  oneModelPerBatch: PROVIDER_LIMITS.bedrock.oneModelPerBatch,
  capacityRefusalUnrecognized: undefined,
  inlineRequests: false,
  // InvokeModel bodies carry no response format: the prompt asks (the emulator answers JSON when the system prompt says so).
  askForJson: (body) => ({ ...body, messages: [{ role: 'system', content: 'Answer in JSON.' }, ...(body['messages'] as unknown[])] }),
  // A job whose timeout strikes mid-run is PartiallyCompleted: what ran is in the output, the rest is missing.
  expiredBatchState: 'completed',
  unsupported: OPENAI_ONLY,
  async start(options = {}) {
    const toAws = (faults: FaultConfig): AwsFaultConfig => {
      refuseUnsupported(bedrockRig, faults);
      // The tests' files are small: the job minimum (100 records) is the engine's business, not the emulator's here.
      const out: AwsFaultConfig = { minRecords: 1 };
      const endpointFaults = mapEndpointFaults(BEDROCK_ROUTES, faults.endpointFaults, (endpoint, f) => ({ endpoint, times: f.times, status: f.status, ...(f.retryAfter !== undefined ? { retryAfter: f.retryAfter } : {}) }));
      if (endpointFaults) out.endpointFaults = endpointFaults;
      if (faults.itemErrors) out.itemErrors = Object.fromEntries(Object.entries(faults.itemErrors).map(([id, f]) => [id, { errorCode: f.status, ...(f.message ? { errorMessage: f.message } : {}) }]));
      if (faults.failValidation !== undefined) out.failValidation = faults.failValidation;
      if (faults.expireAfterFraction !== undefined) out.expireAfterFraction = faults.expireAfterFraction;
      if (faults.ordered !== undefined) out.ordered = faults.ordered;
      if (faults.truncateDownload !== undefined) out.truncateDownload = faults.truncateDownload;
      if (faults.emptyContent !== undefined) out.emptyContent = faults.emptyContent;
      if (faults.nonJsonContent !== undefined) out.nonJsonContent = faults.nonJsonContent;
      if (faults.capacityRefusals !== undefined) out.capacityRefusals = faults.capacityRefusals;
      return out;
    };
    const emulator = await startAwsEmulator({ timeScale: scaled(AWS_TIME, options.speed), faults: toAws(options.faults ?? {}), minRecords: 1, ...(options.key ? { apiKey: options.key } : {}) });
    const classify = reverse(BEDROCK_ROUTES);
    const toRequest = (r: { method: string; path: string; status: number; route: AwsRoute | null }): EmulatedRequest => ({ method: r.method, path: r.path, status: r.status, route: classify(r.route) });
    return {
      provider: 'bedrock',
      url: emulator.url,
      setFaults: (faults) => emulator.setFaults(toAws(faults)),
      batches: () =>
        emulator.batches().map((b) => ({
          remoteId: b.jobArn,
          jobId: b.tags.find((t) => t.key === TAG_JOB)?.value,
          batchKey: b.tags.find((t) => t.key === TAG_BATCH)?.value,
          model: b.modelId,
          rawState: b.status,
          endedWell: b.status === 'Completed',
        })),
      createCalls: () => emulator.createCalls(),
      requests: () => emulator.requests().map(toRequest),
      onResponse: (listener) => emulator.onResponse((entry) => listener(toRequest(entry))),
      reset: () => {
        emulator.reset();
        emulator.setFaults(toAws({}));
      },
      close: () => emulator.close(),
    };
  },
  adapter: (emulator, key, options = {}) => providerEntry('bedrock').create(connectionOf('bedrock', BEDROCK_SETTINGS, emulator.url, key, options.maxRetries ?? 2)),
  lastUserText: (line) => {
    const input = record(line['modelInput']);
    // InvokeModel bodies (Anthropic's messages) and Converse requests both keep `messages`.
    return lastUserOf(input['messages'], 'content');
  },
  markerMessage: (code) => awsErrorForCode(code).message,
};

const RIGS: Readonly<Record<ProviderId, ProviderRig>> = {
  openai: openAiRig('openai'),
  azure: openAiRig('azure'),
  anthropic: anthropicRig,
  gemini: googleRig('gemini'),
  vertex: googleRig('vertex'),
  bedrock: bedrockRig,
};

export function providerRig(provider: ProviderId): ProviderRig {
  return RIGS[provider];
}

/** Intent keys of every batch the emulator created ('(untagged)' where it carries no tags): a repeated one is a double submission. */
export function createdIntentKeys(emulator: ProviderEmulator): string[] {
  return emulator.batches().map((batch) => batch.batchKey ?? '(untagged)');
}
