// Fault switches for the Google emulator (Gemini Developer API, Vertex AI and the GCS subset).
// Tests flip these in-process (setFaults) or over HTTP (POST /__emulator/faults) to drive the
// clients down the unhappy paths of spec §4. Batch-shaping switches are captured when a batch is
// created; changing them later does not touch existing batches.

import {
  FaultConfigError,
  copyBooleans,
  isRecord,
  parseEndpointFaultBase,
  parseEndpointFaults,
  parseExpireAfterFraction,
  parseItemErrors,
  parseRetryAfterSeconds,
  parseTruncateDownload,
  requireKnownSwitches,
} from '../shared/faultParsing';
import { FaultStateBase } from '../shared/faultState';

export { FaultConfigError } from '../shared/faultParsing';

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
const ENDPOINT_FAULT_STATUSES: readonly EndpointFaultStatus[] = [400, 401, 403, 404, 429, 500, 503];

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

const BOOLEAN_KEYS = ['failValidation', 'ordered', 'emptyContent', 'nonJsonContent', 'dropCreateResponse'] as const;
const COUNT_KEYS = ['capacityRefusals', 'enqueuedTokenLimit', 'outputShardLines'] as const;

/** Validates a fault config that arrived as JSON, so a typo fails loudly. */
export function parseFaultConfig(value: unknown): FaultConfig {
  const input = requireKnownSwitches(value, [...BOOLEAN_KEYS, ...COUNT_KEYS, 'endpointFaults', 'itemErrors', 'expireAfterFraction', 'truncateDownload']);
  const out: FaultConfig = {};
  copyBooleans(input, BOOLEAN_KEYS, out);
  for (const key of COUNT_KEYS) {
    const v = input[key];
    if (v === undefined) continue;
    const min = key === 'capacityRefusals' ? 0 : 1;
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min) throw new FaultConfigError(`${key} must be an integer ≥ ${min}`);
    out[key] = v;
  }
  const truncate = parseTruncateDownload(input['truncateDownload']);
  if (truncate !== undefined) out.truncateDownload = truncate;
  const fraction = parseExpireAfterFraction(input['expireAfterFraction']);
  if (fraction !== undefined) out.expireAfterFraction = fraction;
  const endpointFaults = parseEndpointFaults(input['endpointFaults'], parseEndpointFault);
  if (endpointFaults !== undefined) out.endpointFaults = endpointFaults;
  const itemErrors = parseItemErrors(input['itemErrors'], 'key', parseItemFault);
  if (itemErrors !== undefined) out.itemErrors = itemErrors;
  return out;
}

function parseEndpointFault(v: unknown): EndpointFault {
  const { raw, fault } = parseEndpointFaultBase(v, GOOGLE_ROUTES, ENDPOINT_FAULT_STATUSES, `status must be one of ${ENDPOINT_FAULT_STATUSES.join(', ')}`);
  const retryAfter = parseRetryAfterSeconds(raw['retryAfter']);
  return retryAfter === undefined ? fault : { ...fault, retryAfter };
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

/** Live fault state: the shared counters plus what a Google batch captures at create. */
export class FaultState extends FaultStateBase<EndpointFault, FaultConfig> {
  /** Counts down `capacityRefusals` for one create; false while the counter is 0. */
  takeCapacityRefusal(): boolean {
    return this.takeCounted('capacityRefusals');
  }

  enqueuedTokenLimit(): number | undefined {
    return this.config.enqueuedTokenLimit;
  }

  /** Captures what a new batch needs and consumes the one-shot `failValidation`. */
  snapshotForBatch(): BatchFaults {
    const c = this.config;
    return {
      failValidation: this.takeOneShot('failValidation'),
      itemErrors: { ...(c.itemErrors ?? {}) },
      expireAfterFraction: c.expireAfterFraction ?? null,
      ordered: c.ordered === true,
      emptyContent: c.emptyContent === true,
      nonJsonContent: c.nonJsonContent === true,
      outputShardLines: c.outputShardLines ?? null,
    };
  }

  /** Consumes the one-shot `dropCreateResponse`. */
  takeDropCreateResponse(): boolean {
    return this.takeOneShot('dropCreateResponse');
  }
}
