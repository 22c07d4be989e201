// The seam between the engine and one provider's batch API. Adapters implement it over the
// official SDK; everything they return is provider-neutral. Every call takes an AbortSignal.
import type { ItemOutcome } from '../core/itemOutcome';
import type { ProviderId } from '../core/providerLimits';

/** Remote batch states, normalized across providers; the raw value is kept beside it. */
export const REMOTE_STATES = ['validating', 'in_progress', 'finalizing', 'completed', 'failed', 'expired', 'cancelling', 'cancelled'] as const;
export type RemoteState = (typeof REMOTE_STATES)[number];
export const TERMINAL_STATES: ReadonlySet<RemoteState> = new Set(['completed', 'failed', 'expired', 'cancelled']);

export interface RemoteBatch {
  readonly remoteId: string;
  readonly state: RemoteState;
  readonly rawStatus: string;
  readonly counts: { readonly total: number; readonly completed: number; readonly failed: number };
  /** The uploaded input, where the provider keeps one (what `import` reads the requests from). */
  readonly inputFileId: string | undefined;
  readonly endpoint: string | undefined;
  /** Undefined when the provider has none (also for Azure's empty-string ids). */
  readonly outputFileId: string | undefined;
  readonly errorFileId: string | undefined;
  readonly metadata: Readonly<Record<string, string>>;
  /** Milliseconds since the epoch. */
  readonly createdAt: number;
  readonly expiresAt: number | undefined;
  /** Validation errors of a failed batch, with the input line where given. */
  readonly errors: readonly { readonly code: string; readonly message: string; readonly line: number | undefined }[];
}

export interface CreateBatchRequest {
  /** Path of the exact JSONL bytes to upload. */
  readonly inputPath: string;
  /** e.g. /v1/chat/completions (as written on the lines). */
  readonly endpoint: string;
  /** Tags that let a restarted process find this batch again (OpenAI/Azure `metadata`). */
  readonly metadata: Readonly<Record<string, string>>;
}

export interface BatchProvider {
  readonly id: ProviderId;
  /**
   * One cheap authenticated call, made before a job is journaled: proves that the key is taken
   * and the provider answers. Throws an error whose message says which, in plain words.
   */
  verifyAccess(signal?: AbortSignal): Promise<void>;
  /** Uploads the input file; returns the provider's file id. */
  upload(inputPath: string, signal?: AbortSignal): Promise<string>;
  create(request: CreateBatchRequest & { readonly fileId: string }, signal?: AbortSignal): Promise<RemoteBatch>;
  retrieve(remoteId: string, signal?: AbortSignal): Promise<RemoteBatch>;
  /** Every remote batch, newest first, across pages. */
  list(signal?: AbortSignal): AsyncIterable<RemoteBatch>;
  cancel(remoteId: string, signal?: AbortSignal): Promise<RemoteBatch>;
  /** Downloads a result file to `destination` (written atomically); throws if the body is cut short. */
  download(fileId: string, destination: string, signal?: AbortSignal): Promise<void>;
  /** Parses one line of an output or error file. Undefined for a line that is not a result. */
  parseResultLine(line: string): ItemOutcome | undefined;
  /**
   * One item through the synchronous API (strike 3), once: the adapter never retries it itself
   * (the engine's journaled policy does). Throws ProviderAccessError when the provider refuses
   * our access rather than the item.
   */
  callSync(endpoint: string, body: Readonly<Record<string, unknown>>, customId: string, signal?: AbortSignal): Promise<SyncOutcome>;
}

/** What one sync call gave: the item's outcome, and what the engine needs to keep and pace it. */
export type SyncOutcome = ItemOutcome & {
  /**
   * The provider's answer as one line of its batch output/error file (read back by
   * `parseResultLine`), so a paid sync answer is kept like a batch one. Undefined when no answer
   * came back (connection lost, timeout).
   */
  readonly resultLine: string | undefined;
  /** How long the provider asked us to wait before calling again (retry-after), if it said. */
  readonly retryAfterMs: number | undefined;
};

/** Why the provider refused us rather than the request: a key, a permission, a model or deployment. */
export type ProviderAccessKind = 'auth' | 'permission' | 'not_found';

/**
 * The provider refused our access (401, 403) or does not know the model or deployment (404): no
 * item is to blame, so none may be condemned for it; the run stops until the user fixes it.
 */
export class ProviderAccessError extends Error {
  constructor(
    readonly kind: ProviderAccessKind,
    /** The provider's own words. */
    readonly providerMessage: string,
    readonly status: number | undefined,
  ) {
    super(`${ACCESS_PROBLEM[kind]}: ${providerMessage}`);
    this.name = 'ProviderAccessError';
  }
}

const ACCESS_PROBLEM: Readonly<Record<ProviderAccessKind, string>> = {
  auth: 'the provider refused the API key (check the key)',
  permission: 'the API key is not allowed to do this (check the key’s project, organization or role)',
  not_found: 'the provider does not know this model or deployment (check the model name, deployment or endpoint)',
};

/** Codes with which a provider refuses a whole batch for capacity (the enqueued-token quota), not for its lines. */
export const CAPACITY_REFUSAL_CODES: ReadonlySet<string> = new Set(['token_limit_exceeded', 'tokenlimitexceeded']);

/**
 * The provider refused to create a batch for capacity (Azure's "fail fast" regions answer the
 * enqueued-token quota with a 400 on create): nothing was made or billed, and the same batch may
 * be created later, when running batches have finished.
 */
export class CapacityRefusedError extends Error {
  constructor(
    readonly code: string,
    /** The provider's own words. */
    readonly providerMessage: string,
  ) {
    super(`the provider has no capacity for this batch now (${code}): ${providerMessage}`);
    this.name = 'CapacityRefusedError';
  }
}
