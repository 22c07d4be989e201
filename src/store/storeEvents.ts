// Every state change the engine makes, as journal events. The index (stateIndex.ts) is derived
// from these alone, so replaying the journal after a crash, or every job's history after a lost
// snapshot, rebuilds exactly the state that was acknowledged.
import type { FailureClass } from '../core/itemOutcome';
import type { ProviderId } from '../core/providerLimits';
import type { ProviderSettings } from '../core/providerSettings';

export const JOB_STATES = ['submitting', 'running', 'completed', 'completed_with_failures', 'failed', 'cancelled'] as const;
export type JobState = (typeof JOB_STATES)[number];

export const ITEM_STATES = ['queued', 'submitted', 'succeeded', 'failed', 'deduped', 'cached', 'dead_letter', 'cancelled'] as const;
export type ItemState = (typeof ITEM_STATES)[number];

export interface JobOptions {
  /** JSON Schema every output must satisfy (its content parsed as JSON), if any. */
  readonly outputSchema?: unknown;
  /** Require outputs to parse as JSON even without a schema. */
  readonly outputJson?: boolean;
  readonly failureAlertRate: number;
  /** Where the job's batches go (region, bucket, project…), as it was submitted. */
  readonly providerSettings?: ProviderSettings | undefined;
  /** `sync`: items go one by one through the sync API instead of batches (absent: batch). */
  readonly mode?: JobMode | undefined;
  /** What the job was made from (a notebook cell's inputs and options), to find it again. */
  readonly runKey?: string | undefined;
}

export type JobMode = 'batch' | 'sync';

/** What the estimate said a job would cost, as it was submitted (dollars; tokens of what is sent). */
export interface JobEstimate {
  /** Expected cost of what is sent (after dedup and the cache), at the price it is sent at. */
  readonly expected: number;
  /** The same at every request's max-output bound: what the budget reserved. */
  readonly max: number;
  /** Expected tokens of what is sent (absent in journals written before they were kept). */
  readonly inputTokens?: number | undefined;
  readonly outputTokens?: number | undefined;
  /** What sending every valid line naively would cost, duplicates and cached included, at the sync price. */
  readonly naiveSync?: number | undefined;
}

/** A path inside the workspace's `.llm-batch/` folder, always with forward slashes. */
export type StorePath = string;

/** Where one result's raw line sits: a downloaded output/error file, by byte range. */
export interface ResultRef {
  readonly file: StorePath;
  readonly offset: number;
  readonly length: number;
}

/** One item's outcome in one attempt, as the engine recorded it. */
export interface RecordedOutcome {
  readonly id: string;
  readonly ok: boolean;
  readonly failureClass?: FailureClass | undefined;
  readonly code?: string | undefined;
  readonly message?: string | undefined;
  readonly inputTokens: number;
  readonly outputTokens: number;
  /** Dollars actually charged for this attempt (0 when the provider charged nothing). */
  readonly cost: number;
  /**
   * What the same usage costs at the sync price: the job's saving against sync is this minus
   * `cost`. Absent in journals written before it was kept (and for sync calls): read as `cost`.
   */
  readonly syncCost?: number | undefined;
  readonly ref?: ResultRef | undefined;
}

export type StoreEvent =
  | {
      readonly type: 'job.created';
      readonly jobId: string;
      readonly name: string;
      readonly sourceFile: string;
      readonly sourceSha256: string;
      readonly provider: ProviderId;
      readonly model: string;
      readonly endpoint: string;
      readonly createdAt: string;
      readonly estimate: JobEstimate;
      readonly options: JobOptions;
      /** JSONL of ItemSeed, one per source item, written and fsynced before this event. */
      readonly itemsFile: StorePath;
      readonly itemCount: number;
    }
  | { readonly type: 'spend.reserved'; readonly jobId: string; readonly amount: number; readonly day: string }
  /** `amount`: the job's whole actual cost so far; the index books only what it adds to earlier settlements. */
  | { readonly type: 'spend.settled'; readonly jobId: string; readonly amount: number; readonly day: string }
  | {
      readonly type: 'batch.intent';
      readonly jobId: string;
      readonly batchKey: string;
      readonly strike: number;
      readonly inputFile: StorePath;
      readonly itemCount: number;
      /** For retry batches: the ids it carries (initial batches take theirs from the items file). */
      readonly ids?: readonly string[] | undefined;
    }
  /** The batch's input was staged where the provider reads it (an uploaded file, an S3 or GCS object): an opaque reference. */
  | { readonly type: 'batch.staged'; readonly jobId: string; readonly batchKey: string; readonly ref: string }
  /** Journals written before the provider seam: an OpenAI file id, read as `batch.staged`. */
  | { readonly type: 'batch.uploaded'; readonly jobId: string; readonly batchKey: string; readonly fileId: string }
  /**
   * Journaled just before a create is sent (`sentAt`, epoch ms): after a crash, a batch with this mark
   * may exist at the provider, so it is looked for before anything is created again.
   */
  | { readonly type: 'batch.submitting'; readonly jobId: string; readonly batchKey: string; readonly sentAt: number }
  | { readonly type: 'batch.created'; readonly jobId: string; readonly batchKey: string; readonly remoteId: string; readonly adopted: boolean }
  | {
      readonly type: 'batch.status';
      readonly jobId: string;
      readonly batchKey: string;
      readonly state: string;
      readonly rawStatus: string;
      readonly counts: { readonly total: number; readonly completed: number; readonly failed: number };
      /** Where the provider keeps the batch's results (opaque references, kept for the record). */
      readonly resultRefs?: readonly string[] | undefined;
      /** Journals written before the provider seam carried OpenAI file ids here. */
      readonly outputFileId?: string | undefined;
      readonly errorFileId?: string | undefined;
    }
  | {
      readonly type: 'batch.collected';
      readonly jobId: string;
      readonly batchKey: string;
      readonly outputFile?: StorePath | undefined;
      readonly errorFile?: StorePath | undefined;
      readonly outcomes: readonly RecordedOutcome[];
    }
  | { readonly type: 'item.syncResult'; readonly jobId: string; readonly outcome: RecordedOutcome }
  | { readonly type: 'items.deadLettered'; readonly jobId: string; readonly ids: readonly string[]; readonly reason?: string | undefined }
  | { readonly type: 'items.cancelled'; readonly jobId: string; readonly ids: readonly string[] }
  /** Journaled before a strike-3 sync call: after a crash, an unanswered one is never sent again blindly. */
  | { readonly type: 'item.syncStarted'; readonly jobId: string; readonly id: string }
  /**
   * The sync strike stopped because the provider refused our access (key, permission, unknown
   * model): the item was not answered and is put back as it was before the strike.
   */
  | {
      readonly type: 'item.syncAborted';
      readonly jobId: string;
      readonly id: string;
      readonly state: 'failed' | 'dead_letter';
      readonly strike: number;
      readonly batchKey: string | null;
    }
  /**
   * The provider refused a whole batch for capacity (an enqueued-token quota), not for its items:
   * the batch is closed without outcomes and the same chunk (same input file, same items, same
   * strike) becomes a new intent under `retryKey`, sent no earlier than `notBefore` (epoch ms).
   * `reason` is what the job shows while it waits.
   */
  | {
      readonly type: 'batch.capacityRefused';
      readonly jobId: string;
      readonly batchKey: string;
      readonly retryKey: string;
      readonly strike: number;
      readonly inputFile: StorePath;
      readonly itemCount: number;
      readonly notBefore: number;
      /** How many times this chunk has now been refused in a row. */
      readonly refusals: number;
      readonly reason: string;
    }
  /**
   * The provider refused to create the batch for capacity (a 400 on create, no batch made): the
   * intent stays as it is, to be created no earlier than `notBefore` (epoch ms).
   */
  | {
      readonly type: 'batch.deferred';
      readonly jobId: string;
      readonly batchKey: string;
      readonly notBefore: number;
      readonly refusals: number;
      readonly reason: string;
    }
  | { readonly type: 'job.cancelRequested'; readonly jobId: string }
  | { readonly type: 'job.alert'; readonly jobId: string; readonly failureRate: number; readonly message: string }
  | { readonly type: 'job.state'; readonly jobId: string; readonly state: JobState }
  /**
   * The engine stops driving the job until the user acts: its work never reached the provider
   * (a refused key, no network), or the provider refused our access mid-run.
   */
  | { readonly type: 'job.blocked'; readonly jobId: string; readonly reason: string }
  /** The user asked to go on: a blocked job is driven again; a cancelled one resumes its cancelled items. */
  | { readonly type: 'job.resumed'; readonly jobId: string }
  /**
   * Journaled before `fromJobId` is deleted: result lines this job's cached items reused from it
   * were copied (and fsynced) into this job's own folder; the items, and the result cache, now
   * read them from `ref`, so deleting the other job never takes this one's answers with it.
   */
  | { readonly type: 'items.resultsCopied'; readonly jobId: string; readonly fromJobId: string; readonly results: readonly { readonly id: string; readonly ref: ResultRef }[] }
  | { readonly type: 'job.deleted'; readonly jobId: string };

/** One line of a job's items file: what the planner decided for each source item. */
export interface ItemSeed {
  readonly id: string;
  readonly line: number;
  readonly hash: string;
  readonly model: string;
  readonly state: 'queued' | 'deduped' | 'cached';
  /** queued: the initial batch and where its request sits in that batch's input file. */
  readonly batchKey?: string | undefined;
  readonly input?: ResultRef | undefined;
  /** deduped: the id of the item it repeats; cached: the earlier result it reuses. */
  readonly twin?: string | undefined;
  readonly cached?: ResultRef | undefined;
  readonly estimatedCost: number;
  /** Its upper bound (at max_tokens): what resubmitting it reserves against the budget. */
  readonly estimatedMax?: number | undefined;
}
