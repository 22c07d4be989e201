// Pure wire mapping for Anthropic Message Batches (docs/PROVIDER_BATCH_APIS.md §3): literal JSON
// in, provider-neutral types out. No I/O and no SDK calls, so every rule here is table-tested
// (test/unit/anthropicMapping.test.ts).
import type { FailureClass, ItemOutcome, Usage } from '../../core/itemOutcome';
import type { FoundBatch, RemoteBatch, RemoteState } from '../batchProvider';

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const stringOf = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const countOf = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : 0);

/** An RFC 3339 timestamp (spec §3.3) as epoch ms; undefined when absent or unparseable. */
function epochMs(v: unknown): number | undefined {
  if (typeof v !== 'string' || v === '') return undefined;
  const ms = Date.parse(v);
  return Number.isNaN(ms) ? undefined : ms;
}

/** The five request_counts, which always sum to the batch's total (spec §3.3). */
export interface RequestCounts {
  readonly processing: number;
  readonly succeeded: number;
  readonly errored: number;
  readonly canceled: number;
  readonly expired: number;
}

export function requestCountsOf(wire: unknown): RequestCounts {
  const c = isRecord(wire) ? wire : {};
  return { processing: countOf(c['processing']), succeeded: countOf(c['succeeded']), errored: countOf(c['errored']), canceled: countOf(c['canceled']), expired: countOf(c['expired']) };
}

export const totalOf = (c: RequestCounts): number => c.processing + c.succeeded + c.errored + c.canceled + c.expired;

/**
 * Anthropic has three processing states; the neutral ones come from how the batch ended:
 * `ended` after a cancel was initiated is `cancelled` (even when nothing could be interrupted),
 * `ended` with every request expired is `expired` (the 24 h window closed before any ran; a
 * partial expiry is `completed`, its expired items come back one by one), any other `ended` is
 * `completed`. Undefined for a status we do not know.
 */
export function stateOf(processingStatus: string, cancelInitiated: boolean, counts: RequestCounts): RemoteState | undefined {
  switch (processingStatus) {
    case 'in_progress':
      return 'in_progress';
    case 'canceling':
      return 'cancelling';
    case 'ended': {
      if (cancelInitiated) return 'cancelled';
      const total = totalOf(counts);
      return total > 0 && counts.expired === total ? 'expired' : 'completed';
    }
    default:
      return undefined;
  }
}

/**
 * A wire MessageBatch as a RemoteBatch. Throws on an object with no id, no parseable created_at
 * or an unknown processing_status: guessing a state could lose results or poll forever.
 * Anthropic carries no tags, keeps no input, and names no model on the batch (each request does).
 */
export function toRemoteBatch(wire: unknown): RemoteBatch {
  if (!isRecord(wire)) throw new Error('Anthropic message batch is not a JSON object');
  const remoteId = stringOf(wire['id']);
  if (remoteId === undefined) throw new Error('Anthropic message batch has no id');
  const rawStatus = stringOf(wire['processing_status']) ?? '';
  const counts = requestCountsOf(wire['request_counts']);
  const state = stateOf(rawStatus, stringOf(wire['cancel_initiated_at']) !== undefined, counts);
  if (state === undefined) throw new Error(`Anthropic message batch ${remoteId} has an unknown processing_status ${JSON.stringify(wire['processing_status'])}`);
  const createdAt = epochMs(wire['created_at']);
  if (createdAt === undefined) throw new Error(`Anthropic message batch ${remoteId} has no valid created_at (${JSON.stringify(wire['created_at'])})`);
  const resultsUrl = stringOf(wire['results_url']);
  const archived = stringOf(wire['archived_at']);
  return {
    remoteId,
    state,
    rawStatus,
    // succeeded/errored/canceled/expired stay 0 until the whole batch ends (spec §3.3).
    counts: { total: totalOf(counts), completed: counts.succeeded, failed: counts.errored + counts.canceled + counts.expired },
    tags: undefined,
    resultRefs: resultsUrl === undefined ? [] : [resultsUrl],
    inputRef: undefined,
    endpoint: undefined,
    model: undefined,
    createdAt,
    expiresAt: epochMs(wire['expires_at']),
    // Results are kept 29 days; an archived batch's are gone (spec §3.3), which is worth saying.
    errors: archived === undefined ? [] : [{ code: 'archived', message: `the batch was archived at ${archived}; its results are no longer available`, line: undefined }],
  };
}

// ---------------------------------------------------------------------------------------------
// Failure classification

/**
 * An Anthropic error `type` (spec §3.5), or the HTTP status when there is none, as a failure class.
 * Deterministic refusals of the request (bad params, an unknown model, a permission) are
 * invalid_request: paying again for the same 400 is waste. Capacity and server trouble retry.
 */
export function classifyError(type: string | undefined, status: number | undefined): FailureClass {
  switch (type) {
    case 'invalid_request_error':
    case 'request_too_large':
    case 'not_found_error':
    case 'permission_error':
    case 'authentication_error':
    case 'billing_error':
    case 'memory_precondition_failed_error':
    case 'memory_path_conflict_error':
      return 'invalid_request';
    case 'rate_limit_error':
      return 'rate_limited';
    case 'api_error':
    case 'overloaded_error':
    case 'timeout_error':
    case 'conflict_error':
      return 'transient';
    default:
      break;
  }
  if (status === 429) return 'rate_limited';
  if (status === undefined || status === 408 || status === 409 || status >= 500) return 'transient';
  return 'invalid_request';
}

// ---------------------------------------------------------------------------------------------
// Result lines

/** Usage of a Message: every input token counted once, the cached ones also named (spec §3.7). */
export function usageOf(wire: unknown): Usage | undefined {
  if (!isRecord(wire)) return undefined;
  const input = countOf(wire['input_tokens']);
  const cacheRead = countOf(wire['cache_read_input_tokens']);
  const cacheWrite = countOf(wire['cache_creation_input_tokens']);
  return { inputTokens: input + cacheRead + cacheWrite, outputTokens: countOf(wire['output_tokens']), cacheReadTokens: cacheRead, cacheWriteTokens: cacheWrite };
}

/** The text of a Message: its text blocks joined as they come (citations split one answer into several). */
export function messageText(message: Record<string, unknown>): string {
  const content = message['content'];
  if (!Array.isArray(content)) return '';
  let text = '';
  for (const block of content) if (isRecord(block) && block['type'] === 'text' && typeof block['text'] === 'string') text += block['text'];
  return text;
}

/** One result (`{type: succeeded|errored|canceled|expired, …}`) of item `customId` as its outcome. */
export function outcomeOfResult(customId: string, result: unknown, httpStatus?: number): ItemOutcome | undefined {
  if (!isRecord(result)) return undefined;
  switch (result['type']) {
    case 'succeeded': {
      const message = isRecord(result['message']) ? result['message'] : {};
      const usage = usageOf(message['usage']);
      // The safety classifiers stepped in (a refusal): Anthropic's content filter, not an answer.
      if (message['stop_reason'] === 'refusal') {
        return { ok: false, customId, failureClass: 'content_policy', code: 'refusal', message: 'The model declined to answer (stop_reason "refusal").', httpStatus, usage };
      }
      return { ok: true, customId, content: messageText(message), usage };
    }
    case 'errored': {
      // `error` is the whole error body: {type: 'error', error: {type, message, details?}, request_id}.
      const body = isRecord(result['error']) ? result['error'] : {};
      const inner = isRecord(body['error']) ? body['error'] : body;
      const type = stringOf(inner['type']);
      const details = isRecord(inner['details']) ? inner['details'] : {};
      return {
        ok: false,
        customId,
        failureClass: classifyError(type, httpStatus),
        code: stringOf(details['error_code']) ?? type,
        message: stringOf(inner['message']) ?? 'the request errored without a message',
        httpStatus,
        usage: undefined,
      };
    }
    case 'canceled':
      return { ok: false, customId, failureClass: 'cancelled', code: 'canceled', message: 'The batch was canceled before this request ran.', httpStatus, usage: undefined };
    case 'expired':
      return { ok: false, customId, failureClass: 'expired', code: 'expired', message: 'The batch expired (24 h) before this request ran.', httpStatus, usage: undefined };
    default:
      return undefined;
  }
}

/**
 * One line of a results stream, or a kept sync answer (which adds `http_status` for an error
 * the sync call got). Undefined for a line that is not a result.
 */
export function parseAnthropicResultLine(line: string): ItemOutcome | undefined {
  const trimmed = line.trim();
  if (trimmed === '') return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(trimmed);
  } catch {
    return undefined;
  }
  if (!isRecord(parsed)) return undefined;
  const customId = stringOf(parsed['custom_id']);
  if (customId === undefined) return undefined;
  const status = parsed['http_status'];
  return outcomeOfResult(customId, parsed['result'], typeof status === 'number' && Number.isInteger(status) ? status : undefined);
}

/** A sync Message as the result line a batch would have given for it. */
export function syncSuccessLine(customId: string, message: unknown): string {
  return JSON.stringify({ custom_id: customId, result: { type: 'succeeded', message } });
}

/** A sync HTTP error as an `errored` result line, with the status the batch line would not carry. */
export function syncErrorLine(customId: string, httpStatus: number, error: { type: string; message: string; details?: unknown }, requestId: string | null | undefined): string {
  return JSON.stringify({ custom_id: customId, result: { type: 'errored', error: { type: 'error', error, request_id: requestId ?? null } }, http_status: httpStatus });
}

/** The inner `{type, message, details?}` of an Anthropic error body, when it has one. */
export function errorObjectOf(body: unknown): { type: string; message: string; details?: unknown } | undefined {
  const inner = isRecord(body) && isRecord(body['error']) ? body['error'] : undefined;
  const type = inner ? stringOf(inner['type']) : undefined;
  if (!inner || type === undefined) return undefined;
  const message = stringOf(inner['message']) ?? '';
  return inner['details'] === undefined ? { type, message } : { type, message, details: inner['details'] };
}

/** retry-after-ms (Anthropic and Stainless SDKs), else retry-after in seconds or as an HTTP date. */
export function retryAfterMsOf(retryAfterMs: string | null | undefined, retryAfter: string | null | undefined, now: number): number | undefined {
  const ms = retryAfterMs === null || retryAfterMs === undefined || retryAfterMs.trim() === '' ? NaN : Number(retryAfterMs);
  if (Number.isFinite(ms) && ms >= 0) return ms;
  if (retryAfter === null || retryAfter === undefined || retryAfter.trim() === '') return undefined;
  const seconds = Number(retryAfter);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const at = Date.parse(retryAfter);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

// ---------------------------------------------------------------------------------------------
// Finding our own batch after a crash

/** How far before the journaled attempt a batch may be stamped (clock skew between us and the API). */
export const FIND_SKEW_MS = 60_000;

/** A batch that could be the one a lost create made, and what its results say about its ids. */
export interface CreatedCandidate {
  readonly remote: RemoteBatch;
  /** `match`/`mismatch`: its results' custom_ids were compared with the input's; `unknown`: not ended, or not compared. */
  readonly ids: 'match' | 'mismatch' | 'unknown';
}

/**
 * Whether a listed batch could be the one made by a create of `itemCount` requests journaled at
 * `since`: Anthropic keeps no tags and no input, so only the time and the size can say.
 */
export function couldBeCreated(remote: RemoteBatch, itemCount: number, since: number): boolean {
  return remote.createdAt >= since - FIND_SKEW_MS && remote.counts.total === itemCount;
}

/**
 * The decision between candidates: those whose ids were seen to differ are dropped; one left is
 * found; a single candidate whose ids were seen to match wins over ones that could not be checked
 * (in progress); otherwise more than one is ambiguous, never a guess.
 */
export function decideCreated(candidates: readonly CreatedCandidate[]): FoundBatch {
  const possible = candidates.filter((c) => c.ids !== 'mismatch');
  const only = possible[0];
  if (possible.length === 1 && only) return { kind: 'found', remote: only.remote };
  if (possible.length === 0) return { kind: 'none' };
  const matched = possible.filter((c) => c.ids === 'match');
  const verified = matched[0];
  if (matched.length === 1 && verified) return { kind: 'found', remote: verified.remote };
  return { kind: 'ambiguous', candidates: possible.map((c) => c.remote.remoteId) };
}

/** Whether a batch's result ids are exactly the input's (each result names one request). */
export function sameIds(input: ReadonlySet<string>, results: readonly string[]): boolean {
  if (results.length !== input.size) return false;
  const seen = new Set<string>();
  for (const id of results) {
    if (!input.has(id) || seen.has(id)) return false;
    seen.add(id);
  }
  return true;
}
