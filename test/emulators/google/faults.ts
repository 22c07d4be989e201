// Fault switches for the Google emulator (Gemini Developer API, Vertex AI and the GCS subset).
// Tests flip these in-process (setFaults) or over HTTP (POST /__emulator/faults) to drive the
// clients down the unhappy paths of spec §4. Batch-shaping switches are captured when a batch is
// created; changing them later does not touch existing batches.

/** Routes as the emulator names them, after the `/v1`, `/v1beta`, `/v1beta1` and `projects/…/locations/…` prefixes. */
export const GOOGLE_ROUTES = [
  // Gemini Developer API
  'POST /upload/files',
  'GET /files/{id}',
  'GET /files/{id}:download',
  'POST /models/{model}:batchGenerateContent',
  'GET /batches',
  'GET /batches/{id}',
  'POST /batches/{id}:cancel',
  'DELETE /batches/{id}',
  'POST /models/{model}:generateContent',
  // Vertex AI
  'POST /batchPredictionJobs',
  'GET /batchPredictionJobs',
  'GET /batchPredictionJobs/{id}',
  'POST /batchPredictionJobs/{id}:cancel',
  'DELETE /batchPredictionJobs/{id}',
  'POST /publishers/google/models/{model}:generateContent',
  // Cloud Storage JSON API
  'POST /upload/storage/v1/b/{bucket}/o',
  'GET /storage/v1/b/{bucket}/o',
  'GET /storage/v1/b/{bucket}/o/{object}',
] as const;
export type GoogleRoute = (typeof GOOGLE_ROUTES)[number];

export type EndpointFaultStatus = 400 | 401 | 403 | 404 | 429 | 500 | 503;
const ENDPOINT_FAULT_STATUSES: readonly number[] = [400, 401, 403, 404, 429, 500, 503];

/** Fail the next `times` requests to `endpoint` with an HTTP error, then let requests through. */
export interface EndpointFault {
  endpoint: GoogleRoute;
  times: number;
  status: EndpointFaultStatus;
  /**
   * Seconds, sent both as `retry-after` and as a `google.rpc.RetryInfo` detail (`retryDelay`),
   * which is where Google puts it (the SDK's ApiError keeps the body, not the headers).
   * Default 0; `null` omits both.
   */
  retryAfter?: number | null;
}

/** A forced per-item failure, by the item's `key`. */
export interface ItemFault {
  /** The HTTP status the item fails with (its google.rpc code is derived from it). */
  code: number;
  /** The canonical status name; derived from `code` when absent. */
  status?: string;
  message?: string;
}

export interface FaultConfig {
  endpointFaults?: EndpointFault[];
  /** One-shot: the next batch created fails as a whole while pending (INVALID_ARGUMENT naming line 1). */
  failValidation?: boolean;
  /** By `key`; applies to batches created while set, on every attempt. */
  itemErrors?: Record<string, ItemFault>;
  /** Batches go EXPIRED once this fraction of the running time has passed (0 < f ≤ 1); items run so far keep their results. */
  expireAfterFraction?: number;
  /** Results in input order instead of the default deterministic shuffle. */
  ordered?: boolean;
  /**
   * One-shot: the next non-empty download (Gemini `files/…:download` or GCS `alt=media`) is cut
   * mid-line. `true`/`'abort'`: full Content-Length promised, half sent, socket destroyed;
   * `'short'`: a consistent Content-Length of half the body.
   */
  truncateDownload?: boolean | 'abort' | 'short';
  /** The fake model answers "" (batch items and sync calls). */
  emptyContent?: boolean;
  /** The fake model answers text that is not JSON, even when JSON was asked for. */
  nonJsonContent?: boolean;
  /** Counted: the next N batch creates (either backend) are answered 429 RESOURCE_EXHAUSTED naming the enqueued-token quota; no batch is made. */
  capacityRefusals?: number;
  /** Enforced: a create is refused the same way when the tokens of unfinished batches plus its own would exceed this. */
  enqueuedTokenLimit?: number;
  /** One-shot: the next batch create (either backend) makes the batch, then drops the connection instead of answering (a lost create response). */
  dropCreateResponse?: boolean;
  /** Vertex: at most this many result lines per GCS shard (`predictions_00001-of-0000N.jsonl`); default one `predictions.jsonl`. */
  outputShardLines?: number;
}

/** What a batch captures at create. */
export interface BatchFaults {
  failValidation: boolean;
  itemErrors: Readonly<Record<string, ItemFault>>;
  expireAfterFraction: number | null;
  ordered: boolean;
  emptyContent: boolean;
  nonJsonContent: boolean;
  outputShardLines: number | null;
}

export class FaultConfigError extends Error {}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

const BOOLEAN_KEYS = ['failValidation', 'ordered', 'emptyContent', 'nonJsonContent', 'dropCreateResponse'] as const;
const COUNT_KEYS = ['capacityRefusals', 'enqueuedTokenLimit', 'outputShardLines'] as const;

/** Validates a fault config that arrived as JSON, so a typo fails loudly. */
export function parseFaultConfig(input: unknown): FaultConfig {
  if (!isRecord(input)) throw new FaultConfigError('fault config must be a JSON object');
  const known = new Set<string>([...BOOLEAN_KEYS, ...COUNT_KEYS, 'endpointFaults', 'itemErrors', 'expireAfterFraction', 'truncateDownload']);
  for (const key of Object.keys(input)) {
    if (!known.has(key)) throw new FaultConfigError(`unknown fault switch "${key}"`);
  }
  const out: FaultConfig = {};
  for (const key of BOOLEAN_KEYS) {
    const v = input[key];
    if (v === undefined) continue;
    if (typeof v !== 'boolean') throw new FaultConfigError(`${key} must be a boolean`);
    out[key] = v;
  }
  for (const key of COUNT_KEYS) {
    const v = input[key];
    if (v === undefined) continue;
    const min = key === 'capacityRefusals' ? 0 : 1;
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min) throw new FaultConfigError(`${key} must be an integer ≥ ${min}`);
    out[key] = v;
  }
  const truncate = input['truncateDownload'];
  if (truncate !== undefined) {
    if (typeof truncate !== 'boolean' && truncate !== 'abort' && truncate !== 'short') {
      throw new FaultConfigError('truncateDownload must be true, false, "abort" or "short"');
    }
    out.truncateDownload = truncate;
  }
  const fraction = input['expireAfterFraction'];
  if (fraction !== undefined) {
    if (typeof fraction !== 'number' || !(fraction > 0 && fraction <= 1)) throw new FaultConfigError('expireAfterFraction must be a number in (0, 1]');
    out.expireAfterFraction = fraction;
  }
  const endpointFaults = input['endpointFaults'];
  if (endpointFaults !== undefined) {
    if (!Array.isArray(endpointFaults)) throw new FaultConfigError('endpointFaults must be an array');
    out.endpointFaults = endpointFaults.map(parseEndpointFault);
  }
  const itemErrors = input['itemErrors'];
  if (itemErrors !== undefined) {
    if (!isRecord(itemErrors)) throw new FaultConfigError('itemErrors must be an object keyed by key');
    out.itemErrors = Object.fromEntries(Object.entries(itemErrors).map(([key, fault]) => [key, parseItemFault(key, fault)]));
  }
  return out;
}

function parseEndpointFault(v: unknown): EndpointFault {
  if (!isRecord(v)) throw new FaultConfigError('each endpoint fault must be an object');
  const endpoint = v['endpoint'];
  if (typeof endpoint !== 'string' || !(GOOGLE_ROUTES as readonly string[]).includes(endpoint)) {
    throw new FaultConfigError(`endpoint must be one of: ${GOOGLE_ROUTES.join(', ')}`);
  }
  const times = v['times'];
  if (typeof times !== 'number' || !Number.isInteger(times) || times < 0) throw new FaultConfigError('times must be a non-negative integer');
  const status = v['status'];
  if (typeof status !== 'number' || !ENDPOINT_FAULT_STATUSES.includes(status)) {
    throw new FaultConfigError(`status must be one of ${ENDPOINT_FAULT_STATUSES.join(', ')}`);
  }
  const fault: EndpointFault = { endpoint: endpoint as GoogleRoute, times, status: status as EndpointFaultStatus };
  const retryAfter = v['retryAfter'];
  if (retryAfter !== undefined) {
    if (retryAfter !== null && (typeof retryAfter !== 'number' || retryAfter < 0)) throw new FaultConfigError('retryAfter must be a non-negative number of seconds or null');
    fault.retryAfter = retryAfter;
  }
  return fault;
}

function parseItemFault(key: string, v: unknown): ItemFault {
  if (!isRecord(v)) throw new FaultConfigError(`itemErrors["${key}"] must be an object`);
  const code = v['code'];
  if (typeof code !== 'number' || !Number.isInteger(code) || code < 400 || code > 599) {
    throw new FaultConfigError(`itemErrors["${key}"].code must be an HTTP error status`);
  }
  const fault: ItemFault = { code };
  if (typeof v['status'] === 'string') fault.status = v['status'];
  if (typeof v['message'] === 'string') fault.message = v['message'];
  return fault;
}

/** Live fault state: the config plus the counters that make endpoint faults and one-shots run out. */
export class FaultState {
  private config: FaultConfig = {};
  private endpointRemaining: { fault: EndpointFault; left: number }[] = [];

  set(config: FaultConfig): void {
    this.config = { ...config };
    this.endpointRemaining = (config.endpointFaults ?? []).map((fault) => ({ fault, left: fault.times }));
  }

  get(): FaultConfig {
    return { ...this.config };
  }

  takeEndpointFault(route: GoogleRoute): EndpointFault | undefined {
    const entry = this.endpointRemaining.find((e) => e.fault.endpoint === route && e.left > 0);
    if (!entry) return undefined;
    entry.left -= 1;
    return entry.fault;
  }

  /** Counts down `capacityRefusals` for one create; false while the counter is 0. */
  takeCapacityRefusal(): boolean {
    const left = this.config.capacityRefusals ?? 0;
    if (left <= 0) return false;
    this.config = { ...this.config, capacityRefusals: left - 1 };
    return true;
  }

  enqueuedTokenLimit(): number | undefined {
    return this.config.enqueuedTokenLimit;
  }

  /** Captures what a new batch needs and consumes the one-shot `failValidation`. */
  snapshotForBatch(): BatchFaults {
    const c = this.config;
    const snapshot: BatchFaults = {
      failValidation: c.failValidation === true,
      itemErrors: { ...(c.itemErrors ?? {}) },
      expireAfterFraction: c.expireAfterFraction ?? null,
      ordered: c.ordered === true,
      emptyContent: c.emptyContent === true,
      nonJsonContent: c.nonJsonContent === true,
      outputShardLines: c.outputShardLines ?? null,
    };
    if (c.failValidation) this.config = { ...c, failValidation: false };
    return snapshot;
  }

  /** Consumes the one-shot `dropCreateResponse`. */
  takeDropCreateResponse(): boolean {
    if (this.config.dropCreateResponse !== true) return false;
    this.config = { ...this.config, dropCreateResponse: false };
    return true;
  }

  takeTruncateDownload(): 'abort' | 'short' | 'none' {
    const t = this.config.truncateDownload;
    if (t === undefined || t === false) return 'none';
    this.config = { ...this.config, truncateDownload: false };
    return t === 'short' ? 'short' : 'abort';
  }

  contentOverrides(): { emptyContent: boolean; nonJsonContent: boolean } {
    return { emptyContent: this.config.emptyContent === true, nonJsonContent: this.config.nonJsonContent === true };
  }
}
