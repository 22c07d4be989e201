// The Anthropic Message Batches adapter over `@anthropic-ai/sdk` (docs/PROVIDER_BATCH_APIS.md §3).
// Requests go inline in the create (nothing to stage); results are one JSONL stream at the
// batch's results_url; the sync fallback is POST /v1/messages. Anthropic carries no tags and no
// idempotency key, so a batch whose create answer was lost is found again by its creation time
// and size (and, once it ended, by its results' ids), and reported ambiguous rather than guessed.
// All wire mapping lives in ./anthropicMapping, tested without a server.
import { readFile } from 'node:fs/promises';
import { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError, Anthropic } from '@anthropic-ai/sdk';
import type { MessageCreateParamsNonStreaming } from '@anthropic-ai/sdk/resources/messages/messages';
import { ProviderAccessError, TERMINAL_STATES, noAnswerOutcome } from '../batchProvider';
import type { BatchProvider, BatchSubmission, FoundBatch, RemoteBatch, SyncOutcome } from '../batchProvider';
import { callSignal } from '../callSignals';
import { downloadToFile } from '../downloadToFile';
import type { ProviderConnection } from '../providerConfig';
import {
  FIND_SKEW_MS,
  couldBeCreated,
  decideCreated,
  errorObjectOf,
  parseAnthropicResultLine,
  retryAfterMsOf,
  sameIds,
  syncErrorLine,
  syncSuccessLine,
  toRemoteBatch,
} from './anthropicMapping';
import type { CreatedCandidate } from './anthropicMapping';

const DEFAULT_BASE_URL = 'https://api.anthropic.com';
/** Set explicitly: without a client timeout the SDK refuses a non-streaming sync call with a large max_tokens. */
const DEFAULT_TIMEOUT_MS = 10 * 60 * 1000;
/** Upper bound on batches scanned while looking for one a lost create made. */
const FIND_MAX_SCANNED = 1000;
/** At most this many ended candidates have their results read to compare ids. */
const FIND_MAX_VERIFIED = 10;

interface InlineRequest {
  readonly custom_id: string;
  readonly params: Record<string, unknown>;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The batch input file's lines (`{custom_id, params}`, spec §3.2), sent inline in the create. */
async function readRequests(inputPath: string): Promise<InlineRequest[]> {
  const text = await readFile(inputPath, 'utf8');
  const requests: InlineRequest[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] ?? '').trim();
    if (line === '') continue;
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      throw new Error(`${inputPath}, line ${i + 1}: not valid JSON, so it cannot be sent to Anthropic`);
    }
    if (!isRecord(parsed) || typeof parsed['custom_id'] !== 'string' || !isRecord(parsed['params'])) {
      throw new Error(`${inputPath}, line ${i + 1}: not an Anthropic batch line ({"custom_id": "...", "params": {...}})`);
    }
    requests.push({ custom_id: parsed['custom_id'], params: parsed['params'] });
  }
  return requests;
}

/**
 * A create whose outcome we cannot know: the request may have reached the server and made a
 * batch before the answer was lost (connection drop, timeout, 408, 409, 5xx). A 4xx or 429 is a
 * refusal: nothing was made.
 */
function isAmbiguousCreateFailure(error: unknown): boolean {
  if (error instanceof APIUserAbortError) return false;
  if (error instanceof APIConnectionError) return true;
  return error instanceof APIError && typeof error.status === 'number' && (error.status === 408 || error.status === 409 || error.status >= 500);
}

/** The provider's own words for an API error. */
function apiMessageOf(error: APIError): string {
  return error.apiMessage ?? errorObjectOf(error.error)?.message ?? error.message;
}

/** A refused key or permission on a batch call: the error that stops the job instead of a retry every poll. */
function refusedAccess(error: unknown): unknown {
  if (!(error instanceof APIError) || (error.status !== 401 && error.status !== 403)) return error;
  return new ProviderAccessError(error.status === 401 ? 'auth' : 'permission', apiMessageOf(error), error.status);
}

/** Why a first call failed, as a user can act on it: the key, the permission, or the network. */
function accessFailureText(error: unknown, where: string): string {
  if (error instanceof APIError && error.status === 401) return `the API key was refused by Anthropic at ${where} (401: ${apiMessageOf(error)})`;
  if (error instanceof APIError && error.status === 403) return `the API key may not use Message Batches at ${where} (403: ${apiMessageOf(error)})`;
  if (error instanceof APIError && error.status === 404) return `${where} has no Message Batches API (404): check the base URL`;
  if (error instanceof APIConnectionError) return `cannot reach Anthropic at ${where} (${error.message})`;
  return `Anthropic at ${where} did not answer as expected (${error instanceof Error ? error.message : String(error)})`;
}

function syncFailure(customId: string, error: unknown, signal: AbortSignal | undefined): SyncOutcome {
  // A caller's abort is not the item's failure: rethrow so the engine stops instead of recording one.
  if (error instanceof APIUserAbortError || signal?.aborted) throw error;
  if (error instanceof APIConnectionError) {
    return noAnswerOutcome(customId, error instanceof APIConnectionTimeoutError ? 'timeout' : 'connection_error', error.message);
  }
  if (error instanceof APIError && typeof error.status === 'number') {
    const status = error.status;
    const message = apiMessageOf(error);
    // Our key, our permission or the model's name is wrong, not this item: every item would fail
    // the same way, and none of them may be dead-lettered for it.
    if (status === 401) throw new ProviderAccessError('auth', message, status);
    if (status === 403) throw new ProviderAccessError('permission', message, status);
    if (status === 404) throw new ProviderAccessError('not_found', message, status);
    const inner = errorObjectOf(error.error) ?? { type: error.type ?? 'api_error', message };
    const resultLine = syncErrorLine(customId, status, inner, error.requestID);
    const outcome = parseAnthropicResultLine(resultLine);
    if (!outcome) throw error;
    return { ...outcome, resultLine, retryAfterMs: retryAfterMsOf(error.headers?.get('retry-after-ms'), error.headers?.get('retry-after'), Date.now()) };
  }
  // Anything else is a bug on our side or in the SDK, not a fact about the item.
  throw error;
}

export function createAnthropicProvider(connection: ProviderConnection): BatchProvider {
  let cachedClient: Anthropic | undefined;
  /** Made on first use, so parsing results needs no key. */
  function client(): Anthropic {
    if (cachedClient) return cachedClient;
    const apiKey = connection.apiKey;
    if (apiKey === undefined || apiKey === '') {
      throw new ProviderAccessError('auth', 'no Anthropic API key is set (ANTHROPIC_API_KEY for the CLI, "Set an API Key" in the extension)', undefined);
    }
    cachedClient = new Anthropic({
      apiKey,
      ...(connection.baseUrl === undefined ? {} : { baseURL: connection.baseUrl }),
      ...(connection.maxRetries === undefined ? {} : { maxRetries: connection.maxRetries }),
      timeout: connection.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    });
    return cachedClient;
  }
  const where = connection.baseUrl ?? DEFAULT_BASE_URL;

  /** The custom_ids of an ended batch's results, read from its stream (the SDK parses each line). */
  async function resultIds(remoteId: string, signal: AbortSignal | undefined): Promise<string[]> {
    const ids: string[] = [];
    for await (const result of await client().messages.batches.results(remoteId, {}, { signal })) ids.push(result.custom_id);
    return ids;
  }

  /**
   * Batches that could be the one a create of `submission` made at `since` (newest first, within
   * the skew window, the same number of requests), minus those known to have existed before it;
   * ended ones are checked against the input's ids.
   */
  async function findSince(submission: BatchSubmission, since: number, existedBefore: ReadonlySet<string>, signal: AbortSignal | undefined): Promise<FoundBatch> {
    const possible: RemoteBatch[] = [];
    let scanned = 0;
    for await (const wire of client().messages.batches.list({ limit: 100 }, { signal })) {
      let remote: RemoteBatch;
      try {
        remote = toRemoteBatch(wire);
      } catch {
        continue;
      }
      // Newest first: once a batch is older than the window, so is every later one.
      if (remote.createdAt < since - FIND_SKEW_MS || ++scanned > FIND_MAX_SCANNED) break;
      if (!existedBefore.has(remote.remoteId) && couldBeCreated(remote, submission.itemCount, since)) possible.push(remote);
    }
    if (possible.length === 0) return { kind: 'none' };
    const inputIds = new Set((await readRequests(submission.inputPath)).map((r) => r.custom_id));
    const candidates: CreatedCandidate[] = [];
    let verified = 0;
    for (const remote of possible) {
      if (!TERMINAL_STATES.has(remote.state) || remote.resultRefs.length === 0 || verified >= FIND_MAX_VERIFIED) {
        candidates.push({ remote, ids: 'unknown' });
        continue;
      }
      verified++;
      try {
        candidates.push({ remote, ids: sameIds(inputIds, await resultIds(remote.remoteId, signal)) ? 'match' : 'mismatch' });
      } catch (error) {
        if (signal?.aborted) throw error;
        // Unreadable results prove nothing either way.
        candidates.push({ remote, ids: 'unknown' });
      }
    }
    return decideCreated(candidates);
  }

  /** Ids of batches that already look like this submission, so a lost create cannot be confused with them. */
  async function lookalikesNow(submission: BatchSubmission, signal: AbortSignal | undefined): Promise<ReadonlySet<string> | undefined> {
    const now = Date.now();
    const ids = new Set<string>();
    try {
      const page = await client().messages.batches.list({ limit: 100 }, { signal });
      for (const wire of page.data) {
        try {
          const remote = toRemoteBatch(wire);
          if (couldBeCreated(remote, submission.itemCount, now)) ids.add(remote.remoteId);
        } catch {
          // Someone else's odd batch: not ours either way.
        }
      }
      return ids;
    } catch (error) {
      if (signal?.aborted) throw error;
      return undefined;
    }
  }

  const adapter: BatchProvider = {
    id: 'anthropic',

    async verifyAccess(signal) {
      try {
        await client().messages.batches.list({ limit: 1 }, { signal });
      } catch (error) {
        if (signal?.aborted || error instanceof ProviderAccessError) throw error;
        throw new Error(accessFailureText(error, where), { cause: error });
      }
    },

    async stage() {
      // Requests go inline in the create: nothing to put anywhere first.
      return undefined;
    },

    async create(submission, _staged, signal) {
      const requests = await readRequests(submission.inputPath);
      // Batches that already look like this one (same size, made within the skew window, e.g. a
      // sibling chunk of the same job): if the create's answer is lost, none of them is ours.
      const existedBefore = await lookalikesNow(submission, signal);
      const startedAt = Date.now();
      try {
        // No SDK retries: a retried create after a lost answer would submit the batch twice (the
        // API takes no idempotency key). An answer we cannot know is reconciled below instead.
        const created = await client().messages.batches.create({ requests: requests as never }, { signal, maxRetries: 0 });
        return toRemoteBatch(created);
      } catch (error) {
        // A 429 (the batch RPM limit, or the processing queue full: spec §3.5) made nothing; the
        // two cannot be told apart reliably, so neither is a CapacityRefusedError (see README).
        if (!isAmbiguousCreateFailure(error)) throw error;
        let found: FoundBatch;
        try {
          found = await findSince(submission, startedAt, existedBefore ?? new Set(), signal);
        } catch (lookupError) {
          if (signal?.aborted) throw lookupError;
          throw error;
        }
        if (found.kind === 'found') return found.remote;
        if (found.kind === 'ambiguous') {
          throw new Error(
            `the answer to creating Anthropic batch ${submission.tags.batchKey} was lost (${error instanceof Error ? error.message : String(error)}), ` +
              `and ${found.candidates.length} batches could be it (${found.candidates.join(', ')}); it is not created again`,
            { cause: error },
          );
        }
        throw error;
      }
    },

    async findCreated(submission, _staged, since, signal) {
      return findSince(submission, since, new Set(), signal);
    },

    async retrieve(remoteId, signal) {
      return toRemoteBatch(await client().messages.batches.retrieve(remoteId, {}, { signal }));
    },

    async *list(signal) {
      for await (const wire of client().messages.batches.list({ limit: 100 }, { signal })) {
        let remote: RemoteBatch;
        try {
          remote = toRemoteBatch(wire);
        } catch {
          // With no tags, an odd batch cannot be told to be ours; it cannot be adopted either.
          continue;
        }
        yield remote;
      }
    },

    async cancel(remoteId, signal) {
      try {
        return toRemoteBatch(await client().messages.batches.cancel(remoteId, {}, { signal }));
      } catch (error) {
        // Cancelling a batch that ended a moment ago is refused, but the caller's goal (nothing
        // more runs) already holds, and the ended batch with its results is what it needs.
        if (!(error instanceof APIError) || (error.status !== 400 && error.status !== 409)) throw error;
        const current = toRemoteBatch(await client().messages.batches.retrieve(remoteId, {}, { signal }));
        if (TERMINAL_STATES.has(current.state)) return current;
        throw error;
      }
    },

    async fetchResults(remote, _submission, destination, signal) {
      let url = remote.resultRefs[0];
      if (url === undefined) url = toRemoteBatch(await client().messages.batches.retrieve(remote.remoteId, {}, { signal })).resultRefs[0];
      if (url === undefined) throw new Error(`Anthropic batch ${remote.remoteId} has no results yet (processing_status ${remote.rawStatus})`);
      // The raw stream, saved line for line as received: the SDK's own `results()` would parse
      // and re-serialise each line. results_url is absolute (spec §3.4); the SDK sends our auth to it.
      const response = await client()
        .get(url, { headers: { Accept: 'application/binary' }, __binaryResponse: true, signal })
        .asResponse();
      await downloadToFile(response, destination('output'), { signal, label: `the results of Anthropic batch ${remote.remoteId}` });
      return ['output'];
    },

    parseResultLine(line) {
      return parseAnthropicResultLine(line);
    },

    async readInput() {
      throw new Error(
        "Anthropic does not keep a batch's requests, so it cannot be imported; submit the original JSONL file instead (its results can be matched to it by custom_id).",
      );
    },

    async callSync(call, signal) {
      const params: Record<string, unknown> = isRecord(call.line['params']) ? { ...call.line['params'] } : {};
      if (typeof params['model'] !== 'string' || params['model'] === '') params['model'] = call.model;
      if (params['stream'] === true) {
        // A batch line cannot stream either; a streamed answer could not be kept as a result line.
        return {
          ok: false,
          customId: call.customId,
          failureClass: 'invalid_request',
          code: 'stream_unsupported',
          message: 'Streaming requests cannot be re-issued.',
          httpStatus: undefined,
          usage: undefined,
          resultLine: undefined,
          retryAfterMs: undefined,
        };
      }
      try {
        // No SDK retries: each attempt is paid and must be journaled, so the engine retries instead.
        const answer = await client()
          .messages.create(params as unknown as MessageCreateParamsNonStreaming, { signal, maxRetries: 0 })
          .withResponse();
        const resultLine = syncSuccessLine(call.customId, answer.data);
        const outcome = parseAnthropicResultLine(resultLine);
        if (!outcome) throw new Error(`Anthropic answered item ${call.customId} with something that is not a Message`);
        return { ...outcome, resultLine, retryAfterMs: undefined };
      } catch (error) {
        return syncFailure(call.customId, error, signal);
      }
    },
  };
  return withOwnSignalsAndAccess(adapter);
}

/**
 * Every call with its own abort signal (the Stainless SDK leaves a listener on each request's
 * signal; see ../callSignals), and every batch call's 401/403 raised as ProviderAccessError
 * (sync calls and verifyAccess say it their own way).
 */
function withOwnSignalsAndAccess(adapter: BatchProvider): BatchProvider {
  const wrap =
    <A extends unknown[], R>(call: (...args: A) => Promise<R>, access: boolean) =>
    async (...args: A): Promise<R> => {
      const links = args.map((arg) => (arg instanceof AbortSignal ? callSignal(arg) : undefined));
      try {
        return await call(...(args.map((arg, i) => links[i]?.signal ?? arg) as A));
      } catch (error) {
        throw access ? refusedAccess(error) : error;
      } finally {
        for (const link of links) link?.release();
      }
    };
  return {
    ...adapter,
    verifyAccess: wrap(adapter.verifyAccess, false),
    stage: wrap(adapter.stage, true),
    create: wrap(adapter.create, true),
    findCreated: wrap(adapter.findCreated, true),
    retrieve: wrap(adapter.retrieve, true),
    cancel: wrap(adapter.cancel, true),
    fetchResults: wrap(adapter.fetchResults, true),
    readInput: wrap(adapter.readInput, true),
    callSync: wrap(adapter.callSync, false),
    async *list(signal) {
      const link = callSignal(signal);
      try {
        yield* adapter.list(link.signal);
      } catch (error) {
        throw refusedAccess(error);
      } finally {
        link.release();
      }
    },
  };
}
