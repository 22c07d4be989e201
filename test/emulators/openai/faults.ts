// Fault switches for the OpenAI/Azure emulator. Tests flip these in-process (setFaults) or over
// HTTP (POST /__emulator/faults) to drive the client down the unhappy paths of spec §1 and §2.

import {
  FaultConfigError,
  copyBooleans,
  isRecord,
  parseEndpointFaultBase,
  parseEndpointFaults,
  parseExpireAfterFraction,
  parseItemErrors,
  parseNonNegativeInteger,
  parseRetryAfterSeconds,
  parseTruncateDownload,
  requireKnownSwitches,
} from '../shared/faultParsing';
import { FaultStateBase } from '../shared/faultState';

export { FaultConfigError } from '../shared/faultParsing';

/** Routes as the emulator names them after stripping any `/v1`, `/openai`, `/openai/v1` or deployment prefix. */
export const EMULATOR_ROUTES = [
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
] as const;
export type EmulatorRoute = (typeof EMULATOR_ROUTES)[number];

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
export function parseFaultConfig(value: unknown): FaultConfig {
  const input = requireKnownSwitches(value, [...BOOLEAN_KEYS, 'endpointFaults', 'itemErrors', 'expireAfterFraction', 'truncateDownload', 'capacityRefusals', 'capacityLimitTokens']);
  const out: FaultConfig = {};
  copyBooleans(input, BOOLEAN_KEYS, out);
  const truncate = parseTruncateDownload(input['truncateDownload']);
  if (truncate !== undefined) out.truncateDownload = truncate;
  const fraction = parseExpireAfterFraction(input['expireAfterFraction']);
  if (fraction !== undefined) out.expireAfterFraction = fraction;
  const refusals = parseNonNegativeInteger(input['capacityRefusals'], 'capacityRefusals');
  if (refusals !== undefined) out.capacityRefusals = refusals;
  const limitTokens = input['capacityLimitTokens'];
  if (limitTokens !== undefined) {
    if (typeof limitTokens !== 'number' || !Number.isSafeInteger(limitTokens) || limitTokens < 1) {
      throw new FaultConfigError('capacityLimitTokens must be a positive integer');
    }
    out.capacityLimitTokens = limitTokens;
  }
  const endpointFaults = parseEndpointFaults(input['endpointFaults'], parseEndpointFault);
  if (endpointFaults !== undefined) out.endpointFaults = endpointFaults;
  const itemErrors = parseItemErrors(input['itemErrors'], 'custom_id', parseItemFault);
  if (itemErrors !== undefined) out.itemErrors = itemErrors;
  return out;
}

function parseEndpointFault(v: unknown): EndpointFault {
  const { raw, fault } = parseEndpointFaultBase(v, EMULATOR_ROUTES, [429, 500, 503] as const, 'status must be 429, 500 or 503');
  const retryAfter = parseRetryAfterSeconds(raw['retryAfter']);
  return retryAfter === undefined ? fault : { ...fault, retryAfter };
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

/** Live fault state: the shared counters plus OpenAI's capacity refusal, batch snapshot and Azure rendering. */
export class FaultState extends FaultStateBase<EndpointFault, FaultConfig> {
  /**
   * Counts down `capacityRefusals` for one create; null while the counter is 0. Called once per
   * create that passed parameter checks, before `snapshotForBatch` (a fail-fast refusal makes no batch).
   */
  takeCapacityRefusal(): CapacityRefusal | null {
    if (!this.takeCounted('capacityRefusals')) return null;
    return { failFast: this.config.capacityRefusalFailFast === true, limitTokens: this.config.capacityLimitTokens ?? DEFAULT_CAPACITY_LIMIT_TOKENS };
  }

  /** Captures what a new batch needs and consumes the one-shot `failValidation`. */
  snapshotForBatch(capacityRefusal: CapacityRefusal | null = null): BatchFaults {
    const c = this.config;
    return {
      failValidation: this.takeOneShot('failValidation'),
      itemErrors: { ...(c.itemErrors ?? {}) },
      expireAfterFraction: c.expireAfterFraction ?? null,
      completedWithNullOutput: c.completedWithNullOutput === true,
      ordered: c.ordered === true,
      duplicateOutputLines: c.duplicateOutputLines === true,
      emptyContent: c.emptyContent === true,
      nonJsonContent: c.nonJsonContent === true,
      capacityRefusal,
    };
  }

  azureVariants(): boolean {
    return this.config.azureVariants === true;
  }
}
