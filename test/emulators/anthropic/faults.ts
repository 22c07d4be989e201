// Fault switches for the Anthropic Message Batches emulator. Tests flip these in-process
// (setFaults) or over HTTP (POST /__emulator/faults) to drive a client down the unhappy paths
// of spec §3 and §6.

import {
  FaultConfigError,
  copyBooleans,
  isRecord,
  parseEndpointFaultBase,
  parseEndpointFaults,
  parseExpireAfterFraction,
  parseItemErrors,
  parseNonNegativeInteger,
  parseTruncateDownload,
  requireKnownSwitches,
} from '../shared/faultParsing';
import { FaultStateBase } from '../shared/faultState';

export { FaultConfigError } from '../shared/faultParsing';

export const ANTHROPIC_ROUTES = [
  'POST /v1/messages/batches',
  'GET /v1/messages/batches',
  'GET /v1/messages/batches/{id}',
  'POST /v1/messages/batches/{id}/cancel',
  'DELETE /v1/messages/batches/{id}',
  'GET /v1/messages/batches/{id}/results',
  'POST /v1/messages',
] as const;
export type AnthropicRoute = (typeof ANTHROPIC_ROUTES)[number];

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

const BOOLEAN_KEYS = ['failValidation', 'ordered', 'emptyContent', 'nonJsonContent'] as const;

/** Validates a fault config that arrived as JSON, so a typo fails loudly. */
export function parseFaultConfig(value: unknown): FaultConfig {
  const input = requireKnownSwitches(value, [...BOOLEAN_KEYS, 'endpointFaults', 'itemErrors', 'expireAfterFraction', 'truncateDownload', 'capacityRefusals']);
  const out: FaultConfig = {};
  copyBooleans(input, BOOLEAN_KEYS, out);
  const truncate = parseTruncateDownload(input['truncateDownload']);
  if (truncate !== undefined) out.truncateDownload = truncate;
  const fraction = parseExpireAfterFraction(input['expireAfterFraction']);
  if (fraction !== undefined) out.expireAfterFraction = fraction;
  const refusals = parseNonNegativeInteger(input['capacityRefusals'], 'capacityRefusals');
  if (refusals !== undefined) out.capacityRefusals = refusals;
  const endpointFaults = parseEndpointFaults(input['endpointFaults'], parseEndpointFault);
  if (endpointFaults !== undefined) out.endpointFaults = endpointFaults;
  const itemErrors = parseItemErrors(input['itemErrors'], 'custom_id', parseItemFault);
  if (itemErrors !== undefined) out.itemErrors = itemErrors;
  return out;
}

function optionalDelay(v: unknown, name: string): number | null | undefined {
  if (v === undefined || v === null) return v;
  if (typeof v !== 'number' || !(v >= 0)) throw new FaultConfigError(`${name} must be a non-negative number or null`);
  return v;
}

function parseEndpointFault(v: unknown): EndpointFault {
  const { raw, fault: base } = parseEndpointFaultBase(v, ANTHROPIC_ROUTES, [429, 500, 503, 529] as const, 'status must be 429, 500, 503 or 529');
  const fault: EndpointFault = base;
  const retryAfter = optionalDelay(raw['retryAfter'], 'retryAfter');
  if (retryAfter !== undefined) fault.retryAfter = retryAfter;
  const retryAfterMs = optionalDelay(raw['retryAfterMs'], 'retryAfterMs');
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

/** Live fault state: the shared counters plus what an Anthropic batch captures at create. */
export class FaultState extends FaultStateBase<EndpointFault, FaultConfig> {
  takeFailValidation(): boolean {
    return this.takeOneShot('failValidation');
  }

  takeCapacityRefusal(): boolean {
    return this.takeCounted('capacityRefusals');
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
}
