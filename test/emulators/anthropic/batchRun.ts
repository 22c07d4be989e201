// One Message Batch (spec §3.3), its state computed lazily from elapsed (scaled) time on every
// read, so the emulator owns no timers. Items run in processing order as time passes; the
// results stream (§3.4) is built once, when the batch ends.

import { isJsonObject, randomId } from '../shared/content';
import type { JsonObject } from '../shared/content';
import { processingOrder } from '../shared/order';
import { modelError, runFakeMessage } from './fakeMessages';
import type { ApiVersion, ModelError } from './fakeMessages';
import type { BatchFaults } from './faults';

export interface TimeScale {
  /** How long a batch processes before it ends by itself. */
  inProgressMs: number;
  /** How long `canceling` lasts before the batch ends. */
  cancelingMs: number;
}

export type ProcessingStatus = 'in_progress' | 'canceling' | 'ended';

export interface BatchItem {
  customId: string;
  params: JsonObject;
}

export interface BatchInit {
  id: string;
  items: BatchItem[];
  createdAtMs: number;
  createSeq: number;
  version: ApiVersion;
  faults: BatchFaults;
  timeScale: TimeScale;
  /** Origin of the emulator, for the absolute `results_url` (spec §3.4 trap). */
  origin: string;
}

/** What batch items share with each other and with sync calls. */
export interface SharedMemory {
  failedOnce: Set<string>;
  cache: Set<string>;
}

const DAY_MS = 86_400_000;
const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

export class BatchRun {
  readonly id: string;
  readonly createdAtMs: number;
  readonly createSeq: number;
  readonly version: ApiVersion;
  status: ProcessingStatus = 'in_progress';
  endedAtMs: number | null = null;
  cancelAtMs: number | null = null;
  /** The JSONL results, set once ended. */
  results: Buffer | null = null;
  readonly counts = { succeeded: 0, errored: 0, canceled: 0, expired: 0 };

  private readonly init: BatchInit;
  private readonly memory: SharedMemory;
  private readonly order: Uint32Array;
  private processed = 0;
  private lines: string[] = [];

  constructor(init: BatchInit, memory: SharedMemory) {
    this.init = init;
    this.memory = memory;
    this.id = init.id;
    this.createdAtMs = init.createdAtMs;
    this.createSeq = init.createSeq;
    this.version = init.version;
    this.order = processingOrder(init.items.length, init.id, init.faults.ordered);
  }

  get total(): number {
    return this.init.items.length;
  }

  customIds(): string[] {
    return this.init.items.map((i) => i.customId);
  }

  /** Brings the state up to `nowMs`. Idempotent; every read path calls it first. */
  advance(nowMs: number): void {
    if (this.status === 'ended') return;
    const { inProgressMs, cancelingMs } = this.init.timeScale;
    const n = this.init.items.length;
    if (this.cancelAtMs !== null) {
      const endAt = this.cancelAtMs + cancelingMs;
      if (nowMs >= endAt) this.end(endAt, 'canceled');
      return;
    }
    const fraction = this.init.faults.expireAfterFraction;
    if (fraction !== null) {
      const expireAt = this.createdAtMs + inProgressMs * fraction;
      if (nowMs >= expireAt) {
        this.processUpTo(Math.floor(n * fraction));
        this.end(expireAt, 'expired');
        return;
      }
    }
    const endAt = this.createdAtMs + inProgressMs;
    if (nowMs >= endAt) {
      this.processUpTo(n);
      this.end(endAt, 'expired');
      return;
    }
    this.processUpTo(inProgressMs > 0 ? Math.floor((n * (nowMs - this.createdAtMs)) / inProgressMs) : n);
  }

  /** Starts a cancel; false when the batch has already ended. */
  cancel(nowMs: number): boolean {
    this.advance(nowMs);
    if (this.status === 'ended') return false;
    if (this.cancelAtMs === null) {
      this.cancelAtMs = nowMs;
      this.status = 'canceling';
    }
    return true;
  }

  private processUpTo(target: number): void {
    const end = Math.min(target, this.init.items.length);
    for (; this.processed < end; this.processed++) {
      const item = this.init.items[this.order[this.processed] ?? 0];
      if (item) this.runItem(item);
    }
  }

  private runItem(item: BatchItem): void {
    const faults = this.init.faults;
    let error: ModelError | null = null;
    let message: JsonObject | null = null;
    const forced = Object.hasOwn(faults.itemErrors, item.customId) ? faults.itemErrors[item.customId] : undefined;
    if (forced) {
      error = modelError(forced.type, forced.message ?? `Emulated item error (${forced.type})`);
    } else {
      const outcome = runFakeMessage(item.params, {
        failedOnce: this.memory.failedOnce,
        cache: this.memory.cache,
        emptyContent: faults.emptyContent,
        nonJsonContent: faults.nonJsonContent,
        version: this.version,
        serviceTier: 'batch',
      });
      if (outcome.ok) message = outcome.message;
      else error = outcome.error;
    }
    if (message !== null) {
      this.lines.push(JSON.stringify({ custom_id: item.customId, result: { type: 'succeeded', message } }));
      this.counts.succeeded++;
    } else {
      const e = error ?? modelError('api_error', 'Internal server error');
      const result = { type: 'errored', error: { type: 'error', error: e.error, request_id: randomId('req_', 12) } };
      this.lines.push(JSON.stringify({ custom_id: item.customId, result }));
      this.counts.errored++;
    }
  }

  /** Ends the batch: items not yet run come back `canceled` (a cancel) or `expired` (the window closed). */
  private end(atMs: number, leftover: 'canceled' | 'expired'): void {
    for (let p = this.processed; p < this.init.items.length; p++) {
      const item = this.init.items[this.order[p] ?? 0];
      if (!item) continue;
      this.lines.push(JSON.stringify({ custom_id: item.customId, result: { type: leftover } }));
      this.counts[leftover]++;
    }
    this.processed = this.init.items.length;
    // One line per result and a single trailing newline: a blank line breaks the SDK's JSONL decoder (§3.4).
    this.results = Buffer.from(this.lines.length > 0 ? `${this.lines.join('\n')}\n` : '', 'utf8');
    this.lines = [];
    this.status = 'ended';
    this.endedAtMs = atMs;
  }

  /** The wire MessageBatch (spec §3.3). */
  toJSON(): JsonObject {
    const ended = this.status === 'ended';
    return {
      id: this.id,
      type: 'message_batch',
      processing_status: this.status,
      // Everything is `processing` until the entire batch ends (§3.3).
      request_counts: ended ? { processing: 0, ...this.counts } : { processing: this.total, succeeded: 0, errored: 0, canceled: 0, expired: 0 },
      created_at: iso(this.createdAtMs),
      expires_at: iso(this.createdAtMs + DAY_MS),
      ended_at: iso(this.endedAtMs),
      cancel_initiated_at: iso(this.cancelAtMs),
      archived_at: null,
      results_url: ended ? `${this.init.origin}/v1/messages/batches/${this.id}/results` : null,
    };
  }
}

/** Checks a create body the way the API does synchronously (spec §3.2); the items, or the 400 to answer. */
export function parseCreateBody(body: JsonObject, maxRequests: number): { ok: true; items: BatchItem[] } | { ok: false; error: ModelError } {
  const requests = body['requests'];
  if (!Array.isArray(requests)) return { ok: false, error: modelError('invalid_request_error', 'requests: Field required') };
  if (requests.length === 0) return { ok: false, error: modelError('invalid_request_error', 'requests: List should have at least 1 item after validation, not 0') };
  if (requests.length > maxRequests) {
    return { ok: false, error: modelError('invalid_request_error', `requests: List should have at most ${maxRequests} items after validation, not ${requests.length}`) };
  }
  const seen = new Set<string>();
  const items: BatchItem[] = [];
  for (let i = 0; i < requests.length; i++) {
    const r = requests[i];
    if (!isJsonObject(r)) return { ok: false, error: modelError('invalid_request_error', `requests.${i}: Input should be a valid dictionary`) };
    const customId = r['custom_id'];
    if (typeof customId !== 'string' || !/^[a-zA-Z0-9_-]{1,64}$/.test(customId)) {
      return { ok: false, error: modelError('invalid_request_error', `requests.${i}.custom_id: String should match pattern '^[a-zA-Z0-9_-]{1,64}$'`) };
    }
    if (seen.has(customId)) return { ok: false, error: modelError('invalid_request_error', `requests.${i}.custom_id: Duplicate custom_id '${customId}'; custom_id values must be unique within a batch`) };
    seen.add(customId);
    const params = r['params'];
    if (!isJsonObject(params)) return { ok: false, error: modelError('invalid_request_error', `requests.${i}.params: Input should be a valid dictionary`) };
    items.push({ customId, params });
  }
  return { ok: true, items };
}
