// One emulated batch on either backend (spec §4.1 Gemini `batches/…`, §4.2 Vertex
// `batchPredictionJobs/…`), its lifecycle computed lazily from elapsed (scaled) time on every
// read, so the emulator owns no timers. Results are written once, on reaching a terminal state:
// a `files/batch-…` file (Gemini) or GCS objects under the job's output directory (Vertex).

import type { BatchFaults, ItemFault } from './faults';
import { errorForCode, googleError, requestChars, rpcStatus, runFakeModel, vertexStatusText } from './fakeModel';
import type { GoogleError } from './fakeModel';
import type { Store } from './store';
import { fakeTokens, isJsonObject } from '../shared/content';
import type { JsonObject } from '../shared/content';
import { processingOrder } from '../shared/order';

export interface TimeScale {
  validatingMs: number;
  inProgressMs: number;
  finalizingMs: number;
}

export type Backend = 'gemini' | 'vertex';

export type BatchState = 'pending' | 'running' | 'succeeded' | 'failed' | 'cancelling' | 'cancelled' | 'expired';

const TERMINAL: ReadonlySet<BatchState> = new Set(['succeeded', 'failed', 'cancelled', 'expired']);

const GEMINI_STATE: Readonly<Record<BatchState, string>> = {
  pending: 'BATCH_STATE_PENDING',
  running: 'BATCH_STATE_RUNNING',
  succeeded: 'BATCH_STATE_SUCCEEDED',
  failed: 'BATCH_STATE_FAILED',
  // The Gemini API has no cancelling state: a cancelled batch runs on until it stops.
  cancelling: 'BATCH_STATE_RUNNING',
  cancelled: 'BATCH_STATE_CANCELLED',
  expired: 'BATCH_STATE_EXPIRED',
};

const VERTEX_STATE: Readonly<Record<BatchState, string>> = {
  pending: 'JOB_STATE_PENDING',
  running: 'JOB_STATE_RUNNING',
  succeeded: 'JOB_STATE_SUCCEEDED',
  failed: 'JOB_STATE_FAILED',
  cancelling: 'JOB_STATE_CANCELLING',
  cancelled: 'JOB_STATE_CANCELLED',
  expired: 'JOB_STATE_EXPIRED',
};

interface Item {
  /** 1-based input line. */
  line: number;
  key: string | undefined;
  request: JsonObject | undefined;
  /** Inline requests: the metadata map echoed beside the response. */
  metadata: JsonObject | undefined;
  /** Why the line cannot run (not JSON, no request). */
  problem: string | undefined;
}

/** Splits a JSONL input into items; blank lines are skipped, unparseable ones become failing items. */
export function parseInput(data: Buffer): Item[] {
  const items: Item[] = [];
  const lines = data.toString('utf8').split('\n');
  lines.forEach((raw, i) => {
    const text = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (text.trim() === '') return;
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      items.push({ line: i + 1, key: undefined, request: undefined, metadata: undefined, problem: `Line ${i + 1} is not valid JSON.` });
      return;
    }
    const key = isJsonObject(parsed) && typeof parsed['key'] === 'string' ? parsed['key'] : undefined;
    const request = isJsonObject(parsed) ? parsed['request'] : undefined;
    const metadata = isJsonObject(parsed) && isJsonObject(parsed['metadata']) ? parsed['metadata'] : undefined;
    if (!isJsonObject(request)) {
      items.push({ line: i + 1, key, request: undefined, metadata, problem: `Line ${i + 1} has no "request" object.` });
      return;
    }
    items.push({ line: i + 1, key, request, metadata, problem: undefined });
  });
  return items;
}

/** Input tokens of a batch, as the enqueued-token quota counts them. */
export const inputTokensOf = (items: readonly Item[]): number => items.reduce((sum, item) => sum + (item.request ? fakeTokens(requestChars(item.request)) : 0), 0);

export interface BatchInit {
  backend: Backend;
  /** The id in the URL: random for Gemini, digits for Vertex (the SDK insists on digits there). */
  id: string;
  /** `batches/ID` or `projects/P/locations/L/batchPredictionJobs/ID`. */
  name: string;
  displayName: string;
  /** The model as the wire names it: `models/…` (Gemini) or `publishers/google/models/…` (Vertex). */
  model: string;
  /** `files/…`, `gs://…`, or `inline`. */
  inputRef: string;
  /** Gemini inline requests: results go in `output.inlinedResponses`, in input order. */
  inline: boolean;
  /** Captured at create; null when the input did not exist (the batch then fails while pending). */
  inputData: Buffer | null;
  /** Vertex: `gs://bucket/prefix` the results go under. */
  outputUriPrefix: string | null;
  createdAtMs: number;
  faults: BatchFaults;
  timeScale: TimeScale;
}

const iso = (ms: number): string => new Date(ms).toISOString();

/** int64 counts go out as strings, and proto3 JSON leaves zeros out. */
function int64Fields(counts: Record<string, number>): JsonObject {
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(counts)) if (v !== 0) out[k] = String(v);
  return out;
}

export class GoogleBatch {
  readonly init: BatchInit;
  state: BatchState = 'pending';
  private readonly store: Store;
  private items: Item[] = [];
  private order: Uint32Array = new Uint32Array(0);
  private validated = false;
  private processed = 0;
  private lines: string[] = [];
  /** Inline batches: each run item's `{response|error, metadata}` by input line. */
  private inlineResults = new Map<number, JsonObject>();
  private inlined: JsonObject[] | null = null;
  private succeeded = 0;
  private failed = 0;
  private error: GoogleError | null = null;
  private cancelAtMs: number | null = null;
  private startMs: number | null = null;
  private endMs: number | null = null;
  private updateMs: number;
  private inputTokens: number | undefined;
  /** Gemini: `files/batch-ID`; Vertex: the GCS output directory (`gs://…/prediction-model-…`). */
  resultRef: string | null = null;

  constructor(init: BatchInit, store: Store) {
    this.init = init;
    this.store = store;
    this.updateMs = init.createdAtMs;
  }

  get id(): string {
    return this.init.id;
  }

  isTerminal(): boolean {
    return TERMINAL.has(this.state);
  }

  /** Input tokens while the batch is unfinished (what the enqueued-token quota counts). */
  enqueuedTokens(): number {
    if (this.isTerminal()) return 0;
    this.inputTokens ??= this.init.inputData === null ? 0 : inputTokensOf(parseInput(this.init.inputData));
    return this.inputTokens;
  }

  advance(nowMs: number): void {
    if (this.isTerminal()) return;
    const { validatingMs, inProgressMs, finalizingMs } = this.init.timeScale;
    if (this.cancelAtMs !== null) {
      const cancelledAt = this.cancelAtMs + finalizingMs;
      if (nowMs >= cancelledAt) this.finish('cancelled', cancelledAt);
      return;
    }
    const validatingEnd = this.init.createdAtMs + validatingMs;
    if (nowMs < validatingEnd) return;
    if (!this.validated) this.validate();
    if (this.error !== null) {
      this.state = 'failed';
      this.endMs = validatingEnd;
      this.updateMs = validatingEnd;
      return;
    }
    if (this.startMs === null) {
      this.startMs = validatingEnd;
      if (this.init.backend === 'vertex') this.resultRef = `${(this.init.outputUriPrefix ?? '').replace(/\/+$/, '')}/prediction-model-${iso(validatingEnd)}`;
    }
    const n = this.items.length;
    const fraction = this.init.faults.expireAfterFraction;
    if (fraction !== null) {
      const expireAt = validatingEnd + inProgressMs * fraction;
      if (nowMs >= expireAt) {
        this.processUpTo(Math.floor(n * fraction));
        this.finish('expired', expireAt);
        return;
      }
    }
    const inProgressEnd = validatingEnd + inProgressMs;
    this.state = 'running';
    this.updateMs = nowMs;
    if (nowMs < inProgressEnd) {
      this.processUpTo(inProgressMs > 0 ? Math.floor((n * (nowMs - validatingEnd)) / inProgressMs) : n);
      return;
    }
    this.processUpTo(n);
    // Google has no finalizing state: the batch stays running while results are written.
    if (nowMs >= inProgressEnd + finalizingMs) this.finish('succeeded', inProgressEnd + finalizingMs);
  }

  cancel(nowMs: number): { ok: true } | { ok: false; state: BatchState } {
    this.advance(nowMs);
    if (this.isTerminal()) return { ok: false, state: this.state };
    if (this.cancelAtMs === null) {
      this.cancelAtMs = nowMs;
      this.state = 'cancelling';
      this.updateMs = nowMs;
    }
    return { ok: true };
  }

  private validate(): void {
    this.validated = true;
    if (this.init.inputData === null) {
      this.error = googleError(400, `Failed to read the input ${this.init.inputRef}: the object does not exist.`, 'INVALID_ARGUMENT');
      return;
    }
    if (this.init.faults.failValidation) {
      this.error = googleError(400, 'Line 1: the request failed validation (emulated by the failValidation fault).', 'INVALID_ARGUMENT');
      return;
    }
    this.items = parseInput(this.init.inputData);
    if (this.items.length === 0) {
      this.error = googleError(400, `The input ${this.init.inputRef} has no requests.`, 'INVALID_ARGUMENT');
      return;
    }
    this.order = processingOrder(this.items.length, this.init.id, this.init.faults.ordered);
  }

  private processUpTo(target: number): void {
    const end = Math.min(target, this.items.length);
    for (; this.processed < end; this.processed++) {
      const item = this.items[this.order[this.processed] ?? 0];
      if (item) this.runItem(item);
    }
  }

  private runItem(item: Item): void {
    const faults = this.init.faults;
    let error: GoogleError | null = null;
    let response: JsonObject | null = null;
    if (item.problem !== undefined || item.request === undefined) {
      error = googleError(400, item.problem ?? 'missing request', 'INVALID_ARGUMENT');
    } else if (item.key !== undefined && Object.hasOwn(faults.itemErrors, item.key)) {
      error = itemFaultError(faults.itemErrors[item.key]);
    } else {
      const outcome = runFakeModel(item.request, {
        failedOnce: this.store.failedOnce,
        emptyContent: faults.emptyContent,
        nonJsonContent: faults.nonJsonContent,
        model: this.init.model.split('/').pop() ?? this.init.model,
      });
      if (outcome.ok) response = outcome.response;
      else error = outcome.error;
    }
    const keyed: JsonObject = item.key === undefined ? {} : { key: item.key };
    if (this.init.inline) {
      const metadata: JsonObject = item.metadata ? { metadata: item.metadata } : {};
      this.inlineResults.set(item.line, response !== null ? { response, ...metadata } : { error: rpcStatus(error ?? errorForCode('server_error')), ...metadata });
    } else if (this.init.backend === 'gemini') {
      this.lines.push(JSON.stringify(response !== null ? { ...keyed, response } : { ...keyed, error: rpcStatus(error ?? errorForCode('server_error')) }));
    } else {
      // Vertex echoes the input line's other fields (here `key`) beside request/response/status.
      const base: JsonObject = { ...keyed, ...(item.request ? { request: item.request } : {}), processed_time: iso(Date.now()) };
      this.lines.push(JSON.stringify(response !== null ? { ...base, status: '', response } : { ...base, status: vertexStatusText(error ?? errorForCode('server_error')) }));
    }
    if (response !== null) this.succeeded++;
    else this.failed++;
  }

  private finish(state: 'succeeded' | 'cancelled' | 'expired', atMs: number): void {
    if (!this.validated) {
      // Cancelled while pending: nothing ran, and a file that would fail is simply cancelled.
      this.validate();
      this.error = null;
    }
    if (this.init.inline) {
      // Items that never ran (expired, cancelled) have no entry.
      this.inlined = [...this.inlineResults.entries()].sort((a, b) => a[0] - b[0]).map(([, result]) => result);
    } else if (this.init.backend === 'gemini') {
      if (this.lines.length > 0) {
        const name = `files/batch-${this.init.id}`;
        this.store.addGeminiFile(name, Buffer.from(`${this.lines.join('\n')}\n`, 'utf8'), 'application/jsonl', atMs, 'GENERATED');
        this.resultRef = name;
      }
    } else if (this.resultRef !== null && this.lines.length > 0) {
      const { bucket, object } = splitGsUri(this.resultRef);
      const perShard = this.init.faults.outputShardLines;
      if (perShard === null) {
        this.store.putObject(bucket, `${object}/predictions.jsonl`, Buffer.from(`${this.lines.join('\n')}\n`, 'utf8'), 'application/jsonl', atMs);
      } else {
        const shards = Math.ceil(this.lines.length / perShard);
        const pad = (n: number): string => String(n).padStart(5, '0');
        for (let s = 0; s < shards; s++) {
          const chunk = this.lines.slice(s * perShard, (s + 1) * perShard);
          this.store.putObject(bucket, `${object}/predictions_${pad(s + 1)}-of-${pad(shards)}.jsonl`, Buffer.from(`${chunk.join('\n')}\n`, 'utf8'), 'application/jsonl', atMs);
        }
      }
    }
    this.lines = [];
    this.state = state;
    this.endMs = atMs;
    this.updateMs = atMs;
  }

  private pending(): number {
    return this.items.length - this.succeeded - this.failed;
  }

  /** The wire object: a long-running Operation (Gemini) or a BatchPredictionJob (Vertex). */
  toJSON(): JsonObject {
    return this.init.backend === 'gemini' ? this.geminiJson() : this.vertexJson();
  }

  private geminiJson(): JsonObject {
    const metadata: JsonObject = {
      '@type': 'type.googleapis.com/google.ai.generativelanguage.v1main.GenerateContentBatch',
      model: this.init.model,
      displayName: this.init.displayName,
      ...(this.init.inline ? {} : { inputConfig: { fileName: this.init.inputRef } }),
      state: GEMINI_STATE[this.state],
      createTime: iso(this.init.createdAtMs),
      updateTime: iso(this.updateMs),
      batchStats: int64Fields({
        requestCount: this.items.length,
        successfulRequestCount: this.succeeded,
        failedRequestCount: this.failed,
        pendingRequestCount: this.pending(),
      }),
    };
    if (this.endMs !== null) metadata['endTime'] = iso(this.endMs);
    if (this.resultRef !== null) metadata['output'] = { responsesFile: this.resultRef };
    if (this.inlined !== null) metadata['output'] = { inlinedResponses: { inlinedResponses: this.inlined } };
    const op: JsonObject = { name: this.init.name, metadata, done: this.isTerminal() };
    if (this.state === 'failed' && this.error) op['error'] = rpcStatus(this.error);
    else if (this.state === 'succeeded') {
      op['response'] = { '@type': 'type.googleapis.com/google.ai.generativelanguage.v1main.GenerateContentBatchOutput', ...(this.resultRef ? { responsesFile: this.resultRef } : {}) };
    }
    return op;
  }

  private vertexJson(): JsonObject {
    const job: JsonObject = {
      name: this.init.name,
      displayName: this.init.displayName,
      model: this.init.model,
      inputConfig: { instancesFormat: 'jsonl', gcsSource: { uris: [this.init.inputRef] } },
      outputConfig: { predictionsFormat: 'jsonl', gcsDestination: { outputUriPrefix: this.init.outputUriPrefix ?? '' } },
      state: VERTEX_STATE[this.state],
      createTime: iso(this.init.createdAtMs),
      updateTime: iso(this.updateMs),
    };
    if (this.startMs !== null) job['startTime'] = iso(this.startMs);
    if (this.endMs !== null) job['endTime'] = iso(this.endMs);
    if (this.resultRef !== null) job['outputInfo'] = { gcsOutputDirectory: this.resultRef };
    if (this.startMs !== null) {
      job['completionStats'] = int64Fields({ successfulCount: this.succeeded, failedCount: this.failed, incompleteCount: this.pending() });
    }
    if (this.state === 'failed' && this.error) job['error'] = rpcStatus(this.error);
    if (this.state === 'cancelled') job['error'] = { code: 1, message: 'CANCELED' };
    return job;
  }
}

function itemFaultError(fault: ItemFault | undefined): GoogleError {
  if (!fault) return errorForCode('server_error');
  return googleError(fault.code, fault.message ?? `Emulated item failure (${fault.code}).`, fault.status);
}

export function splitGsUri(uri: string): { bucket: string; object: string } {
  const rest = uri.replace(/^gs:\/\//, '');
  const slash = rest.indexOf('/');
  return slash < 0 ? { bucket: rest, object: '' } : { bucket: rest.slice(0, slash), object: rest.slice(slash + 1).replace(/\/+$/, '') };
}
