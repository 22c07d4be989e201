// Fault switches for the AWS emulator (Bedrock control plane, Bedrock runtime, S3). Tests flip
// these in-process (setFaults) or over HTTP (POST /__emulator/faults) to drive the client down the
// unhappy paths of spec §5; the switch names follow the OpenAI emulator's where they make sense.

/** Routes as the emulator names them (one port serves all three services). */
export type AwsRoute =
  | 'POST /model-invocation-job'
  | 'GET /model-invocation-job/{id}'
  | 'GET /model-invocation-jobs'
  | 'POST /model-invocation-job/{id}/stop'
  | 'POST /listTagsForResource'
  | 'POST /model/{id}/invoke'
  | 'POST /model/{id}/converse'
  | 'PUT /{bucket}/{key}'
  | 'GET /{bucket}/{key}'
  | 'HEAD /{bucket}/{key}'
  | 'GET /{bucket}'
  | 'HEAD /{bucket}';

export const AWS_ROUTES: readonly AwsRoute[] = [
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
];

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

export class FaultConfigError extends Error {}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

const BOOLEAN_KEYS = ['failValidation', 'ordered', 'emptyContent', 'nonJsonContent', 'accessDenied'] as const;
const COUNT_KEYS = ['capacityRefusals', 'minRecords', 'maxRecords'] as const;

/** Validates a fault config that arrived as JSON (HTTP control endpoint), so a typo fails loudly. */
export function parseFaultConfig(input: unknown): AwsFaultConfig {
  if (!isRecord(input)) throw new FaultConfigError('fault config must be a JSON object');
  const known = new Set<string>([...BOOLEAN_KEYS, ...COUNT_KEYS, 'endpointFaults', 'itemErrors', 'expireAfterFraction', 'truncateDownload', 'unknownModels']);
  for (const key of Object.keys(input)) {
    if (!known.has(key)) throw new FaultConfigError(`unknown fault switch "${key}"`);
  }
  const out: AwsFaultConfig = {};
  for (const key of BOOLEAN_KEYS) {
    const v = input[key];
    if (v === undefined) continue;
    if (typeof v !== 'boolean') throw new FaultConfigError(`${key} must be a boolean`);
    out[key] = v;
  }
  for (const key of COUNT_KEYS) {
    const v = input[key];
    if (v === undefined) continue;
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw new FaultConfigError(`${key} must be a non-negative integer`);
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
    if (typeof fraction !== 'number' || !(fraction >= 0 && fraction < 1)) throw new FaultConfigError('expireAfterFraction must be a number in [0, 1)');
    out.expireAfterFraction = fraction;
  }
  const unknownModels = input['unknownModels'];
  if (unknownModels !== undefined) {
    if (!Array.isArray(unknownModels) || !unknownModels.every((m) => typeof m === 'string')) throw new FaultConfigError('unknownModels must be an array of model ids');
    out.unknownModels = [...(unknownModels as string[])];
  }
  const endpointFaults = input['endpointFaults'];
  if (endpointFaults !== undefined) {
    if (!Array.isArray(endpointFaults)) throw new FaultConfigError('endpointFaults must be an array');
    out.endpointFaults = endpointFaults.map(parseEndpointFault);
  }
  const itemErrors = input['itemErrors'];
  if (itemErrors !== undefined) {
    if (!isRecord(itemErrors)) throw new FaultConfigError('itemErrors must be an object keyed by recordId');
    out.itemErrors = Object.fromEntries(Object.entries(itemErrors).map(([recordId, fault]) => [recordId, parseItemFault(recordId, fault)]));
  }
  return out;
}

function parseEndpointFault(v: unknown): EndpointFault {
  if (!isRecord(v)) throw new FaultConfigError('each endpoint fault must be an object');
  const endpoint = v['endpoint'];
  if (typeof endpoint !== 'string' || !(AWS_ROUTES as readonly string[]).includes(endpoint)) {
    throw new FaultConfigError(`endpoint must be one of: ${AWS_ROUTES.join(', ')}`);
  }
  const times = v['times'];
  if (typeof times !== 'number' || !Number.isInteger(times) || times < 0) throw new FaultConfigError('times must be a non-negative integer');
  const status = v['status'];
  if (status !== 429 && status !== 500 && status !== 503) throw new FaultConfigError('status must be 429, 500 or 503');
  const fault: EndpointFault = { endpoint: endpoint as AwsRoute, times, status };
  const retryAfter = v['retryAfter'];
  if (retryAfter !== undefined) {
    if (retryAfter !== null && (typeof retryAfter !== 'number' || retryAfter < 0)) throw new FaultConfigError('retryAfter must be a non-negative number of seconds or null');
    fault.retryAfter = retryAfter;
  }
  return fault;
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

/** Live fault state: the config plus the counters that make endpoint faults and one-shots run out. */
export class FaultState {
  private config: AwsFaultConfig = {};
  private endpointRemaining: { fault: EndpointFault; left: number }[] = [];

  constructor(private readonly defaultMinRecords: number) {}

  set(config: AwsFaultConfig): void {
    this.config = { ...config };
    this.endpointRemaining = (config.endpointFaults ?? []).map((fault) => ({ fault, left: fault.times }));
  }

  get(): AwsFaultConfig {
    return { ...this.config };
  }

  takeEndpointFault(route: AwsRoute): EndpointFault | undefined {
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

  /** Captures what a new job needs and consumes the one-shot `failValidation`. */
  snapshotForJob(): JobFaults {
    const c = this.config;
    const snapshot: JobFaults = {
      failValidation: c.failValidation === true,
      itemErrors: { ...(c.itemErrors ?? {}) },
      expireAfterFraction: c.expireAfterFraction ?? null,
      ordered: c.ordered === true,
      emptyContent: c.emptyContent === true,
      nonJsonContent: c.nonJsonContent === true,
      minRecords: c.minRecords ?? this.defaultMinRecords,
      maxRecords: c.maxRecords ?? DEFAULT_MAX_RECORDS,
    };
    if (c.failValidation) this.config = { ...c, failValidation: false };
    return snapshot;
  }

  takeTruncateDownload(): 'abort' | 'short' | 'none' {
    const t = this.config.truncateDownload;
    if (t === undefined || t === false) return 'none';
    this.config = { ...this.config, truncateDownload: false };
    return t === 'short' ? 'short' : 'abort';
  }

  accessDenied(): boolean {
    return this.config.accessDenied === true;
  }

  isUnknownModel(modelId: string): boolean {
    return (this.config.unknownModels ?? []).includes(modelId);
  }

  contentOverrides(): { emptyContent: boolean; nonJsonContent: boolean } {
    return { emptyContent: this.config.emptyContent === true, nonJsonContent: this.config.nonJsonContent === true };
  }
}
