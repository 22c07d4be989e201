// Wire shapes of AWS Bedrock batch inference mapped onto provider-neutral types (spec §5). Pure:
// no I/O, no SDK calls, so every branch is table-tested with literal JSON (test/unit/bedrockMapping.test.ts).
// Owns the names that let a restarted process find its job (the job name and the idempotency
// token derived from the tags), where objects live in the bucket, job states, result lines and the
// text of every model family's answer.
import { createHash } from 'node:crypto';
import type { FailureClass, ItemOutcome, Usage } from '../../core/itemOutcome';
import type { BatchTags, ProviderAccessKind, RemoteBatch, RemoteState } from '../batchProvider';

type JsonRecord = Readonly<Record<string, unknown>>;

const isRecord = (v: unknown): v is JsonRecord => typeof v === 'object' && v !== null && !Array.isArray(v);
const stringOf = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

function numberOf(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  if (typeof v === 'string' && /^\s*-?\d+(\.\d+)?\s*$/.test(v)) return Number(v);
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Names: job name, idempotency token, S3 keys

/** CreateModelInvocationJob's jobName: at most 63 characters of this pattern (API reference). */
export const JOB_NAME_PATTERN = /^[a-zA-Z0-9]{1,63}(-*[a-zA-Z0-9+\-.]){0,63}$/;
export const JOB_NAME_MAX = 63;
const NAME_PREFIX = 'llmb-';
/** A name too long to carry the tags: a hash of them; the tags are then read with ListTagsForResource. */
const HASHED_NAME_PREFIX = 'llmbh-';

/** `+XX` per UTF-8 byte for anything outside [A-Za-z0-9.-] (and for `+` itself): reversible, and within the pattern. */
function escapeName(s: string): string {
  let out = '';
  for (const byte of Buffer.from(s, 'utf8')) {
    const c = String.fromCharCode(byte);
    out += /[A-Za-z0-9.-]/.test(c) ? c : `+${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** Reads escaped text up to an unescaped `+` followed by `.` or `+` (the separators), or the end. */
function unescapeName(s: string, from: number): { text: string; end: number } | undefined {
  const bytes: number[] = [];
  let i = from;
  while (i < s.length) {
    const c = s[i] ?? '';
    if (c === '+') {
      const next = s[i + 1];
      if (next === '.' || next === '+') break;
      const hex = s.slice(i + 1, i + 3);
      if (!/^[0-9A-F]{2}$/.test(hex)) return undefined;
      bytes.push(Number.parseInt(hex, 16));
      i += 3;
    } else {
      if (!/[A-Za-z0-9.-]/.test(c)) return undefined;
      bytes.push(c.charCodeAt(0));
      i += 1;
    }
  }
  return { text: Buffer.from(bytes).toString('utf8'), end: i };
}

const sha256Hex = (s: string): string => createHash('sha256').update(s, 'utf8').digest('hex');

/**
 * The job's name, from which `tagsFromJobName` recovers the tags (list summaries carry no tags):
 * `llmb-<jobId>+.<rest of the batch key>` when the key starts with the job id (the engine's keys do:
 * `job-….s0.b1`), else `llmb-<jobId>++<batch key>`, escaped. Readable in the console. A pair too
 * long for 63 characters gets `llmbh-<hash>` instead, and its tags are read from the job's tags.
 */
export function jobNameFor(tags: BatchTags): string {
  const { jobId, batchKey } = tags;
  const name =
    batchKey.startsWith(jobId) && batchKey.length > jobId.length
      ? `${NAME_PREFIX}${escapeName(jobId)}+.${escapeName(batchKey.slice(jobId.length))}`
      : `${NAME_PREFIX}${escapeName(jobId)}++${escapeName(batchKey)}`;
  if (name.length <= JOB_NAME_MAX) return name;
  return `${HASHED_NAME_PREFIX}${sha256Hex(`${jobId}\n${batchKey}`).slice(0, JOB_NAME_MAX - HASHED_NAME_PREFIX.length)}`;
}

/** Whether a job name is one whose tags must be read from the job's own tags (too long to encode). */
export const isHashedJobName = (name: string): boolean => name.startsWith(HASHED_NAME_PREFIX);

/** The tags a `jobNameFor` name encodes; undefined for any other name. */
export function tagsFromJobName(name: string): BatchTags | undefined {
  if (!name.startsWith(NAME_PREFIX)) return undefined;
  const job = unescapeName(name, NAME_PREFIX.length);
  if (!job || job.text === '' || job.end >= name.length) return undefined;
  const separator = name[job.end + 1];
  const rest = unescapeName(name, job.end + 2);
  if (!rest || rest.end !== name.length || rest.text === '') return undefined;
  return { jobId: job.text, batchKey: separator === '.' ? `${job.text}${rest.text}` : rest.text };
}

/**
 * The idempotency token of the create (spec §5.1: `clientRequestToken`): the same submission
 * always sends the same token, so a create whose answer was lost can be sent again and Bedrock
 * answers with the job it already made instead of making a second one. 64 hex characters, within
 * the token's pattern `[a-zA-Z0-9]{1,256}(-*[a-zA-Z0-9]){0,256}`.
 */
export function clientRequestTokenFor(tags: BatchTags): string {
  return sha256Hex(`llmb\n${tags.jobId}\n${tags.batchKey}`);
}

/** The tags a job carries, which ListTagsForResource reads back for a hashed name. */
export const TAG_JOB = 'llmb_job';
export const TAG_BATCH = 'llmb_batch';

export function tagsFromAwsTags(tags: readonly { key?: string | undefined; value?: string | undefined }[] | undefined): BatchTags | undefined {
  const jobId = tags?.find((t) => t.key === TAG_JOB)?.value;
  const batchKey = tags?.find((t) => t.key === TAG_BATCH)?.value;
  return jobId && batchKey ? { jobId, batchKey } : undefined;
}

/** Where a batch's input is staged in the bucket. */
export const stagingKey = (tags: BatchTags): string => `llm-batch/${tags.jobId}/${tags.batchKey}.jsonl`;
/** The output prefix given to the job; Bedrock writes into `<it><job id>/`. */
export const outputPrefixKey = (tags: BatchTags): string => `llm-batch/${tags.jobId}/${tags.batchKey}.out/`;

export const s3Uri = (bucket: string, key: string): string => `s3://${bucket}/${key}`;

export function parseS3Uri(uri: string): { bucket: string; key: string } | undefined {
  const m = /^s3:\/\/([^/]+)\/?(.*)$/.exec(uri);
  return m?.[1] ? { bucket: m[1], key: m[2] ?? '' } : undefined;
}

/** The job id Bedrock names the output folder after: the last segment of the job ARN. */
export const jobIdOfArn = (jobArn: string): string => jobArn.slice(jobArn.lastIndexOf('/') + 1);

/** `s3://b/prefix/` + `<job id>/`: the folder holding `*.jsonl.out` and `manifest.json.out` (spec §5.3). */
export function resultFolderUri(outputUri: string, jobArn: string): string {
  const base = outputUri.endsWith('/') ? outputUri : `${outputUri}/`;
  return `${base}${jobIdOfArn(jobArn)}/`;
}

// ---------------------------------------------------------------------------------------------
// Jobs

const STATES: Readonly<Record<string, RemoteState>> = {
  Submitted: 'validating',
  Validating: 'validating',
  Scheduled: 'validating',
  InProgress: 'in_progress',
  Completed: 'completed',
  // Not every record ran before the timeout: the batch is over, and the records absent from its
  // output become failed items (fetchResults writes them as expired).
  PartiallyCompleted: 'completed',
  Failed: 'failed',
  Stopping: 'cancelling',
  Stopped: 'cancelled',
  Expired: 'expired',
};

export const stateOf = (rawStatus: string): RemoteState | undefined => STATES[rawStatus];

/** A Date (what the SDK hands out), an RFC 3339 string or epoch ms → epoch ms. */
function epochMs(v: unknown): number | undefined {
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? undefined : v.getTime();
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  if (typeof v === 'string' && v.trim() !== '') {
    const ms = Date.parse(v);
    return Number.isNaN(ms) ? undefined : ms;
  }
  return undefined;
}

const countOf = (v: unknown): number => {
  const n = numberOf(v);
  return n !== undefined && n >= 0 ? Math.trunc(n) : 0;
};

/**
 * Why a failed job failed. Bedrock gives only a `message`; the code says which kind of failure it
 * reads as: `ValidationException` for a job refused while validating (its input: too few or too
 * many records, a malformed line, an unreadable S3 location), else `JobFailed`.
 */
export function jobErrors(rawStatus: string, message: string | undefined): RemoteBatch['errors'] {
  if (rawStatus !== 'Failed') return [];
  const text = message ?? 'The job failed without a message.';
  const validation = /record|minimum|maximum|valid|jsonl|s3|input|format|quota/i.test(text);
  return [{ code: validation ? 'ValidationException' : 'JobFailed', message: text, line: undefined }];
}

/** Whether a failed job's message says it had fewer records than the per-job minimum (spec §5.2). */
export const isBelowMinimumRecords = (message: string): boolean => /less records|fewer records|minimum (number of )?records|required minimum/i.test(message);

/**
 * A GetModelInvocationJob response or a ListModelInvocationJobs summary (SDK objects: timestamps
 * are Dates) as a RemoteBatch. `tags` overrides what the name encodes (read from the job's tags).
 * Throws on a job with no ARN, no submit time or an unknown status: guessing a state could make
 * the engine treat a running job as finished, or the reverse.
 */
export function toRemoteBatch(job: unknown, tags?: BatchTags): RemoteBatch {
  if (!isRecord(job)) throw new Error('Bedrock job is not an object');
  const jobArn = stringOf(job['jobArn']);
  if (jobArn === undefined || jobArn === '') throw new Error('Bedrock job has no jobArn');
  const rawStatus = stringOf(job['status']) ?? '';
  const state = stateOf(rawStatus);
  if (state === undefined) throw new Error(`Bedrock job ${jobArn} has an unknown status ${JSON.stringify(job['status'])}`);
  const createdAt = epochMs(job['submitTime']);
  if (createdAt === undefined) throw new Error(`Bedrock job ${jobArn} has no valid submitTime`);
  const input = isRecord(job['inputDataConfig']) && isRecord(job['inputDataConfig']['s3InputDataConfig']) ? job['inputDataConfig']['s3InputDataConfig'] : {};
  const output = isRecord(job['outputDataConfig']) && isRecord(job['outputDataConfig']['s3OutputDataConfig']) ? job['outputDataConfig']['s3OutputDataConfig'] : {};
  const outputUri = stringOf(output['s3Uri']);
  const hasResults = state === 'completed' || state === 'cancelled' || state === 'expired' || state === 'in_progress';
  return {
    remoteId: jobArn,
    state,
    rawStatus,
    counts: { total: countOf(job['totalRecordCount']), completed: countOf(job['successRecordCount']), failed: countOf(job['errorRecordCount']) },
    tags: tags ?? ourTags(job),
    resultRefs: hasResults && outputUri !== undefined ? [resultFolderUri(outputUri, jobArn)] : [],
    inputRef: stringOf(input['s3Uri']),
    endpoint: stringOf(job['modelInvocationType']) ?? 'InvokeModel',
    model: stringOf(job['modelId']),
    createdAt,
    expiresAt: epochMs(job['jobExpirationTime']),
    errors: jobErrors(rawStatus, stringOf(job['message'])),
  };
}

/** The tags the job's name encodes, when its idempotency token confirms the job is the one we made. */
function ourTags(job: JsonRecord): BatchTags | undefined {
  const tags = tagsFromJobName(stringOf(job['jobName']) ?? '');
  if (!tags) return undefined;
  const token = stringOf(job['clientRequestToken']);
  // A job someone named like ours has another token (the SDK generates a UUID when none is given).
  return token === undefined || token === clientRequestTokenFor(tags) ? tags : undefined;
}

// ---------------------------------------------------------------------------------------------
// Failure classification

const RATE_LIMIT_NAMES: ReadonlySet<string> = new Set(['throttlingexception', 'toomanyrequestsexception', 'modelnotreadyexception', 'servicequotaexceededexception']);
const TRANSIENT_NAMES: ReadonlySet<string> = new Set([
  'internalserverexception',
  'serviceunavailableexception',
  'modeltimeoutexception',
  'modelerrorexception',
  'modelstreamerrorexception',
  'recordmissing',
]);
const CONTENT_POLICY_TEXT = /content filter|guardrail|blocked by|content policy|responsible ai/i;

/** Codes `fetchResults` writes for records a job left out of its output. */
export const MISSING_RECORD_CODES = { expired: 'JobExpired', stopped: 'JobStopped', missing: 'RecordMissing' } as const;

/**
 * The failure class of a record's `error.errorCode` (an HTTP status in the output, spec §5.3) or of
 * an AWS error name (sync calls, our synthesized lines). 429 → rate_limited; 408/424/5xx →
 * transient; other 4xx → invalid_request, or content_policy when the message says a filter or
 * guardrail blocked it. An unknown code is worth another batch, not a dead letter.
 */
export function classifyErrorCode(code: unknown, message = ''): FailureClass {
  const status = numberOf(code);
  if (status !== undefined) {
    if (status === 429) return 'rate_limited';
    if (status === 408 || status === 424 || status >= 500) return 'transient';
    if (status >= 400) return CONTENT_POLICY_TEXT.test(message) ? 'content_policy' : 'invalid_request';
    return 'transient';
  }
  const name = (stringOf(code) ?? '').toLowerCase();
  if (name === MISSING_RECORD_CODES.expired.toLowerCase()) return 'expired';
  if (name === MISSING_RECORD_CODES.stopped.toLowerCase()) return 'cancelled';
  if (RATE_LIMIT_NAMES.has(name)) return 'rate_limited';
  if (TRANSIENT_NAMES.has(name)) return 'transient';
  if (name === 'validationexception') return CONTENT_POLICY_TEXT.test(message) ? 'content_policy' : 'invalid_request';
  return 'transient';
}

/** An AWS error that refuses our access (credentials, permission, unknown model), not the item. */
export function accessKindOf(errorName: string | undefined, status: number | undefined, message = ''): ProviderAccessKind | undefined {
  const name = errorName ?? '';
  if (/^(UnrecognizedClientException|InvalidAccessKeyId|SignatureDoesNotMatch|InvalidSignatureException|ExpiredToken(Exception)?|InvalidToken|MissingAuthenticationTokenException|IncompleteSignature(Exception)?)$/.test(name)) return 'auth';
  if (name === 'AccessDeniedException' || name === 'AccessDenied') return 'permission';
  if (name === 'ResourceNotFoundException') return 'not_found';
  // Bedrock answers an unknown model id with a 400 ValidationException (probe wording).
  if (name === 'ValidationException' && /model identifier is invalid/i.test(message)) return 'not_found';
  if (status === 401) return 'auth';
  if (status === 403) return 'permission';
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Model outputs and result lines

type Failure = Extract<ItemOutcome, { ok: false }>;

function failure(customId: string, failureClass: FailureClass, code: string | undefined, message: string, httpStatus: number | undefined, usage: Usage | undefined): Failure {
  return { ok: false, customId, failureClass, code, message, httpStatus, usage };
}

function usageFrom(input: number | undefined, output: number | undefined, cacheRead?: number, cacheWrite?: number): Usage | undefined {
  if (input === undefined && output === undefined && cacheRead === undefined && cacheWrite === undefined) return undefined;
  const read = cacheRead ?? 0;
  const write = cacheWrite ?? 0;
  return {
    // Anthropic's input_tokens and Converse's inputTokens leave out cached tokens; Usage counts them all.
    inputTokens: (input ?? 0) + read + write,
    outputTokens: output ?? 0,
    ...(cacheRead === undefined ? {} : { cacheReadTokens: read }),
    ...(cacheWrite === undefined ? {} : { cacheWriteTokens: write }),
  };
}

const textsOf = (parts: readonly unknown[]): string[] => parts.filter(isRecord).flatMap((p) => (typeof p['text'] === 'string' && (p['type'] === undefined || p['type'] === 'text') ? [p['text']] : []));

/** Anthropic Messages on Bedrock (InvokeModel): `content[]`, `stop_reason`, `usage.input_tokens`. */
function anthropicOutcome(customId: string, out: JsonRecord, content: readonly unknown[]): ItemOutcome {
  const u = isRecord(out['usage']) ? out['usage'] : {};
  const usage = usageFrom(numberOf(u['input_tokens']), numberOf(u['output_tokens']), numberOf(u['cache_read_input_tokens']), numberOf(u['cache_creation_input_tokens']));
  if (out['stop_reason'] === 'refusal') return failure(customId, 'content_policy', 'refusal', 'The model refused the request.', undefined, usage);
  const texts = textsOf(content);
  const tools = content.filter((p) => isRecord(p) && p['type'] === 'tool_use');
  if (texts.length === 0 && tools.length > 0) return { ok: true, customId, content: JSON.stringify(tools), usage };
  return { ok: true, customId, content: texts.join(''), usage };
}

/** Converse (and Amazon Nova's InvokeModel body): `output.message.content[]`, `stopReason`, `usage.inputTokens`. */
function converseOutcome(customId: string, out: JsonRecord, message: JsonRecord): ItemOutcome {
  const u = isRecord(out['usage']) ? out['usage'] : {};
  const usage = usageFrom(numberOf(u['inputTokens']), numberOf(u['outputTokens']), numberOf(u['cacheReadInputTokens']), numberOf(u['cacheWriteInputTokens']));
  const stop = stringOf(out['stopReason']);
  if (stop === 'content_filtered' || stop === 'guardrail_intervened') {
    return failure(customId, 'content_policy', stop, stop === 'guardrail_intervened' ? 'A guardrail blocked the response.' : 'The response was blocked by the content filter.', undefined, usage);
  }
  const content = Array.isArray(message['content']) ? message['content'] : [];
  const texts = content.filter(isRecord).flatMap((p) => (typeof p['text'] === 'string' ? [p['text']] : []));
  const tools = content.filter((p) => isRecord(p) && 'toolUse' in p);
  if (texts.length === 0 && tools.length > 0) return { ok: true, customId, content: JSON.stringify(tools), usage };
  return { ok: true, customId, content: texts.join(''), usage };
}

/**
 * A model's answer (a batch record's `modelOutput`, or a sync call's body) as an outcome, whatever
 * the model family: Anthropic Messages, Converse / Nova, OpenAI-compatible `choices`, Titan
 * `results[].outputText`, Llama `generation`, Mistral `outputs[].text`, Cohere `generations[].text`,
 * a bare `outputText`/`completion`/`text`; anything else is kept whole as JSON (nothing is dropped).
 */
export function outcomeFromModelOutput(customId: string, output: unknown, lineUsage?: Usage): ItemOutcome {
  if (!isRecord(output)) {
    if (typeof output === 'string') return { ok: true, customId, content: output, usage: lineUsage };
    return failure(customId, 'invalid_output', 'no_body', 'The model output is not a JSON object.', undefined, lineUsage);
  }
  if (output['amazon-bedrock-guardrailAction'] === 'INTERVENED') {
    return failure(customId, 'content_policy', 'guardrail_intervened', 'A guardrail blocked the response.', undefined, lineUsage);
  }
  const content = output['content'];
  if (Array.isArray(content) && (output['type'] === 'message' || 'stop_reason' in output || output['role'] === 'assistant')) {
    const outcome = anthropicOutcome(customId, output, content);
    return outcome.usage === undefined && lineUsage ? { ...outcome, usage: lineUsage } : outcome;
  }
  const message = isRecord(output['output']) && isRecord(output['output']['message']) ? output['output']['message'] : undefined;
  if (message) {
    const outcome = converseOutcome(customId, output, message);
    return outcome.usage === undefined && lineUsage ? { ...outcome, usage: lineUsage } : outcome;
  }
  const generic = genericText(output);
  const usage = generic.usage ?? lineUsage;
  if (generic.filtered) return failure(customId, 'content_policy', 'content_filtered', 'The response was blocked by the content filter.', undefined, usage);
  return { ok: true, customId, content: generic.text ?? JSON.stringify(output), usage };
}

function genericText(out: JsonRecord): { text: string | undefined; usage: Usage | undefined; filtered: boolean } {
  const choices = out['choices'];
  if (Array.isArray(choices) && isRecord(choices[0])) {
    const choice = choices[0];
    const u = isRecord(out['usage']) ? out['usage'] : {};
    const usage = usageFrom(numberOf(u['prompt_tokens']), numberOf(u['completion_tokens']));
    const msg = isRecord(choice['message']) ? choice['message'] : {};
    return { text: stringOf(msg['content']) ?? stringOf(choice['text']) ?? '', usage, filtered: choice['finish_reason'] === 'content_filter' };
  }
  const results = out['results'];
  if (Array.isArray(results)) {
    // Titan Text: the prompt's tokens at the top, each result's own.
    const parts = results.filter(isRecord);
    const outputTokens = parts.reduce((sum, r) => sum + (numberOf(r['tokenCount']) ?? 0), 0);
    const usage = usageFrom(numberOf(out['inputTextTokenCount']), parts.length > 0 ? outputTokens : undefined);
    return { text: parts.map((r) => stringOf(r['outputText']) ?? '').join(''), usage, filtered: parts.some((r) => r['completionReason'] === 'CONTENT_FILTERED') };
  }
  if (typeof out['generation'] === 'string') {
    return { text: out['generation'], usage: usageFrom(numberOf(out['prompt_token_count']), numberOf(out['generation_token_count'])), filtered: false };
  }
  for (const list of ['outputs', 'generations'] as const) {
    const items = out[list];
    if (Array.isArray(items) && items.some((i) => isRecord(i) && typeof i['text'] === 'string')) {
      return { text: items.filter(isRecord).map((i) => stringOf(i['text']) ?? '').join(''), usage: undefined, filtered: false };
    }
  }
  for (const field of ['outputText', 'completion', 'text'] as const) {
    if (typeof out[field] === 'string') return { text: out[field], usage: undefined, filtered: false };
  }
  return { text: undefined, usage: undefined, filtered: false };
}

/** Our addition to a sync answer's line when the counts came only in headers: `usage: {inputTokens, outputTokens}`. */
function lineUsageOf(v: unknown): Usage | undefined {
  if (!isRecord(v)) return undefined;
  return usageFrom(numberOf(v['inputTokens']), numberOf(v['outputTokens']));
}

/**
 * One line of a `*.jsonl.out` object (spec §5.3) or a kept sync answer: `{recordId, modelInput,
 * modelOutput}` → its outcome; `{recordId, …, error: {errorCode, errorMessage}}` → failed, by code.
 * Undefined for a line that is not JSON or has no recordId (e.g. a manifest).
 */
export function parseBedrockResultLine(line: string): ItemOutcome | undefined {
  const text = line.trim();
  if (text === '') return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!isRecord(parsed)) return undefined;
  const recordId = parsed['recordId'];
  if (typeof recordId !== 'string' || recordId === '') return undefined;
  const error = parsed['error'];
  if (error !== undefined && error !== null) {
    const e = isRecord(error) ? error : {};
    const code = e['errorCode'];
    const message = stringOf(e['errorMessage']) ?? stringOf(e['message']) ?? 'The record failed.';
    const status = numberOf(code);
    return failure(recordId, classifyErrorCode(code, message), code === undefined ? undefined : String(code), message, status, lineUsageOf(parsed['usage']));
  }
  if (!('modelOutput' in parsed)) return failure(recordId, 'transient', 'no_output', 'The result line has neither a modelOutput nor an error.', undefined, undefined);
  return outcomeFromModelOutput(recordId, parsed['modelOutput'], lineUsageOf(parsed['usage']));
}

/** A sync answer as a line of the output (read back by parseBedrockResultLine with the same outcome). */
export function syncResultLine(recordId: string, modelInput: unknown, modelOutput: unknown, headerUsage?: { inputTokens: number; outputTokens: number }): string {
  return JSON.stringify({ recordId, modelInput, modelOutput, ...(headerUsage ? { usage: headerUsage } : {}) });
}

/** A failed sync call as an error line of the output. */
export function errorResultLine(recordId: string, modelInput: unknown, errorCode: number | string, errorMessage: string): string {
  return JSON.stringify({ recordId, modelInput, error: { errorCode, errorMessage } });
}

/**
 * The line written for a record the job's output left out: by the job's end state, expired
 * (PartiallyCompleted, Expired: the timeout struck first), cancelled (Stopped by a user) or, in a
 * job that says it completed, missing (worth another batch).
 */
export function missingRecordLine(recordId: string, rawStatus: string): string {
  const [code, message] =
    rawStatus === 'Stopped' || rawStatus === 'Stopping'
      ? [MISSING_RECORD_CODES.stopped, 'The record was not processed: the job was stopped.']
      : rawStatus === 'PartiallyCompleted' || rawStatus === 'Expired'
        ? [MISSING_RECORD_CODES.expired, `The record was not processed before the job timed out (${rawStatus}).`]
        : [MISSING_RECORD_CODES.missing, `The record is missing from the output of a job that ended ${rawStatus}.`];
  return JSON.stringify({ recordId, error: { errorCode: code, errorMessage: message } });
}

/** The wait a throttled call asks for, from `retry-after` or `x-amz-retry-after` (seconds or an HTTP date), in ms. */
export function retryAfterMsOf(headers: Readonly<Record<string, string | undefined>> | undefined, now: number): number | undefined {
  if (!headers) return undefined;
  const amz = numberOf(headers['x-amz-retry-after']);
  if (amz !== undefined && amz >= 0) return amz;
  const raw = headers['retry-after'];
  const seconds = numberOf(raw);
  if (seconds !== undefined && seconds >= 0) return seconds * 1000;
  if (typeof raw === 'string' && raw.trim() !== '') {
    const at = Date.parse(raw);
    if (!Number.isNaN(at)) return Math.max(0, at - now);
  }
  return undefined;
}

/** InvokeModel's token counts from its `x-amzn-bedrock-*-token-count` headers (spec §5.6). */
export function headerTokenCounts(headers: Readonly<Record<string, string | undefined>> | undefined): { inputTokens: number; outputTokens: number } | undefined {
  const input = numberOf(headers?.['x-amzn-bedrock-input-token-count']);
  const output = numberOf(headers?.['x-amzn-bedrock-output-token-count']);
  return input === undefined || output === undefined ? undefined : { inputTokens: input, outputTokens: output };
}
