// The Google emulator's HTTP front: one node:http server for the Gemini Developer API (`/v1/`,
// `/v1beta/`, resumable uploads, downloads), Vertex AI (`/v1beta1/` and `/v1/`
// `projects/…/locations/…/batchPredictionJobs`) and a path-style subset of the Cloud Storage
// JSON API (media upload, list with prefix, get alt=media), with auth, endpoint faults, the
// control endpoints and the public start/stop API (spec §4, §6).

import type { IncomingMessage, ServerResponse } from 'node:http';
import { GoogleBatch, inputTokensOf, parseInput, splitGsUri } from './batchRunner';
import type { Backend, BatchInit, BatchState, TimeScale } from './batchRunner';
import { errorBody, googleError, isKnownModel, runFakeModel } from './fakeModel';
import type { GoogleError } from './fakeModel';
import { FaultState, parseFaultConfig } from './faults';
import type { EndpointFault, FaultConfig, GoogleRoute } from './faults';
import { Store, gcsObjectJson, geminiFileJson, offsetPage } from './store';
import { isJsonObject, parseJsonObject, randomId } from '../shared/content';
import type { Json, JsonObject } from '../shared/content';
import { RequestLog, emulatorHandle, handleControl, isControlPath, listenEmulator } from '../shared/emulatorServer';
import type { EmulatorHandle, EmulatorState } from '../shared/emulatorServer';
import { BodyTooLargeError, readBody, sendDownload, sendJsonBody } from '../shared/http';
import type { HeaderMap } from '../shared/http';

export type { Backend, BatchState, TimeScale } from './batchRunner';
export type { EndpointFault, FaultConfig, GoogleRoute, ItemFault } from './faults';

export interface GoogleEmulatorOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  /** Default 300/700/300 ms. */
  timeScale?: TimeScale;
  faults?: FaultConfig;
  /** The only Gemini API key accepted (`x-goog-api-key` or `?key=`); by default any non-empty key. */
  apiKey?: string;
  /** The only OAuth bearer token Vertex and GCS accept; by default any non-empty token. */
  accessToken?: string;
}

export interface RequestLogEntry {
  method: string;
  /** The path as received, without the query string. */
  path: string;
  query: string;
  /** The route it matched (undefined for control endpoints and unknown paths). */
  route: GoogleRoute | undefined;
  status: number;
}

export interface BatchRecord {
  backend: Backend;
  id: string;
  name: string;
  displayName: string;
  model: string;
  state: BatchState;
  inputRef: string;
  /** `files/batch-…` (Gemini) or the GCS output directory (Vertex), once there is one. */
  resultRef: string | null;
  createdAtMs: number;
  /** Value of createCalls() when this batch was created. */
  createAttempt: number;
  /** What a GET returns now. */
  object: JsonObject;
}

export interface RunningGoogleEmulator extends EmulatorHandle<FaultConfig, BatchRecord, RequestLogEntry> {
  /** http://127.0.0.1:PORT — the `httpOptions.baseUrl` of both backends and the GCS base. */
  url: string;
  /** Batch create requests (both backends) that passed auth, including ones answered by a fault or a refusal. */
  createCalls(): number;
  /** A GCS object's bytes, or undefined. */
  object(bucket: string, name: string): Buffer | undefined;
  /** Object names under a prefix. */
  objectNames(bucket: string, prefix?: string): string[];
  /** Writes a GCS object directly (a test's "someone else's input"). */
  putObject(bucket: string, name: string, data: Buffer | string): void;
}

export const DEFAULT_TIME_SCALE: TimeScale = { validatingMs: 300, inProgressMs: 700, finalizingMs: 300 };

const MAX_UPLOAD_BYTES = 2 * 1024 * 1024 * 1024;
const MAX_JSON_BYTES = 64 * 1024 * 1024;
const DEFAULT_PROJECT = 'emulator-project';
const DEFAULT_LOCATION = 'us-central1';
/** Inline batch requests must total under 20 MB (spec §4.1). */
const MAX_INLINE_BYTES = 20_000_000;

interface Match {
  route: GoogleRoute;
  backend: Backend | 'gcs';
  /** Batch id, file id, model, bucket. */
  id: string;
  /** GCS object name; Vertex project/location. */
  object?: string;
  project?: string;
  location?: string;
  apiVersion?: string;
}

function decode(segment: string): string | null {
  try {
    return decodeURIComponent(segment);
  } catch {
    return null;
  }
}

/** Maps a path onto a route; null when nothing serves it. */
function matchRoute(method: string, pathname: string, query: URLSearchParams): Match | null {
  let m: RegExpExecArray | null;
  if (method === 'POST' && (m = /^\/upload\/(v1|v1beta)\/files$/.exec(pathname))) {
    return { route: 'POST /upload/files', backend: 'gemini', id: query.get('upload_id') ?? '', apiVersion: m[1] ?? '' };
  }
  if (method === 'POST' && (m = /^\/upload\/storage\/v1\/b\/([^/]+)\/o$/.exec(pathname))) {
    return { route: 'POST /upload/storage/v1/b/{bucket}/o', backend: 'gcs', id: decode(m[1] ?? '') ?? '' };
  }
  if (method === 'GET' && (m = /^\/storage\/v1\/b\/([^/]+)\/o$/.exec(pathname))) {
    return { route: 'GET /storage/v1/b/{bucket}/o', backend: 'gcs', id: decode(m[1] ?? '') ?? '' };
  }
  if (method === 'GET' && (m = /^\/(?:download\/)?storage\/v1\/b\/([^/]+)\/o\/(.+)$/.exec(pathname))) {
    const object = decode(m[2] ?? '');
    if (object === null) return null;
    return { route: 'GET /storage/v1/b/{bucket}/o/{object}', backend: 'gcs', id: decode(m[1] ?? '') ?? '', object };
  }
  if (method === 'GET' && (m = /^\/download\/(v1|v1beta)\/files\/([^/:]+):download$/.exec(pathname))) {
    return { route: 'GET /files/{id}:download', backend: 'gemini', id: m[2] ?? '', apiVersion: m[1] ?? '' };
  }
  m = /^\/(v1|v1beta|v1beta1)\/(.*)$/.exec(pathname);
  if (!m) return null;
  const apiVersion = m[1] ?? '';
  let rest = m[2] ?? '';
  const scoped = /^projects\/([^/]+)\/locations\/([^/]+)\/(.*)$/.exec(rest);
  let project: string | undefined;
  let location: string | undefined;
  if (scoped) {
    project = scoped[1];
    location = scoped[2];
    rest = scoped[3] ?? '';
  }
  const vertex = (route: GoogleRoute, id = ''): Match => ({ route, backend: 'vertex', id, project: project ?? DEFAULT_PROJECT, location: location ?? DEFAULT_LOCATION, apiVersion });
  const gemini = (route: GoogleRoute, id = ''): Match | null => (apiVersion === 'v1beta1' || scoped ? null : { route, backend: 'gemini', id, apiVersion });
  if (rest === 'batchPredictionJobs') return method === 'POST' ? vertex('POST /batchPredictionJobs') : method === 'GET' ? vertex('GET /batchPredictionJobs') : null;
  if ((m = /^batchPredictionJobs\/(\d+)(:cancel)?$/.exec(rest))) {
    const id = m[1] ?? '';
    if (m[2]) return method === 'POST' ? vertex('POST /batchPredictionJobs/{id}:cancel', id) : null;
    return method === 'GET' ? vertex('GET /batchPredictionJobs/{id}', id) : method === 'DELETE' ? vertex('DELETE /batchPredictionJobs/{id}', id) : null;
  }
  if (method === 'POST' && (m = /^publishers\/google\/models\/([^/:]+):generateContent$/.exec(rest))) {
    return vertex('POST /publishers/google/models/{model}:generateContent', decode(m[1] ?? '') ?? '');
  }
  if (method === 'POST' && (m = /^models\/([^/:]+):(batchGenerateContent|generateContent)$/.exec(rest))) {
    return gemini(m[2] === 'batchGenerateContent' ? 'POST /models/{model}:batchGenerateContent' : 'POST /models/{model}:generateContent', decode(m[1] ?? '') ?? '');
  }
  if (rest === 'batches' && method === 'GET') return gemini('GET /batches');
  if ((m = /^batches\/([^/:]+)(:cancel)?$/.exec(rest))) {
    const id = m[1] ?? '';
    if (m[2]) return method === 'POST' ? gemini('POST /batches/{id}:cancel', id) : null;
    return method === 'GET' ? gemini('GET /batches/{id}', id) : method === 'DELETE' ? gemini('DELETE /batches/{id}', id) : null;
  }
  if (method === 'GET' && (m = /^files\/([^/:]+)(:download)?$/.exec(rest))) {
    return gemini(m[2] ? 'GET /files/{id}:download' : 'GET /files/{id}', m[1] ?? '');
  }
  return null;
}

function sendError(res: ServerResponse, e: GoogleError, headers: HeaderMap = {}): void {
  sendJsonBody(res, e.code, errorBody(e), headers);
}

/** Google puts the wait in a RetryInfo detail; the header is sent too, for clients that read it. */
function retryDetails(seconds: number | null): { details: Json[]; headers: HeaderMap } {
  if (seconds === null) return { details: [], headers: {} };
  return { details: [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: `${seconds}s` }], headers: { 'retry-after': String(seconds) } };
}

function sendEndpointFault(res: ServerResponse, fault: EndpointFault): void {
  const { details, headers } = retryDetails(fault.retryAfter === undefined ? 0 : fault.retryAfter);
  const messages: Record<number, string> = {
    400: 'Request contains an invalid argument.',
    401: 'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.',
    403: 'The caller does not have permission',
    404: 'Requested entity was not found.',
    429: 'Resource has been exhausted (e.g. check quota).',
    500: 'An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting',
    503: 'The service is currently unavailable.',
  };
  const retryable = fault.status === 429 || fault.status >= 500;
  sendError(res, googleError(fault.status, messages[fault.status] ?? 'Emulated fault.', undefined, retryable && details.length > 0 ? details : undefined), retryable ? headers : {});
}

/** `list` leaves inline responses out (spec §4.1: get the batch for them). */
function withoutInlineResponses(op: JsonObject): JsonObject {
  const metadata = op['metadata'];
  if (!isJsonObject(metadata) || !isJsonObject(metadata['output']) || !('inlinedResponses' in metadata['output'])) return op;
  const { output: _output, ...rest } = metadata;
  return { ...op, metadata: rest };
}

const invalidJson = (): GoogleError => googleError(400, 'Invalid JSON payload received. Unexpected token.');

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
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
  private readonly createAttempts = new Map<GoogleBatch, number>();
  url = '';

  constructor(private readonly options: GoogleEmulatorOptions) {
    if (options.faults) this.faults.set(parseFaultConfig(options.faults));
  }

  private get timeScale(): TimeScale {
    return this.options.timeScale ?? DEFAULT_TIME_SCALE;
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
        backend: b.init.backend,
        id: b.id,
        name: b.init.name,
        displayName: b.init.displayName,
        model: b.init.model,
        state: b.state,
        inputRef: b.init.inputRef,
        resultRef: b.resultRef,
        createdAtMs: b.init.createdAtMs,
        createAttempt: this.createAttempts.get(b) ?? 0,
        object: b.toJSON(),
      };
    });
  }

  /** Gemini: `x-goog-api-key` or `?key=`; Vertex and GCS: `Authorization: Bearer`. Null when accepted. */
  private authProblem(backend: Match['backend'], req: IncomingMessage, query: URLSearchParams): GoogleError | null {
    if (backend === 'gemini') {
      const key = header(req, 'x-goog-api-key') ?? query.get('key') ?? undefined;
      if (key === undefined || key === '') {
        return googleError(
          403,
          "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.",
          'PERMISSION_DENIED',
        );
      }
      if (this.options.apiKey !== undefined && key !== this.options.apiKey) {
        // Gemini answers a wrong key with a 400, not a 401 (spec §4.1, emulator choice).
        return googleError(400, 'API key not valid. Please pass a valid API key.', 'INVALID_ARGUMENT', [
          { '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'API_KEY_INVALID', domain: 'googleapis.com', metadata: { service: 'generativelanguage.googleapis.com' } },
        ]);
      }
      return null;
    }
    const auth = header(req, 'authorization');
    const token = auth?.startsWith('Bearer ') ? auth.slice('Bearer '.length).trim() : '';
    if (token === '') {
      return googleError(401, 'Request is missing required authentication credential. Expected OAuth 2 access token, login cookie or other valid authentication credential.', 'UNAUTHENTICATED');
    }
    if (this.options.accessToken !== undefined && token !== this.options.accessToken) {
      return googleError(401, 'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.', 'UNAUTHENTICATED');
    }
    return null;
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? 'GET';
    const url = new URL(req.url ?? '/', 'http://emulator.invalid');
    const entry: RequestLogEntry = { method, path: url.pathname, query: url.search.slice(1), route: undefined, status: 0 };
    this.log.record(entry, res);
    if (isControlPath(url.pathname)) {
      return handleControl(method, url.pathname, req, res, this.state, {
        maxBodyBytes: MAX_JSON_BYTES,
        sendJson: (r, status, body) => sendJsonBody(r, status, body),
        sendError: (r, status, message) => sendError(r, status === 400 ? googleError(400, message) : googleError(404, message, 'NOT_FOUND')),
      });
    }

    const match = matchRoute(method, url.pathname, url.searchParams);
    if (match === null) return sendError(res, googleError(404, `The requested URL ${url.pathname} was not found on this server.`, 'NOT_FOUND'));
    entry.route = match.route;
    const problem = this.authProblem(match.backend, req, url.searchParams);
    if (problem) return sendError(res, problem);

    const limit = match.route === 'POST /upload/files' || match.route === 'POST /upload/storage/v1/b/{bucket}/o' ? MAX_UPLOAD_BYTES : MAX_JSON_BYTES;
    let body: Buffer;
    try {
      // Read the body before injecting a fault, so the connection stays reusable.
      body = await readBody(req, limit);
    } catch (err) {
      if (err instanceof BodyTooLargeError) return sendError(res, googleError(413, err.message, 'INVALID_ARGUMENT'), { connection: 'close' });
      throw err;
    }
    if (match.route === 'POST /models/{model}:batchGenerateContent' || match.route === 'POST /batchPredictionJobs') this.store.createCalls++;
    const fault = this.faults.takeEndpointFault(match.route);
    if (fault) return sendEndpointFault(res, fault);

    const now = Date.now();
    switch (match.route) {
      case 'POST /upload/files':
        return this.geminiUpload(match, req, url, body, res);
      case 'GET /files/{id}': {
        const file = this.store.files.get(`files/${match.id}`);
        if (!file) return sendError(res, googleError(404, `File files/${match.id} not found.`, 'NOT_FOUND'));
        return sendJsonBody(res, 200, geminiFileJson(file, this.url));
      }
      case 'GET /files/{id}:download': {
        const file = this.store.files.get(`files/${match.id}`);
        if (!file) return sendError(res, googleError(404, `File files/${match.id} not found.`, 'NOT_FOUND'));
        return this.sendMedia(file.data, res);
      }
      case 'POST /models/{model}:batchGenerateContent':
        return this.createGeminiBatch(match.id, body, res, now);
      case 'GET /batches':
        return this.listBatches('gemini', url, res, now);
      case 'GET /batches/{id}':
      case 'GET /batchPredictionJobs/{id}':
        return this.withBatch(match, res, (b) => {
          b.advance(now);
          sendJsonBody(res, 200, b.toJSON());
        });
      case 'POST /batches/{id}:cancel':
      case 'POST /batchPredictionJobs/{id}:cancel':
        return this.withBatch(match, res, (b) => {
          const result = b.cancel(now);
          if (!result.ok) return sendError(res, googleError(400, `The batch ${b.init.name} is in a terminal state and cannot be cancelled.`, 'FAILED_PRECONDITION'));
          sendJsonBody(res, 200, {});
        });
      case 'DELETE /batches/{id}':
      case 'DELETE /batchPredictionJobs/{id}':
        return this.withBatch(match, res, (b) => {
          this.store.removeBatch(b);
          sendJsonBody(res, 200, match.backend === 'vertex' ? { name: `${b.init.name}/operations/${randomId('', 8)}`, done: true } : {});
        });
      case 'POST /models/{model}:generateContent':
      case 'POST /publishers/google/models/{model}:generateContent':
        return this.generateContent(match.id, body, res);
      case 'POST /batchPredictionJobs':
        return this.createVertexJob(match, body, res, now);
      case 'GET /batchPredictionJobs':
        return this.listBatches('vertex', url, res, now);
      case 'POST /upload/storage/v1/b/{bucket}/o': {
        if (url.searchParams.get('uploadType') !== 'media') return sendError(res, googleError(400, 'Only uploadType=media is emulated.', 'INVALID_ARGUMENT'));
        const name = url.searchParams.get('name');
        if (!name) return sendError(res, googleError(400, 'Required parameter: name', 'INVALID_ARGUMENT'));
        const object = this.store.putObject(match.id, name, body, header(req, 'content-type') ?? 'application/octet-stream', now);
        return sendJsonBody(res, 200, gcsObjectJson(object, this.url));
      }
      case 'GET /storage/v1/b/{bucket}/o': {
        const all = this.store.listObjects(match.id, url.searchParams.get('prefix') ?? '');
        const page = offsetPage(all, url.searchParams.get('pageToken'), Number(url.searchParams.get('maxResults') ?? '1000') || 1000);
        if (!page) return sendError(res, googleError(400, 'Invalid page token.', 'INVALID_ARGUMENT'));
        // GCS leaves `items` out of an empty listing.
        const out: JsonObject = { kind: 'storage#objects' };
        if (page.items.length > 0) out['items'] = page.items.map((o) => gcsObjectJson(o, this.url));
        if (page.nextPageToken) out['nextPageToken'] = page.nextPageToken;
        return sendJsonBody(res, 200, out);
      }
      case 'GET /storage/v1/b/{bucket}/o/{object}': {
        const object = this.store.getObject(match.id, match.object ?? '');
        if (!object) return sendJsonBody(res, 404, { error: { code: 404, message: `No such object: ${match.id}/${match.object ?? ''}`, errors: [{ message: `No such object: ${match.id}/${match.object ?? ''}`, domain: 'global', reason: 'notFound' }] } });
        if (url.searchParams.get('alt') === 'media') return this.sendMedia(object.data, res);
        return sendJsonBody(res, 200, gcsObjectJson(object, this.url));
      }
    }
  }

  private withBatch(match: Match, res: ServerResponse, then: (b: GoogleBatch) => void): void {
    const batch = this.store.getBatch(match.backend === 'vertex' ? 'vertex' : 'gemini', match.id);
    if (!batch) {
      const name = match.backend === 'vertex' ? `projects/${match.project ?? ''}/locations/${match.location ?? ''}/batchPredictionJobs/${match.id}` : `batches/${match.id}`;
      return sendError(res, googleError(404, `Batch ${name} not found.`, 'NOT_FOUND'));
    }
    then(batch);
  }

  /** The resumable protocol (spec §4.1): `start` answers with the upload URL, `upload, finalize` with the File. */
  private geminiUpload(match: Match, req: IncomingMessage, url: URL, body: Buffer, res: ServerResponse): void {
    const command = (header(req, 'x-goog-upload-command') ?? '').toLowerCase();
    if (match.id === '') {
      if (header(req, 'x-goog-upload-protocol') !== 'resumable' || command !== 'start') {
        return sendError(res, googleError(400, 'Only the resumable upload protocol is emulated (X-Goog-Upload-Protocol: resumable, X-Goog-Upload-Command: start).'));
      }
      const meta = parseJsonObject(body, 'object');
      const file = meta && isJsonObject(meta['file']) ? meta['file'] : {};
      const uploadId = randomId('', 16);
      this.store.uploads.set(uploadId, {
        displayName: typeof file['displayName'] === 'string' ? file['displayName'] : undefined,
        mimeType: header(req, 'x-goog-upload-header-content-type') ?? (typeof file['mimeType'] === 'string' ? file['mimeType'] : 'application/octet-stream'),
        declaredBytes: Number(header(req, 'x-goog-upload-header-content-length') ?? '0'),
        chunks: [],
        received: 0,
      });
      // Any absolute URL works: the SDK moves it onto its base URL (spec §6.7).
      const uploadUrl = `https://generativelanguage.googleapis.com/upload/${match.apiVersion ?? 'v1beta'}/files?upload_id=${uploadId}&upload_protocol=resumable`;
      res.writeHead(200, { 'x-goog-upload-url': uploadUrl, 'x-goog-upload-status': 'active', 'content-type': 'application/json', 'content-length': '0' });
      res.end();
      return;
    }
    const upload = this.store.uploads.get(match.id);
    if (!upload) return sendError(res, googleError(404, 'Unknown upload id.', 'NOT_FOUND'));
    const offset = Number(header(req, 'x-goog-upload-offset') ?? '-1');
    if (offset !== upload.received) return sendError(res, googleError(400, `Upload offset ${offset} does not match the ${upload.received} bytes received.`));
    upload.chunks.push(body);
    upload.received += body.length;
    if (!command.includes('finalize')) {
      res.writeHead(200, { 'x-goog-upload-status': 'active', 'content-length': '0' });
      res.end();
      return;
    }
    this.store.uploads.delete(match.id);
    const data = Buffer.concat(upload.chunks);
    const file = this.store.addGeminiFile(`files/${randomId('', 6)}`, data, upload.mimeType, Date.now(), 'UPLOADED', upload.displayName);
    void url;
    sendJsonBody(res, 200, { file: geminiFileJson(file, this.url) }, { 'x-goog-upload-status': 'final' });
  }

  private sendMedia(data: Buffer, res: ServerResponse): void {
    const truncate = data.length >= 2 ? this.faults.takeTruncateDownload() : 'none';
    sendDownload(res, data, truncate, { 'content-type': 'application/octet-stream' });
  }

  /** The enqueued-token refusal both backends give a create (spec §4.1: 429 on create after a few large batches). */
  private capacityRefusal(backend: Backend, model: string, newTokens: number): GoogleError | null {
    const limit = this.faults.enqueuedTokenLimit();
    const enqueued = this.store.batches.filter((b) => b.init.backend === backend).reduce((sum, b) => (b.advance(Date.now()), sum + b.enqueuedTokens()), 0);
    const overLimit = limit !== undefined && enqueued + newTokens > limit;
    if (!overLimit && !this.faults.takeCapacityRefusal()) return null;
    const shownLimit = limit ?? 10_000_000;
    const metric = backend === 'gemini' ? 'generativelanguage.googleapis.com/batch_enqueued_tokens' : 'aiplatform.googleapis.com/gemini_batch_enqueued_tokens';
    return googleError(
      429,
      `Resource has been exhausted: the batch enqueued tokens for model ${model} would exceed the limit of ${shownLimit} enqueued tokens (${enqueued} already enqueued, ${newTokens} in this batch). Try again once some running batches have finished.`,
      'RESOURCE_EXHAUSTED',
      [{ '@type': 'type.googleapis.com/google.rpc.QuotaFailure', violations: [{ quotaMetric: metric, quotaId: 'BatchEnqueuedTokensPerModel', quotaValue: String(shownLimit) }] }],
    );
  }

  /** Makes the batch with the faults of the moment, records which create attempt made it, and answers. */
  private addBatch(init: Omit<BatchInit, 'faults' | 'timeScale'>, res: ServerResponse): void {
    const created = new GoogleBatch({ ...init, faults: this.faults.snapshotForBatch(), timeScale: this.timeScale }, this.store);
    this.store.addBatch(created);
    this.createAttempts.set(created, this.store.createCalls);
    this.answerCreate(created, res);
  }

  /** The create's answer, unless a lost response is being emulated: the batch exists, the client never hears of it. */
  private answerCreate(created: GoogleBatch, res: ServerResponse): void {
    if (this.faults.takeDropCreateResponse()) {
      res.destroy();
      return;
    }
    sendJsonBody(res, 200, created.toJSON());
  }

  private createGeminiBatch(modelId: string, raw: Buffer, res: ServerResponse, now: number): void {
    const body = parseJsonObject(raw, 'object');
    if (body === null) return sendError(res, invalidJson());
    if (!isKnownModel(modelId)) return sendError(res, googleError(404, `models/${modelId} is not found for API version v1beta, or is not supported for batchGenerateContent.`, 'NOT_FOUND'));
    const batch = body['batch'];
    if (!isJsonObject(batch)) return sendError(res, googleError(400, '* batch: required field is missing'));
    const inputConfig = batch['inputConfig'];
    if (!isJsonObject(inputConfig)) return sendError(res, googleError(400, '* batch.input_config: required field is missing'));
    let inputData: Buffer;
    let inputRef: string;
    let inline = false;
    const fileName = inputConfig['fileName'];
    const requests = isJsonObject(inputConfig['requests']) ? inputConfig['requests']['requests'] : undefined;
    if (typeof fileName === 'string') {
      const file = this.store.files.get(fileName);
      if (!file) return sendError(res, googleError(400, `File ${fileName} does not exist or is not accessible.`));
      inputData = file.data;
      inputRef = fileName;
    } else if (Array.isArray(requests)) {
      if (raw.length > MAX_INLINE_BYTES) return sendError(res, googleError(400, 'Inline batch requests must total under 20 MB; upload a file instead.'));
      // Inline requests become JSONL lines keyed by metadata.key, so both modes run the same way.
      const lines = requests.map((r) => {
        const request = isJsonObject(r) ? r['request'] : undefined;
        const metadata = isJsonObject(r) && isJsonObject(r['metadata']) ? r['metadata'] : undefined;
        const key = metadata && typeof metadata['key'] === 'string' ? metadata['key'] : undefined;
        return JSON.stringify({ ...(key === undefined ? {} : { key }), request: request ?? null, metadata: metadata ?? null });
      });
      inputData = Buffer.from(`${lines.join('\n')}\n`, 'utf8');
      inputRef = 'inline';
      inline = true;
    } else {
      return sendError(res, googleError(400, '* batch.input_config: exactly one of file_name or requests must be set'));
    }
    const refusal = this.capacityRefusal('gemini', modelId, inputTokensOf(parseInput(inputData)));
    if (refusal) return sendError(res, refusal);
    const id = randomId('', 16);
    const displayName = typeof batch['displayName'] === 'string' ? batch['displayName'] : '';
    this.addBatch(
      {
        backend: 'gemini',
        id,
        name: `batches/${id}`,
        displayName,
        model: `models/${modelId}`,
        inputRef,
        inputData,
        inline,
        outputUriPrefix: null,
        createdAtMs: now,
      },
      res,
    );
  }

  private createVertexJob(match: Match, raw: Buffer, res: ServerResponse, now: number): void {
    const body = parseJsonObject(raw, 'object');
    if (body === null) return sendError(res, invalidJson());
    const model = typeof body['model'] === 'string' ? body['model'] : '';
    const modelId = model.split('/').pop() ?? '';
    if (!isKnownModel(modelId)) return sendError(res, googleError(404, `Publisher Model \`${model}\` not found.`, 'NOT_FOUND'));
    const displayName = body['displayName'];
    if (typeof displayName !== 'string' || displayName === '') return sendError(res, googleError(400, 'BatchPredictionJob.display_name is required.'));
    const inputConfig = isJsonObject(body['inputConfig']) ? body['inputConfig'] : {};
    const gcsSource = isJsonObject(inputConfig['gcsSource']) ? inputConfig['gcsSource'] : {};
    const uris = gcsSource['uris'];
    const uri = Array.isArray(uris) && typeof uris[0] === 'string' ? uris[0] : undefined;
    if (inputConfig['instancesFormat'] !== 'jsonl' || uri === undefined || !uri.startsWith('gs://')) {
      return sendError(res, googleError(400, 'Only a jsonl input from Cloud Storage (inputConfig.gcsSource.uris) is emulated.'));
    }
    const outputConfig = isJsonObject(body['outputConfig']) ? body['outputConfig'] : {};
    const gcsDestination = isJsonObject(outputConfig['gcsDestination']) ? outputConfig['gcsDestination'] : {};
    const prefix = gcsDestination['outputUriPrefix'];
    if (typeof prefix !== 'string' || !prefix.startsWith('gs://')) return sendError(res, googleError(400, 'outputConfig.gcsDestination.outputUriPrefix must be a gs:// URI.'));
    const { bucket, object } = splitGsUri(uri);
    const inputData = this.store.getObject(bucket, object)?.data ?? null;
    const refusal = this.capacityRefusal('vertex', modelId, inputData ? inputTokensOf(parseInput(inputData)) : 0);
    if (refusal) return sendError(res, refusal);
    const id = this.store.nextVertexId();
    this.addBatch(
      {
        backend: 'vertex',
        id,
        name: `projects/${match.project ?? DEFAULT_PROJECT}/locations/${match.location ?? DEFAULT_LOCATION}/batchPredictionJobs/${id}`,
        displayName,
        model,
        inputRef: uri,
        inputData,
        inline: false,
        outputUriPrefix: prefix,
        createdAtMs: now,
      },
      res,
    );
  }

  private listBatches(backend: Backend, url: URL, res: ServerResponse, now: number): void {
    const all = this.store.batches.filter((b) => b.init.backend === backend).reverse();
    const pageSize = Math.min(Number(url.searchParams.get('pageSize') ?? '50') || 50, 1000);
    const page = offsetPage(all, url.searchParams.get('pageToken'), pageSize);
    if (!page) return sendError(res, googleError(400, 'Invalid page token.'));
    const out: JsonObject = {};
    if (page.items.length > 0) {
      out[backend === 'gemini' ? 'operations' : 'batchPredictionJobs'] = page.items.map((b) => {
        b.advance(now);
        return withoutInlineResponses(b.toJSON());
      });
    }
    if (page.nextPageToken) out['nextPageToken'] = page.nextPageToken;
    sendJsonBody(res, 200, out);
  }

  private generateContent(modelId: string, raw: Buffer, res: ServerResponse): void {
    const body = parseJsonObject(raw, 'object');
    if (body === null) return sendError(res, invalidJson());
    if (!isKnownModel(modelId)) return sendError(res, googleError(404, `models/${modelId} is not found for API version v1beta, or is not supported for generateContent.`, 'NOT_FOUND'));
    const outcome = runFakeModel(body, { failedOnce: this.store.failedOnce, ...this.faults.contentOverrides(), model: modelId });
    if (outcome.ok) return sendJsonBody(res, 200, outcome.response);
    const e = outcome.error;
    if (e.code === 429 || e.code >= 500) {
      const { details, headers } = retryDetails(0);
      return sendError(res, { ...e, details }, headers);
    }
    sendError(res, e);
  }

}

export async function startGoogleEmulator(options: GoogleEmulatorOptions = {}): Promise<RunningGoogleEmulator> {
  const emulator = new Emulator(options);
  const server = await listenEmulator(
    (req, res) => emulator.handle(req, res),
    (res, message) => sendError(res, googleError(500, message)),
    options,
  );
  emulator.url = server.url;
  return {
    ...emulatorHandle(server, emulator.state),
    object: (bucket, name) => emulator.store.getObject(bucket, name)?.data,
    objectNames: (bucket, prefix = '') => emulator.store.listObjects(bucket, prefix).map((o) => o.name),
    putObject: (bucket, name, data) => {
      emulator.store.putObject(bucket, name, typeof data === 'string' ? Buffer.from(data, 'utf8') : data, 'application/jsonl', Date.now());
    },
  };
}
