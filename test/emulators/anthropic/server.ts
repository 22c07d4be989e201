// The Anthropic Message Batches emulator's HTTP front (spec §3, §6): auth in both styles, both
// anthropic-version values, endpoint faults, the batch routes, the results stream, sync Messages,
// the control endpoints, and the public start/stop API.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { parseJsonObject, randomId } from '../shared/content';
import type { JsonObject } from '../shared/content';
import { RequestLog, emulatorHandle, handleControl, isControlPath, listenEmulator } from '../shared/emulatorServer';
import type { EmulatorHandle, EmulatorState } from '../shared/emulatorServer';
import { BodyTooLargeError, pathSegments, readBody, sendDownload, sendJsonBody } from '../shared/http';
import type { HeaderMap } from '../shared/http';
import { BatchRun, parseCreateBody } from './batchRun';
import type { ProcessingStatus, SharedMemory, TimeScale } from './batchRun';
import { API_VERSIONS, modelError, runFakeMessage } from './fakeMessages';
import type { ApiVersion, ModelError } from './fakeMessages';
import { FaultState, parseFaultConfig } from './faults';
import type { AnthropicRoute, EndpointFault, FaultConfig } from './faults';

export type { ProcessingStatus, TimeScale } from './batchRun';
export type { AnthropicRoute, EndpointFault, FaultConfig, ItemFault } from './faults';

export interface AnthropicEmulatorOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  host?: '127.0.0.1';
  /** Default 1000 ms in progress, 300 ms canceling. */
  timeScale?: TimeScale;
  faults?: FaultConfig;
  /** The only key accepted; by default any non-empty key is accepted. */
  apiKey?: string;
  /** At most this many requests per batch (spec §3.2: 100,000); lower it to test the cap cheaply. */
  maxRequests?: number;
}

export interface RequestLogEntry {
  method: string;
  path: string;
  query: string;
  /** How the request authenticated: `bearer` (SDK 1.x), `x-api-key` (older clients), or none. */
  auth: 'bearer' | 'x-api-key' | 'none';
  /** The anthropic-version header as sent ('' when missing). */
  version: string;
  status: number;
}

export interface BatchRecord {
  id: string;
  createSeq: number;
  /** createCalls() when this batch was made: 3 means the third POST attempt made it. */
  createAttempt: number;
  createdAtMs: number;
  status: ProcessingStatus;
  version: ApiVersion;
  customIds: string[];
  /** What GET /v1/messages/batches/{id} returns now. */
  object: JsonObject;
}

export interface RunningAnthropicEmulator extends EmulatorHandle<FaultConfig, BatchRecord, RequestLogEntry> {
  /** http://127.0.0.1:PORT, the SDK's `baseURL` (its paths already start with /v1). */
  url: string;
  /** POST /v1/messages/batches requests that passed auth, faulted ones included. */
  createCalls(): number;
}

export const DEFAULT_TIME_SCALE: TimeScale = { inProgressMs: 1000, cancelingMs: 300 };

/** Spec §3.2: 256 MB per create; a little slack for the JSON framing. */
const MAX_BODY_BYTES = 256 * 1024 * 1024 + 1024 * 1024;
const MAX_REQUESTS = 100_000;

function matchRoute(method: string, pathname: string): { route: AnthropicRoute; id: string } | null {
  const segments = pathSegments(pathname);
  if (segments === null) return null;
  const [v1, messages, batches, id, tail] = segments;
  if (v1 !== 'v1' || messages !== 'messages') return null;
  if (segments.length === 2 && method === 'POST') return { route: 'POST /v1/messages', id: '' };
  if (batches !== 'batches') return null;
  if (segments.length === 3) {
    if (method === 'POST') return { route: 'POST /v1/messages/batches', id: '' };
    if (method === 'GET') return { route: 'GET /v1/messages/batches', id: '' };
    return null;
  }
  if (id === undefined) return null;
  if (segments.length === 4) {
    if (method === 'GET') return { route: 'GET /v1/messages/batches/{id}', id };
    if (method === 'DELETE') return { route: 'DELETE /v1/messages/batches/{id}', id };
    return null;
  }
  if (segments.length === 5 && tail === 'cancel' && method === 'POST') return { route: 'POST /v1/messages/batches/{id}/cancel', id };
  if (segments.length === 5 && tail === 'results' && method === 'GET') return { route: 'GET /v1/messages/batches/{id}/results', id };
  return null;
}

/** Anthropic's error body (spec §3.5), with the `request-id` header mirroring its request_id. */
function sendError(res: ServerResponse, error: ModelError, headers: HeaderMap = {}): void {
  const requestId = randomId('req_', 12);
  sendJsonBody(res, error.status, { type: 'error', error: error.error, request_id: requestId }, { 'request-id': requestId, ...headers });
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  sendJsonBody(res, status, body, { 'request-id': randomId('req_', 12) });
}

function retryHeaders(retryAfter: number | null | undefined, retryAfterMs: number | null | undefined): HeaderMap {
  const headers: HeaderMap = {};
  if (retryAfter !== undefined && retryAfter !== null) headers['retry-after'] = String(retryAfter);
  if (retryAfterMs !== null) headers['retry-after-ms'] = String(retryAfterMs ?? 1);
  return headers;
}

function sendEndpointFault(res: ServerResponse, fault: EndpointFault): void {
  const headers = retryHeaders(fault.retryAfter, fault.retryAfterMs);
  const error =
    fault.status === 429
      ? modelError('rate_limit_error', 'Number of requests has exceeded your rate limit. Please try again later.')
      : fault.status === 529
        ? modelError('overloaded_error', 'Overloaded')
        : fault.status === 503
          ? { status: 503, error: { type: 'api_error', message: 'Service unavailable' } }
          : modelError('api_error', 'Internal server error');
  sendError(res, error, headers);
}

/** The queue-full refusal of spec §3.5: an ordinary-looking 429 whose words name the queue. */
export const QUEUE_FULL_MESSAGE =
  'Your organization has reached the limit of requests waiting in the Message Batches processing queue. Please try again once some batches have ended.';

function presentedAuth(req: IncomingMessage): { kind: 'bearer' | 'x-api-key'; key: string } | null {
  const apiKey = req.headers['x-api-key'];
  if (typeof apiKey === 'string' && apiKey.trim() !== '') return { kind: 'x-api-key', key: apiKey.trim() };
  const auth = req.headers['authorization'];
  if (typeof auth === 'string') {
    const m = /^Bearer\s+(\S.*)$/i.exec(auth.trim());
    if (m?.[1]) return { kind: 'bearer', key: m[1].trim() };
  }
  return null;
}

/** Anthropic's list page: newest first; `after_id` walks to older batches, `before_id` to newer ones. */
function idPage(newestFirst: readonly BatchRun[], afterId: string | null, beforeId: string | null, limit: number): { data: BatchRun[]; has_more: boolean } {
  if (beforeId !== null) {
    const end = newestFirst.findIndex((b) => b.id === beforeId);
    const stop = end < 0 ? 0 : end;
    const start = Math.max(0, stop - limit);
    return { data: newestFirst.slice(start, stop), has_more: start > 0 };
  }
  let start = 0;
  if (afterId !== null) {
    const i = newestFirst.findIndex((b) => b.id === afterId);
    start = i < 0 ? newestFirst.length : i + 1;
  }
  const data = newestFirst.slice(start, start + limit);
  return { data, has_more: start + limit < newestFirst.length };
}

class Emulator {
  readonly faults = new FaultState();
  readonly batches: BatchRun[] = [];
  readonly byId = new Map<string, BatchRun>();
  readonly memory: SharedMemory = { failedOnce: new Set(), cache: new Set() };
  readonly log = new RequestLog<RequestLogEntry>();
  createCalls = 0;
  readonly state: EmulatorState<FaultConfig, BatchRecord, RequestLogEntry> = {
    faults: this.faults,
    parseFaults: parseFaultConfig,
    log: this.log,
    batches: () => this.batchRecords(),
    createCalls: () => this.createCalls,
    reset: () => this.reset(),
  };
  origin = '';
  private readonly createAttempts = new Map<string, number>();
  private readonly timeScale: TimeScale;
  private readonly apiKey: string | undefined;
  private readonly maxRequests: number;

  constructor(options: AnthropicEmulatorOptions) {
    this.timeScale = options.timeScale ?? DEFAULT_TIME_SCALE;
    this.apiKey = options.apiKey;
    this.maxRequests = options.maxRequests ?? MAX_REQUESTS;
    if (options.faults) this.faults.set(parseFaultConfig(options.faults));
  }

  reset(): void {
    this.batches.length = 0;
    this.byId.clear();
    this.memory.failedOnce.clear();
    this.memory.cache.clear();
    this.faults.set({});
    this.log.clear();
    this.createAttempts.clear();
    this.createCalls = 0;
  }

  batchRecords(): BatchRecord[] {
    const now = Date.now();
    return this.batches.map((b) => {
      b.advance(now);
      return {
        id: b.id,
        createSeq: b.createSeq,
        createAttempt: this.createAttempts.get(b.id) ?? 0,
        createdAtMs: b.createdAtMs,
        status: b.status,
        version: b.version,
        customIds: b.customIds(),
        object: b.toJSON(),
      };
    });
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? 'GET';
    const url = new URL(req.url ?? '/', 'http://emulator.invalid');
    const auth = presentedAuth(req);
    const versionHeader = req.headers['anthropic-version'];
    const version = typeof versionHeader === 'string' ? versionHeader.trim() : '';
    this.log.record({ method, path: url.pathname, query: url.search.slice(1), auth: auth?.kind ?? 'none', version, status: 0 }, res);

    if (isControlPath(url.pathname)) {
      return handleControl(method, url.pathname, req, res, this.state, {
        maxBodyBytes: 16 * 1024 * 1024,
        sendJson,
        sendError: (r, status, message) => sendError(r, modelError(status === 400 ? 'invalid_request_error' : 'not_found_error', message)),
      });
    }

    if (auth === null) return sendError(res, modelError('authentication_error', 'x-api-key header is required'));
    if (this.apiKey !== undefined && auth.key !== this.apiKey) return sendError(res, modelError('authentication_error', 'invalid x-api-key'));
    if (version === '') return sendError(res, modelError('invalid_request_error', 'anthropic-version: header is required'));
    if (!(API_VERSIONS as readonly string[]).includes(version)) {
      return sendError(res, modelError('invalid_request_error', `anthropic-version: '${version}' is not a supported version (${API_VERSIONS.join(', ')})`));
    }
    const match = matchRoute(method, url.pathname);
    if (match === null) return sendError(res, modelError('not_found_error', `Not found: ${method} ${url.pathname}`));

    const declared = Number(req.headers['content-length'] ?? '0');
    if (declared > MAX_BODY_BYTES) return sendError(res, modelError('request_too_large', `Request exceeds the maximum allowed number of bytes (${MAX_BODY_BYTES}).`), { connection: 'close' });
    let raw: Buffer;
    try {
      // Read the body before injecting a fault, so the connection stays reusable for a retry.
      raw = await readBody(req, MAX_BODY_BYTES);
    } catch (err) {
      if (err instanceof BodyTooLargeError) return sendError(res, modelError('request_too_large', err.message), { connection: 'close' });
      throw err;
    }

    if (match.route === 'POST /v1/messages/batches') this.createCalls++;
    const fault = this.faults.takeEndpointFault(match.route);
    if (fault) return sendEndpointFault(res, fault);

    switch (match.route) {
      case 'POST /v1/messages/batches':
        return this.createBatch(raw, version as ApiVersion, res);
      case 'GET /v1/messages/batches':
        return this.listBatches(url, res);
      case 'GET /v1/messages/batches/{id}':
        return this.withBatch(match.id, res, (b) => sendJson(res, 200, b.toJSON()));
      case 'POST /v1/messages/batches/{id}/cancel':
        return this.withBatch(match.id, res, (b) => {
          // Emulator choice (spec silent): cancelling an ended batch is a 400 that changes nothing.
          if (!b.cancel(Date.now())) return sendError(res, modelError('invalid_request_error', `Batch ${b.id} has already ended and cannot be canceled.`));
          sendJson(res, 200, b.toJSON());
        });
      case 'DELETE /v1/messages/batches/{id}':
        return this.withBatch(match.id, res, (b) => {
          if (b.status !== 'ended') return sendError(res, modelError('invalid_request_error', `Batch ${b.id} is still processing; cancel it before deleting it.`));
          this.batches.splice(this.batches.indexOf(b), 1);
          this.byId.delete(b.id);
          sendJson(res, 200, { id: b.id, type: 'message_batch_deleted' });
        });
      case 'GET /v1/messages/batches/{id}/results':
        return this.withBatch(match.id, res, (b) => {
          if (b.results === null) {
            // Emulator choice (spec silent): results before the end are a 400.
            return sendError(res, modelError('invalid_request_error', `Batch ${b.id} is still ${b.status}; results are available once processing has ended.`));
          }
          this.sendResults(b.results, res);
        });
      case 'POST /v1/messages':
        return this.syncMessage(raw, version as ApiVersion, res);
    }
  }

  private withBatch(id: string, res: ServerResponse, fn: (b: BatchRun) => void): void {
    const b = this.byId.get(id);
    if (!b) return sendError(res, modelError('not_found_error', `message_batch ${id} not found`));
    b.advance(Date.now());
    fn(b);
  }

  private createBatch(raw: Buffer, version: ApiVersion, res: ServerResponse): void {
    const body = parseJsonObject(raw);
    if (body === null) return sendError(res, modelError('invalid_request_error', 'There was an issue with your request body: it is not valid JSON.'));
    const parsed = parseCreateBody(body, this.maxRequests);
    if (!parsed.ok) return sendError(res, parsed.error);
    if (this.faults.takeFailValidation()) {
      return sendError(res, modelError('invalid_request_error', 'requests.0.params: the request failed validation (emulated by the failValidation fault)'));
    }
    if (this.faults.takeCapacityRefusal()) {
      // Spec §3.5: a cap on requests waiting in the processing queue. Nothing is made.
      return sendError(res, modelError('rate_limit_error', QUEUE_FULL_MESSAGE), retryHeaders(60, 1));
    }
    const batch = new BatchRun(
      {
        id: randomId('msgbatch_', 12),
        items: parsed.items,
        createdAtMs: Date.now(),
        createSeq: this.batches.length + 1,
        version,
        faults: this.faults.snapshotForBatch(),
        timeScale: this.timeScale,
        origin: this.origin,
      },
      this.memory,
    );
    this.batches.push(batch);
    this.byId.set(batch.id, batch);
    this.createAttempts.set(batch.id, this.createCalls);
    sendJson(res, 200, batch.toJSON());
  }

  private listBatches(url: URL, res: ServerResponse): void {
    const rawLimit = url.searchParams.get('limit');
    const limit = rawLimit === null ? 20 : Number(rawLimit);
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) return sendError(res, modelError('invalid_request_error', 'limit: Input should be between 1 and 1000'));
    const newestFirst = this.batches.slice().reverse();
    const page = idPage(newestFirst, url.searchParams.get('after_id'), url.searchParams.get('before_id'), limit);
    const now = Date.now();
    const data = page.data.map((b) => {
      b.advance(now);
      return b.toJSON();
    });
    sendJson(res, 200, { data, has_more: page.has_more, first_id: page.data[0]?.id ?? null, last_id: page.data.at(-1)?.id ?? null });
  }

  private sendResults(data: Buffer, res: ServerResponse): void {
    const truncate = data.length >= 2 ? this.faults.takeTruncateDownload() : 'none';
    sendDownload(res, data, truncate, { 'content-type': 'application/binary', 'request-id': randomId('req_', 12) });
  }

  private syncMessage(raw: Buffer, version: ApiVersion, res: ServerResponse): void {
    const body = parseJsonObject(raw);
    if (body === null) return sendError(res, modelError('invalid_request_error', 'There was an issue with your request body: it is not valid JSON.'));
    const outcome = runFakeMessage(body, { ...this.memory, ...this.faults.contentOverrides(), version, serviceTier: 'standard' });
    if (outcome.ok) return sendJson(res, 200, outcome.message);
    const retryable = outcome.error.status === 429 || outcome.error.status >= 500;
    // retry-after-ms: 1 lets an SDK with retries on retry at once (spec §6.6); retry-after is what the real API sends.
    sendError(res, outcome.error, retryable ? retryHeaders(1, 1) : {});
  }
}

export async function startAnthropicEmulator(options: AnthropicEmulatorOptions = {}): Promise<RunningAnthropicEmulator> {
  const emulator = new Emulator(options);
  const server = await listenEmulator(
    (req, res) => emulator.handle(req, res),
    (res, message) => sendError(res, modelError('api_error', message)),
    options,
  );
  emulator.origin = server.url;
  return emulatorHandle(server, emulator.state);
}
