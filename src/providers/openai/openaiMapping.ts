// Wire shapes of the OpenAI and Azure OpenAI batch APIs mapped onto provider-neutral types. Pure:
// no I/O, no SDK types, so every branch is unit-tested with literal JSON from the spec
// (docs/PROVIDER_BATCH_APIS.md §1.3, §1.4, §1.7, §2.3, §6.1).
import type { FailureClass, ItemOutcome, Usage } from '../../core/itemOutcome';
import { REMOTE_STATES } from '../batchProvider';
import type { BatchTags, RemoteBatch, RemoteState } from '../batchProvider';

type JsonRecord = Readonly<Record<string, unknown>>;

const isRecord = (v: unknown): v is JsonRecord => typeof v === 'object' && v !== null && !Array.isArray(v);

const stringOf = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** A finite number, also from a numeric string (Azure samples are loose about JSON types). */
function numberOf(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  if (typeof v === 'string' && /^\s*-?\d+(\.\d+)?\s*$/.test(v)) return Number(v);
  return undefined;
}

/** Error codes are strings on OpenAI; Azure's dated API has sent numeric ones (`"code": 404`). */
const codeOf = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : typeof v === 'number' ? String(v) : undefined);

// ---------------------------------------------------------------------------------------------
// Batch objects

const REMOTE_STATE_SET: ReadonlySet<string> = new Set(REMOTE_STATES);

/** Spellings seen outside OpenAI's own lower_snake statuses, e.g. Azure's "InProgress". */
const STATUS_ALIASES: Readonly<Record<string, RemoteState>> = {
  inprogress: 'in_progress',
  canceling: 'cancelling',
  canceled: 'cancelled',
};

/** Lower-cases and snake-cases a status ("In_progress", "Completed", "in progress" → known states). */
function normaliseStatus(raw: string): RemoteState | undefined {
  const s = raw.trim().toLowerCase().replace(/[\s-]+/g, '_');
  const aliased = STATUS_ALIASES[s] ?? STATUS_ALIASES[s.replace(/_/g, '')];
  if (aliased) return aliased;
  return REMOTE_STATE_SET.has(s) ? (s as RemoteState) : undefined;
}

const ISO_WITHOUT_ZONE = /^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?$/;

/**
 * Unix seconds (OpenAI, §1.3) or an ISO-8601 string (Azure doc samples, §2.3) → epoch ms.
 * A zone-less ISO string is read as UTC: Azure's service times are UTC, and reading it as local
 * time would shift every deadline by the user's offset.
 */
function epochMs(v: unknown): number | undefined {
  const n = numberOf(v);
  if (n !== undefined) return Math.round(n * 1000);
  if (typeof v !== 'string' || v.trim() === '') return undefined;
  const s = v.trim();
  const ms = Date.parse(ISO_WITHOUT_ZONE.test(s) ? `${s}Z` : s);
  return Number.isNaN(ms) ? undefined : ms;
}

/** Azure sends `""` for "no file" where OpenAI sends null (§2.3); both mean there is none. */
const fileIdOf = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() !== '' ? v : undefined);

/** Counts may be null, or have null members while validating (Azure REST sample). */
function countOf(v: unknown): number {
  const n = numberOf(v);
  return n !== undefined && n >= 0 ? Math.trunc(n) : 0;
}

function metadataOf(v: unknown): Readonly<Record<string, string>> {
  const out: Record<string, string> = {};
  if (!isRecord(v)) return out;
  // Values are strings by API contract; anything else cannot be one of our tags, so it is dropped.
  for (const [k, value] of Object.entries(v)) if (typeof value === 'string') out[k] = value;
  return out;
}

/**
 * The error entries of a batch's `errors`, whichever shape carries them: `{ object: 'list', data:
 * [...] }` per the SDK; `data` as one object, not a list (Azure's 2024-10-21 API); a bare array
 * (older api-versions); or one error object on its own. A failed batch's reason is all the user
 * has to go on, so no shape that carries one may drop it.
 */
function batchErrorEntries(v: unknown): unknown[] {
  if (Array.isArray(v)) return v;
  if (!isRecord(v)) return [];
  const data = v['data'];
  if (Array.isArray(data)) return data;
  if (isRecord(data)) return [data];
  return 'code' in v || 'message' in v ? [v] : [];
}

function batchErrorsOf(v: unknown): RemoteBatch['errors'] {
  return batchErrorEntries(v).filter(isRecord).map((e) => {
    const line = numberOf(e['line']);
    return {
      code: codeOf(e['code']) ?? 'unknown',
      message: stringOf(e['message']) ?? '',
      line: line !== undefined && Number.isInteger(line) ? line : undefined,
    };
  });
}

/** The metadata keys that tag our batches, so a restarted process recognises its own. */
export const TAG_JOB = 'llmb_job';
export const TAG_BATCH = 'llmb_batch';

export function tagMetadata(tags: BatchTags): Record<string, string> {
  return { [TAG_JOB]: tags.jobId, [TAG_BATCH]: tags.batchKey };
}

function tagsOf(metadata: Readonly<Record<string, string>>): BatchTags | undefined {
  const jobId = metadata[TAG_JOB];
  const batchKey = metadata[TAG_BATCH];
  return jobId !== undefined && batchKey !== undefined ? { jobId, batchKey } : undefined;
}

/** An OpenAI batch as the adapter sees it: the neutral view, plus its two result files by kind. */
export type OpenAiRemoteBatch = RemoteBatch & { readonly outputFileId: string | undefined; readonly errorFileId: string | undefined };

/**
 * A wire batch object (OpenAI or any Azure variant) as a RemoteBatch.
 * Throws on an object with no id, no parseable created_at or a status we do not know: guessing a
 * state could make the engine treat a running batch as finished (lost results) or a finished one
 * as running forever; a loud error is the only safe answer.
 */
export function toRemoteBatch(wire: unknown): OpenAiRemoteBatch {
  if (!isRecord(wire)) throw new Error('OpenAI batch object is not a JSON object');
  const remoteId = wire['id'];
  if (typeof remoteId !== 'string' || remoteId === '') throw new Error('OpenAI batch object has no id');
  const rawStatus = stringOf(wire['status']) ?? '';
  const state = normaliseStatus(rawStatus);
  if (state === undefined) throw new Error(`OpenAI batch ${remoteId} has an unknown status ${JSON.stringify(wire['status'])}`);
  const createdAt = epochMs(wire['created_at']);
  if (createdAt === undefined) throw new Error(`OpenAI batch ${remoteId} has no valid created_at (${JSON.stringify(wire['created_at'])})`);
  const counts = isRecord(wire['request_counts']) ? wire['request_counts'] : {};
  return {
    remoteId,
    state,
    rawStatus,
    counts: { total: countOf(counts['total']), completed: countOf(counts['completed']), failed: countOf(counts['failed']) },
    tags: tagsOf(metadataOf(wire['metadata'])),
    resultRefs: [fileIdOf(wire['output_file_id']), fileIdOf(wire['error_file_id'])].filter((id): id is string => id !== undefined),
    outputFileId: fileIdOf(wire['output_file_id']),
    errorFileId: fileIdOf(wire['error_file_id']),
    inputRef: fileIdOf(wire['input_file_id']),
    endpoint: stringOf(wire['endpoint']),
    model: stringOf(wire['model']),
    createdAt,
    expiresAt: epochMs(wire['expires_at']),
    errors: batchErrorsOf(wire['errors']),
  };
}

// ---------------------------------------------------------------------------------------------
// Failure classification

/**
 * Codes and types with which a provider refuses a request on content grounds, compared without
 * case or separators: OpenAI's `content_policy_violation`; Azure's `content_filter`, its camel-case
 * `contentFilter` (image and v1 endpoints), and the `ResponsibleAIPolicyViolation` it puts in
 * `innererror.code` (and sometimes as the code itself). Such a refusal is deterministic: retrying
 * the same request only pays for the same refusal.
 */
const CONTENT_POLICY_CODES: ReadonlySet<string> = new Set(['contentpolicyviolation', 'contentfilter', 'responsibleaipolicyviolation']);

const isContentPolicyCode = (code: string | undefined): boolean => code !== undefined && CONTENT_POLICY_CODES.has(code.toLowerCase().replace(/[^a-z0-9]/g, ''));

/**
 * The failure class of an HTTP-level failure (a batch line's `response.status_code`, or a sync
 * call's APIError), or of a failure with no HTTP status (a batch line's top-level `error`, a
 * connection error), which is then classified by its code alone. `innerCode` is Azure's
 * `error.innererror.code`, which names a content-filter refusal when the code does not.
 */
export function classifyHttpFailure(status: number | undefined, code: string | undefined, type?: string | undefined, innerCode?: string | undefined): FailureClass {
  const contentPolicy = isContentPolicyCode(code) || isContentPolicyCode(type) || isContentPolicyCode(innerCode);
  if (status === undefined) {
    // §1.4: OpenAI's only top-level codes are batch_expired, batch_cancelled and request_timeout;
    // Azure also puts its content filter's refusal there. Any other code is unknown, and an
    // unknown failure is worth another batch rather than a dead letter.
    if (code === 'batch_expired') return 'expired';
    if (code === 'batch_cancelled') return 'cancelled';
    if (contentPolicy) return 'content_policy';
    return 'transient';
  }
  if (status === 429) return 'rate_limited';
  // 409 is the API's lock-timeout answer, which the SDK itself retries; nothing deterministic
  // about the request caused it, so dead-lettering it would throw away a good item.
  if (status === 408 || status === 409 || status >= 500) return 'transient';
  if (status >= 400) {
    if (contentPolicy) return 'content_policy';
    return 'invalid_request';
  }
  // A non-error status cannot describe a failure; treat it as the unknown kind.
  return 'transient';
}

// ---------------------------------------------------------------------------------------------
// Result lines and sync bodies

type Failure = Extract<ItemOutcome, { ok: false }>;

function failure(
  customId: string,
  failureClass: FailureClass,
  code: string | undefined,
  message: string,
  httpStatus: number | undefined,
  usage: Usage | undefined,
): Failure {
  return { ok: false, customId, failureClass, code, message, httpStatus, usage };
}

/** Chat/embeddings `prompt_tokens`/`completion_tokens`, or Responses `input_tokens`/`output_tokens`. */
function usageOf(body: JsonRecord): Usage | undefined {
  const u = body['usage'];
  if (!isRecord(u)) return undefined;
  const input = numberOf(u['prompt_tokens']) ?? numberOf(u['input_tokens']);
  const output = numberOf(u['completion_tokens']) ?? numberOf(u['output_tokens']);
  if (input === undefined && output === undefined) return undefined;
  // Embeddings report no completion tokens: they produced none, so 0 is exact, not a guess.
  return { inputTokens: input ?? 0, outputTokens: output ?? 0 };
}

/** Azure's `error.innererror.code` (`ResponsibleAIPolicyViolation` for a content-filter refusal). */
const innerCodeOf = (err: JsonRecord): string | undefined => (isRecord(err['innererror']) ? codeOf(err['innererror']['code']) : undefined);

/** An HTTP error body `{ error: { message, type, param, code, innererror? } }` (§1.5, §2) as a failure. */
function httpFailure(customId: string, status: number, body: unknown): Failure {
  const err = isRecord(body) && isRecord(body['error']) ? body['error'] : {};
  const code = codeOf(err['code']);
  const message = stringOf(err['message']) ?? `HTTP ${status}`;
  return failure(customId, classifyHttpFailure(status, code, stringOf(err['type']), innerCodeOf(err)), code, message, status, undefined);
}

function chatOutcome(customId: string, body: JsonRecord, choices: readonly unknown[], httpStatus: number): ItemOutcome {
  const usage = usageOf(body);
  const choice = choices[0];
  if (!isRecord(choice)) return failure(customId, 'invalid_output', 'no_choices', 'The response has no choices.', httpStatus, usage);
  const message = isRecord(choice['message']) ? choice['message'] : {};
  const refusal = message['refusal'];
  if (refusal !== null && refusal !== undefined) {
    return failure(customId, 'content_policy', 'refusal', stringOf(refusal) ?? 'The model refused the request.', httpStatus, usage);
  }
  if (choice['finish_reason'] === 'content_filter') {
    return failure(customId, 'content_policy', 'content_filter', 'The response was stopped by the content filter.', httpStatus, usage);
  }
  const content = message['content'];
  if (typeof content === 'string') return { ok: true, customId, content, usage };
  // A tool-calling answer has null content; its calls are the answer, and reporting '' would make
  // the engine retry a good item as invalid_output.
  const toolCalls = message['tool_calls'];
  if (Array.isArray(toolCalls) && toolCalls.length > 0) return { ok: true, customId, content: JSON.stringify(toolCalls), usage };
  // Legacy /v1/completions choices carry `text` instead of a message.
  const text = choice['text'];
  return { ok: true, customId, content: typeof text === 'string' ? text : '', usage };
}

function responsesOutcome(customId: string, body: JsonRecord, output: readonly unknown[], httpStatus: number): ItemOutcome {
  const usage = usageOf(body);
  const status = body['status'];
  if (status === 'failed') {
    const err = isRecord(body['error']) ? body['error'] : {};
    const code = codeOf(err['code']);
    // A failed response object arrives with HTTP 200, so only its code can classify it.
    const failureClass: FailureClass =
      code === 'rate_limit_exceeded' ? 'rate_limited' : isContentPolicyCode(code) || isContentPolicyCode(innerCodeOf(err)) ? 'content_policy' : 'transient';
    return failure(customId, failureClass, code, stringOf(err['message']) ?? 'The response failed.', httpStatus, usage);
  }
  const incomplete = isRecord(body['incomplete_details']) ? body['incomplete_details'] : {};
  if (status === 'incomplete' && incomplete['reason'] === 'content_filter') {
    return failure(customId, 'content_policy', 'content_filter', 'The response was stopped by the content filter.', httpStatus, usage);
  }
  const texts: string[] = [];
  const refusals: string[] = [];
  const calls: unknown[] = [];
  for (const item of output) {
    if (!isRecord(item)) continue;
    if (item['type'] === 'function_call') calls.push(item);
    const parts = item['content'];
    if (!Array.isArray(parts)) continue;
    for (const part of parts) {
      if (!isRecord(part)) continue;
      if (part['type'] === 'output_text' && typeof part['text'] === 'string') texts.push(part['text']);
      if (part['type'] === 'refusal') refusals.push(stringOf(part['refusal']) ?? '');
    }
  }
  if (refusals.length > 0) {
    return failure(customId, 'content_policy', 'refusal', refusals.find((r) => r !== '') ?? 'The model refused the request.', httpStatus, usage);
  }
  // Joined with '' exactly as the SDK builds `output_text` (lib/ResponsesParser.ts), so the batch
  // and sync paths yield the same string for the same answer.
  if (texts.length > 0 || calls.length === 0) return { ok: true, customId, content: texts.join(''), usage };
  return { ok: true, customId, content: JSON.stringify(calls), usage };
}

/** Maps a 2xx response body of any supported endpoint; `httpStatus` goes on a failure it implies. */
function outcomeFromBody(customId: string, body: unknown, httpStatus: number): ItemOutcome {
  if (!isRecord(body)) return failure(customId, 'invalid_output', 'no_body', 'The response has no JSON body.', httpStatus, undefined);
  const choices = body['choices'];
  if (Array.isArray(choices)) return chatOutcome(customId, body, choices, httpStatus);
  const output = body['output'];
  if (body['object'] === 'response' || Array.isArray(output)) return responsesOutcome(customId, body, Array.isArray(output) ? output : [], httpStatus);
  const data = body['data'];
  if (body['object'] === 'list' && Array.isArray(data)) {
    // Embeddings: the vectors are the answer. JSON of `data` keeps each vector's `index`, which
    // is what ties it back to its input when one request embeds several strings.
    return { ok: true, customId, content: JSON.stringify(data), usage: usageOf(body) };
  }
  // Any other endpoint (moderations, images…): the whole body is the answer; nothing is dropped.
  return { ok: true, customId, content: JSON.stringify(body), usage: usageOf(body) };
}

/**
 * One line of an output or error file (§1.4). Failed when the top-level `error` is set or
 * `response.status_code >= 400`. Undefined for a line that is not JSON or has no custom_id.
 */
export function parseOpenAiResultLine(line: string): ItemOutcome | undefined {
  const text = line.trim();
  if (text === '') return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!isRecord(parsed)) return undefined;
  const customId = parsed['custom_id'];
  if (typeof customId !== 'string' || customId === '') return undefined;
  const response = isRecord(parsed['response']) ? parsed['response'] : undefined;
  const status = numberOf(response?.['status_code']);
  const topError = parsed['error'];
  if (topError !== null && topError !== undefined) {
    const err = isRecord(topError) ? topError : {};
    const code = codeOf(err['code']);
    return failure(customId, classifyHttpFailure(undefined, code, undefined, innerCodeOf(err)), code, stringOf(err['message']) ?? 'The request failed.', status, undefined);
  }
  if (response === undefined || status === undefined) {
    // Neither a response nor an error: the item did not run as far as we can tell (§6.1 treats a
    // missing outcome as failed), and another batch is the cure.
    return failure(customId, 'transient', undefined, 'The result line has neither a response nor an error.', status, undefined);
  }
  if (status >= 400) return httpFailure(customId, status, response['body']);
  return outcomeFromBody(customId, response['body'], status);
}

/** A sync chat / responses / embeddings body (what the SDK resolved with) as an outcome. */
export function outcomeFromSyncResponse(customId: string, body: unknown): ItemOutcome {
  return outcomeFromBody(customId, body, 200);
}

/**
 * A sync call's answer as one line of a batch output (2xx) or error (4xx/5xx) file (§1.4), so
 * the engine keeps it beside the batch results and `parseOpenAiResultLine` reads it back with the
 * same content the call returned.
 */
export function syncResultLine(customId: string, status: number, requestId: string | null | undefined, body: unknown): string {
  const id = `batch_req_sync_${requestId ?? customId}`;
  return JSON.stringify({ id, custom_id: customId, response: { status_code: status, request_id: requestId ?? '', body: body ?? null }, error: null });
}

/**
 * The wait a 429/503 asks for, from `retry-after-ms` (OpenAI's) or `retry-after` (seconds or an
 * HTTP date), in ms; undefined when absent or unreadable.
 */
export function retryAfterMsOf(retryAfterMs: string | null | undefined, retryAfter: string | null | undefined, now: number): number | undefined {
  const ms = numberOf(retryAfterMs);
  if (ms !== undefined && ms >= 0) return ms;
  const seconds = numberOf(retryAfter);
  if (seconds !== undefined && seconds >= 0) return seconds * 1000;
  if (typeof retryAfter === 'string' && retryAfter.trim() !== '') {
    const at = Date.parse(retryAfter);
    if (!Number.isNaN(at)) return Math.max(0, at - now);
  }
  return undefined;
}

/** An HTTP status that refuses our access (key, permission, unknown model or deployment), not the item. */
export function accessKindOf(status: number | undefined): 'auth' | 'permission' | 'not_found' | undefined {
  if (status === 401) return 'auth';
  if (status === 403) return 'permission';
  if (status === 404) return 'not_found';
  return undefined;
}
