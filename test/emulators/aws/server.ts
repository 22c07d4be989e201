// The AWS emulator's HTTP front: ONE port serves the Bedrock control plane
// (`/model-invocation-job…`, `/listTagsForResource`), the Bedrock runtime (`POST /model/{id}/invoke|converse`)
// and S3 in path style (`/{bucket}/{key}`), told apart by path (spec §5). Auth: SigV4 (the
// signature is not checked) or Bearer; errors name themselves in `x-amzn-errortype` with a
// `{message}` body (S3: its XML error document); every answer carries a request id.

import { randomBytes, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isJsonObject, parseJsonObject } from '../shared/content';
import type { JsonObject } from '../shared/content';
import { RequestLog, emulatorHandle, handleControl, isControlPath, listenEmulator } from '../shared/emulatorServer';
import type { EmulatorHandle, EmulatorState } from '../shared/emulatorServer';
import { BodyTooLargeError, readBody, sendDownload, sendJsonBody } from '../shared/http';
import { runBedrockModel } from './fakeBedrockModel';
import { AWS_ROUTES, DEFAULT_MIN_RECORDS, FaultState, parseFaultConfig } from './faults';
import type { AwsFaultConfig, AwsRoute, EndpointFault } from './faults';
import { InvocationJob } from './jobRunner';
import type { BedrockTimeScale, JobStatus } from './jobRunner';
import { ChunkedBodyError, S3Store, decodeAwsChunked, listObjectsV2Xml, listPage, sendS3Error, sendXml } from './s3Store';

export type { AwsFaultConfig, AwsRoute, EndpointFault, ItemFault } from './faults';
export type { BedrockTimeScale, JobStatus } from './jobRunner';
export { AWS_ROUTES };

export interface AwsEmulatorOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  host?: '127.0.0.1';
  timeScale?: BedrockTimeScale;
  faults?: AwsFaultConfig;
  /** The only access key id (SigV4) or bearer token accepted; by default any is. */
  apiKey?: string;
  /** The quota "Minimum number of records per batch inference job"; default 100 (unverified, spec §5.2). */
  minRecords?: number;
  /** Buckets that exist; by default every bucket does. */
  buckets?: string[];
}

export interface RequestLogEntry {
  method: string;
  /** The path as received, without the query string. */
  path: string;
  query: string;
  /** The route it matched, or null (control endpoints, unknown paths). */
  route: AwsRoute | null;
  /** The response status, once sent (0 until then). */
  status: number;
}

export interface JobRecord {
  jobArn: string;
  jobId: string;
  jobName: string;
  clientRequestToken: string;
  modelId: string;
  modelInvocationType: 'InvokeModel' | 'Converse';
  inputUri: string;
  outputUri: string;
  tags: { key: string; value: string }[];
  status: JobStatus;
  /** 1-based position among jobs actually created. */
  createSeq: number;
  /** createCalls() when this job was made. */
  createAttempt: number;
  submitMs: number;
  /** What GetModelInvocationJob returns now. */
  object: JsonObject;
}

export interface RunningAwsEmulator extends EmulatorHandle<AwsFaultConfig, JobRecord, RequestLogEntry> {
  /** http://127.0.0.1:PORT: the `endpoint` of BedrockClient, BedrockRuntimeClient and S3Client (forcePathStyle). */
  url: string;
  /** CreateModelInvocationJob requests that passed auth, including faulted and idempotent ones. */
  createCalls(): number;
  /** Every stored object. */
  objects(): { bucket: string; key: string; size: number }[];
  getObject(bucket: string, key: string): Buffer | undefined;
  putObject(bucket: string, key: string, data: Buffer | string): void;
  /** Drops jobs, objects, faults, the request log, the fail-once memory and the counters. */
  reset(): void;
}

export const DEFAULT_TIME_SCALE: BedrockTimeScale = { submittedMs: 100, validatingMs: 200, scheduledMs: 200, inProgressMs: 700, stoppingMs: 200 };
export const FAST_TIME_SCALE: BedrockTimeScale = { submittedMs: 5, validatingMs: 15, scheduledMs: 10, inProgressMs: 50, stoppingMs: 20 };

const ACCOUNT_ID = '123456789012';
const DEFAULT_REGION = 'us-east-1';
const MAX_OBJECT_BYTES = 1_100 * 1024 * 1024;
const MAX_JSON_BYTES = 64 * 1024 * 1024;

// Patterns of CreateModelInvocationJob (API reference; spec §5.1).
const JOB_NAME_RE = /^[a-zA-Z0-9]{1,63}(-*[a-zA-Z0-9+\-.]){0,63}$/;
const TOKEN_RE = /^[a-zA-Z0-9]{1,256}(-*[a-zA-Z0-9]){0,256}$/;
const ROLE_ARN_RE = /^arn:aws(-[^:]+)?:iam::([0-9]{12})?:role\/.+$/;
const JOB_ARN_RE = /^arn:aws(-[^:]+)?:bedrock:[a-z0-9-]{1,20}:[0-9]{12}:model-invocation-job\/([a-z0-9]{12})$/;
const JOB_STATUSES: readonly JobStatus[] = ['Submitted', 'Validating', 'Scheduled', 'InProgress', 'Completed', 'PartiallyCompleted', 'Failed', 'Stopping', 'Stopped', 'Expired'];

type Service = 'bedrock' | 'runtime' | 's3';

interface Match {
  route: AwsRoute;
  service: Service;
  /** Job identifier, model id, or bucket. */
  id: string;
  key: string;
}

function matchRoute(method: string, pathname: string): Match | null {
  let segments: string[];
  try {
    segments = pathname.split('/').slice(1).map(decodeURIComponent);
  } catch {
    return null;
  }
  if (segments[segments.length - 1] === '' && segments.length > 1) segments = segments.slice(0, -1);
  const [a = '', b = '', c] = segments;
  const n = segments.length;
  if (a === 'model-invocation-job' && method === 'POST' && n === 1) return { route: 'POST /model-invocation-job', service: 'bedrock', id: '', key: '' };
  if (a === 'model-invocation-job' && method === 'GET' && n === 2) return { route: 'GET /model-invocation-job/{id}', service: 'bedrock', id: b, key: '' };
  if (a === 'model-invocation-job' && method === 'POST' && n === 3 && c === 'stop') return { route: 'POST /model-invocation-job/{id}/stop', service: 'bedrock', id: b, key: '' };
  if (a === 'model-invocation-jobs' && method === 'GET' && n === 1) return { route: 'GET /model-invocation-jobs', service: 'bedrock', id: '', key: '' };
  if (a === 'listTagsForResource' && method === 'POST' && n === 1) return { route: 'POST /listTagsForResource', service: 'bedrock', id: '', key: '' };
  if (a === 'model' && method === 'POST' && n === 3 && (c === 'invoke' || c === 'converse')) {
    return { route: c === 'invoke' ? 'POST /model/{id}/invoke' : 'POST /model/{id}/converse', service: 'runtime', id: b, key: '' };
  }
  if (a === '') return null;
  // S3, path style: everything after the bucket is the key (slashes included).
  const slash = pathname.indexOf('/', 1);
  const rawKey = slash > 0 ? pathname.slice(slash + 1) : '';
  const hasKey = rawKey !== '';
  let key = '';
  try {
    key = hasKey ? decodeURIComponent(rawKey) : '';
  } catch {
    return null;
  }
  if (!hasKey && method === 'GET') return { route: 'GET /{bucket}', service: 's3', id: a, key: '' };
  if (!hasKey && method === 'HEAD') return { route: 'HEAD /{bucket}', service: 's3', id: a, key: '' };
  if (hasKey && method === 'PUT') return { route: 'PUT /{bucket}/{key}', service: 's3', id: a, key };
  if (hasKey && method === 'GET') return { route: 'GET /{bucket}/{key}', service: 's3', id: a, key };
  if (hasKey && method === 'HEAD') return { route: 'HEAD /{bucket}/{key}', service: 's3', id: a, key };
  return null;
}

/** The credential a request presents: a SigV4 access key id (with its scope's region) or a bearer token. */
function presentedCredential(req: IncomingMessage): { key: string; region: string | undefined } | null {
  const auth = req.headers['authorization'];
  if (typeof auth !== 'string') return null;
  const sigv4 = /^AWS4-HMAC-SHA256\s+Credential=([^/,\s]+)\/\d{8}\/([^/]+)\//.exec(auth.trim());
  if (sigv4?.[1]) return { key: sigv4[1], region: sigv4[2] };
  const bearer = /^Bearer\s+(\S+)$/i.exec(auth.trim());
  if (bearer?.[1]) return { key: bearer[1], region: undefined };
  return null;
}

const newRequestId = (): string => randomUUID();

/** A restJson1 error: the name in `x-amzn-errortype`, the body `{message}` (spec §5.4). */
function sendAwsError(res: ServerResponse, status: number, errorType: string, message: string, headers: Record<string, string> = {}): void {
  sendJsonBody(res, status, { message }, { 'x-amzn-errortype': errorType, 'x-amzn-requestid': newRequestId(), ...headers });
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  sendJsonBody(res, status, body, { 'x-amzn-requestid': newRequestId(), ...headers });
}

function sendServiceError(res: ServerResponse, service: Service, method: string, status: number, errorType: string, s3Code: string, message: string, headers: Record<string, string> = {}): void {
  if (service !== 's3') return sendAwsError(res, status, errorType, message, headers);
  if (method === 'HEAD') {
    // A HEAD answer has no body; the SDK names the error after the status (NotFound, Forbidden).
    res.writeHead(status, { 'x-amz-request-id': newRequestId(), ...headers });
    res.end();
    return;
  }
  sendS3Error(res, status, s3Code, message, newRequestId(), headers);
}

function sendEndpointFault(res: ServerResponse, service: Service, method: string, fault: EndpointFault): void {
  const headers: Record<string, string> = {};
  if (fault.retryAfter !== undefined && fault.retryAfter !== null) headers['retry-after'] = String(fault.retryAfter);
  if (fault.status === 429) return sendServiceError(res, service, method, 429, 'ThrottlingException', 'SlowDown', 'Too many requests, please wait before trying again.', headers);
  if (fault.status === 503) return sendServiceError(res, service, method, 503, 'ServiceUnavailableException', 'SlowDown', 'The service is unavailable. Please try again later.', headers);
  return sendServiceError(res, service, method, 500, 'InternalServerException', 'InternalError', 'We encountered an internal error. Please try again.', headers);
}

const jobIdOf = (identifier: string): string => JOB_ARN_RE.exec(identifier)?.[2] ?? identifier;

class AwsEmulator {
  readonly s3 = new S3Store();
  readonly faults: FaultState;
  readonly jobs: InvocationJob[] = [];
  readonly failedOnce = new Set<string>();
  readonly log = new RequestLog<RequestLogEntry>();
  createCalls = 0;
  readonly state: EmulatorState<AwsFaultConfig, JobRecord, RequestLogEntry>;
  private readonly timeScale: BedrockTimeScale;

  constructor(private readonly options: AwsEmulatorOptions) {
    this.timeScale = options.timeScale ?? DEFAULT_TIME_SCALE;
    this.faults = new FaultState(options.minRecords ?? DEFAULT_MIN_RECORDS);
    this.state = {
      faults: this.faults,
      parseFaults: parseFaultConfig,
      log: this.log,
      batches: () => this.jobRecords(),
      createCalls: () => this.createCalls,
      reset: () => this.reset(),
    };
    if (options.faults) this.faults.set(parseFaultConfig(options.faults));
  }

  reset(): void {
    this.s3.clear();
    this.jobs.length = 0;
    this.failedOnce.clear();
    this.faults.set({});
    this.log.clear();
    this.createCalls = 0;
  }

  jobRecords(): JobRecord[] {
    const now = Date.now();
    return this.jobs.map((job, index) => {
      job.advance(now);
      const i = job.init;
      return {
        jobArn: i.jobArn,
        jobId: i.jobId,
        jobName: i.jobName,
        clientRequestToken: i.clientRequestToken,
        modelId: i.modelId,
        modelInvocationType: i.modelInvocationType,
        inputUri: i.inputUri,
        outputUri: i.outputUri,
        tags: i.tags,
        status: job.status,
        createSeq: index + 1,
        createAttempt: job.createAttempt,
        submitMs: i.submitMs,
        object: job.toJSON(),
      };
    });
  }

  private findJob(identifier: string): InvocationJob | undefined {
    const id = jobIdOf(identifier);
    return this.jobs.find((j) => j.init.jobId === id);
  }

  private bucketExists(bucket: string): boolean {
    return this.options.buckets === undefined || this.options.buckets.includes(bucket);
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? 'GET';
    const url = new URL(req.url ?? '/', 'http://emulator.invalid');
    const entry: RequestLogEntry = { method, path: url.pathname, query: url.search.slice(1), route: null, status: 0 };
    this.log.record(entry, res);

    if (isControlPath(url.pathname)) {
      return handleControl(method, url.pathname, req, res, this.state, {
        maxBodyBytes: MAX_JSON_BYTES,
        sendJson: (r, status, body) => sendJson(r, status, body),
        sendError: (r, status, message) => (status === 400 ? sendAwsError(r, 400, 'ValidationException', message) : sendAwsError(r, 404, 'UnknownOperationException', message)),
      });
    }

    const match = matchRoute(method, url.pathname);
    if (match === null) return sendAwsError(res, 404, 'UnknownOperationException', `No operation matches ${method} ${url.pathname}`);
    entry.route = match.route;
    const credential = presentedCredential(req);
    if (credential === null) {
      return sendServiceError(res, match.service, method, 403, 'MissingAuthenticationTokenException', 'AccessDenied', 'Missing Authentication Token');
    }
    if (this.options.apiKey !== undefined && credential.key !== this.options.apiKey) {
      return sendServiceError(
        res,
        match.service,
        method,
        403,
        'UnrecognizedClientException',
        'InvalidAccessKeyId',
        match.service === 's3' ? 'The AWS Access Key Id you provided does not exist in our records.' : 'The security token included in the request is invalid.',
      );
    }

    const limit = match.route === 'PUT /{bucket}/{key}' ? MAX_OBJECT_BYTES : MAX_JSON_BYTES;
    let body: Buffer;
    try {
      // Read the body before any fault, so the connection stays reusable for a retry.
      body = await readBody(req, limit);
    } catch (err) {
      if (err instanceof BodyTooLargeError) return sendServiceError(res, match.service, method, 413, 'ValidationException', 'EntityTooLarge', err.message, { connection: 'close' });
      throw err;
    }

    if (match.route === 'POST /model-invocation-job') this.createCalls++;
    if (this.faults.accessDenied()) {
      return sendServiceError(
        res,
        match.service,
        method,
        403,
        'AccessDeniedException',
        'AccessDenied',
        `User: arn:aws:iam::${ACCOUNT_ID}:user/emulator is not authorized to perform this action (emulated by the accessDenied fault)`,
      );
    }
    const fault = this.faults.takeEndpointFault(match.route);
    if (fault) return sendEndpointFault(res, match.service, method, fault);

    switch (match.route) {
      case 'POST /model-invocation-job':
        return this.createJob(body, credential.region ?? DEFAULT_REGION, res);
      case 'GET /model-invocation-job/{id}':
        return this.withJob(match.id, res, (job) => sendJson(res, 200, job.toJSON()));
      case 'GET /model-invocation-jobs':
        return this.listJobs(url, res);
      case 'POST /model-invocation-job/{id}/stop':
        return this.withJob(match.id, res, (job) => {
          const result = job.stop(Date.now());
          if (!result.ok) return sendAwsError(res, 400, 'ValidationException', `The job ${job.init.jobArn} cannot be stopped because its status is ${result.status}.`);
          sendJson(res, 200, {});
        });
      case 'POST /listTagsForResource':
        return this.listTags(body, res);
      case 'POST /model/{id}/invoke':
      case 'POST /model/{id}/converse':
        return this.runtimeCall(match.route === 'POST /model/{id}/converse', match.id, body, res);
      case 'PUT /{bucket}/{key}':
        return this.putObject(req, match.id, match.key, body, res);
      case 'GET /{bucket}/{key}':
      case 'HEAD /{bucket}/{key}':
        return this.getObject(method, match.id, match.key, res);
      case 'GET /{bucket}':
        return this.listObjects(match.id, url, res);
      case 'HEAD /{bucket}':
        if (!this.bucketExists(match.id)) return sendServiceError(res, 's3', method, 404, 'NotFound', 'NoSuchBucket', 'Not Found');
        res.writeHead(200, { 'x-amz-request-id': newRequestId(), 'x-amz-bucket-region': DEFAULT_REGION });
        res.end();
        return;
    }
  }

  private withJob(identifier: string, res: ServerResponse, fn: (job: InvocationJob) => void): void {
    const job = this.findJob(identifier);
    if (!job) return sendAwsError(res, 404, 'ResourceNotFoundException', `The specified resource ARN was not found (${identifier}). Check the ARN and try your request again.`);
    job.advance(Date.now());
    fn(job);
  }

  private createJob(raw: Buffer, region: string, res: ServerResponse): void {
    const body = parseJsonObject(raw);
    if (body === null) return sendAwsError(res, 400, 'SerializationException', 'The request body is not a JSON object.');
    const invalid = (message: string): void => sendAwsError(res, 400, 'ValidationException', message);
    const jobName = body['jobName'];
    const roleArn = body['roleArn'];
    const modelId = body['modelId'];
    const input = isJsonObject(body['inputDataConfig']) ? body['inputDataConfig']['s3InputDataConfig'] : undefined;
    const output = isJsonObject(body['outputDataConfig']) ? body['outputDataConfig']['s3OutputDataConfig'] : undefined;
    const inputUri = isJsonObject(input) ? input['s3Uri'] : undefined;
    const outputUri = isJsonObject(output) ? output['s3Uri'] : undefined;
    const token = body['clientRequestToken'] ?? randomUUID();
    const invocationType = body['modelInvocationType'] ?? 'InvokeModel';
    const timeout = body['timeoutDurationInHours'] ?? 24;
    if (typeof jobName !== 'string' || jobName.length > 63 || !JOB_NAME_RE.test(jobName)) {
      return invalid(`1 validation error detected: Value '${String(jobName)}' at 'jobName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9]{1,63}(-*[a-zA-Z0-9\\+\\-\\.]){0,63} and have length at most 63`);
    }
    if (typeof roleArn !== 'string' || !ROLE_ARN_RE.test(roleArn)) return invalid(`1 validation error detected: Value '${String(roleArn)}' at 'roleArn' failed to satisfy constraint: Member must satisfy regular expression pattern: ^arn:aws(-[^:]+)?:iam::([0-9]{12})?:role/.+$`);
    if (typeof modelId !== 'string' || modelId === '') return invalid("1 validation error detected: Value null at 'modelId' failed to satisfy constraint: Member must not be null");
    if (typeof inputUri !== 'string' || !inputUri.startsWith('s3://')) return invalid("1 validation error detected: Value at 'inputDataConfig.s3InputDataConfig.s3Uri' failed to satisfy constraint: Member must satisfy regular expression pattern: ^s3://…");
    if (typeof outputUri !== 'string' || !outputUri.startsWith('s3://')) return invalid("1 validation error detected: Value at 'outputDataConfig.s3OutputDataConfig.s3Uri' failed to satisfy constraint: Member must satisfy regular expression pattern: ^s3://…");
    if (typeof token !== 'string' || !TOKEN_RE.test(token)) return invalid(`1 validation error detected: Value '${String(token)}' at 'clientRequestToken' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[a-zA-Z0-9]{1,256}(-*[a-zA-Z0-9]){0,256}$`);
    if (invocationType !== 'InvokeModel' && invocationType !== 'Converse') return invalid(`1 validation error detected: Value '${String(invocationType)}' at 'modelInvocationType' failed to satisfy constraint: Member must satisfy enum value set: [InvokeModel, Converse]`);
    if (typeof timeout !== 'number' || !Number.isInteger(timeout) || timeout < 24 || timeout > 168) return invalid("1 validation error detected: Value at 'timeoutDurationInHours' failed to satisfy constraint: Member must have value between 24 and 168");
    const tagsRaw = body['tags'] ?? [];
    if (!Array.isArray(tagsRaw) || !tagsRaw.every((t) => isJsonObject(t) && typeof t['key'] === 'string' && typeof t['value'] === 'string')) {
      return invalid("1 validation error detected: Value at 'tags' failed to satisfy constraint: each tag needs a string key and value");
    }
    const tags = tagsRaw.map((t) => ({ key: String((t as JsonObject)['key']), value: String((t as JsonObject)['value']) }));

    // Idempotency (spec §5.1): the same clientRequestToken answers with the job it already made.
    const existing = this.jobs.find((j) => j.init.clientRequestToken === token);
    if (existing) {
      const same = existing.init.jobName === jobName && existing.init.modelId === modelId && existing.init.inputUri === inputUri;
      if (!same) return sendAwsError(res, 409, 'ConflictException', `The clientRequestToken ${token} was already used by another request with different parameters.`);
      return sendJson(res, 200, { jobArn: existing.init.jobArn });
    }
    if (this.faults.isUnknownModel(modelId)) return invalid('The provided model identifier is invalid.');
    if (this.faults.takeCapacityRefusal()) {
      // Wording chosen by the emulator (unverified); the exception and status are the probe's (§5.4).
      return sendAwsError(
        res,
        400,
        'ServiceQuotaExceededException',
        `You have reached the maximum number of concurrent batch inference jobs (submitted, validating, scheduled or in progress) for the model ${modelId}. Wait for a job to end, then submit again.`,
      );
    }
    const jobId = randomAlnum(12);
    const job = new InvocationJob(
      {
        jobArn: `arn:aws:bedrock:${region}:${ACCOUNT_ID}:model-invocation-job/${jobId}`,
        jobId,
        jobName,
        modelId,
        roleArn,
        clientRequestToken: token,
        inputUri,
        outputUri,
        modelInvocationType: invocationType,
        tags,
        timeoutDurationInHours: timeout,
        submitMs: Date.now(),
        faults: this.faults.snapshotForJob(),
        timeScale: this.timeScale,
      },
      this.s3,
      this.failedOnce,
    );
    job.createAttempt = this.createCalls;
    this.jobs.push(job);
    sendJson(res, 200, { jobArn: job.init.jobArn });
  }

  private listJobs(url: URL, res: ServerResponse): void {
    const q = url.searchParams;
    const maxRaw = q.get('maxResults');
    const maxResults = maxRaw === null ? 1000 : Number(maxRaw);
    if (!Number.isInteger(maxResults) || maxResults < 1 || maxResults > 1000) {
      return sendAwsError(res, 400, 'ValidationException', "1 validation error detected: Value at 'maxResults' failed to satisfy constraint: Member must have value between 1 and 1000");
    }
    const status = q.get('statusEquals');
    if (status !== null && !(JOB_STATUSES as readonly string[]).includes(status)) {
      return sendAwsError(res, 400, 'ValidationException', `1 validation error detected: Value '${status}' at 'statusEquals' failed to satisfy enum value set`);
    }
    const nameContains = q.get('nameContains');
    const after = q.get('submitTimeAfter');
    const before = q.get('submitTimeBefore');
    const afterMs = after === null ? null : Date.parse(after);
    const beforeMs = before === null ? null : Date.parse(before);
    const now = Date.now();
    let jobs = this.jobs.filter((job) => {
      job.advance(now);
      if (status !== null && job.status !== status) return false;
      if (nameContains !== null && !job.init.jobName.includes(nameContains)) return false;
      if (afterMs !== null && !(job.init.submitMs > afterMs)) return false;
      if (beforeMs !== null && !(job.init.submitMs < beforeMs)) return false;
      return true;
    });
    // Creation order, newest first unless asked otherwise (sortBy CreationTime is the only key).
    if (q.get('sortOrder') !== 'Ascending') jobs = jobs.slice().reverse();
    const token = q.get('nextToken');
    const start = token === null ? 0 : Number(Buffer.from(token, 'base64url').toString('utf8'));
    if (!Number.isInteger(start) || start < 0) return sendAwsError(res, 400, 'ValidationException', 'The nextToken is not valid.');
    const page = jobs.slice(start, start + maxResults);
    const next = start + page.length < jobs.length ? Buffer.from(String(start + page.length), 'utf8').toString('base64url') : undefined;
    sendJson(res, 200, { invocationJobSummaries: page.map((j) => j.toJSON()), ...(next === undefined ? {} : { nextToken: next }) });
  }

  private listTags(raw: Buffer, res: ServerResponse): void {
    const body = parseJsonObject(raw);
    const arn = body?.['resourceARN'];
    if (typeof arn !== 'string') return sendAwsError(res, 400, 'ValidationException', "1 validation error detected: Value null at 'resourceARN' failed to satisfy constraint: Member must not be null");
    const job = this.jobs.find((j) => j.init.jobArn === arn);
    if (!job) return sendAwsError(res, 404, 'ResourceNotFoundException', `The specified resource ARN was not found (${arn}).`);
    sendJson(res, 200, { tags: job.init.tags });
  }

  private runtimeCall(converse: boolean, modelId: string, raw: Buffer, res: ServerResponse): void {
    if (this.faults.isUnknownModel(modelId)) {
      return sendAwsError(res, 404, 'ResourceNotFoundException', `Could not resolve the foundation model from the model identifier ${modelId}. Check the model identifier and try again.`);
    }
    const body = parseJsonObject(raw);
    if (body === null) return sendAwsError(res, 400, 'ValidationException', 'Malformed input request: the body is not a JSON object, please reformat your input and try again.');
    const outcome = runBedrockModel(modelId, body, converse, { failedOnce: this.failedOnce, ...this.faults.contentOverrides() });
    if (!outcome.ok) return sendAwsError(res, outcome.error.status, outcome.error.errorType, outcome.error.message);
    // InvokeModel repeats the token counts in headers (spec §5.6); Converse has them in `usage`.
    const headers: Record<string, string> = converse
      ? {}
      : {
          'x-amzn-bedrock-input-token-count': String(outcome.inputTokens),
          'x-amzn-bedrock-output-token-count': String(outcome.outputTokens),
          'x-amzn-bedrock-invocation-latency': '12',
        };
    sendJson(res, 200, outcome.body, headers);
  }

  private putObject(req: IncomingMessage, bucket: string, key: string, raw: Buffer, res: ServerResponse): void {
    if (!this.bucketExists(bucket)) return sendS3Error(res, 404, 'NoSuchBucket', 'The specified bucket does not exist', newRequestId());
    let data = raw;
    const encoding = String(req.headers['content-encoding'] ?? '');
    const sha = String(req.headers['x-amz-content-sha256'] ?? '');
    if (encoding.split(',').some((e) => e.trim() === 'aws-chunked') || sha.startsWith('STREAMING-')) {
      try {
        data = decodeAwsChunked(raw);
      } catch (err) {
        if (err instanceof ChunkedBodyError) return sendS3Error(res, 400, 'IncompleteBody', err.message, newRequestId());
        throw err;
      }
    }
    const declared = req.headers['x-amz-decoded-content-length'];
    if (typeof declared === 'string' && Number(declared) !== data.length) {
      return sendS3Error(res, 400, 'IncompleteBody', `You did not provide the number of bytes specified by the x-amz-decoded-content-length header (${declared}; got ${data.length}).`, newRequestId());
    }
    const stored = this.s3.put(bucket, key, data);
    res.writeHead(200, { etag: stored.etag, 'x-amz-request-id': newRequestId(), 'content-length': '0' });
    res.end();
  }

  private getObject(method: string, bucket: string, key: string, res: ServerResponse): void {
    if (!this.bucketExists(bucket)) return sendServiceError(res, 's3', method, 404, 'NoSuchBucket', 'NoSuchBucket', 'The specified bucket does not exist');
    const o = this.s3.get(bucket, key);
    if (!o) return sendServiceError(res, 's3', method, 404, 'NoSuchKey', 'NoSuchKey', 'The specified key does not exist.');
    const headers = {
      'content-type': 'application/octet-stream',
      etag: o.etag,
      'last-modified': new Date(o.lastModifiedMs).toUTCString(),
      'x-amz-request-id': newRequestId(),
    };
    if (method === 'HEAD') {
      res.writeHead(200, { ...headers, 'content-length': String(o.data.length) });
      res.end();
      return;
    }
    const truncate = o.data.length >= 2 ? this.faults.takeTruncateDownload() : 'none';
    sendDownload(res, o.data, truncate, headers);
  }

  private listObjects(bucket: string, url: URL, res: ServerResponse): void {
    if (!this.bucketExists(bucket)) return sendS3Error(res, 404, 'NoSuchBucket', 'The specified bucket does not exist', newRequestId());
    const q = url.searchParams;
    if (q.get('list-type') !== '2') return sendS3Error(res, 400, 'InvalidArgument', 'The emulator only lists with ListObjectsV2 (list-type=2).', newRequestId());
    const prefix = q.get('prefix') ?? '';
    const maxKeys = Math.min(1000, Math.max(0, Number(q.get('max-keys') ?? '1000') || 0));
    const continuationToken = q.get('continuation-token');
    const page = listPage(this.s3.keys(bucket, prefix), continuationToken, q.get('start-after'), maxKeys);
    sendXml(res, 200, listObjectsV2Xml(bucket, prefix, page, this.s3, maxKeys, continuationToken), { 'x-amz-request-id': newRequestId() });
  }
}

function randomAlnum(n: number): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  const bytes = randomBytes(n);
  let out = '';
  for (const b of bytes) out += alphabet[b % alphabet.length] ?? 'a';
  return out;
}

export async function startAwsEmulator(options: AwsEmulatorOptions = {}): Promise<RunningAwsEmulator> {
  const emulator = new AwsEmulator(options);
  const server = await listenEmulator(
    (req, res) => emulator.handle(req, res),
    (res, message) => sendAwsError(res, 500, 'InternalServerException', message),
    options,
  );
  return {
    ...emulatorHandle(server, emulator.state),
    objects: () => emulator.s3.all(),
    getObject: (bucket, key) => emulator.s3.get(bucket, key)?.data,
    putObject: (bucket, key, data) => {
      emulator.s3.put(bucket, key, typeof data === 'string' ? Buffer.from(data, 'utf8') : data);
    },
  };
}
