// The emulator's HTTP front: path-prefix normalisation (OpenAI /v1, Azure dated and v1 styles),
// auth, endpoint fault injection, the control endpoints, and the public start/stop API.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { BatchRun, enqueuedTokenLimitError, firstModelOf, isAllowedEndpoint } from './batchRunner';
import type { BatchStatus, Flavor, TimeScale } from './batchRunner';
import { FaultState, parseFaultConfig } from './faults';
import type { EmulatorRoute, EndpointFault, FaultConfig } from './faults';
import { isJsonObject, modelEndpointOf, randomId, runFakeModel } from './fakeModel';
import type { JsonObject } from './fakeModel';
import { BodyTooLargeError, readBody, sendError, sendJson, sendModelError } from './http';
import { MultipartError, multipartBoundary, parseMultipart } from './multipart';
import { Store, cursorPage, fileObject } from './store';
import type { StoredFile } from './store';
import { RequestLog, emulatorHandle, handleControl, isControlPath, listenEmulator } from '../shared/emulatorServer';
import type { EmulatorHandle, EmulatorState } from '../shared/emulatorServer';
import { parseJsonObject } from '../shared/content';
import { pathSegments, sendDownload } from '../shared/http';

export type { BatchStatus, Flavor, TimeScale } from './batchRunner';
export type { EmulatorRoute, EndpointFault, FaultConfig, ItemFault } from './faults';

export interface EmulatorOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  host?: '127.0.0.1';
  /** Default 300/700/300 ms, so a batch finishes in about 1.3 s. */
  timeScale?: TimeScale;
  faults?: FaultConfig;
  /** The only key accepted; by default any non-empty key is accepted. */
  apiKey?: string;
}

export interface RequestLogEntry {
  method: string;
  /** The path as received, without the query string. */
  path: string;
  /** The raw query string without `?` ('' when none), e.g. `limit=10&after=batch_…` or `api-version=…`. */
  query: string;
  /** The response status, once the response has been sent (0 until then). */
  status: number;
}

export interface BatchRecord {
  id: string;
  flavor: Flavor;
  endpoint: string;
  inputFileId: string;
  metadata: Record<string, string> | null;
  /** 1-based position among batches actually created (faulted create attempts don't count). */
  createSeq: number;
  /** Value of createCalls() when this batch was created: 3 means the third POST /batches attempt made it. */
  createAttempt: number;
  createdAtMs: number;
  status: BatchStatus;
  model: string | null;
  outputFileId: string | null;
  errorFileId: string | null;
  /** What GET /batches/{id} returns now (OpenAI shape, regardless of azureVariants). */
  object: JsonObject;
}

export interface RunningEmulator extends EmulatorHandle<FaultConfig, BatchRecord, RequestLogEntry> {
  /** url + '/v1', for `new OpenAI({ baseURL })`. */
  openaiBaseUrl: string;
  /** url, for `new AzureOpenAI({ endpoint })` (the SDK appends `/openai`). */
  azureEndpoint: string;
  /** POST /batches requests that passed auth, including ones answered by an injected fault. */
  createCalls(): number;
  /** Drops files, batches, faults, the request log, the fail-once memory and the counters. */
  reset(): void;
}

export const DEFAULT_TIME_SCALE: TimeScale = { validatingMs: 300, inProgressMs: 700, finalizingMs: 300 };

/** Spec §1.5: ≤512 MB per uploaded file; a little slack covers the multipart framing. */
const MAX_UPLOAD_BYTES = 512 * 1024 * 1024 + 1024 * 1024;
const MAX_JSON_BYTES = 64 * 1024 * 1024;
const FILE_PURPOSES = new Set(['assistants', 'batch', 'fine-tune', 'vision', 'user_data', 'evals']);
const THIRTY_DAYS_SEC = 30 * 86_400;

interface ResolvedPath {
  flavor: Flavor;
  /** Azure's dated style (`/openai/...?api-version=`), which requires the api-version query. */
  azureDated: boolean;
  /** The path after the prefix, e.g. `/batches/batch_123`. */
  rest: string;
}

/** Maps every supported prefix onto the same handlers (spec §1.8, §2.1). */
function resolvePrefix(pathname: string): ResolvedPath {
  if (pathname.startsWith('/openai/v1/')) return { flavor: 'azure', azureDated: false, rest: pathname.slice('/openai/v1'.length) };
  const deployment = /^\/openai\/deployments\/[^/]+(\/.*)$/.exec(pathname);
  if (deployment?.[1]) return { flavor: 'azure', azureDated: true, rest: deployment[1] };
  if (pathname.startsWith('/openai/')) return { flavor: 'azure', azureDated: true, rest: pathname.slice('/openai'.length) };
  if (pathname.startsWith('/v1/')) return { flavor: 'openai', azureDated: false, rest: pathname.slice('/v1'.length) };
  return { flavor: 'openai', azureDated: false, rest: pathname };
}

function matchRoute(method: string, rest: string): { route: EmulatorRoute; id: string } | null {
  const segments = pathSegments(rest);
  if (segments === null) return null;
  const [a, b, c] = segments;
  const id = b ?? '';
  switch (segments.length) {
    case 1:
      if (a === 'files' && method === 'POST') return { route: 'POST /files', id };
      if (a === 'files' && method === 'GET') return { route: 'GET /files', id };
      if (a === 'batches' && method === 'POST') return { route: 'POST /batches', id };
      if (a === 'batches' && method === 'GET') return { route: 'GET /batches', id };
      if (a === 'responses' && method === 'POST') return { route: 'POST /responses', id };
      if (a === 'embeddings' && method === 'POST') return { route: 'POST /embeddings', id };
      return null;
    case 2:
      if (a === 'files' && method === 'GET') return { route: 'GET /files/{id}', id };
      if (a === 'files' && method === 'DELETE') return { route: 'DELETE /files/{id}', id };
      if (a === 'batches' && method === 'GET') return { route: 'GET /batches/{id}', id };
      if (a === 'chat' && b === 'completions' && method === 'POST') return { route: 'POST /chat/completions', id: '' };
      return null;
    case 3:
      if (a === 'files' && c === 'content' && method === 'GET') return { route: 'GET /files/{id}/content', id };
      if (a === 'batches' && c === 'cancel' && method === 'POST') return { route: 'POST /batches/{id}/cancel', id };
      return null;
    default:
      return null;
  }
}

const invalidRequest = 'invalid_request_error';

function sendEndpointFault(res: ServerResponse, fault: EndpointFault): void {
  const headers: Record<string, string> = {};
  const retryAfter = fault.retryAfter === undefined ? 0 : fault.retryAfter;
  if (retryAfter !== null) headers['retry-after'] = String(retryAfter);
  if (fault.status === 429) {
    sendError(res, 429, 'Rate limit reached for requests. Please try again later.', 'requests', null, 'rate_limit_exceeded', headers);
  } else if (fault.status === 503) {
    sendError(res, 503, 'The server is overloaded or not ready yet.', 'server_error', null, null, headers);
  } else {
    sendError(res, 500, 'The server had an error while processing your request. Sorry about that!', 'server_error', null, 'server_error', headers);
  }
}

function sendUnparsableJson(res: ServerResponse): void {
  sendError(
    res,
    400,
    "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. The OpenAI API expects a JSON payload.)",
    invalidRequest,
  );
}

/** Parses `limit` the way the API does: an integer within [1, max], else a 400. */
function parseLimit(raw: string | null, fallback: number, max: number): number | null {
  if (raw === null) return fallback;
  const n = Number(raw);
  return Number.isInteger(n) && n >= 1 && n <= max ? n : null;
}

class Emulator {
  readonly store = new Store();
  readonly faults = new FaultState();
  readonly log = new RequestLog<RequestLogEntry>();
  readonly state: EmulatorState<FaultConfig, BatchRecord, RequestLogEntry> = {
    faults: this.faults,
    parseFaults: parseFaultConfig,
    log: this.log,
    batches: () => this.batchRecords(),
    createCalls: () => this.store.createCalls,
    reset: () => this.reset(),
  };
  private readonly timeScale: TimeScale;
  private readonly apiKey: string | undefined;
  /** createCalls() at the moment each batch was created, by batch id. */
  private readonly createAttempts = new Map<string, number>();

  constructor(options: EmulatorOptions) {
    this.timeScale = options.timeScale ?? DEFAULT_TIME_SCALE;
    this.apiKey = options.apiKey;
    if (options.faults) this.faults.set(parseFaultConfig(options.faults));
  }

  reset(): void {
    this.store.clear();
    this.faults.set({});
    this.log.clear();
    this.createAttempts.clear();
  }

  batchRecords(): BatchRecord[] {
    const now = Date.now();
    return this.store.batches.map((b) => {
      b.advance(now);
      return {
        id: b.id,
        flavor: b.flavor,
        endpoint: b.endpoint,
        inputFileId: b.inputFileId,
        metadata: b.metadata,
        createSeq: b.createSeq,
        createAttempt: this.createAttempts.get(b.id) ?? 0,
        createdAtMs: b.createdAtMs,
        status: b.status,
        model: b.model,
        outputFileId: b.outputFileId,
        errorFileId: b.errorFileId,
        object: b.toJSON(false),
      };
    });
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? 'GET';
    const url = new URL(req.url ?? '/', 'http://emulator.invalid');
    this.log.record({ method, path: url.pathname, query: url.search.slice(1), status: 0 }, res);

    if (isControlPath(url.pathname)) {
      return handleControl(method, url.pathname, req, res, this.state, {
        maxBodyBytes: MAX_JSON_BYTES,
        sendJson: (r, status, body) => sendJson(r, status, body),
        sendError: (r, status, message) => sendError(r, status, message, invalidRequest),
      });
    }

    const resolved = resolvePrefix(url.pathname);
    const key = presentedKey(req);
    if (key === null) {
      return sendError(
        res,
        401,
        "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY), or as the api-key header for Azure.",
        invalidRequest,
      );
    }
    if (this.apiKey !== undefined && key !== this.apiKey) {
      return sendError(res, 401, `Incorrect API key provided: ${key.slice(0, 3)}***.`, invalidRequest, null, 'invalid_api_key');
    }
    const match = matchRoute(method, resolved.rest);
    if (match === null) return sendError(res, 404, `Invalid URL (${method} ${url.pathname})`, invalidRequest);
    if (resolved.azureDated && !url.searchParams.has('api-version')) {
      // Azure's answer to a dated-style call without api-version.
      return sendJson(res, 404, { error: { code: '404', message: 'Resource not found' } });
    }

    const limit = match.route === 'POST /files' ? MAX_UPLOAD_BYTES : MAX_JSON_BYTES;
    const declared = Number(req.headers['content-length'] ?? '0');
    if (declared > limit) {
      return sendError(res, 413, `Request body too large; the limit is ${limit} bytes.`, invalidRequest, null, 'file_too_large', { connection: 'close' });
    }
    let body: Buffer;
    try {
      // Read the body before injecting a fault, so the connection stays reusable for the retry.
      body = await readBody(req, limit);
    } catch (err) {
      if (err instanceof BodyTooLargeError) {
        return sendError(res, 413, err.message, invalidRequest, null, 'file_too_large', { connection: 'close' });
      }
      throw err;
    }

    if (match.route === 'POST /batches') this.store.createCalls++;
    const fault = this.faults.takeEndpointFault(match.route);
    if (fault) return sendEndpointFault(res, fault);

    switch (match.route) {
      case 'POST /files':
        return this.uploadFile(req, body, res);
      case 'GET /files':
        return this.listFiles(url, res);
      case 'GET /files/{id}':
        return this.withFile(match.id, res, (f) => sendJson(res, 200, fileObject(f)));
      case 'GET /files/{id}/content':
        return this.withFile(match.id, res, (f) => this.sendContent(f.data, res));
      case 'DELETE /files/{id}':
        return this.withFile(match.id, res, (f) => {
          this.store.files.delete(f.id);
          sendJson(res, 200, { id: f.id, object: 'file', deleted: true });
        });
      case 'POST /batches':
        return this.createBatch(resolved.flavor, body, res);
      case 'GET /batches':
        return this.listBatches(url, res);
      case 'GET /batches/{id}':
        return this.withBatch(match.id, res, (b) => {
          b.advance(Date.now());
          sendJson(res, 200, b.toJSON(this.faults.azureVariants()));
        });
      case 'POST /batches/{id}/cancel':
        return this.withBatch(match.id, res, (b) => {
          const result = b.cancel(Date.now());
          if (!result.ok) return sendError(res, 400, `Cannot cancel a batch with status '${result.status}'.`, invalidRequest);
          sendJson(res, 200, b.toJSON(this.faults.azureVariants()));
        });
      case 'POST /chat/completions':
      case 'POST /responses':
      case 'POST /embeddings':
        return this.syncModelCall(match.route, resolved.flavor, body, res);
    }
  }

  private withFile(id: string, res: ServerResponse, fn: (f: StoredFile) => void): void {
    const f = this.store.files.get(id);
    if (!f) return sendError(res, 404, `No such File object: ${id}`, invalidRequest, 'id');
    fn(f);
  }

  private withBatch(id: string, res: ServerResponse, fn: (b: BatchRun) => void): void {
    const b = this.store.getBatch(id);
    if (!b) return sendError(res, 404, `No such Batch object: ${id}`, invalidRequest, 'batch_id');
    fn(b);
  }

  private uploadFile(req: IncomingMessage, body: Buffer, res: ServerResponse): void {
    const boundary = multipartBoundary(req.headers['content-type']);
    if (boundary === null) {
      return sendError(res, 400, `Invalid Content-Type header (${req.headers['content-type'] ?? 'none'}), expected multipart/form-data.`, invalidRequest);
    }
    let parts;
    try {
      parts = parseMultipart(body, boundary);
    } catch (err) {
      if (err instanceof MultipartError) return sendError(res, 400, `Malformed multipart body: ${err.message}`, invalidRequest);
      throw err;
    }
    const field = (name: string): string | undefined => parts.find((p) => p.name === name && p.filename === null)?.data.toString('utf8');
    const file = parts.find((p) => p.name === 'file');
    const purpose = field('purpose');
    if (!file) return sendError(res, 400, "Missing required parameter: 'file'.", invalidRequest, 'file', 'missing_required_parameter');
    if (purpose === undefined) return sendError(res, 400, "Missing required parameter: 'purpose'.", invalidRequest, 'purpose', 'missing_required_parameter');
    if (!FILE_PURPOSES.has(purpose)) {
      return sendError(res, 400, `Invalid value for 'purpose': '${purpose}'.`, invalidRequest, 'purpose', 'invalid_value');
    }
    const nowSec = Math.floor(Date.now() / 1000);
    let expiresAt: number | null = purpose === 'batch' ? nowSec + THIRTY_DAYS_SEC : null;
    const anchor = field('expires_after[anchor]');
    const seconds = field('expires_after[seconds]');
    if (anchor !== undefined || seconds !== undefined) {
      const s = Number(seconds);
      if (anchor !== 'created_at' || !Number.isInteger(s) || s < 3600 || s > 2_592_000) {
        return sendError(res, 400, "Invalid 'expires_after': anchor must be 'created_at' and seconds between 3600 and 2592000.", invalidRequest, 'expires_after', 'invalid_value');
      }
      expiresAt = nowSec + s;
    }
    const stored = this.store.addFile(file.data, file.filename ?? 'upload', purpose, nowSec, expiresAt);
    sendJson(res, 200, fileObject(stored));
  }

  private listFiles(url: URL, res: ServerResponse): void {
    const limit = parseLimit(url.searchParams.get('limit'), 10_000, 10_000);
    if (limit === null) return sendError(res, 400, "Invalid 'limit': must be an integer between 1 and 10000.", invalidRequest, 'limit', 'invalid_value');
    const purpose = url.searchParams.get('purpose');
    const all = [...this.store.files.values()].filter((f) => purpose === null || f.purpose === purpose);
    // Map insertion order is upload order; the API's default `order` is desc.
    if (url.searchParams.get('order') !== 'asc') all.reverse();
    const page = cursorPage(all, url.searchParams.get('after'), limit);
    sendJson(res, 200, { ...page, data: page.data.map(fileObject) });
  }

  private sendContent(data: Buffer, res: ServerResponse): void {
    const truncate = data.length >= 2 ? this.faults.takeTruncateDownload() : 'none';
    sendDownload(res, data, truncate, { 'content-type': 'application/octet-stream', 'x-request-id': randomId('req_', 16) });
  }

  private createBatch(flavor: Flavor, raw: Buffer, res: ServerResponse): void {
    const body = parseJsonObject(raw);
    if (body === null) return sendUnparsableJson(res);
    const inputFileId = body['input_file_id'];
    const endpoint = body['endpoint'];
    const window = body['completion_window'];
    const metadata = body['metadata'];
    if (typeof inputFileId !== 'string' || inputFileId === '') {
      return sendError(res, 400, "Missing required parameter: 'input_file_id'.", invalidRequest, 'input_file_id', 'missing_required_parameter');
    }
    if (typeof endpoint !== 'string') {
      return sendError(res, 400, "Missing required parameter: 'endpoint'.", invalidRequest, 'endpoint', 'missing_required_parameter');
    }
    if (!isAllowedEndpoint(endpoint, flavor)) {
      return sendError(res, 400, `Invalid value for 'endpoint': '${endpoint}'.`, invalidRequest, 'endpoint', 'invalid_value');
    }
    if (window !== '24h') {
      return sendError(res, 400, `Invalid value for 'completion_window': '${String(window)}'. Supported values are: '24h'.`, invalidRequest, 'completion_window', 'invalid_value');
    }
    let meta: Record<string, string> | null = null;
    if (metadata !== undefined && metadata !== null) {
      const problem = metadataProblem(metadata);
      if (problem !== null) return sendError(res, 400, `Invalid 'metadata': ${problem}`, invalidRequest, 'metadata', 'invalid_value');
      meta = { ...(metadata as Record<string, string>) };
    }
    let outputExpiresAfterSec: number | null = null;
    const oea = body['output_expires_after'];
    if (oea !== undefined && oea !== null) {
      const seconds = isJsonObject(oea) ? oea['seconds'] : undefined;
      if (!isJsonObject(oea) || oea['anchor'] !== 'created_at' || typeof seconds !== 'number' || seconds < 3600 || seconds > 2_592_000) {
        return sendError(res, 400, "Invalid 'output_expires_after'.", invalidRequest, 'output_expires_after', 'invalid_value');
      }
      outputExpiresAfterSec = seconds;
    }
    const file = this.store.files.get(inputFileId);
    if (!file) {
      return sendError(res, 400, `Invalid 'input_file_id': no file with id '${inputFileId}' exists.`, invalidRequest, 'input_file_id', 'file_not_found');
    }
    if (file.purpose !== 'batch') {
      return sendError(res, 400, `File '${inputFileId}' has purpose '${file.purpose}'; batch input files must have purpose 'batch'.`, invalidRequest, 'input_file_id', 'invalid_value');
    }
    const refusal = this.faults.takeCapacityRefusal();
    if (refusal?.failFast) {
      // Azure's fail-fast regions check an approximate token count at create: a 400 the SDK does
      // not retry (BadRequestError, code token_limit_exceeded), and no batch is made (§2.3).
      const refused = enqueuedTokenLimitError(flavor, firstModelOf(file.data), refusal.limitTokens);
      return sendError(res, 400, refused.message, invalidRequest, null, refused.code);
    }
    const batch = new BatchRun(
      {
        id: randomId('batch_', 12),
        flavor,
        endpoint,
        inputFileId,
        inputData: file.data,
        metadata: meta,
        createdAtMs: Date.now(),
        createSeq: this.store.batches.length + 1,
        faults: this.faults.snapshotForBatch(refusal),
        timeScale: this.timeScale,
        outputExpiresAfterSec,
      },
      this.store,
    );
    this.store.addBatch(batch);
    this.createAttempts.set(batch.id, this.store.createCalls);
    sendJson(res, 200, batch.toJSON(this.faults.azureVariants()));
  }

  private listBatches(url: URL, res: ServerResponse): void {
    const limit = parseLimit(url.searchParams.get('limit'), 20, 100);
    if (limit === null) return sendError(res, 400, "Invalid 'limit': must be an integer between 1 and 100.", invalidRequest, 'limit', 'invalid_value');
    const newestFirst = this.store.batches.slice().reverse();
    const page = cursorPage(newestFirst, url.searchParams.get('after'), limit);
    const now = Date.now();
    const azure = this.faults.azureVariants();
    const data = page.data.map((b) => {
      b.advance(now);
      return b.toJSON(azure);
    });
    sendJson(res, 200, { ...page, data });
  }

  private syncModelCall(route: EmulatorRoute, flavor: Flavor, raw: Buffer, res: ServerResponse): void {
    const body = parseJsonObject(raw);
    if (body === null) return sendUnparsableJson(res);
    if (typeof body['model'] !== 'string') return sendError(res, 400, 'you must provide a model parameter', invalidRequest, 'model', 'missing_required_parameter');
    if (body['stream'] === true) return sendError(res, 400, 'Streaming is not supported by the emulator.', invalidRequest, 'stream', 'unsupported_value');
    if (route === 'POST /chat/completions' && !Array.isArray(body['messages'])) {
      return sendError(res, 400, "Missing required parameter: 'messages'.", invalidRequest, 'messages', 'missing_required_parameter');
    }
    const endpoint = modelEndpointOf(route.slice('POST '.length));
    if (endpoint === null) return sendError(res, 404, `Invalid URL (${route})`, invalidRequest);
    const outcome = runFakeModel(endpoint, body, {
      failedOnce: this.store.failedOnce,
      ...this.faults.contentOverrides(),
      azure: flavor === 'azure',
      nowSec: Math.floor(Date.now() / 1000),
    });
    if (outcome.ok) return sendJson(res, 200, outcome.body);
    // retry-after: 0 lets an SDK with retries enabled retry at once instead of backing off (§6.6).
    const retryable = outcome.error.status === 429 || outcome.error.status >= 500;
    sendModelError(res, outcome.error, retryable ? { 'retry-after': '0' } : {});
  }
}

function presentedKey(req: IncomingMessage): string | null {
  const auth = req.headers['authorization'];
  if (typeof auth === 'string') {
    const m = /^Bearer\s+(\S.*)$/i.exec(auth.trim());
    if (m?.[1]) return m[1].trim();
  }
  const apiKey = req.headers['api-key'];
  if (typeof apiKey === 'string' && apiKey.trim() !== '') return apiKey.trim();
  return null;
}

/** Spec §1.3: at most 16 pairs, string keys ≤64 chars, string values ≤512 chars. */
function metadataProblem(metadata: unknown): string | null {
  if (!isJsonObject(metadata)) return 'must be an object of string values';
  const entries = Object.entries(metadata);
  if (entries.length > 16) return `at most 16 pairs are allowed, got ${entries.length}`;
  for (const [k, v] of entries) {
    if (k.length > 64) return `key '${k.slice(0, 20)}…' is longer than 64 characters`;
    if (typeof v !== 'string') return `value of '${k}' must be a string`;
    if (v.length > 512) return `value of '${k}' is longer than 512 characters`;
  }
  return null;
}

export async function startOpenAiEmulator(options: EmulatorOptions = {}): Promise<RunningEmulator> {
  const emulator = new Emulator(options);
  const server = await listenEmulator(
    (req, res) => emulator.handle(req, res),
    (res, message) => sendError(res, 500, message, 'server_error'),
    options,
  );
  return { ...emulatorHandle(server, emulator.state), openaiBaseUrl: `${server.url}/v1`, azureEndpoint: server.url };
}
