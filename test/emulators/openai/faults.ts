// Fault switches for the OpenAI/Azure emulator. Tests flip these in-process (setFaults) or over
// HTTP (POST /__emulator/faults) to drive the client down the unhappy paths of spec §1 and §2.

/** Routes as the emulator names them after stripping any `/v1`, `/openai`, `/openai/v1` or deployment prefix. */
export type EmulatorRoute =
  | 'POST /files'
  | 'GET /files'
  | 'GET /files/{id}'
  | 'GET /files/{id}/content'
  | 'DELETE /files/{id}'
  | 'POST /batches'
  | 'GET /batches'
  | 'GET /batches/{id}'
  | 'POST /batches/{id}/cancel'
  | 'POST /chat/completions'
  | 'POST /responses'
  | 'POST /embeddings';

export const EMULATOR_ROUTES: readonly EmulatorRoute[] = [
  'POST /files',
  'GET /files',
  'GET /files/{id}',
  'GET /files/{id}/content',
  'DELETE /files/{id}',
  'POST /batches',
  'GET /batches',
  'GET /batches/{id}',
  'POST /batches/{id}/cancel',
  'POST /chat/completions',
  'POST /responses',
  'POST /embeddings',
];

/** Fail the next `times` requests to `endpoint` with an HTTP error, then let requests through. */
export interface EndpointFault {
  endpoint: EmulatorRoute;
  times: number;
  status: 429 | 500 | 503;
  /**
   * Seconds sent in `retry-after`. Defaults to 0 so the SDK's own retries fire at once (spec §6.6);
   * `null` omits the header, which makes the SDK fall back to its 0.5–8 s exponential backoff.
   */
  retryAfter?: number | null;
}

/** A forced per-item HTTP failure, written to the error file as `response.status_code` + `body.error`. */
export interface ItemFault {
  status: number;
  code: string;
  message?: string;
  type?: string;
}

export interface FaultConfig {
  endpointFaults?: EndpointFault[];
  /** One-shot: the next batch created fails validation with a line-level error. */
  failValidation?: boolean;
  /** By custom_id; applies to batches created while set, on every attempt. */
  itemErrors?: Record<string, ItemFault>;
  /** Batches go `expired` once this fraction of in_progress time has passed (0 < f ≤ 1). */
  expireAfterFraction?: number;
  /** Every item fails with a 500 server_error; the batch completes with `output_file_id: null`. */
  completedWithNullOutput?: boolean;
  /** Write output in input order instead of the default deterministic shuffle. */
  ordered?: boolean;
  /**
   * One-shot: the next non-empty `GET /files/{id}/content` is cut mid-line.
   * `true`/`'abort'`: headers promise the full Content-Length, half the bytes are sent, then the
   * socket is destroyed, so the SDK's `response.text()` rejects (`TypeError: terminated`).
   * `'short'`: a well-formed response whose body is just the first half (ends mid-line).
   */
  truncateDownload?: boolean | 'abort' | 'short';
  /** One success line is written twice (the copy goes at the end of the output file). */
  duplicateOutputLines?: boolean;
  /** The fake model answers "" for every item (batch) and every sync call. */
  emptyContent?: boolean;
  /** The fake model answers text that is not JSON, even when JSON was asked for. */
  nonJsonContent?: boolean;
  /** Render batch objects the way Azure doc samples do (ISO times, "Completed", "" ids, null counts). */
  azureVariants?: boolean;
  /**
   * Counted: the next N batches created are refused for capacity, the enqueued-token quota of
   * spec §1.2 / §2.3. Each goes `failed` as a whole after validating, with
   * `errors.data = [{code: "token_limit_exceeded", line: null, …}]` and no output or error file.
   */
  capacityRefusals?: number;
  /** Azure's "fail fast" regions (§2.3): a capacity refusal is a 400 on `POST /batches` instead, and no batch exists. */
  capacityRefusalFailFast?: boolean;
  /** The quota the refusal message names, in tokens (default 90,000). Only quoted, never enforced. */
  capacityLimitTokens?: number;
}

/** One capacity refusal, taken from the counter when a batch is created. */
export interface CapacityRefusal {
  failFast: boolean;
  limitTokens: number;
}

export const DEFAULT_CAPACITY_LIMIT_TOKENS = 90_000;

/** The parts of the fault config a batch captures when it is created, so later switches don't rewrite it. */
export interface BatchFaults {
  failValidation: boolean;
  itemErrors: Readonly<Record<string, ItemFault>>;
  expireAfterFraction: number | null;
  completedWithNullOutput: boolean;
  ordered: boolean;
  duplicateOutputLines: boolean;
  emptyContent: boolean;
  nonJsonContent: boolean;
  /** Set when this batch was created while over the (emulated) enqueued-token quota. */
  capacityRefusal: CapacityRefusal | null;
}

export class FaultConfigError extends Error {}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

const BOOLEAN_KEYS = [
  'failValidation',
  'completedWithNullOutput',
  'ordered',
  'duplicateOutputLines',
  'emptyContent',
  'nonJsonContent',
  'azureVariants',
  'capacityRefusalFailFast',
] as const;

/** Validates a fault config that arrived as JSON (HTTP control endpoint), so a typo fails loudly. */
export function parseFaultConfig(input: unknown): FaultConfig {
  if (!isRecord(input)) throw new FaultConfigError('fault config must be a JSON object');
  const known = new Set<string>([...BOOLEAN_KEYS, 'endpointFaults', 'itemErrors', 'expireAfterFraction', 'truncateDownload', 'capacityRefusals', 'capacityLimitTokens']);
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
  const truncate = input['truncateDownload'];
  if (truncate !== undefined) {
    if (typeof truncate !== 'boolean' && truncate !== 'abort' && truncate !== 'short') {
      throw new FaultConfigError('truncateDownload must be true, false, "abort" or "short"');
    }
    out.truncateDownload = truncate;
  }
  const fraction = input['expireAfterFraction'];
  if (fraction !== undefined) {
    if (typeof fraction !== 'number' || !(fraction > 0 && fraction <= 1)) {
      throw new FaultConfigError('expireAfterFraction must be a number in (0, 1]');
    }
    out.expireAfterFraction = fraction;
  }
  const refusals = input['capacityRefusals'];
  if (refusals !== undefined) {
    if (typeof refusals !== 'number' || !Number.isInteger(refusals) || refusals < 0) throw new FaultConfigError('capacityRefusals must be a non-negative integer');
    out.capacityRefusals = refusals;
  }
  const limitTokens = input['capacityLimitTokens'];
  if (limitTokens !== undefined) {
    if (typeof limitTokens !== 'number' || !Number.isSafeInteger(limitTokens) || limitTokens < 1) {
      throw new FaultConfigError('capacityLimitTokens must be a positive integer');
    }
    out.capacityLimitTokens = limitTokens;
  }
  const endpointFaults = input['endpointFaults'];
  if (endpointFaults !== undefined) {
    if (!Array.isArray(endpointFaults)) throw new FaultConfigError('endpointFaults must be an array');
    out.endpointFaults = endpointFaults.map(parseEndpointFault);
  }
  const itemErrors = input['itemErrors'];
  if (itemErrors !== undefined) {
    if (!isRecord(itemErrors)) throw new FaultConfigError('itemErrors must be an object keyed by custom_id');
    // fromEntries defines own properties, so even a custom_id like "__proto__" is a plain key.
    out.itemErrors = Object.fromEntries(Object.entries(itemErrors).map(([customId, fault]) => [customId, parseItemFault(customId, fault)]));
  }
  return out;
}

function parseEndpointFault(v: unknown): EndpointFault {
  if (!isRecord(v)) throw new FaultConfigError('each endpoint fault must be an object');
  const endpoint = v['endpoint'];
  if (typeof endpoint !== 'string' || !(EMULATOR_ROUTES as readonly string[]).includes(endpoint)) {
    throw new FaultConfigError(`endpoint must be one of: ${EMULATOR_ROUTES.join(', ')}`);
  }
  const times = v['times'];
  if (typeof times !== 'number' || !Number.isInteger(times) || times < 0) throw new FaultConfigError('times must be a non-negative integer');
  const status = v['status'];
  if (status !== 429 && status !== 500 && status !== 503) throw new FaultConfigError('status must be 429, 500 or 503');
  const fault: EndpointFault = { endpoint: endpoint as EmulatorRoute, times, status };
  const retryAfter = v['retryAfter'];
  if (retryAfter !== undefined) {
    if (retryAfter !== null && (typeof retryAfter !== 'number' || retryAfter < 0)) {
      throw new FaultConfigError('retryAfter must be a non-negative number of seconds or null');
    }
    fault.retryAfter = retryAfter;
  }
  return fault;
}

function parseItemFault(customId: string, v: unknown): ItemFault {
  if (!isRecord(v)) throw new FaultConfigError(`itemErrors["${customId}"] must be an object`);
  const status = v['status'];
  const code = v['code'];
  if (typeof status !== 'number' || !Number.isInteger(status) || status < 400 || status > 599) {
    throw new FaultConfigError(`itemErrors["${customId}"].status must be an HTTP error status`);
  }
  if (typeof code !== 'string' || code === '') throw new FaultConfigError(`itemErrors["${customId}"].code must be a string`);
  const fault: ItemFault = { status, code };
  const message = v['message'];
  if (typeof message === 'string') fault.message = message;
  const type = v['type'];
  if (typeof type === 'string') fault.type = type;
  return fault;
}

/** Live fault state: the config plus the counters that make endpoint faults and one-shots run out. */
export class FaultState {
  private config: FaultConfig = {};
  private endpointRemaining: { fault: EndpointFault; left: number }[] = [];

  set(config: FaultConfig): void {
    // A shallow copy is enough: the nested objects are only read, never mutated, by the emulator.
    this.config = { ...config };
    this.endpointRemaining = (config.endpointFaults ?? []).map((fault) => ({ fault, left: fault.times }));
  }

  get(): FaultConfig {
    return { ...this.config };
  }

  /** Returns the fault to inject for this request, counting it down, or undefined to serve normally. */
  takeEndpointFault(route: EmulatorRoute): EndpointFault | undefined {
    const entry = this.endpointRemaining.find((e) => e.fault.endpoint === route && e.left > 0);
    if (!entry) return undefined;
    entry.left -= 1;
    return entry.fault;
  }

  /**
   * Counts down `capacityRefusals` for one create; null while the counter is 0. Called once per
   * create that passed parameter checks, before `snapshotForBatch` (a fail-fast refusal makes no batch).
   */
  takeCapacityRefusal(): CapacityRefusal | null {
    const left = this.config.capacityRefusals ?? 0;
    if (left <= 0) return null;
    this.config = { ...this.config, capacityRefusals: left - 1 };
    return { failFast: this.config.capacityRefusalFailFast === true, limitTokens: this.config.capacityLimitTokens ?? DEFAULT_CAPACITY_LIMIT_TOKENS };
  }

  /** Captures what a new batch needs and consumes the one-shot `failValidation`. */
  snapshotForBatch(capacityRefusal: CapacityRefusal | null = null): BatchFaults {
    const c = this.config;
    const snapshot: BatchFaults = {
      failValidation: c.failValidation === true,
      itemErrors: { ...(c.itemErrors ?? {}) },
      expireAfterFraction: c.expireAfterFraction ?? null,
      completedWithNullOutput: c.completedWithNullOutput === true,
      ordered: c.ordered === true,
      duplicateOutputLines: c.duplicateOutputLines === true,
      emptyContent: c.emptyContent === true,
      nonJsonContent: c.nonJsonContent === true,
      capacityRefusal,
    };
    if (c.failValidation) this.config = { ...c, failValidation: false };
    return snapshot;
  }

  /** Consumes the one-shot download truncation; 'none' when it is off. */
  takeTruncateDownload(): 'abort' | 'short' | 'none' {
    const t = this.config.truncateDownload;
    if (t === undefined || t === false) return 'none';
    this.config = { ...this.config, truncateDownload: false };
    return t === 'short' ? 'short' : 'abort';
  }

  azureVariants(): boolean {
    return this.config.azureVariants === true;
  }

  contentOverrides(): { emptyContent: boolean; nonJsonContent: boolean } {
    return { emptyContent: this.config.emptyContent === true, nonJsonContent: this.config.nonJsonContent === true };
  }
}
