// What the Gemini and Vertex adapters share at run time: raw REST calls where the SDK falls
// short (Gemini batch counts, downloads, GCS), the mapping of the SDK's ApiError onto our
// errors, the sync call, and the result-file plumbing (whole files only, failures synthesized
// for items a batch ended without). Pure mapping lives in ./googleMapping.
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import { ApiError } from '@google/genai';
import type { GoogleGenAI } from '@google/genai';
import { CapacityRefusedError, ProviderAccessError, TERMINAL_STATES, noAnswerOutcome } from '../batchProvider';
import type { BatchProvider, BatchSubmission, FoundBatch, RemoteBatch, SyncCall, SyncOutcome } from '../batchProvider';
import { withCallSignals } from '../callSignals';
import { withRefusedAccess } from '../refusedAccess';
import { downloadToFile } from '../downloadToFile';
import { accessKindOfError, isCapacityRefusal, keyOfLine, outcomeOfResponse, parseApiError, retryDelayMsOf, synthesizedFailureLine, syncErrorLine, syncParamsOf, syncSuccessLine, statusOfError, classifyStatus } from './googleMapping';
import type { BatchEndReason, GoogleApiError } from './googleMapping';

/** Upper bound on batches scanned while looking for our own, so a huge account cannot stall a submit. */
export const FIND_MAX_SCANNED = 1000;

/** The SDK's ApiError (and ours, thrown the same way by raw calls) as the parsed Google error. */
export function apiErrorOf(error: unknown): GoogleApiError | undefined {
  return error instanceof ApiError ? parseApiError(error.message, error.status) : undefined;
}

/** A raw GET (or POST) answered like the SDK answers: an ApiError carrying the body for anything not 2xx. */
export async function restCall(url: string, init: RequestInit & { headers: Record<string, string> }, signal: AbortSignal | undefined): Promise<Response> {
  const response = await fetch(url, { ...init, ...(signal ? { signal } : {}) });
  if (!response.ok) {
    const text = await response.text().catch(() => '');
    throw new ApiError({ message: text === '' ? JSON.stringify({ error: { code: response.status, message: response.statusText } }) : text, status: response.status });
  }
  return response;
}

export async function restJson(url: string, headers: Record<string, string>, signal: AbortSignal | undefined): Promise<unknown> {
  const response = await restCall(url, { method: 'GET', headers }, signal);
  return (await response.json()) as unknown;
}

/**
 * A create whose outcome we cannot know: it may have reached the server and made a batch before
 * the answer was lost (connection dropped, timeout, 5xx, 408/409). A 4xx or 429 made nothing.
 */
function isAmbiguousCreateFailure(error: unknown, signal: AbortSignal | undefined): boolean {
  if (signal?.aborted) return false;
  const api = apiErrorOf(error);
  if (api) return api.httpStatus === undefined || api.httpStatus === 408 || api.httpStatus === 409 || api.httpStatus >= 500;
  // fetch's network failures (TypeError: fetch failed) and socket errors.
  return error instanceof Error && error.name !== 'AbortError';
}

/**
 * One create, never repeated: a 429 for the batch quota is a capacity refusal, and a create whose
 * answer was lost is looked for by its display name (this batch key's alone), never made again.
 */
export async function createOnce(create: () => Promise<RemoteBatch>, findOurs: () => Promise<RemoteBatch[]>, signal: AbortSignal | undefined): Promise<RemoteBatch> {
  try {
    return await create();
  } catch (error) {
    const refusal = apiErrorOf(error);
    if (refusal && isCapacityRefusal(refusal)) throw new CapacityRefusedError('RESOURCE_EXHAUSTED', refusal.message);
    if (!isAmbiguousCreateFailure(error, signal)) throw error;
    const found = await findOurs().catch(() => []);
    if (found.length === 1 && found[0]) return found[0];
    throw error;
  }
}

/** Batches whose display name is ours: one is ours; several mean a lost create answer made it twice. */
export function decideFound(matches: readonly RemoteBatch[]): FoundBatch {
  const [only] = matches;
  if (only === undefined) return { kind: 'none' };
  if (matches.length === 1) return { kind: 'found', remote: only };
  return { kind: 'ambiguous', candidates: matches.map((m) => m.remoteId) };
}

/** A refused key or permission on a batch call, as the error that stops the job instead of a retry every poll. */
function refusedAccess(error: unknown): unknown {
  const api = apiErrorOf(error);
  if (!api) return error;
  const kind = accessKindOfError(api, false);
  return kind ? new ProviderAccessError(kind, api.message, api.httpStatus) : error;
}

/** The adapter with a per-call abort signal (the SDK leaves a listener on every caller signal it is given) and access refusals raised as ProviderAccessError. */
export function guarded(adapter: BatchProvider): BatchProvider {
  return withCallSignals(withRefusedAccess(adapter, refusedAccess));
}

/** Writes lines as one whole file (atomic, like a download). */
export async function writeLines(lines: readonly string[], destination: string, signal: AbortSignal | undefined, label: string): Promise<void> {
  await downloadToFile(new Response(lines.map((line) => `${line}\n`).join('')), destination, { signal, label });
}

/** Several downloaded files as one, each ending in a newline, written atomically. */
export async function concatenate(paths: readonly string[], destination: string, signal: AbortSignal | undefined): Promise<void> {
  async function* chunks(): AsyncGenerator<Buffer> {
    for (const file of paths) {
      const data = await readFile(file);
      if (data.length === 0) continue;
      yield data;
      if (data[data.length - 1] !== 0x0a) yield Buffer.from('\n');
    }
  }
  const body = Readable.toWeb(Readable.from(chunks())) as ReadableStream<Uint8Array>;
  await downloadToFile(new Response(body), destination, { signal, label: 'result shards' });
}

async function keysOfFile(file: string): Promise<string[]> {
  const keys: string[] = [];
  const lines = createInterface({ input: createReadStream(file), crlfDelay: Infinity });
  for await (const line of lines) {
    const key = keyOfLine(line);
    if (key !== undefined) keys.push(key);
  }
  return keys;
}

const END_REASONS: Readonly<Partial<Record<RemoteBatch['state'], { reason: BatchEndReason; status: string; message: string }>>> = {
  cancelled: { reason: 'batch_cancelled', status: 'CANCELLED', message: 'The batch was cancelled before this request ran.' },
  expired: { reason: 'batch_expired', status: 'DEADLINE_EXCEEDED', message: 'The batch expired before this request ran.' },
};

/**
 * For a batch that was cancelled, expired or failed as a whole, the items of our input with no
 * result line get one saying so, in `errorsPath` (so a cancelled item is `cancelled` rather than
 * missing). A batch that succeeded is left alone: a key missing from its output is the engine's
 * to mark failed. Nothing is written for a batch made elsewhere (no local input). Returns whether
 * the file was written.
 */
export async function writeMissingAsFailures(
  remote: RemoteBatch,
  submission: BatchSubmission,
  outputPaths: readonly string[],
  errorsPath: string,
  signal: AbortSignal | undefined,
): Promise<boolean> {
  let end = END_REASONS[remote.state];
  if (remote.state === 'failed') {
    const first = remote.errors[0];
    const status = first?.code ?? 'UNKNOWN';
    end = { reason: 'batch_failed', status, message: `The batch failed as a whole: ${first?.message ?? 'no reason given'}` };
  }
  if (end === undefined) return false;
  let inputKeys: string[];
  try {
    inputKeys = await keysOfFile(submission.inputPath);
  } catch {
    return false;
  }
  const seen = new Set<string>();
  for (const file of outputPaths) for (const key of await keysOfFile(file)) seen.add(key);
  const missing = [...new Set(inputKeys)].filter((key) => !seen.has(key));
  if (missing.length === 0) return false;
  const { reason, status, message } = end;
  await writeLines(missing.map((key) => synthesizedFailureLine(key, reason, message, status)), errorsPath, signal, 'synthesized failures');
  return true;
}

/**
 * Cancels through `cancel`, then reads the batch back. Cancelling a batch that just ended is
 * refused (400), but the caller's goal (nothing more runs) holds: the ended batch is returned.
 */
export async function cancelOrEnded(remoteId: string, cancel: () => Promise<unknown>, get: (remoteId: string) => Promise<RemoteBatch>): Promise<RemoteBatch> {
  try {
    await cancel();
  } catch (error) {
    if (apiErrorOf(error)?.httpStatus !== 400) throw error;
    const current = await get(remoteId);
    if (TERMINAL_STATES.has(current.state)) return current;
    throw error;
  }
  return get(remoteId);
}

/**
 * One item through `models.generateContent`, once: the SDK retries nothing unless told to, and
 * we never tell it (each attempt is paid and must be journaled). 401/403 (and Gemini's 400
 * API_KEY_INVALID) and an unknown model (404) throw ProviderAccessError.
 */
export async function generateOnce(ai: GoogleGenAI, call: SyncCall, signal: AbortSignal | undefined): Promise<SyncOutcome> {
  const { customId } = call;
  const request = call.line['request'];
  const params = syncParamsOf(typeof request === 'object' && request !== null && !Array.isArray(request) ? (request as Record<string, unknown>) : {});
  try {
    const response = await ai.models.generateContent({
      model: call.model,
      contents: params.contents as Parameters<GoogleGenAI['models']['generateContent']>[0]['contents'],
      config: { ...params.config, ...(signal ? { abortSignal: signal } : {}) },
    });
    const resultLine = syncSuccessLine(customId, response);
    const outcome = outcomeOfResponse(customId, JSON.parse(resultLine).response);
    return { ...outcome, resultLine, retryAfterMs: undefined };
  } catch (error) {
    // A caller's abort is not the item's failure: rethrow so the engine stops instead of recording one.
    if (signal?.aborted) throw error;
    const api = apiErrorOf(error);
    if (api) {
      const access = accessKindOfError(api, true);
      if (access) throw new ProviderAccessError(access, api.message, api.httpStatus);
      const { status, httpStatus } = statusOfError({ code: api.httpStatus, status: api.status });
      return {
        ok: false,
        customId,
        failureClass: classifyStatus(status, httpStatus),
        code: status,
        message: api.message,
        httpStatus,
        usage: undefined,
        resultLine: syncErrorLine(customId, api),
        retryAfterMs: retryDelayMsOf(api.details),
      };
    }
    if (error instanceof TypeError || (error instanceof Error && /fetch failed|socket|ECONN|terminated/i.test(error.message))) {
      return noAnswerOutcome(customId, 'connection_error', error.message);
    }
    // Anything else is a bug on our side or in the SDK, not a fact about the item.
    throw error;
  }
}

/** Why a first call failed, as a user can act on it: the credentials, the permission, the place, or the network. */
export function accessFailureText(error: unknown, where: string, credentials: string): string {
  const api = apiErrorOf(error);
  if (api) {
    const kind = accessKindOfError(api, false);
    if (kind === 'auth') return `${credentials} ${api.httpStatus === 400 ? 'is not valid' : 'was refused'} at ${where} (${api.httpStatus ?? '?'}: ${api.message})`;
    if (kind === 'permission') return `${credentials} may not use batches at ${where} (403: ${api.message})`;
    if (api.httpStatus === 404) return `${where} has no batch API here (404: ${api.message}): check the base URL, project and location`;
    return `${where} did not answer as expected (${api.httpStatus ?? '?'}: ${api.message})`;
  }
  const message = error instanceof Error ? error.message : String(error);
  return `cannot reach ${where} (${message})`;
}
