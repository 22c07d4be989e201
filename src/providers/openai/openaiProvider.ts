// The OpenAI and Azure OpenAI adapter over the official `openai` SDK (spec §1, §2). It owns the
// choice of client per URL style, the upload/download plumbing and the sync fallback; all wire
// mapping lives in ./openaiMapping so it can be tested without a server.
import { createReadStream, openAsBlob } from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError, AzureOpenAI, BadRequestError, OpenAI } from 'openai';
import type { BatchCreateParams } from 'openai/resources/batches';
import type { ChatCompletionCreateParamsNonStreaming } from 'openai/resources/chat/completions';
import type { ResponseCreateParamsNonStreaming } from 'openai/resources/responses/responses';
import { CAPACITY_REFUSAL_CODES, CapacityRefusedError, ProviderAccessError, TERMINAL_STATES, noAnswerOutcome } from '../batchProvider';
import type { BatchProvider, FoundBatch, RemoteBatch, ResultKind, SyncOutcome } from '../batchProvider';
import { withCallSignals } from '../callSignals';
import { withRefusedAccess } from '../refusedAccess';
import { downloadToFile } from '../downloadToFile';
import {
  TAG_BATCH,
  accessKindOf,
  classifyHttpFailure,
  outcomeFromSyncResponse,
  parseOpenAiResultLine,
  retryAfterMsOf,
  syncResultLine,
  tagMetadata,
  toRemoteBatch,
} from './openaiMapping';
import type { OpenAiRemoteBatch } from './openaiMapping';

// Optional members also accept an explicit undefined, so callers can pass a possibly-missing
// flag straight through under exactOptionalPropertyTypes.
export type OpenAiProviderConfig =
  | { provider: 'openai'; apiKey: string; baseUrl?: string | undefined; maxRetries?: number | undefined; timeoutMs?: number | undefined }
  | {
      provider: 'azure';
      apiKey: string;
      endpoint: string;
      /** Dated style (`AzureOpenAI` + `api-version`); absent → v1 style: a plain client on `${endpoint}/openai/v1`. */
      apiVersion?: string | undefined;
      maxRetries?: number | undefined;
      timeoutMs?: number | undefined;
    };

/** How far back `create` looks for a batch its lost response may have created (clock skew + latency). */
const RECONCILE_WINDOW_MS = 60 * 60 * 1000;
/** Upper bound on batches scanned while reconciling, so a huge account cannot stall a create. */
const RECONCILE_MAX_SCANNED = 1000;

const trimSlashes = (s: string): string => s.replace(/\/+$/, '');

function makeClient(config: OpenAiProviderConfig): OpenAI {
  const common = {
    apiKey: config.apiKey,
    ...(config.maxRetries === undefined ? {} : { maxRetries: config.maxRetries }),
    ...(config.timeoutMs === undefined ? {} : { timeout: config.timeoutMs }),
  };
  if (config.provider === 'openai') return new OpenAI({ ...common, ...(config.baseUrl === undefined ? {} : { baseURL: config.baseUrl }) });
  if (config.apiVersion === undefined) return new OpenAI({ ...common, baseURL: `${trimSlashes(config.endpoint)}/openai/v1` });
  // `baseURL` rather than `endpoint`: AzureOpenAI defaults baseURL from OPENAI_BASE_URL and throws
  // when both are set, so a stray environment variable would break an explicit config.
  // Never `deployment`: it rewrites POST /batches to /deployments/<dep>/batches (spec §2.1 trap);
  // sync calls still reach their deployment because the SDK routes them by `body.model`.
  return new AzureOpenAI({ ...common, baseURL: `${trimSlashes(config.endpoint)}/openai`, apiVersion: config.apiVersion });
}

/**
 * The SDK path for a batch-line URL: `/v1/chat/completions` and Azure's `/chat/completions`
 * alike become `/chat/completions`, since every client's baseURL already ends in `/v1` or `/openai`.
 */
function sdkPathOf(endpoint: string): string {
  const withSlash = endpoint.startsWith('/') ? endpoint : `/${endpoint}`;
  return withSlash.startsWith('/v1/') ? withSlash.slice(3) : withSlash;
}

/**
 * A create whose outcome we cannot know: the request may have reached the server and created a
 * batch before the answer was lost (connection drop, timeout, 5xx). A 4xx or 429 is a refusal.
 */
function isAmbiguousCreateFailure(error: unknown): boolean {
  if (error instanceof APIUserAbortError) return false;
  if (error instanceof APIConnectionError) return true;
  return error instanceof APIError && error.status !== undefined && (error.status === 408 || error.status === 409 || error.status >= 500);
}

function syncFailure(customId: string, error: unknown, signal: AbortSignal | undefined): SyncOutcome {
  // A caller's abort is not the item's failure: rethrow so the engine stops instead of recording one.
  if (error instanceof APIUserAbortError || signal?.aborted) throw error;
  if (error instanceof APIConnectionError) {
    return noAnswerOutcome(customId, error instanceof APIConnectionTimeoutError ? 'timeout' : 'connection_error', error.message);
  }
  if (error instanceof APIError && error.status !== undefined) {
    const body: unknown = error.error;
    const bodyMessage = typeof body === 'object' && body !== null && 'message' in body && typeof body.message === 'string' ? body.message : undefined;
    const code = typeof error.code === 'string' && error.code !== '' ? error.code : undefined;
    // Our key, our permissions or the model's name are wrong, not this item: every item would
    // fail the same way, and none of them may be dead-lettered for it.
    const access = accessKindOf(error.status);
    if (access) throw new ProviderAccessError(access, bodyMessage ?? error.message, error.status);
    return {
      ok: false,
      customId,
      failureClass: classifyHttpFailure(error.status, code, error.type),
      code,
      message: bodyMessage ?? error.message,
      httpStatus: error.status,
      usage: undefined,
      resultLine: syncResultLine(customId, error.status, error.requestID, body === undefined ? null : { error: body }),
      retryAfterMs: retryAfterMsOf(error.headers?.get('retry-after-ms'), error.headers?.get('retry-after'), Date.now()),
    };
  }
  // Anything else is a bug on our side or in the SDK, not a fact about the item.
  throw error;
}

/** Why a first call failed, as a user can act on it: the key, the permission, or the network. */
function accessFailureText(error: unknown, where: string): string {
  if (error instanceof APIError && error.status === 401) return `the API key was refused by ${where} (401: ${error.message})`;
  if (error instanceof APIError && error.status === 403) return `the API key may not use batches at ${where} (403: ${error.message})`;
  if (error instanceof APIError && error.status === 404) return `${where} has no batch API here (404): check the base URL or endpoint`;
  if (error instanceof APIConnectionError) return `cannot reach ${where} (${error.message})`;
  return `${where} did not answer as expected (${error instanceof Error ? error.message : String(error)})`;
}

export function createOpenAiProvider(config: OpenAiProviderConfig): BatchProvider {
  const client = makeClient(config);

  /** Newest-first scan for our batch (its tag, or the input file only it was made from), bounded in time and count. */
  async function findOurBatch(batchKey: string, fileId: string | undefined, since: number, signal: AbortSignal | undefined): Promise<OpenAiRemoteBatch | undefined> {
    let scanned = 0;
    for await (const batch of client.batches.list({ limit: 100 }, { signal })) {
      const remote = toRemoteBatch(batch);
      if (remote.tags?.batchKey === batchKey || (fileId !== undefined && batch.input_file_id === fileId)) return remote;
      if (remote.createdAt < since - RECONCILE_WINDOW_MS || ++scanned >= RECONCILE_MAX_SCANNED) return undefined;
    }
    return undefined;
  }

  async function download(fileId: string, destination: string, signal: AbortSignal | undefined): Promise<void> {
    const response = await client.files.content(fileId, { signal });
    await downloadToFile(response, destination, { signal, label: `OpenAI file ${fileId}` });
  }

  const where = config.provider === 'azure' ? config.endpoint : (config.baseUrl ?? 'https://api.openai.com/v1');
  return withCallSignals(withRefusedAccess({
    id: config.provider,

    async verifyAccess(signal) {
      try {
        await client.batches.list({ limit: 1 }, { signal });
      } catch (error) {
        if (signal?.aborted) throw error;
        throw new Error(accessFailureText(error, where), { cause: error });
      }
    },

    async stage(submission, signal) {
      // A file-backed Blob is read lazily while the request streams, so a 200 MB file is never
      // held in memory; unlike a ReadStream it can be re-read, so the SDK may still retry the
      // upload, and it throws if the file changes after this point instead of sending other bytes.
      const blob = await openAsBlob(submission.inputPath);
      const file = new File([blob], path.basename(submission.inputPath));
      const created = await client.files.create({ file, purpose: 'batch' }, { signal });
      return created.id;
    },

    async create(submission, staged, signal) {
      if (staged === undefined) throw new Error(`batch ${submission.tags.batchKey}: its input file was not uploaded`);
      const params: BatchCreateParams = {
        input_file_id: staged,
        // Passed through as written: Azure also takes `/chat/completions`, which the SDK's union omits.
        endpoint: submission.endpoint as BatchCreateParams['endpoint'],
        completion_window: '24h',
        metadata: tagMetadata(submission.tags),
      };
      const startedAt = Date.now();
      try {
        // No SDK retries: a retried create after a lost response would submit the batch twice
        // (the API takes no idempotency key). Ambiguous failures are reconciled below instead.
        return toRemoteBatch(await client.batches.create(params, { signal, maxRetries: 0 }));
      } catch (error) {
        // Azure's fail-fast regions refuse an over-quota batch at create: a 400 that made nothing.
        if (error instanceof BadRequestError && typeof error.code === 'string' && CAPACITY_REFUSAL_CODES.has(error.code.toLowerCase())) {
          const body: unknown = error.error;
          const message = typeof body === 'object' && body !== null && 'message' in body && typeof body.message === 'string' ? body.message : error.message;
          throw new CapacityRefusedError(error.code, message);
        }
        if (!isAmbiguousCreateFailure(error)) throw error;
        // The tag and the input file id are ours alone, so a batch that has them is the one this call made.
        const existing = await findOurBatch(submission.tags.batchKey, staged, startedAt, signal).catch(() => undefined);
        if (existing) return existing;
        throw error;
      }
    },

    async findCreated(submission, staged, since, signal): Promise<FoundBatch> {
      const found = await findOurBatch(submission.tags.batchKey, staged, since, signal);
      return found ? { kind: 'found', remote: found } : { kind: 'none' };
    },

    async retrieve(remoteId, signal) {
      return toRemoteBatch(await client.batches.retrieve(remoteId, { signal }));
    },

    async *list(signal) {
      for await (const batch of client.batches.list({ limit: 100 }, { signal })) {
        let remote: RemoteBatch;
        try {
          remote = toRemoteBatch(batch);
        } catch (error) {
          // Someone else's odd batch must not stop reconciliation; one of ours must, loudly,
          // since skipping it could lead to creating it a second time.
          if (batch.metadata && TAG_BATCH in batch.metadata) throw error;
          continue;
        }
        yield remote;
      }
    },

    async cancel(remoteId, signal) {
      try {
        return toRemoteBatch(await client.batches.cancel(remoteId, { signal }));
      } catch (error) {
        // Cancelling a batch that finished a moment ago is a 400, but the caller's goal (nothing
        // more runs) already holds, and the finished state with its files is what it needs.
        if (!(error instanceof BadRequestError)) throw error;
        const current = toRemoteBatch(await client.batches.retrieve(remoteId, { signal }));
        if (TERMINAL_STATES.has(current.state)) return current;
        throw error;
      }
    },

    async fetchResults(remote, submission, destination, signal) {
      const batch = remote as Partial<OpenAiRemoteBatch>;
      const written: ResultKind[] = [];
      if (batch.outputFileId) {
        await download(batch.outputFileId, destination('output'), signal);
        written.push('output');
      }
      if (batch.errorFileId) {
        await download(batch.errorFileId, destination('errors'), signal);
        written.push('errors');
      } else if (remote.errors.some((error) => error.line !== undefined)) {
        // A batch that failed validation names input lines, not items: each becomes the error line
        // of the item on that line, so outcomes are matched by id like every other.
        const lines = await validationErrorLines(remote, submission.inputPath);
        await downloadToFile(new Response(lines.map((line) => `${line}\n`).join('')), destination('errors'), { signal, label: 'validation errors' });
        written.push('errors');
      }
      return written;
    },

    async readInput(remote, destination, signal) {
      if (!remote.inputRef) throw new Error(`batch ${remote.remoteId} has no input file to read its requests from`);
      await download(remote.inputRef, destination, signal);
    },

    parseResultLine(line) {
      return parseOpenAiResultLine(line);
    },

    async callSync(call, signal) {
      const { customId } = call;
      const body = (typeof call.line['body'] === 'object' && call.line['body'] !== null ? call.line['body'] : {}) as Record<string, unknown>;
      const sdkPath = sdkPathOf(typeof call.line['url'] === 'string' ? call.line['url'] : call.endpoint);
      if (body['stream'] === true) {
        // A batch line cannot stream either; answering with a stream here would be unreadable.
        return {
          ok: false,
          customId,
          failureClass: 'invalid_request',
          code: 'stream_unsupported',
          message: 'Streaming bodies cannot be re-issued.',
          httpStatus: undefined,
          usage: undefined,
          resultLine: undefined,
          retryAfterMs: undefined,
        };
      }
      // No SDK retries: each attempt is paid and must be journaled, so the engine retries instead.
      const options = { signal, maxRetries: 0 };
      try {
        let answer: { data: unknown; request_id: string | null };
        if (sdkPath === '/chat/completions') {
          answer = await client.chat.completions.create(body as unknown as ChatCompletionCreateParamsNonStreaming, options).withResponse();
        } else if (sdkPath === '/responses') {
          answer = await client.responses.create(body as unknown as ResponseCreateParamsNonStreaming, options).withResponse();
        } else {
          // Embeddings go through the generic POST: `embeddings.create` rewrites a body without
          // encoding_format to base64 and decodes float32, so the vectors would differ in the last
          // digits from the batch path's (spec §1.7: send the body unchanged). Other endpoints
          // (completions, moderations…) have no special handling to lose.
          answer = await client.post(sdkPath, { body, ...options }).withResponse();
        }
        const outcome = outcomeFromSyncResponse(customId, answer.data);
        return { ...outcome, resultLine: syncResultLine(customId, 200, answer.request_id, answer.data), retryAfterMs: undefined };
      } catch (error) {
        return syncFailure(customId, error, signal);
      }
    },
  }, refusedAccess));
}

/** A refused key or permission on a batch call, as the error that stops the job instead of a retry every poll. */
function refusedAccess(error: unknown): unknown {
  if (!(error instanceof APIError) || (error.status !== 401 && error.status !== 403)) return error;
  const body: unknown = error.error;
  const message = typeof body === 'object' && body !== null && 'message' in body && typeof body.message === 'string' ? body.message : error.message;
  return new ProviderAccessError(error.status === 401 ? 'auth' : 'permission', message, error.status);
}


/**
 * The error line of each item a validation failure names by input line (1-based), as an error
 * file line with a 400: the item was refused as written, so another batch of it would be refused too.
 */
async function validationErrorLines(remote: RemoteBatch, inputPath: string): Promise<string[]> {
  const byLine = new Map<number, { code: string; message: string }>();
  for (const error of remote.errors) if (error.line !== undefined && !byLine.has(error.line)) byLine.set(error.line, error);
  const lines: string[] = [];
  let number = 0;
  for await (const text of readline.createInterface({ input: createReadStream(inputPath), crlfDelay: Infinity })) {
    number++;
    const error = byLine.get(number);
    if (!error || text.trim() === '') continue;
    // The line named may be the one that is not JSON (invalid_json_line): no item can carry its
    // error then, and it must not stop the errors of the lines that have an id from being written.
    const customId = customIdOf(text);
    if (customId === undefined) continue;
    const body = { error: { message: error.message, type: 'invalid_request_error', code: error.code } };
    lines.push(JSON.stringify({ id: null, custom_id: customId, response: { status_code: 400, request_id: null, body }, error: null }));
  }
  return lines;
}

/** The custom_id of a request line, or undefined when the line is not JSON or names none. */
function customIdOf(text: string): string | undefined {
  try {
    const parsed: unknown = JSON.parse(text);
    const customId = typeof parsed === 'object' && parsed !== null && 'custom_id' in parsed ? parsed.custom_id : undefined;
    return typeof customId === 'string' && customId !== '' ? customId : undefined;
  } catch {
    return undefined;
  }
}
