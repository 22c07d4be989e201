// Every per-file limit we enforce before anything is uploaded, in one table that the planner,
// the validator and the tests all read. Sources: docs/PROVIDER_BATCH_APIS.md.
// Sizes use decimal megabytes (1 MB = 1,000,000 bytes): where a provider says "200 MB" and does
// not say which, the smaller reading keeps every chunk we plan within either.

export const PROVIDER_IDS = ['openai', 'azure', 'anthropic', 'gemini', 'vertex', 'bedrock'] as const;
export type ProviderId = (typeof PROVIDER_IDS)[number];

/** The JSONL line shapes we accept; OpenAI's shape also serves Azure OpenAI. */
export const FORMAT_IDS = ['openai', 'anthropic', 'gemini', 'bedrock'] as const;
export type FormatId = (typeof FORMAT_IDS)[number];

export interface ProviderLimits {
  readonly displayName: string;
  /** The line format this provider's batch files use. */
  readonly format: FormatId;
  /** Most requests one remote batch may hold. */
  readonly maxRequests: number;
  /** Most bytes one submitted batch file (or inline body) may hold. */
  readonly maxBytes: number;
  /** Fewest requests a batch may hold (Bedrock rejects small jobs). */
  readonly minRequests: number;
  /** True where every line of one batch must name the same model (or deployment). */
  readonly oneModelPerBatch: boolean;
  /**
   * Embeddings only: most inputs one batch may hold across its requests, and one request may
   * hold (an `input` array counts each of its entries, a string or one token array counts 1).
   */
  readonly maxEmbeddingInputs?: number;
  readonly maxEmbeddingInputsPerRequest?: number;
  /** The id rule the provider checks, where it has one. */
  readonly idPattern?: RegExp;
  readonly idMaxLength?: number;
  /** What the next engineer reads when a number looks odd. */
  readonly source: string;
}

const MB = 1_000_000;

export const PROVIDER_LIMITS: Readonly<Record<ProviderId, ProviderLimits>> = {
  openai: {
    displayName: 'OpenAI',
    format: 'openai',
    maxRequests: 50_000,
    maxBytes: 200 * MB,
    minRequests: 1,
    oneModelPerBatch: true,
    maxEmbeddingInputs: 50_000,
    maxEmbeddingInputsPerRequest: 2_048,
    source:
      'openai SDK BatchCreateParams.input_file_id: 50,000 requests, 200 MB; /v1/embeddings batches at most 50,000 inputs in all; embeddings input arrays of at most 2,048',
  },
  azure: {
    displayName: 'Azure OpenAI',
    format: 'openai',
    maxRequests: 100_000,
    maxBytes: 200 * MB,
    minRequests: 1,
    oneModelPerBatch: true,
    maxEmbeddingInputs: 50_000,
    maxEmbeddingInputsPerRequest: 2_048,
    source:
      "Azure global batch limits: 100,000 requests, 200 MB; one deployment per file; embeddings input limits assumed to be OpenAI's (unverified; a smaller batch costs only one more batch)",
  },
  anthropic: {
    displayName: 'Anthropic',
    format: 'anthropic',
    maxRequests: 100_000,
    maxBytes: 256 * MB,
    minRequests: 1,
    oneModelPerBatch: false,
    idPattern: /^[a-zA-Z0-9_-]+$/,
    idMaxLength: 64,
    source: 'Anthropic Message Batches: 100,000 requests or 256 MB; custom_id ^[a-zA-Z0-9_-]{1,64}$',
  },
  gemini: {
    displayName: 'Google Gemini',
    format: 'gemini',
    maxRequests: 100_000,
    maxBytes: 20 * MB,
    minRequests: 1,
    oneModelPerBatch: true,
    source: 'Gemini batch mode: inline requests under 20 MB; the model is in the URL (request count cap unverified, kept at 100,000)',
  },
  vertex: {
    displayName: 'Google Vertex AI',
    format: 'gemini',
    maxRequests: 200_000,
    maxBytes: 1_000 * MB,
    minRequests: 1,
    oneModelPerBatch: true,
    source: 'Vertex AI batch prediction from Cloud Storage: JSONL of {request} lines in GCS, the model on the job (limits unverified; kept at 200,000 requests and 1 GB per file)',
  },
  bedrock: {
    displayName: 'AWS Bedrock',
    format: 'bedrock',
    maxRequests: 50_000,
    maxBytes: 1_000 * MB,
    minRequests: 100,
    oneModelPerBatch: true,
    source: 'Bedrock batch inference quotas (adjustable): at least 100 records, about 50,000 records and 1 GB per file; modelId on the job',
  },
};

/** The provider a file's format implies when the user names none. */
export const DEFAULT_PROVIDER_FOR_FORMAT: Readonly<Record<FormatId, ProviderId>> = {
  openai: 'openai',
  anthropic: 'anthropic',
  gemini: 'gemini',
  bedrock: 'bedrock',
};

export function isProviderId(value: string): value is ProviderId {
  return (PROVIDER_IDS as readonly string[]).includes(value);
}
