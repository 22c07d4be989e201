// The batch lifecycle of spec §1.3, computed lazily from elapsed (scaled) time on every read, so
// the emulator owns no timers that could keep a test process alive. Result files (§1.4) are
// written exactly once, when a batch reaches completed, expired or cancelled.

import type { BatchFaults, ItemFault } from './faults';
import { errorForCode, isJsonObject, modelEndpointOf, openAiError, randomId, runFakeModel } from './fakeModel';
import type { Json, JsonObject, ModelError } from './fakeModel';
import type { Store } from './store';
import { processingOrder } from '../shared/order';

export { processingOrder } from '../shared/order';

export interface TimeScale {
  validatingMs: number;
  inProgressMs: number;
  finalizingMs: number;
}

/** Which API surface created the batch: Azure relaxes the line URL rule and raises the line cap (§2.2). */
export type Flavor = 'openai' | 'azure';

export type BatchStatus = 'validating' | 'failed' | 'in_progress' | 'finalizing' | 'completed' | 'expired' | 'cancelling' | 'cancelled';

export type BatchLineError = { code: string; message: string; param: string | null; line: number | null };

/** `endpoint` values the SDK's BatchCreateParams accepts (spec §1.1). */
export const OPENAI_BATCH_ENDPOINTS: readonly string[] = [
  '/v1/responses',
  '/v1/chat/completions',
  '/v1/embeddings',
  '/v1/completions',
  '/v1/moderations',
  '/v1/images/generations',
  '/v1/images/edits',
  '/v1/videos',
];

export const MAX_BATCH_LINES: Readonly<Record<Flavor, number>> = { openai: 50_000, azure: 100_000 };

const TWENTY_FOUR_HOURS_SEC = 86_400;
const THIRTY_DAYS_SEC = 30 * 86_400;
/** Validation stops collecting after this many line errors, so a garbage 200 MB file stays cheap. */
const MAX_REPORTED_ERRORS = 1000;

/** Azure accepts `/chat/completions` as well as `/v1/chat/completions` (§2.2); OpenAI wants the /v1 form. */
const withoutV1 = (url: string): string => (url.startsWith('/v1/') ? url.slice(3) : url);

export function isAllowedEndpoint(endpoint: string, flavor: Flavor): boolean {
  if (OPENAI_BATCH_ENDPOINTS.includes(endpoint)) return true;
  return flavor === 'azure' && OPENAI_BATCH_ENDPOINTS.includes(`/v1${endpoint}`);
}

const urlMatches = (url: string, endpoint: string, flavor: Flavor): boolean =>
  flavor === 'azure' ? withoutV1(url) === withoutV1(endpoint) : url === endpoint;

interface ParsedItem {
  customId: string;
  url: string;
  body: JsonObject;
}

export type ValidationResult = { ok: true; items: ParsedItem[]; model: string | null } | { ok: false; errors: BatchLineError[] };

/** Byte ranges of the lines of a JSONL buffer, without a final empty line after a trailing newline. */
function lineRanges(data: Buffer): [number, number][] {
  const ranges: [number, number][] = [];
  let start = 0;
  while (start < data.length) {
    const nl = data.indexOf(0x0a, start);
    const end = nl < 0 ? data.length : nl;
    // Tolerate CRLF files: the CR is not part of the JSON.
    ranges.push([start, end > start && data[end - 1] === 0x0d ? end - 1 : end]);
    if (nl < 0) break;
    start = nl + 1;
  }
  return ranges;
}

/** The checks of spec §1.2 / §2.2 that turn a batch `failed` with line-numbered `errors.data`. */
export function validateInput(data: Buffer, endpoint: string, flavor: Flavor): ValidationResult {
  if (flavor === 'azure' && data[0] === 0xef && data[1] === 0xbb && data[2] === 0xbf) {
    // Azure's documented (misleading) answer to a UTF-8 BOM, spec §2.2.
    return {
      ok: false,
      errors: [
        {
          code: 'model_not_found',
          message: "A valid model deployment name couldn't be extracted from the input file. Please ensure each row has a valid deployment name in the 'model' field.",
          param: null,
          line: null,
        },
      ],
    };
  }
  const ranges = lineRanges(data);
  if (ranges.every(([s, e]) => data.toString('utf8', s, e).trim() === '')) {
    return { ok: false, errors: [{ code: 'empty_file', message: 'The input file is empty.', param: null, line: null }] };
  }
  const max = MAX_BATCH_LINES[flavor];
  if (ranges.length > max) {
    return {
      ok: false,
      errors: [{ code: 'too_many_tasks', message: `The input file has ${ranges.length} requests; the limit is ${max}.`, param: null, line: null }],
    };
  }
  const errors: BatchLineError[] = [];
  const items: ParsedItem[] = [];
  const seen = new Set<string>();
  let model: string | null = null;
  const needsModel = modelEndpointOf(endpoint) !== null;
  const fail = (code: string, message: string, line: number, param: string | null = null): void => {
    if (errors.length < MAX_REPORTED_ERRORS) errors.push({ code, message, param, line });
  };
  for (let i = 0; i < ranges.length; i++) {
    const range = ranges[i];
    if (!range) continue;
    const line = i + 1;
    const text = data.toString('utf8', range[0], range[1]);
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      fail('invalid_json_line', `Line ${line} is not valid JSON.`, line);
      continue;
    }
    if (!isJsonObject(parsed)) {
      fail('invalid_json_line', `Line ${line} is not a JSON object.`, line);
      continue;
    }
    const customId = parsed['custom_id'];
    const method = parsed['method'];
    const url = parsed['url'];
    const body = parsed['body'];
    if (typeof customId !== 'string' || customId === '') {
      fail('invalid_request', `Line ${line} is missing a string 'custom_id'.`, line, 'custom_id');
      continue;
    }
    if (method !== 'POST') {
      fail('invalid_request', `Line ${line}: 'method' must be "POST".`, line, 'method');
      continue;
    }
    if (typeof url !== 'string') {
      fail('invalid_request', `Line ${line} is missing a string 'url'.`, line, 'url');
      continue;
    }
    if (!isJsonObject(body)) {
      fail('invalid_request', `Line ${line} is missing an object 'body'.`, line, 'body');
      continue;
    }
    if (!urlMatches(url, endpoint, flavor)) {
      fail('url_mismatch', `The url '${url}' on line ${line} does not match the batch endpoint '${endpoint}'.`, line, 'url');
      continue;
    }
    if (seen.has(customId)) {
      fail('duplicate_custom_id', `The custom_id '${customId}' on line ${line} is a duplicate.`, line, 'custom_id');
      continue;
    }
    seen.add(customId);
    const lineModel = body['model'];
    if (typeof lineModel === 'string') {
      if (model === null) model = lineModel;
      else if (lineModel !== model) {
        fail('model_mismatch', `Line ${line} uses model '${lineModel}', but the file uses '${model}'. A batch file must target one model.`, line, 'body.model');
        continue;
      }
    } else if (needsModel) {
      fail('invalid_request', `Line ${line} is missing 'body.model'.`, line, 'body.model');
      continue;
    }
    items.push({ customId, url, body });
  }
  return errors.length > 0 ? { ok: false, errors } : { ok: true, items, model };
}

/** The organization the emulated OpenAI account belongs to, as quota messages name it. */
export const EMULATED_ORGANIZATION = 'org-emulator';

/**
 * The whole-batch refusal for the enqueued-token quota (spec §1.2, §2.3): `line: null`, since no
 * line is at fault. OpenAI's wording names the model and organization; Azure's names the
 * deployment (`body.model`) and writes the limit in thousands (seen on learn.microsoft.com Q&A 2285577).
 */
export function enqueuedTokenLimitError(flavor: Flavor, model: string | null, limitTokens: number): BatchLineError {
  if (flavor === 'azure') {
    const limit = limitTokens % 1000 === 0 ? `${limitTokens / 1000}K` : String(limitTokens);
    return {
      code: 'token_limit_exceeded',
      message: `The number of enqueued tokens has surpassed the configured limit of ${limit} for the deployment '${model ?? 'unknown'}'. Please either increase the limit or try again once the current jobs have finished.`,
      param: null,
      line: null,
    };
  }
  return {
    code: 'token_limit_exceeded',
    message: `Enqueued token limit reached for ${model ?? 'unknown'} in organization ${EMULATED_ORGANIZATION}. Limit: ${limitTokens.toLocaleString('en-US')} enqueued tokens. Please try again once some in_progress batches have been completed.`,
    param: null,
    line: null,
  };
}

/** The model a batch input names (first line that has one), for messages about a file that is not validated. */
export function firstModelOf(data: Buffer): string | null {
  for (const [start, end] of lineRanges(data)) {
    try {
      const parsed: unknown = JSON.parse(data.toString('utf8', start, end));
      const body = isJsonObject(parsed) ? parsed['body'] : undefined;
      const model = isJsonObject(body) ? body['model'] : undefined;
      if (typeof model === 'string') return model;
    } catch {
      // Not JSON: look at the next line.
    }
  }
  return null;
}

const capitalise = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);
const toSec = (ms: number | null): number | null => (ms === null ? null : Math.floor(ms / 1000));

export interface BatchInit {
  id: string;
  flavor: Flavor;
  endpoint: string;
  inputFileId: string;
  /** Captured at create, so deleting the input file later cannot break validation. */
  inputData: Buffer;
  metadata: Record<string, string> | null;
  createdAtMs: number;
  createSeq: number;
  faults: BatchFaults;
  timeScale: TimeScale;
  outputExpiresAfterSec: number | null;
}

type Timestamps = Record<'inProgress' | 'finalizing' | 'completed' | 'failed' | 'expired' | 'cancelling' | 'cancelled', number | null>;

const TERMINAL: ReadonlySet<BatchStatus> = new Set(['failed', 'completed', 'expired', 'cancelled']);

export class BatchRun {
  readonly id: string;
  readonly flavor: Flavor;
  readonly endpoint: string;
  readonly inputFileId: string;
  readonly metadata: Record<string, string> | null;
  readonly createdAtMs: number;
  readonly createSeq: number;
  status: BatchStatus = 'validating';
  model: string | null = null;
  outputFileId: string | null = null;
  errorFileId: string | null = null;

  private readonly init: BatchInit;
  private readonly store: Store;
  private validated = false;
  private errors: BatchLineError[] | null = null;
  private items: ParsedItem[] = [];
  private order: Uint32Array = new Uint32Array(0);
  /** How many items (in processing order) have been run through the fake model. */
  private processed = 0;
  private successLines: string[] = [];
  private errorLines: string[] = [];
  private completedCount = 0;
  private failedCount = 0;
  private inputTokens = 0;
  private outputTokens = 0;
  private cancelAtMs: number | null = null;
  private readonly at: Timestamps = { inProgress: null, finalizing: null, completed: null, failed: null, expired: null, cancelling: null, cancelled: null };

  constructor(init: BatchInit, store: Store) {
    this.init = init;
    this.store = store;
    this.id = init.id;
    this.flavor = init.flavor;
    this.endpoint = init.endpoint;
    this.inputFileId = init.inputFileId;
    this.metadata = init.metadata;
    this.createdAtMs = init.createdAtMs;
    this.createSeq = init.createSeq;
  }

  isTerminal(): boolean {
    return TERMINAL.has(this.status);
  }

  /** Brings the state up to `nowMs`. Idempotent; every read path calls it first. */
  advance(nowMs: number): void {
    if (this.isTerminal()) return;
    const { validatingMs, inProgressMs, finalizingMs } = this.init.timeScale;
    if (this.cancelAtMs !== null) {
      // Processing froze at the cancel; "cancelling" lasts one finalizing period (real: ≤10 min).
      const cancelledAt = this.cancelAtMs + finalizingMs;
      if (nowMs >= cancelledAt) this.finish('cancelled', cancelledAt);
      return;
    }
    const validatingEnd = this.createdAtMs + validatingMs;
    if (nowMs < validatingEnd) return;
    if (!this.validated) this.validate();
    if (this.errors !== null) {
      this.status = 'failed';
      this.at.failed = validatingEnd;
      return;
    }
    this.at.inProgress = validatingEnd;
    const n = this.items.length;
    const fraction = this.init.faults.expireAfterFraction;
    if (fraction !== null) {
      const expireAt = validatingEnd + inProgressMs * fraction;
      if (nowMs >= expireAt) {
        this.processUpTo(Math.floor(n * fraction));
        this.finish('expired', expireAt);
        return;
      }
    }
    const inProgressEnd = validatingEnd + inProgressMs;
    if (nowMs < inProgressEnd) {
      this.status = 'in_progress';
      this.processUpTo(inProgressMs > 0 ? Math.floor((n * (nowMs - validatingEnd)) / inProgressMs) : n);
      return;
    }
    this.processUpTo(n);
    this.at.finalizing = inProgressEnd;
    const finalizingEnd = inProgressEnd + finalizingMs;
    if (nowMs < finalizingEnd) {
      this.status = 'finalizing';
      return;
    }
    this.finish('completed', finalizingEnd);
  }

  /** Starts a cancel; returns the status that blocks it when the batch is already terminal. */
  cancel(nowMs: number): { ok: true } | { ok: false; status: BatchStatus } {
    this.advance(nowMs);
    if (this.isTerminal()) return { ok: false, status: this.status };
    if (this.status === 'cancelling') return { ok: true };
    this.cancelAtMs = nowMs;
    this.at.cancelling = nowMs;
    this.status = 'cancelling';
    return { ok: true };
  }

  private validate(): void {
    this.validated = true;
    if (this.init.faults.failValidation) {
      this.errors = [
        {
          code: 'invalid_request',
          message: 'Line 1: the request failed validation (emulated by the failValidation fault).',
          param: 'body',
          line: 1,
        },
      ];
      return;
    }
    const result = validateInput(this.init.inputData, this.endpoint, this.flavor);
    if (!result.ok) {
      this.errors = result.errors;
      return;
    }
    const refusal = this.init.faults.capacityRefusal;
    if (refusal !== null) {
      // Real batches are counted against the quota after validation (Azure's "old behavior", §2.3):
      // a file with bad lines fails for those; a valid one over quota fails as a whole, no items run.
      this.model = result.model;
      this.errors = [enqueuedTokenLimitError(this.flavor, result.model, refusal.limitTokens)];
      return;
    }
    this.items = result.items;
    this.model = result.model;
    this.order = processingOrder(this.items.length, this.id, this.init.faults.ordered);
  }

  private processUpTo(target: number): void {
    const end = Math.min(target, this.items.length);
    for (; this.processed < end; this.processed++) {
      const item = this.items[this.order[this.processed] ?? 0];
      if (item) this.runItem(item);
    }
  }

  private runItem(item: ParsedItem): void {
    const faults = this.init.faults;
    let error: ModelError | null = null;
    let body: JsonObject | null = null;
    if (faults.completedWithNullOutput) {
      error = errorForCode('server_error');
    } else if (Object.hasOwn(faults.itemErrors, item.customId)) {
      error = itemFaultError(faults.itemErrors[item.customId]);
    } else {
      const endpoint = modelEndpointOf(item.url);
      if (endpoint === null) {
        error = openAiError(400, `The emulator does not implement ${item.url}.`, 'invalid_request_error', 'url', 'unsupported_endpoint');
      } else {
        const outcome = runFakeModel(endpoint, item.body, {
          failedOnce: this.store.failedOnce,
          emptyContent: faults.emptyContent,
          nonJsonContent: faults.nonJsonContent,
          azure: this.flavor === 'azure',
          nowSec: Math.floor(Date.now() / 1000),
        });
        if (outcome.ok) {
          body = outcome.body;
          this.inputTokens += outcome.inputTokens;
          this.outputTokens += outcome.outputTokens;
        } else {
          error = outcome.error;
        }
      }
    }
    const id = randomId('batch_req_', 16);
    const requestId = randomId('req_', 16);
    if (error !== null || body === null) {
      const e = error ?? errorForCode('server_error');
      // HTTP-level failures keep `error: null`; the failure lives in response.status_code (§1.4).
      const line: JsonObject = { id, custom_id: item.customId, response: { status_code: e.status, request_id: requestId, body: e.body }, error: null };
      this.errorLines.push(JSON.stringify(line));
      this.failedCount++;
    } else {
      const line: JsonObject = { id, custom_id: item.customId, response: { status_code: 200, request_id: requestId, body }, error: null };
      this.successLines.push(JSON.stringify(line));
      this.completedCount++;
    }
  }

  private finish(status: 'completed' | 'expired' | 'cancelled', atMs: number): void {
    if (!this.validated) {
      // Cancelled while validating: report every parseable item as cancelled, and a file that
      // would have failed validation as simply cancelled with nothing in it.
      this.validate();
      if (this.errors !== null) {
        this.errors = null;
        this.items = [];
      }
    }
    if (status !== 'completed') {
      const code = status === 'expired' ? 'batch_expired' : 'batch_cancelled';
      const message =
        status === 'expired'
          ? 'This request could not be executed before the completion window expired.'
          : 'This request was not executed because the batch was cancelled.';
      for (let p = this.processed; p < this.items.length; p++) {
        const item = this.items[this.order[p] ?? 0];
        if (!item) continue;
        const line: JsonObject = { id: randomId('batch_req_', 16), custom_id: item.customId, response: null, error: { code, message } };
        this.errorLines.push(JSON.stringify(line));
      }
    }
    const first = this.successLines[0];
    if (this.init.faults.duplicateOutputLines && first !== undefined) this.successLines.push(first);
    const nowSec = Math.floor(atMs / 1000);
    const expiresAt = nowSec + (this.init.outputExpiresAfterSec ?? THIRTY_DAYS_SEC);
    const toFile = (lines: string[]): Buffer => Buffer.from(lines.length > 0 ? `${lines.join('\n')}\n` : '', 'utf8');
    if (this.successLines.length > 0) {
      this.outputFileId = this.store.addFile(toFile(this.successLines), `batch_${this.id}_output.jsonl`, 'batch_output', nowSec, expiresAt).id;
    }
    // Azure gives even a clean batch an error file, empty (§2.3).
    if (this.errorLines.length > 0 || this.flavor === 'azure') {
      this.errorFileId = this.store.addFile(toFile(this.errorLines), `batch_${this.id}_error.jsonl`, 'batch_output', nowSec, expiresAt).id;
    }
    // The lines now live in the files; keep only the counters.
    this.successLines = [];
    this.errorLines = [];
    this.status = status;
    this.at[status] = atMs;
  }

  /** The wire Batch object (spec §1.3), or the Azure doc-sample variant of it (§2.3). */
  toJSON(azureVariants: boolean): JsonObject {
    const createdSec = Math.floor(this.createdAtMs / 1000);
    const expiresSec = createdSec + TWENTY_FOUR_HOURS_SEC;
    const iso = (sec: number): string => new Date(sec * 1000).toISOString();
    const noFile: Json = azureVariants ? '' : null;
    const counts: JsonObject =
      azureVariants && this.status === 'validating'
        ? { total: null, completed: null, failed: null }
        : { total: this.items.length, completed: this.completedCount, failed: this.failedCount };
    return {
      id: this.id,
      object: 'batch',
      endpoint: this.endpoint,
      errors: this.errors === null ? null : { object: 'list', data: this.errors },
      input_file_id: this.inputFileId,
      completion_window: '24h',
      status: azureVariants ? capitalise(this.status) : this.status,
      output_file_id: this.outputFileId ?? noFile,
      error_file_id: this.errorFileId ?? noFile,
      created_at: azureVariants ? iso(createdSec) : createdSec,
      in_progress_at: toSec(this.at.inProgress),
      expires_at: azureVariants ? iso(expiresSec) : expiresSec,
      finalizing_at: toSec(this.at.finalizing),
      completed_at: toSec(this.at.completed),
      failed_at: toSec(this.at.failed),
      expired_at: toSec(this.at.expired),
      cancelling_at: toSec(this.at.cancelling),
      cancelled_at: toSec(this.at.cancelled),
      request_counts: counts,
      metadata: this.metadata,
      model: this.model,
      usage: {
        input_tokens: this.inputTokens,
        input_tokens_details: { cached_tokens: 0 },
        output_tokens: this.outputTokens,
        output_tokens_details: { reasoning_tokens: 0 },
        total_tokens: this.inputTokens + this.outputTokens,
      },
    };
  }
}

function itemFaultError(fault: ItemFault | undefined): ModelError {
  if (!fault) return errorForCode('server_error');
  const base = errorForCode(fault.code, fault.message);
  return openAiError(fault.status, base.body.error.message, fault.type ?? base.body.error.type, base.body.error.param, fault.code);
}
