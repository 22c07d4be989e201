// Pure wire mapping for the Gemini Developer API and Vertex AI batch APIs
// (docs/PROVIDER_BATCH_APIS.md §4): literal JSON in, provider-neutral types out. No I/O and no
// SDK calls, so every rule here is table-tested (test/unit/googleMapping.test.ts). The two
// backends share the request line (`{key, request}`), the response (GenerateContentResponse),
// the error model (google.rpc.Status) and the SDK; they differ in batch objects and result lines.
import type { FailureClass, ItemOutcome, Usage } from '../../core/itemOutcome';
import { finishReasonOf } from '../../core/portable/finishReason';
import type { BatchTags, RemoteBatch, RemoteState } from '../batchProvider';

type JsonRecord = Readonly<Record<string, unknown>>;

const isRecord = (v: unknown): v is JsonRecord => typeof v === 'object' && v !== null && !Array.isArray(v);
const stringOf = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const recordOf = (v: unknown): JsonRecord => (isRecord(v) ? v : {});

/** int64 fields arrive as strings (spec §6.4); proto3 JSON leaves zeros out, so absent is 0. */
export function int64Of(v: unknown): number {
  if (typeof v === 'number' && Number.isFinite(v) && v >= 0) return Math.trunc(v);
  if (typeof v === 'string' && /^\d+$/.test(v.trim())) return Number(v.trim());
  return 0;
}

/** An RFC 3339 timestamp as epoch ms; undefined when absent or unparseable. */
function epochMs(v: unknown): number | undefined {
  if (typeof v !== 'string' || v === '') return undefined;
  const ms = Date.parse(v);
  return Number.isNaN(ms) ? undefined : ms;
}

// ---------------------------------------------------------------------------------------------
// Tags: neither backend's batch carries free-form metadata we can read back through the SDK, so
// the display name carries them: `llmb:<jobId>:<batchKey>`, each part URI-encoded (a `:` in an
// id cannot break it). One display name per batch key, so two batches with it are a lost answer
// that was created twice, never two of our batches.

export const DISPLAY_NAME_PREFIX = 'llmb:';

export function displayNameOf(tags: BatchTags): string {
  return `${DISPLAY_NAME_PREFIX}${encodeURIComponent(tags.jobId)}:${encodeURIComponent(tags.batchKey)}`;
}

export function tagsOfDisplayName(displayName: unknown): BatchTags | undefined {
  if (typeof displayName !== 'string' || !displayName.startsWith(DISPLAY_NAME_PREFIX)) return undefined;
  const parts = displayName.slice(DISPLAY_NAME_PREFIX.length).split(':');
  if (parts.length !== 2 || !parts[0] || !parts[1]) return undefined;
  try {
    return { jobId: decodeURIComponent(parts[0]), batchKey: decodeURIComponent(parts[1]) };
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------
// States: the Gemini wire says BATCH_STATE_X, the SDK turns it into JOB_STATE_X (spec §4.1);
// Vertex says JOB_STATE_X (spec §4.2). Both spellings are read.

const STATES: Readonly<Record<string, RemoteState>> = {
  QUEUED: 'validating',
  PENDING: 'validating',
  RUNNING: 'in_progress',
  UPDATING: 'in_progress',
  PAUSED: 'in_progress',
  SUCCEEDED: 'completed',
  PARTIALLY_SUCCEEDED: 'completed',
  FAILED: 'failed',
  CANCELLING: 'cancelling',
  CANCELLED: 'cancelled',
  EXPIRED: 'expired',
};

/** A state we do not know reads as running: polling on is safe, declaring an end could lose results. */
export function remoteStateOf(raw: unknown): RemoteState {
  const bare = typeof raw === 'string' ? raw.replace(/^(JOB|BATCH)_STATE_/, '') : '';
  return STATES[bare] ?? 'in_progress';
}

/** `models/gemini-x`, `publishers/google/models/gemini-x` or a full Vertex resource name → `gemini-x`. */
export function bareModel(model: unknown): string | undefined {
  const s = stringOf(model);
  if (s === undefined) return undefined;
  const i = s.lastIndexOf('models/');
  return i >= 0 ? s.slice(i + 'models/'.length) : s;
}

/** Where the results of an inline Gemini batch are: in the batch itself (fetched with a get). */
export const INLINE_RESULTS_REF = 'inlinedResponses';

function errorsOf(error: unknown): RemoteBatch['errors'] {
  if (!isRecord(error)) return [];
  const message = stringOf(error['message']) ?? 'the batch failed';
  const code = stringOf(error['status']) ?? (typeof error['code'] === 'number' ? (RPC_STATUS_BY_CODE[error['code']] ?? String(error['code'])) : 'unknown');
  return [{ code, message, line: undefined }];
}

/**
 * A Gemini batch as the wire sends it: a long-running Operation whose `metadata` is the
 * GenerateContentBatch (spec §4.1), read by a raw GET because the SDK drops `batchStats`.
 */
export function remoteFromGeminiOperation(wire: unknown): RemoteBatch {
  const op = recordOf(wire);
  const name = stringOf(op['name']);
  if (name === undefined) throw new Error('a Gemini batch without a name');
  const meta = recordOf(op['metadata']);
  const stats = recordOf(meta['batchStats']);
  const output = recordOf(meta['output']);
  const responsesFile = stringOf(output['responsesFile']);
  const inlined = isRecord(output['inlinedResponses']);
  const createdAt = epochMs(meta['createTime']);
  if (createdAt === undefined) throw new Error(`Gemini batch ${name} has no createTime`);
  const rawStatus = stringOf(meta['state']) ?? 'BATCH_STATE_UNSPECIFIED';
  return {
    remoteId: name,
    state: remoteStateOf(rawStatus),
    rawStatus,
    counts: { total: int64Of(stats['requestCount']), completed: int64Of(stats['successfulRequestCount']), failed: int64Of(stats['failedRequestCount']) },
    tags: tagsOfDisplayName(meta['displayName']),
    resultRefs: responsesFile ? [responsesFile] : inlined ? [INLINE_RESULTS_REF] : [],
    inputRef: stringOf(recordOf(meta['inputConfig'])['fileName']),
    endpoint: undefined,
    model: bareModel(meta['model']),
    createdAt,
    expiresAt: undefined,
    errors: errorsOf(op['error']),
  };
}

/**
 * A batch as the SDK returns it (`BatchJob`: JOB_STATE_*, `dest`, and for Vertex `src`,
 * `outputInfo`, `completionStats`, `error`). The Gemini create answer has no counts: `total`
 * comes from the caller, who knows how many lines it sent.
 */
export function remoteFromBatchJob(wire: unknown, knownTotal?: number): RemoteBatch {
  const job = recordOf(wire);
  const name = stringOf(job['name']);
  if (name === undefined) throw new Error('a batch job without a name');
  const createdAt = epochMs(job['createTime']);
  if (createdAt === undefined) throw new Error(`batch ${name} has no createTime`);
  const rawStatus = stringOf(job['state']) ?? 'JOB_STATE_UNSPECIFIED';
  const dest = recordOf(job['dest']);
  const outputDir = stringOf(recordOf(job['outputInfo'])['gcsOutputDirectory']);
  const fileName = stringOf(dest['fileName']);
  const stats = isRecord(job['completionStats']) ? job['completionStats'] : undefined;
  const completed = int64Of(stats?.['successfulCount']);
  const failed = int64Of(stats?.['failedCount']);
  const sourceUris = recordOf(job['src'])['gcsUri'];
  return {
    remoteId: name,
    state: remoteStateOf(rawStatus),
    rawStatus,
    counts: { total: stats ? completed + failed + int64Of(stats['incompleteCount']) : (knownTotal ?? 0), completed, failed },
    tags: tagsOfDisplayName(job['displayName']),
    resultRefs: outputDir ? [outputDir] : fileName ? [fileName] : isRecord(dest['inlinedResponses']) || Array.isArray(dest['inlinedResponses']) ? [INLINE_RESULTS_REF] : [],
    inputRef: Array.isArray(sourceUris) && typeof sourceUris[0] === 'string' ? sourceUris[0] : stringOf(recordOf(job['src'])['fileName']),
    endpoint: undefined,
    model: bareModel(job['model']),
    createdAt,
    expiresAt: undefined,
    errors: errorsOf(job['error']),
  };
}

// ---------------------------------------------------------------------------------------------
// Errors: google.rpc codes (batch lines), canonical status names and HTTP codes (REST errors).

const RPC_STATUS_BY_CODE: Readonly<Record<number, string>> = {
  1: 'CANCELLED',
  2: 'UNKNOWN',
  3: 'INVALID_ARGUMENT',
  4: 'DEADLINE_EXCEEDED',
  5: 'NOT_FOUND',
  6: 'ALREADY_EXISTS',
  7: 'PERMISSION_DENIED',
  8: 'RESOURCE_EXHAUSTED',
  9: 'FAILED_PRECONDITION',
  10: 'ABORTED',
  11: 'OUT_OF_RANGE',
  12: 'UNIMPLEMENTED',
  13: 'INTERNAL',
  14: 'UNAVAILABLE',
  15: 'DATA_LOSS',
  16: 'UNAUTHENTICATED',
};

const HTTP_BY_STATUS: Readonly<Record<string, number>> = {
  CANCELLED: 499,
  UNKNOWN: 500,
  INVALID_ARGUMENT: 400,
  DEADLINE_EXCEEDED: 504,
  NOT_FOUND: 404,
  ALREADY_EXISTS: 409,
  PERMISSION_DENIED: 403,
  RESOURCE_EXHAUSTED: 429,
  FAILED_PRECONDITION: 400,
  ABORTED: 409,
  OUT_OF_RANGE: 400,
  UNIMPLEMENTED: 501,
  INTERNAL: 500,
  UNAVAILABLE: 503,
  DATA_LOSS: 500,
  UNAUTHENTICATED: 401,
};

const STATUS_BY_HTTP: Readonly<Record<number, string>> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  408: 'DEADLINE_EXCEEDED',
  409: 'ABORTED',
  429: 'RESOURCE_EXHAUSTED',
  499: 'CANCELLED',
  500: 'INTERNAL',
  501: 'UNIMPLEMENTED',
  502: 'UNAVAILABLE',
  503: 'UNAVAILABLE',
  504: 'DEADLINE_EXCEEDED',
};

/** HTTP reason phrases at the start of a Vertex line's `status` string. */
const HTTP_BY_PHRASE: Readonly<Record<string, number>> = {
  'bad request': 400,
  unauthorized: 401,
  forbidden: 403,
  'not found': 404,
  'too many requests': 429,
  'internal server error': 500,
  'service unavailable': 503,
  'gateway timeout': 504,
};

/**
 * The canonical status and HTTP code of an error, from whichever of them it carries: a status
 * name (REST bodies), a `code` that is an rpc code (≤ 16, batch lines) or an HTTP code.
 */
export function statusOfError(error: { readonly code?: unknown; readonly status?: unknown }): { status: string; httpStatus: number | undefined } {
  const named = stringOf(error.status)?.toUpperCase();
  const code = typeof error.code === 'number' ? error.code : typeof error.code === 'string' && /^\d+$/.test(error.code) ? Number(error.code) : undefined;
  const httpFromCode = code !== undefined && code >= 100 ? code : undefined;
  const status = named && HTTP_BY_STATUS[named] !== undefined ? named : code !== undefined ? (code <= 16 ? RPC_STATUS_BY_CODE[code] : STATUS_BY_HTTP[code]) : undefined;
  const resolved = status ?? (httpFromCode !== undefined && httpFromCode >= 500 ? 'INTERNAL' : 'UNKNOWN');
  return { status: resolved, httpStatus: httpFromCode ?? HTTP_BY_STATUS[resolved] };
}

/**
 * The failure class of an item error. CANCELLED inside a batch is the provider's hiccup (spec
 * §4.1: lines fail "The operation was cancelled." in SUCCEEDED batches), so it is transient;
 * only a batch the user cancelled makes items `cancelled` (see synthesizedFailureLine).
 */
export function classifyStatus(status: string, httpStatus: number | undefined): FailureClass {
  switch (status) {
    case 'RESOURCE_EXHAUSTED':
      return 'rate_limited';
    case 'INVALID_ARGUMENT':
    case 'FAILED_PRECONDITION':
    case 'OUT_OF_RANGE':
    case 'NOT_FOUND':
    case 'ALREADY_EXISTS':
    case 'PERMISSION_DENIED':
    case 'UNAUTHENTICATED':
    case 'UNIMPLEMENTED':
      return 'invalid_request';
    case 'CANCELLED':
    case 'UNKNOWN':
    case 'DEADLINE_EXCEEDED':
    case 'ABORTED':
    case 'INTERNAL':
    case 'UNAVAILABLE':
    case 'DATA_LOSS':
      return 'transient';
    default:
      return httpStatus !== undefined && httpStatus >= 400 && httpStatus < 500 && httpStatus !== 408 && httpStatus !== 429 ? 'invalid_request' : 'transient';
  }
}

/** A REST error body (`{"error":{code,message,status,details}}`) or its JSON text, as the SDK's ApiError carries it in `.message`. */
export interface GoogleApiError {
  readonly httpStatus: number | undefined;
  readonly status: string | undefined;
  readonly message: string;
  readonly details: readonly unknown[];
}

export function parseApiError(body: unknown, httpStatus?: number): GoogleApiError {
  let parsed: unknown = body;
  if (typeof body === 'string') {
    try {
      parsed = JSON.parse(body);
    } catch {
      return { httpStatus, status: httpStatus === undefined ? undefined : STATUS_BY_HTTP[httpStatus], message: body, details: [] };
    }
  }
  const error = recordOf(recordOf(parsed)['error']);
  const code = typeof error['code'] === 'number' ? error['code'] : httpStatus;
  return {
    httpStatus: httpStatus ?? code,
    status: stringOf(error['status']) ?? (code === undefined ? undefined : STATUS_BY_HTTP[code]),
    message: stringOf(error['message']) ?? (typeof body === 'string' ? body : 'no message'),
    details: Array.isArray(error['details']) ? error['details'] : [],
  };
}

const detailOfType = (details: readonly unknown[], type: string): JsonRecord | undefined =>
  details.find((d): d is JsonRecord => isRecord(d) && typeof d['@type'] === 'string' && d['@type'].endsWith(type));

/** The wait a RetryInfo detail asks for (`"1.5s"`), in ms. Google sends it there, not in a header the SDK would keep. */
export function retryDelayMsOf(details: readonly unknown[]): number | undefined {
  const delay = detailOfType(details, 'google.rpc.RetryInfo')?.['retryDelay'];
  const s = typeof delay === 'string' ? /^(\d+(?:\.\d+)?)s$/.exec(delay.trim()) : null;
  if (s?.[1]) return Math.round(Number(s[1]) * 1000);
  if (isRecord(delay)) return int64Of(delay['seconds']) * 1000 + Math.round((typeof delay['nanos'] === 'number' ? delay['nanos'] : 0) / 1e6);
  return undefined;
}

/** Gemini answers a wrong API key with a 400 INVALID_ARGUMENT whose ErrorInfo says API_KEY_INVALID, not a 401. */
export function isInvalidApiKey(error: GoogleApiError): boolean {
  return detailOfType(error.details, 'google.rpc.ErrorInfo')?.['reason'] === 'API_KEY_INVALID' || /API key not valid/i.test(error.message);
}

/** Our key, our permissions or (sync) the model are refused: no item is to blame. */
export function accessKindOfError(error: GoogleApiError, forSync: boolean): 'auth' | 'permission' | 'not_found' | undefined {
  if (error.httpStatus === 401 || (error.httpStatus === 400 && isInvalidApiKey(error))) return 'auth';
  if (error.httpStatus === 403) return 'permission';
  if (forSync && error.httpStatus === 404) return 'not_found';
  return undefined;
}

/**
 * A create refused for the enqueued-token quota (spec §4.1: users hit 429 on create after a few
 * large batches): a 429 RESOURCE_EXHAUSTED that names the batch or enqueued-token quota, in its
 * message or a QuotaFailure detail. Any other 429 is a plain rate limit on the create call.
 */
export function isCapacityRefusal(error: GoogleApiError): boolean {
  if (error.httpStatus !== 429 || (error.status !== undefined && error.status !== 'RESOURCE_EXHAUSTED')) return false;
  const quota = detailOfType(error.details, 'google.rpc.QuotaFailure');
  const violations = Array.isArray(quota?.['violations']) ? quota['violations'] : [];
  const names = violations.flatMap((v) => (isRecord(v) ? [v['quotaMetric'], v['quotaId']] : [])).filter((n): n is string => typeof n === 'string');
  return [error.message, ...names].some((text) => /enqueued/i.test(text) || /batch[\w ]*(quota|limit|tokens)/i.test(text));
}

// ---------------------------------------------------------------------------------------------
// Responses and result lines

/** Finish reasons and block reasons that are the provider's content filter refusing the item. */
const POLICY_FINISH: ReadonlySet<string> = new Set(['SAFETY', 'PROHIBITED_CONTENT', 'BLOCKLIST', 'SPII', 'IMAGE_SAFETY']);

export function usageOf(usageMetadata: unknown): Usage | undefined {
  if (!isRecord(usageMetadata)) return undefined;
  const cached = int64Of(usageMetadata['cachedContentTokenCount']);
  return {
    // promptTokenCount already includes the cached tokens.
    inputTokens: int64Of(usageMetadata['promptTokenCount']) + int64Of(usageMetadata['toolUsePromptTokenCount']),
    // Thinking tokens are billed as output.
    outputTokens: int64Of(usageMetadata['candidatesTokenCount']) + int64Of(usageMetadata['thoughtsTokenCount']),
    ...(cached > 0 ? { cacheReadTokens: cached } : {}),
  };
}

/** The answer text: the first candidate's text parts, thoughts left out (inline responses have no `.text` getter, spec §4.1). */
export function responseText(response: JsonRecord): string {
  const candidates = response['candidates'];
  const first = Array.isArray(candidates) ? recordOf(candidates[0]) : {};
  const parts = recordOf(first['content'])['parts'];
  if (!Array.isArray(parts)) return '';
  return parts
    .filter((p): p is JsonRecord => isRecord(p) && typeof p['text'] === 'string' && p['thought'] !== true)
    .map((p) => p['text'] as string)
    .join('');
}

/** A GenerateContentResponse as an outcome: blocked prompts and safety stops are content_policy failures. */
export function outcomeOfResponse(customId: string, wire: unknown): ItemOutcome {
  const response = recordOf(wire);
  const usage = usageOf(response['usageMetadata']);
  const blockReason = stringOf(recordOf(response['promptFeedback'])['blockReason']);
  const candidates = response['candidates'];
  const first = Array.isArray(candidates) ? recordOf(candidates[0]) : undefined;
  const finish = stringOf(first?.['finishReason']);
  if (blockReason !== undefined || (finish !== undefined && POLICY_FINISH.has(finish))) {
    const why = blockReason !== undefined ? `the prompt was blocked (${blockReason})` : `the answer was stopped by the safety filter (${finish ?? ''})`;
    return { ok: false, customId, failureClass: 'content_policy', code: blockReason ?? finish, message: why, httpStatus: 200, usage };
  }
  if (first === undefined) {
    return { ok: false, customId, failureClass: 'transient', code: 'no_candidates', message: 'the response has no candidates', httpStatus: 200, usage };
  }
  return { ok: true, customId, content: responseText(response), usage, finishReason: finishReasonOf('gemini', finish) };
}

/** `Bad Request: {"error": {...}}` (Vertex line status, unverified shape) → the error inside, or the phrase alone. */
export function parseVertexStatus(text: string): { status: string; httpStatus: number | undefined; message: string } {
  const brace = text.indexOf('{');
  if (brace >= 0) {
    const inner = parseApiError(text.slice(brace));
    if (inner.status !== undefined || inner.httpStatus !== undefined) {
      const resolved = statusOfError({ code: inner.httpStatus, status: inner.status });
      return { status: resolved.status, httpStatus: resolved.httpStatus, message: inner.message };
    }
  }
  const phrase = (brace >= 0 ? text.slice(0, brace) : text).replace(/[:\s]+$/, '').trim().toLowerCase();
  const httpStatus = HTTP_BY_PHRASE[phrase];
  const resolved = statusOfError({ code: httpStatus });
  return { status: httpStatus === undefined ? 'UNKNOWN' : resolved.status, httpStatus, message: text };
}

/** Why our synthesized lines say an item has no result: the whole batch ended without it. */
export type BatchEndReason = 'batch_cancelled' | 'batch_expired' | 'batch_failed';

/**
 * One result line parsed, from any of the shapes the adapters write: Gemini file lines
 * `{key, response}` / `{key, error}` (rpc code), Vertex lines `{key, request, response, status}`
 * (an empty status is a success), kept sync answers `{key, response}` / `{key, error}` (HTTP code),
 * and synthesized `{key, error:{…, reason}}` lines. Undefined for a line without a key or outcome.
 */
export function parseGoogleResultLine(line: string): ItemOutcome | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (!isRecord(parsed)) return undefined;
  const key = stringOf(parsed['key']);
  if (key === undefined) return undefined;
  const error = parsed['error'];
  if (isRecord(error)) {
    const reason = stringOf(error['reason']);
    const { status, httpStatus } = statusOfError(error);
    // A batch the user cancelled or that expired says so; a batch that failed as a whole passes its own error on.
    const failureClass = reason === 'batch_cancelled' ? 'cancelled' : reason === 'batch_expired' ? 'expired' : classifyStatus(status, httpStatus);
    return { ok: false, customId: key, failureClass, code: reason ?? status, message: stringOf(error['message']) ?? status, httpStatus, usage: undefined };
  }
  const vertexStatus = parsed['status'];
  if (typeof vertexStatus === 'string' && vertexStatus.trim() !== '') {
    const failure = parseVertexStatus(vertexStatus);
    return { ok: false, customId: key, failureClass: classifyStatus(failure.status, failure.httpStatus), code: failure.status, message: failure.message, httpStatus: failure.httpStatus, usage: undefined };
  }
  if (isRecord(parsed['response'])) return outcomeOfResponse(key, parsed['response']);
  return undefined;
}

/** The line written for an item a batch ended without running (cancelled, expired, failed as a whole). */
export function synthesizedFailureLine(key: string, reason: BatchEndReason, message: string, status: string): string {
  return JSON.stringify({ key, error: { code: STATUS_CODE_OF[status] ?? 2, status, message, reason } });
}

const STATUS_CODE_OF: Readonly<Record<string, number>> = Object.fromEntries(Object.entries(RPC_STATUS_BY_CODE).map(([code, status]) => [status, Number(code)]));

/** The Gemini inline results (`inlinedResponses`) as file lines, matched by `metadata.key`; entries without one are dropped (never matched by position). */
export function inlinedResultLines(inlined: unknown): string[] {
  const list = isRecord(inlined) ? inlined['inlinedResponses'] : inlined;
  if (!Array.isArray(list)) return [];
  const lines: string[] = [];
  for (const entry of list) {
    const e = recordOf(entry);
    const key = stringOf(recordOf(e['metadata'])['key']);
    if (key === undefined) continue;
    if (isRecord(e['response'])) lines.push(JSON.stringify({ key, response: e['response'] }));
    else if (isRecord(e['error'])) lines.push(JSON.stringify({ key, error: e['error'] }));
  }
  return lines;
}

/** The key of a request or result line, when it is one. */
export function keyOfLine(line: string): string | undefined {
  try {
    const parsed: unknown = JSON.parse(line);
    return isRecord(parsed) ? stringOf(parsed['key']) : undefined;
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------
// Sync fallback

/** Request fields that travel in the SDK's `config` beside the generationConfig fields. */
const LIFTED_FIELDS = ['systemInstruction', 'safetySettings', 'tools', 'toolConfig', 'cachedContent', 'labels'] as const;

/**
 * `models.generateContent` parameters from a line's GenerateContentRequest: contents as they
 * are; generationConfig fields and the lifted fields flattened into `config`, which the SDK
 * splits back into the same body. `dropped` names request fields the SDK would not send.
 */
export function syncParamsOf(request: JsonRecord): { contents: unknown; config: Record<string, unknown>; dropped: string[] } {
  const config: Record<string, unknown> = { ...recordOf(request['generationConfig']) };
  for (const field of LIFTED_FIELDS) if (request[field] !== undefined) config[field] = request[field];
  const known = new Set<string>(['contents', 'generationConfig', 'model', ...LIFTED_FIELDS]);
  return { contents: request['contents'], config, dropped: Object.keys(request).filter((k) => !known.has(k)) };
}

/** A sync answer kept as a result line: the wire response without the SDK's HTTP extras. */
export function syncSuccessLine(key: string, response: unknown): string {
  const { sdkHttpResponse: _http, ...wire } = recordOf(JSON.parse(JSON.stringify(response ?? {})));
  return JSON.stringify({ key, response: wire });
}

export function syncErrorLine(key: string, error: GoogleApiError): string {
  return JSON.stringify({ key, error: { code: error.httpStatus, message: error.message, status: error.status } });
}
