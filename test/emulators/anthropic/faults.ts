// Fault switches for the Anthropic Message Batches emulator. Tests flip these in-process
// (setFaults) or over HTTP (POST /__emulator/faults) to drive a client down the unhappy paths
// of spec §3 and §6.

export type AnthropicRoute =
  | 'POST /v1/messages/batches'
  | 'GET /v1/messages/batches'
  | 'GET /v1/messages/batches/{id}'
  | 'POST /v1/messages/batches/{id}/cancel'
  | 'DELETE /v1/messages/batches/{id}'
  | 'GET /v1/messages/batches/{id}/results'
  | 'POST /v1/messages';

export const ANTHROPIC_ROUTES: readonly AnthropicRoute[] = [
  'POST /v1/messages/batches',
  'GET /v1/messages/batches',
  'GET /v1/messages/batches/{id}',
  'POST /v1/messages/batches/{id}/cancel',
  'DELETE /v1/messages/batches/{id}',
  'GET /v1/messages/batches/{id}/results',
  'POST /v1/messages',
];

/** Fail the next `times` requests to `endpoint` with an HTTP error, then let requests through. */
export interface EndpointFault {
  endpoint: AnthropicRoute;
  times: number;
  /** 529 is Anthropic's `overloaded_error`. */
  status: 429 | 500 | 503 | 529;
  /** Seconds sent in `retry-after`; omitted by default. */
  retryAfter?: number | null;
  /**
   * Milliseconds sent in `retry-after-ms`; defaults to 1 so the SDK's own retries fire at once
   * (spec §6.6: `retry-after: 0` is ignored by this SDK and falls back to 0.5–8 s backoff); `null` omits it.
   */
  retryAfterMs?: number | null;
}

/** A forced per-item failure: the item comes back `errored` with this error type. */
export interface ItemFault {
  type: string;
  message?: string;
}

export interface FaultConfig {
  endpointFaults?: EndpointFault[];
  /** One-shot: the next create is refused with a 400 invalid_request_error naming requests.0; no batch is made. */
  failValidation?: boolean;
  /** By custom_id; applies to batches created while set. */
  itemErrors?: Record<string, ItemFault>;
  /** Batches end once this fraction of in-progress time has passed; unprocessed items come back `expired` (0 < f ≤ 1). */
  expireAfterFraction?: number;
  /** Results in input order instead of the default deterministic shuffle. */
  ordered?: boolean;
  /** One-shot: the next non-empty results download is cut mid-line (see README). */
  truncateDownload?: boolean | 'abort' | 'short';
  emptyContent?: boolean;
  nonJsonContent?: boolean;
  /**
   * Counted: the next N creates that pass their checks are refused with 429 `rate_limit_error`
   * because the processing queue is full (spec §3.5); no batch is made.
   */
  capacityRefusals?: number;
}

/** The parts of the config a batch captures when it is created, so later switches don't rewrite it. */
export interface BatchFaults {
  itemErrors: Readonly<Record<string, ItemFault>>;
  expireAfterFraction: number | null;
  ordered: boolean;
  emptyContent: boolean;
  nonJsonContent: boolean;
}

export class FaultConfigError extends Error {}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

const BOOLEAN_KEYS = ['failValidation', 'ordered', 'emptyContent', 'nonJsonContent'] as const;

/** Validates a fault config that arrived as JSON, so a typo fails loudly. */
export function parseFaultConfig(input: unknown): FaultConfig {
  if (!isRecord(input)) throw new FaultConfigError('fault config must be a JSON object');
  const known = new Set<string>([...BOOLEAN_KEYS, 'endpointFaults', 'itemErrors', 'expireAfterFraction', 'truncateDownload', 'capacityRefusals']);
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
    if (typeof truncate !== 'boolean' && truncate !== 'abort' && truncate !== 'short') throw new FaultConfigError('truncateDownload must be true, false, "abort" or "short"');
    out.truncateDownload = truncate;
  }
  const fraction = input['expireAfterFraction'];
  if (fraction !== undefined) {
    if (typeof fraction !== 'number' || !(fraction > 0 && fraction <= 1)) throw new FaultConfigError('expireAfterFraction must be a number in (0, 1]');
    out.expireAfterFraction = fraction;
  }
  const refusals = input['capacityRefusals'];
  if (refusals !== undefined) {
    if (typeof refusals !== 'number' || !Number.isInteger(refusals) || refusals < 0) throw new FaultConfigError('capacityRefusals must be a non-negative integer');
    out.capacityRefusals = refusals;
  }
  const endpointFaults = input['endpointFaults'];
  if (endpointFaults !== undefined) {
    if (!Array.isArray(endpointFaults)) throw new FaultConfigError('endpointFaults must be an array');
    out.endpointFaults = endpointFaults.map(parseEndpointFault);
  }
  const itemErrors = input['itemErrors'];
  if (itemErrors !== undefined) {
    if (!isRecord(itemErrors)) throw new FaultConfigError('itemErrors must be an object keyed by custom_id');
    out.itemErrors = Object.fromEntries(Object.entries(itemErrors).map(([customId, fault]) => [customId, parseItemFault(customId, fault)]));
  }
  return out;
}

function optionalDelay(v: unknown, name: string): number | null | undefined {
  if (v === undefined || v === null) return v;
  if (typeof v !== 'number' || !(v >= 0)) throw new FaultConfigError(`${name} must be a non-negative number or null`);
  return v;
}

function parseEndpointFault(v: unknown): EndpointFault {
  if (!isRecord(v)) throw new FaultConfigError('each endpoint fault must be an object');
  const endpoint = v['endpoint'];
  if (typeof endpoint !== 'string' || !(ANTHROPIC_ROUTES as readonly string[]).includes(endpoint)) {
    throw new FaultConfigError(`endpoint must be one of: ${ANTHROPIC_ROUTES.join(', ')}`);
  }
  const times = v['times'];
  if (typeof times !== 'number' || !Number.isInteger(times) || times < 0) throw new FaultConfigError('times must be a non-negative integer');
  const status = v['status'];
  if (status !== 429 && status !== 500 && status !== 503 && status !== 529) throw new FaultConfigError('status must be 429, 500, 503 or 529');
  const fault: EndpointFault = { endpoint: endpoint as AnthropicRoute, times, status };
  const retryAfter = optionalDelay(v['retryAfter'], 'retryAfter');
  if (retryAfter !== undefined) fault.retryAfter = retryAfter;
  const retryAfterMs = optionalDelay(v['retryAfterMs'], 'retryAfterMs');
  if (retryAfterMs !== undefined) fault.retryAfterMs = retryAfterMs;
  return fault;
}

function parseItemFault(customId: string, v: unknown): ItemFault {
  if (!isRecord(v)) throw new FaultConfigError(`itemErrors["${customId}"] must be an object`);
  const type = v['type'];
  if (typeof type !== 'string' || type === '') throw new FaultConfigError(`itemErrors["${customId}"].type must be an error type, e.g. "invalid_request_error"`);
  const fault: ItemFault = { type };
  const message = v['message'];
  if (typeof message === 'string') fault.message = message;
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

  takeEndpointFault(route: AnthropicRoute): EndpointFault | undefined {
    const entry = this.endpointRemaining.find((e) => e.fault.endpoint === route && e.left > 0);
    if (!entry) return undefined;
    entry.left -= 1;
    return entry.fault;
  }

  takeFailValidation(): boolean {
    if (this.config.failValidation !== true) return false;
    this.config = { ...this.config, failValidation: false };
    return true;
  }

  takeCapacityRefusal(): boolean {
    const left = this.config.capacityRefusals ?? 0;
    if (left <= 0) return false;
    this.config = { ...this.config, capacityRefusals: left - 1 };
    return true;
  }

  snapshotForBatch(): BatchFaults {
    const c = this.config;
    return {
      itemErrors: { ...(c.itemErrors ?? {}) },
      expireAfterFraction: c.expireAfterFraction ?? null,
      ordered: c.ordered === true,
      emptyContent: c.emptyContent === true,
      nonJsonContent: c.nonJsonContent === true,
    };
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
