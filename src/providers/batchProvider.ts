// The seam between the engine and one provider's batch API. An adapter implements it over the
// provider's official SDK and owns everything provider-shaped: where the input is staged (an
// uploaded file, an S3 or GCS object, or nothing when requests go inline), the tags or
// idempotency key that let a restarted process find its own batch, the states, the result
// files, the line formats and the sync call. Everything it returns is provider-neutral, and the
// journal keeps only the opaque references it hands out. Every call takes an AbortSignal.
import type { ItemOutcome } from '../core/itemOutcome';
import type { ProviderId } from '../core/providerLimits';

/** Remote batch states, normalized across providers; the raw value is kept beside it. */
export const REMOTE_STATES = ['validating', 'in_progress', 'finalizing', 'completed', 'failed', 'expired', 'cancelling', 'cancelled'] as const;
export type RemoteState = (typeof REMOTE_STATES)[number];
export const TERMINAL_STATES: ReadonlySet<RemoteState> = new Set(['completed', 'failed', 'expired', 'cancelled']);

/** What names one of our batches at the provider, so a restarted process recognises it. */
export interface BatchTags {
  readonly jobId: string;
  readonly batchKey: string;
}

export interface RemoteBatch {
  /** The provider's id or resource name, as its retrieve and cancel take it. */
  readonly remoteId: string;
  readonly state: RemoteState;
  readonly rawStatus: string;
  /** `completed`/`failed` stay 0 until the provider reports them (Anthropic: until the batch ends). */
  readonly counts: { readonly total: number; readonly completed: number; readonly failed: number };
  /** Our tags, when the provider carries them and this batch has them (someone else's has none). */
  readonly tags: BatchTags | undefined;
  /** Where the results can be fetched from, when the batch has any (opaque; journaled as is). */
  readonly resultRefs: readonly string[];
  /** The staged input, where the provider keeps it (what `import` reads the requests from). */
  readonly inputRef: string | undefined;
  /** The model or endpoint the batch runs, as the provider names it, when it says. */
  readonly endpoint: string | undefined;
  readonly model: string | undefined;
  /** Milliseconds since the epoch. */
  readonly createdAt: number;
  readonly expiresAt: number | undefined;
  /** Why the batch as a whole failed, where the provider says (validation, capacity, quota). */
  readonly errors: readonly { readonly code: string; readonly message: string; readonly line: number | undefined }[];
}

/** One batch to send: the exact native request lines the engine wrote, and what names it. */
export interface BatchSubmission {
  readonly tags: BatchTags;
  /** The JSONL file of request lines in this provider's own format, exactly as they are sent. */
  readonly inputPath: string;
  readonly itemCount: number;
  /** The one model of the batch (Gemini, Vertex and Bedrock name it on the batch, not the line). */
  readonly model: string;
  /** OpenAI/Azure: the lines' URL (e.g. `/v1/chat/completions`); others ignore it. */
  readonly endpoint: string;
}

/** What looking for a batch an earlier attempt may have created found. */
export type FoundBatch =
  | { readonly kind: 'found'; readonly remote: RemoteBatch }
  | { readonly kind: 'none' }
  /** More than one batch could be it, and the provider gives no way to tell: never guess. */
  | { readonly kind: 'ambiguous'; readonly candidates: readonly string[] };

/** Where `fetchResults` writes: one local file per kind, named by the engine. */
export type ResultKind = 'output' | 'errors';

export interface BatchProvider {
  readonly id: ProviderId;
  /**
   * One cheap authenticated call, made before a job is journaled: proves that the credentials
   * are taken and the provider answers. Throws an error whose message says which, in plain words.
   */
  verifyAccess(signal?: AbortSignal): Promise<void>;
  /**
   * Puts the input where the provider reads it (an uploaded file, an S3 or GCS object) and returns
   * its reference, which the engine journals before `create`; undefined when the provider takes
   * the requests inline (nothing to stage). Staging again after a crash must be harmless.
   */
  stage(submission: BatchSubmission, signal?: AbortSignal): Promise<string | undefined>;
  /**
   * Creates the batch from the staged input (or the lines, inline), tagged with `submission.tags`
   * where the provider carries tags, and with an idempotency key where it takes one. Must not
   * retry a create whose outcome is unknown by creating again (that could pay twice); it may look
   * for the batch instead. Throws CapacityRefusedError when the provider refuses it for capacity.
   */
  create(submission: BatchSubmission, staged: string | undefined, signal?: AbortSignal): Promise<RemoteBatch>;
  /**
   * Finds the batch an earlier `create` of this submission may have made before the process
   * stopped (`since`: when that attempt was journaled, epoch ms). Says `ambiguous` rather than
   * guess when the provider cannot tell two batches apart.
   */
  findCreated(submission: BatchSubmission, staged: string | undefined, since: number, signal?: AbortSignal): Promise<FoundBatch>;
  retrieve(remoteId: string, signal?: AbortSignal): Promise<RemoteBatch>;
  /** Every remote batch, newest first, across pages. */
  list(signal?: AbortSignal): AsyncIterable<RemoteBatch>;
  cancel(remoteId: string, signal?: AbortSignal): Promise<RemoteBatch>;
  /**
   * Downloads the results of a batch that ended (as soon as it ends: providers delete them) into
   * `destination(kind)`, each written completely or not at all; throws if a body is cut short.
   * Every line written is one `parseResultLine` reads, carrying the item's id: failures the
   * provider reports another way (a validation error naming an input line, a record missing from
   * a shard) are written as result lines too, so the engine matches every outcome by id.
   * Returns the kinds written.
   */
  fetchResults(remote: RemoteBatch, submission: BatchSubmission, destination: (kind: ResultKind) => string, signal?: AbortSignal): Promise<ResultKind[]>;
  /** Parses one line of a results file (or a kept sync answer). Undefined for a line that is not a result. */
  parseResultLine(line: string): ItemOutcome | undefined;
  /**
   * Downloads the request lines of a batch made elsewhere into `destination`, in this provider's
   * line format, for `import`. Throws with the reason when the provider keeps no input.
   */
  readInput(remote: RemoteBatch, destination: string, signal?: AbortSignal): Promise<void>;
  /**
   * One item through the synchronous API (strike 3), once: the adapter never retries it itself
   * (the engine's journaled policy does). `line` is the item's request line as sent in batches.
   * Throws ProviderAccessError when the provider refuses our access rather than the item.
   */
  callSync(call: SyncCall, signal?: AbortSignal): Promise<SyncOutcome>;
}

export interface SyncCall {
  /** The item's request line, parsed, in this provider's line format. */
  readonly line: Readonly<Record<string, unknown>>;
  readonly customId: string;
  /** The item's model (Bedrock and Gemini lines need not name it). */
  readonly model: string;
  /** OpenAI/Azure: the job's URL when the line has none. */
  readonly endpoint: string;
}

/** What one sync call gave: the item's outcome, and what the engine needs to keep and pace it. */
export type SyncOutcome = ItemOutcome & {
  /**
   * The provider's answer as one line of its results file (read back by `parseResultLine`), so
   * a paid sync answer is kept like a batch one. Undefined when no answer came back (connection
   * lost, timeout).
   */
  readonly resultLine: string | undefined;
  /** How long the provider asked us to wait before calling again (retry-after), if it said. */
  readonly retryAfterMs: number | undefined;
};

/**
 * A sync call that got no answer (the connection dropped, or it timed out): the provider may have
 * run it, so the engine does not call again blindly; nothing is kept, as nothing came back.
 */
export function noAnswerOutcome(customId: string, code: 'timeout' | 'connection_error', message: string): SyncOutcome {
  return { ok: false, customId, failureClass: 'transient', code, message, httpStatus: undefined, usage: undefined, resultLine: undefined, retryAfterMs: undefined };
}

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

// Adapters are built into bundles of their own (loaded when a job needs one, see registry.ts), each
// with its own copy of these classes: `instanceof` would not see an adapter's error as the engine's.
// These guards go by the name each class sets, which every copy shares.

export function isProviderAccessError(error: unknown): error is ProviderAccessError {
  return error instanceof Error && error.name === 'ProviderAccessError';
}

export function isCapacityRefusedError(error: unknown): error is CapacityRefusedError {
  return error instanceof Error && error.name === 'CapacityRefusedError';
}

const ACCESS_PROBLEM: Readonly<Record<ProviderAccessKind, string>> = {
  auth: 'the provider refused the credentials (check the API key)',
  permission: 'the credentials are not allowed to do this (check the key’s project, organization or role)',
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
