// Every provider in one table: how its adapter is made, what it needs before it can be made, and
// where the CLI finds its credentials and base URL. Adding a provider is one entry here plus its
// folder (see docs/ARCHITECTURE.md); nothing else switches on provider ids.
import type { ItemOutcome } from '../core/itemOutcome';
import { PROVIDER_LIMITS } from '../core/providerLimits';
import type { ProviderId } from '../core/providerLimits';
import type { ProviderSettings } from '../core/providerSettings';
import { parseAnthropicResultLine } from './anthropic/anthropicMapping';
import type { BatchProvider } from './batchProvider';
import { parseBedrockResultLine } from './bedrock/bedrockMapping';
import { parseGoogleResultLine } from './google/googleMapping';
import { parseOpenAiResultLine } from './openai/openaiMapping';
import type { ProviderConnection } from './providerConfig';
import type * as AnthropicAdapter from './anthropic/anthropicProvider';
import type * as BedrockAdapter from './bedrock/bedrockProvider';
import type * as GeminiAdapter from './google/geminiProvider';
import type * as VertexAdapter from './google/vertexProvider';
import type * as OpenAiAdapter from './openai/openaiProvider';

// Each adapter (and its SDK, the bulk of the code we ship) is required at its first use, never at
// load: the extension activates and the CLI estimates without loading any SDK. The build makes each
// of these modules its own bundle (`dist/providers/<folder>.js`, see scripts/build.mjs), so they are
// not even parsed until a job needs them. The result parsers above are pure and stay eager.
/* eslint-disable @typescript-eslint/no-require-imports -- lazy on purpose, see above */
const adapters = {
  openai: () => require('./openai/openaiProvider') as typeof OpenAiAdapter,
  anthropic: () => require('./anthropic/anthropicProvider') as typeof AnthropicAdapter,
  gemini: () => require('./google/geminiProvider') as typeof GeminiAdapter,
  vertex: () => require('./google/vertexProvider') as typeof VertexAdapter,
  bedrock: () => require('./bedrock/bedrockProvider') as typeof BedrockAdapter,
};
/* eslint-enable @typescript-eslint/no-require-imports */

export interface ProviderEntry {
  readonly id: ProviderId;
  /** Makes the adapter; only called once `missing` found nothing. */
  readonly create: (connection: ProviderConnection) => BatchProvider;
  /** Reads a line of this provider's results (or a kept sync answer) without a client or a key. */
  readonly parseResultLine: (line: string) => ItemOutcome | undefined;
  /** Whether the provider takes an API key (the others use their cloud's credential chain). */
  readonly usesApiKey: boolean;
  /** Settings a job cannot go without, with what each is for. */
  readonly requiredSettings: readonly (keyof ProviderSettings)[];
  /** Environment variables the CLI reads the key from, in order (never flags: they end up in shell history). */
  readonly keyEnv: readonly string[];
  /** Environment variables that point every client of the provider at another URL. */
  readonly baseUrlEnv: readonly string[];
}

const ENTRIES: Readonly<Record<ProviderId, ProviderEntry>> = {
  openai: {
    id: 'openai',
    create: (c) => adapters.openai().createOpenAiProvider({ provider: 'openai', apiKey: c.apiKey ?? '', baseUrl: c.baseUrl, maxRetries: c.maxRetries, timeoutMs: c.timeoutMs }),
    parseResultLine: parseOpenAiResultLine,
    usesApiKey: true,
    requiredSettings: [],
    keyEnv: ['OPENAI_API_KEY'],
    baseUrlEnv: ['OPENAI_BASE_URL'],
  },
  azure: {
    id: 'azure',
    create: (c) =>
      adapters.openai().createOpenAiProvider({
        provider: 'azure',
        apiKey: c.apiKey ?? '',
        endpoint: c.baseUrl ?? c.endpoint ?? '',
        apiVersion: c.apiVersion,
        maxRetries: c.maxRetries,
        timeoutMs: c.timeoutMs,
      }),
    parseResultLine: parseOpenAiResultLine,
    usesApiKey: true,
    requiredSettings: ['endpoint'],
    keyEnv: ['AZURE_OPENAI_API_KEY'],
    baseUrlEnv: ['AZURE_OPENAI_ENDPOINT'],
  },
  anthropic: {
    id: 'anthropic',
    create: (c) => adapters.anthropic().createAnthropicProvider(c),
    parseResultLine: parseAnthropicResultLine,
    usesApiKey: true,
    requiredSettings: [],
    keyEnv: ['ANTHROPIC_API_KEY'],
    baseUrlEnv: ['ANTHROPIC_BASE_URL'],
  },
  gemini: {
    id: 'gemini',
    create: (c) => adapters.gemini().createGeminiProvider(c),
    parseResultLine: parseGoogleResultLine,
    usesApiKey: true,
    requiredSettings: [],
    keyEnv: ['GEMINI_API_KEY', 'GOOGLE_API_KEY'],
    baseUrlEnv: ['GOOGLE_GEMINI_BASE_URL'],
  },
  vertex: {
    id: 'vertex',
    create: (c) => adapters.vertex().createVertexProvider(c),
    parseResultLine: parseGoogleResultLine,
    // Google's application default credentials (or a ready access token), never a key.
    usesApiKey: false,
    requiredSettings: ['project', 'location', 'bucket'],
    keyEnv: [],
    baseUrlEnv: ['GOOGLE_VERTEX_BASE_URL'],
  },
  bedrock: {
    id: 'bedrock',
    create: (c) => adapters.bedrock().createBedrockProvider(c),
    parseResultLine: parseBedrockResultLine,
    // The standard AWS credential chain (environment, profile, role), never a key of ours.
    usesApiKey: false,
    requiredSettings: ['region', 'bucket', 'roleArn'],
    keyEnv: [],
    baseUrlEnv: ['AWS_ENDPOINT_URL_BEDROCK', 'AWS_ENDPOINT_URL'],
  },
};

export function providerEntry(id: ProviderId): ProviderEntry {
  return ENTRIES[id];
}

/** How each setting is named to the user: the CLI flag, and what it is. */
export const SETTING_NAMES: Readonly<Record<keyof ProviderSettings, { readonly flag: string; readonly what: string }>> = {
  endpoint: { flag: '--base-url', what: 'the Azure OpenAI resource endpoint' },
  apiVersion: { flag: '--api-version', what: 'the Azure OpenAI API version' },
  project: { flag: '--project', what: 'the Google Cloud project' },
  location: { flag: '--location', what: 'the Vertex AI location (e.g. us-central1)' },
  bucket: { flag: '--bucket', what: 'the bucket the batch input and results go through' },
  region: { flag: '--region', what: 'the AWS region' },
  roleArn: { flag: '--role-arn', what: 'the IAM role Bedrock runs the batch job as' },
  invocationType: { flag: '--invocation-type', what: 'InvokeModel or Converse records' },
};

/**
 * What stops an adapter from being made: a missing key or setting, in words that say where to
 * set it (`keyHint`: how this front end takes keys). Undefined when nothing is missing.
 */
export function missingForProvider(connection: ProviderConnection, keyHint: string): string | undefined {
  const entry = ENTRIES[connection.provider];
  const name = PROVIDER_LIMITS[connection.provider].displayName;
  if (entry.usesApiKey && !connection.apiKey) return `No API key for ${name}: ${keyHint}`;
  const missing = entry.requiredSettings.filter((key) => !connection[key] && !(key === 'endpoint' && connection.baseUrl));
  if (missing.length === 0) return undefined;
  return `${name} needs ${missing.map((key) => `${SETTING_NAMES[key].what} (${SETTING_NAMES[key].flag})`).join(', ')}`;
}

/** The adapter for a connection; throws with what is missing (see missingForProvider). */
export function createProvider(connection: ProviderConnection, keyHint: string): BatchProvider {
  const missing = missingForProvider(connection, keyHint);
  if (missing) throw new Error(missing);
  return ENTRIES[connection.provider].create(connection);
}
