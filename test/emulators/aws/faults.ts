// Fault switches for the AWS emulator (Bedrock control plane, Bedrock runtime, S3). Tests flip
// these in-process (setFaults) or over HTTP (POST /__emulator/faults) to drive the client down the
// unhappy paths of spec §5; the switch names follow the OpenAI emulator's where they make sense.

import {
  FaultConfigError,
  copyBooleans,
  isRecord,
  parseEndpointFaultBase,
  parseEndpointFaults,
  parseItemErrors,
  parseRetryAfterSeconds,
  parseTruncateDownload,
  requireKnownSwitches,
} from '../shared/faultParsing';
import { FaultStateBase } from '../shared/faultState';

export { FaultConfigError } from '../shared/faultParsing';

/** Routes as the emulator names them (one port serves all three services). */
export const AWS_ROUTES = [
  'POST /model-invocation-job',
  'GET /model-invocation-job/{id}',
  'GET /model-invocation-jobs',
  'POST /model-invocation-job/{id}/stop',
  'POST /listTagsForResource',
  'POST /model/{id}/invoke',
  'POST /model/{id}/converse',
  'PUT /{bucket}/{key}',
  'GET /{bucket}/{key}',
  'HEAD /{bucket}/{key}',
  'GET /{bucket}',
  'HEAD /{bucket}',
] as const;
export type AwsRoute = (typeof AWS_ROUTES)[number];

/** Fail the next `times` requests to `endpoint`, then let requests through. */
export interface EndpointFault {
  endpoint: AwsRoute;
  times: number;
  /** 429 → ThrottlingException (S3: SlowDown), 500 → InternalServerException (S3: InternalError), 503 → ServiceUnavailableException (S3: SlowDown). */
  status: 429 | 500 | 503;
  /** Seconds sent in `retry-after`; omitted by default (AWS rarely sends one). */
  retryAfter?: number | null;
}

/** A forced record failure, written to the output as `error: {errorCode, errorMessage}`. */
export interface ItemFault {
  errorCode: number;
  errorMessage?: string;
}

export interface AwsFaultConfig {
  endpointFaults?: EndpointFault[];
  /** One-shot: the next job created fails validation (status Failed, a `message`, no output). */
  failValidation?: boolean;
  /** By recordId; applies to jobs created while set. */
  itemErrors?: Record<string, ItemFault>;
  /**
   * The job's timeout strikes after this fraction of its InProgress time: records processed by
   * then are in the output and the job is PartiallyCompleted. 0: it strikes while the job is
   * still Scheduled, so it is Expired with no output at all. In [0, 1).
   */
  expireAfterFraction?: number;
  /** Output in input order instead of the default deterministic shuffle. */
  ordered?: boolean;
  /**
   * One-shot: the next non-empty GetObject is cut mid-line. `true`/`'abort'`: the full
   * Content-Length is promised, half is sent, the socket is destroyed. `'short'`: a consistent
   * Content-Length of half the object.
   */
  truncateDownload?: boolean | 'abort' | 'short';
  /** The fake model answers "" (batch records and sync calls). */
  emptyContent?: boolean;
  /** The fake model answers text that is not JSON. */
  nonJsonContent?: boolean;
  /**
   * Counted: the next N creates are refused with ServiceQuotaExceededException (too many
   * concurrent jobs for the model); no job is made. Creates answered from an existing
   * clientRequestToken do not count.
   */
  capacityRefusals?: number;
  /** The quota "Minimum number of records per batch inference job" (overrides the emulator option while set). */
  minRecords?: number;
  /** The quota "Records per batch inference job" (default 50,000). */
  maxRecords?: number;
  /** Every non-control request is refused with AccessDeniedException (S3: AccessDenied), 403. */
  accessDenied?: boolean;
  /** Model ids the account cannot use: runtime calls answer 404 ResourceNotFoundException, creates 400 ValidationException. */
  unknownModels?: string[];
}

/** The parts of the fault config a job captures at create, so later switches don't rewrite it. */
export interface JobFaults {
  failValidation: boolean;
  itemErrors: Readonly<Record<string, ItemFault>>;
  expireAfterFraction: number | null;
  ordered: boolean;
  emptyContent: boolean;
  nonJsonContent: boolean;
  minRecords: number;
  maxRecords: number;
}

export const DEFAULT_MIN_RECORDS = 100;
export const DEFAULT_MAX_RECORDS = 50_000;

const BOOLEAN_KEYS = ['failValidation', 'ordered', 'emptyContent', 'nonJsonContent', 'accessDenied'] as const;
const COUNT_KEYS = ['capacityRefusals', 'minRecords', 'maxRecords'] as const;

/** Validates a fault config that arrived as JSON (HTTP control endpoint), so a typo fails loudly. */
export function parseFaultConfig(value: unknown): AwsFaultConfig {
  const input = requireKnownSwitches(value, [...BOOLEAN_KEYS, ...COUNT_KEYS, 'endpointFaults', 'itemErrors', 'expireAfterFraction', 'truncateDownload', 'unknownModels']);
  const out: AwsFaultConfig = {};
  copyBooleans(input, BOOLEAN_KEYS, out);
  for (const key of COUNT_KEYS) {
    const v = input[key];
    if (v === undefined) continue;
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw new FaultConfigError(`${key} must be a non-negative integer`);
    out[key] = v;
  }
  const truncate = parseTruncateDownload(input['truncateDownload']);
  if (truncate !== undefined) out.truncateDownload = truncate;
  const fraction = input['expireAfterFraction'];
  if (fraction !== undefined) {
    // Unlike the other emulators, 0 is allowed (the timeout strikes while Scheduled) and 1 is not.
    if (typeof fraction !== 'number' || !(fraction >= 0 && fraction < 1)) throw new FaultConfigError('expireAfterFraction must be a number in [0, 1)');
    out.expireAfterFraction = fraction;
  }
  const unknownModels = input['unknownModels'];
  if (unknownModels !== undefined) {
    if (!Array.isArray(unknownModels) || !unknownModels.every((m) => typeof m === 'string')) throw new FaultConfigError('unknownModels must be an array of model ids');
    out.unknownModels = [...(unknownModels as string[])];
  }
  const endpointFaults = parseEndpointFaults(input['endpointFaults'], parseEndpointFault);
  if (endpointFaults !== undefined) out.endpointFaults = endpointFaults;
  const itemErrors = parseItemErrors(input['itemErrors'], 'recordId', parseItemFault);
  if (itemErrors !== undefined) out.itemErrors = itemErrors;
  return out;
}

function parseEndpointFault(v: unknown): EndpointFault {
  const { raw, fault } = parseEndpointFaultBase(v, AWS_ROUTES, [429, 500, 503] as const, 'status must be 429, 500 or 503');
  const retryAfter = parseRetryAfterSeconds(raw['retryAfter']);
  return retryAfter === undefined ? fault : { ...fault, retryAfter };
}

function parseItemFault(recordId: string, v: unknown): ItemFault {
  if (!isRecord(v)) throw new FaultConfigError(`itemErrors["${recordId}"] must be an object`);
  const errorCode = v['errorCode'];
  if (typeof errorCode !== 'number' || !Number.isInteger(errorCode) || errorCode < 400 || errorCode > 599) {
    throw new FaultConfigError(`itemErrors["${recordId}"].errorCode must be an HTTP error status`);
  }
  const fault: ItemFault = { errorCode };
  const message = v['errorMessage'];
  if (typeof message === 'string') fault.errorMessage = message;
  return fault;
}

/** Live fault state: the shared counters plus what a Bedrock job captures at create and the account switches. */
export class FaultState extends FaultStateBase<EndpointFault, AwsFaultConfig> {
  constructor(private readonly defaultMinRecords: number) {
    super();
  }

  /** Counts down `capacityRefusals` for one create; false while the counter is 0. */
  takeCapacityRefusal(): boolean {
    return this.takeCounted('capacityRefusals');
  }

  /** Captures what a new job needs and consumes the one-shot `failValidation`. */
  snapshotForJob(): JobFaults {
    const c = this.config;
    return {
      failValidation: this.takeOneShot('failValidation'),
      itemErrors: { ...(c.itemErrors ?? {}) },
      expireAfterFraction: c.expireAfterFraction ?? null,
      ordered: c.ordered === true,
      emptyContent: c.emptyContent === true,
      nonJsonContent: c.nonJsonContent === true,
      minRecords: c.minRecords ?? this.defaultMinRecords,
      maxRecords: c.maxRecords ?? DEFAULT_MAX_RECORDS,
    };
  }

  accessDenied(): boolean {
    return this.config.accessDenied === true;
  }

  isUnknownModel(modelId: string): boolean {
    return (this.config.unknownModels ?? []).includes(modelId);
  }
}
