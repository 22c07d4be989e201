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
  /** One item through the synchronous API (strike 3). */
  callSync(endpoint: string, body: Readonly<Record<string, unknown>>, customId: string, signal?: AbortSignal): Promise<ItemOutcome>;
}
