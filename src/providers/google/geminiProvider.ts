// The Gemini Developer API adapter over `@google/genai` (docs/PROVIDER_BATCH_APIS.md §4.1, §4.3).
// Input: the JSONL of `{key, request}` lines uploaded with the resumable protocol (stage → `files/…`).
// Tags: the batch's display name (`llmb:<jobId>:<batchKey>`). Counts and the batch's own error
// come from a raw GET of the Operation, because the SDK's BatchJob drops `batchStats` (spec §4.1).
// Results: `files/batch-…` downloaded whole, or inline responses matched by `metadata.key`.
import { GoogleGenAI } from '@google/genai';
import type { BatchProvider, RemoteBatch, ResultKind } from '../batchProvider';
import type { ProviderConnection } from '../providerConfig';
import { downloadToFile } from '../downloadToFile';
import {
  FIND_MAX_SCANNED,
  accessFailureText,
  cancelOrEnded,
  createOnce,
  decideFound,
  generateOnce,
  guarded,
  restCall,
  restJson,
  writeLines,
  writeMissingAsFailures,
} from './googleCommon';
import { INLINE_RESULTS_REF, displayNameOf, inlinedResultLines, parseGoogleResultLine, remoteFromBatchJob, remoteFromGeminiOperation, tagsOfDisplayName } from './googleMapping';

const DEFAULT_BASE_URL = 'https://generativelanguage.googleapis.com';
/** The batch API is documented on v1beta; the SDK's own default (v1) is not (spec §4.1). */
const API_VERSION = 'v1beta';
const PAGE_SIZE = 100;

export function createGeminiProvider(connection: ProviderConnection): BatchProvider {
  const apiKey = connection.apiKey;
  if (apiKey === undefined || apiKey === '') throw new Error('the Gemini API needs an API key (set GEMINI_API_KEY or GOOGLE_API_KEY)');
  // One base URL for the SDK and our raw calls alike, so an emulator or proxy gets every request.
  const baseUrl = (connection.baseUrl ?? process.env['GOOGLE_GEMINI_BASE_URL'] ?? DEFAULT_BASE_URL).replace(/\/+$/, '');
  const ai = new GoogleGenAI({
    vertexai: false,
    apiKey,
    apiVersion: API_VERSION,
    // No retryOptions: the SDK then retries nothing (spec §4.3), and no paid call may be sent twice.
    httpOptions: { baseUrl, ...(connection.timeoutMs === undefined ? {} : { timeout: connection.timeoutMs }) },
  });
  const api = `${baseUrl}/${API_VERSION}`;
  const headers = { 'x-goog-api-key': apiKey };

  const getBatch = async (name: string, signal: AbortSignal | undefined): Promise<RemoteBatch> => remoteFromGeminiOperation(await restJson(`${api}/${name}`, headers, signal));

  /** Every batch as the wire has it (with batchStats), page by page; a batch we cannot read is skipped unless it is ours. */
  async function* listBatches(signal: AbortSignal | undefined): AsyncGenerator<RemoteBatch> {
    let pageToken: string | undefined;
    do {
      const query = new URLSearchParams({ pageSize: String(PAGE_SIZE), ...(pageToken ? { pageToken } : {}) });
      const page = (await restJson(`${api}/batches?${query.toString()}`, headers, signal)) as { operations?: unknown[]; nextPageToken?: string };
      for (const op of page.operations ?? []) {
        let remote: RemoteBatch;
        try {
          remote = remoteFromGeminiOperation(op);
        } catch (error) {
          // Someone else's odd batch must not stop us; one of ours must, loudly (skipping it could create it twice).
          const displayName = (op as { metadata?: { displayName?: unknown } } | null)?.metadata?.displayName;
          if (tagsOfDisplayName(displayName) !== undefined) throw error;
          continue;
        }
        yield remote;
      }
      pageToken = page.nextPageToken || undefined;
    } while (pageToken !== undefined);
  }

  /** Our batches for this submission. The list's order is not documented, so the scan is bounded by count, not time. */
  async function findOurs(tags: { jobId: string; batchKey: string }, signal: AbortSignal | undefined): Promise<RemoteBatch[]> {
    const matches: RemoteBatch[] = [];
    let scanned = 0;
    for await (const remote of listBatches(signal)) {
      if (remote.tags?.jobId === tags.jobId && remote.tags.batchKey === tags.batchKey) matches.push(remote);
      if (++scanned >= FIND_MAX_SCANNED) break;
    }
    return matches;
  }

  async function download(ref: string, destination: string, signal: AbortSignal | undefined): Promise<void> {
    // The SDK's files.download writes in place and cannot tell a cut-short body; this is atomic and checks.
    const response = await restCall(`${api}/${ref}:download?alt=media`, { method: 'GET', headers }, signal);
    await downloadToFile(response, destination, { signal, label: `Gemini file ${ref}` });
  }

  return guarded({
    id: 'gemini',

    async verifyAccess(signal) {
      try {
        await ai.batches.list({ config: { pageSize: 1, ...(signal ? { abortSignal: signal } : {}) } });
      } catch (error) {
        if (signal?.aborted) throw error;
        throw new Error(accessFailureText(error, `the Gemini API (${baseUrl})`, 'the Gemini API key'), { cause: error });
      }
    },

    async stage(submission) {
      // A new file per call: staging again after a crash uploads again, harmlessly (files expire after 48 h).
      const file = await ai.files.upload({ file: submission.inputPath, config: { mimeType: 'jsonl', displayName: displayNameOf(submission.tags) } });
      if (!file.name) throw new Error(`the Gemini API did not name the uploaded input of batch ${submission.tags.batchKey}`);
      return file.name;
    },

    async create(submission, staged, signal) {
      if (staged === undefined) throw new Error(`batch ${submission.tags.batchKey}: its input file was not uploaded`);
      return createOnce(
        async () => {
          const job = await ai.batches.create({
            model: submission.model,
            src: staged,
            config: { displayName: displayNameOf(submission.tags), ...(signal ? { abortSignal: signal } : {}) },
          });
          return remoteFromBatchJob(job, submission.itemCount);
        },
        () => findOurs(submission.tags, signal),
        signal,
      );
    },

    async findCreated(submission, _staged, _since, signal) {
      return decideFound(await findOurs(submission.tags, signal));
    },

    retrieve: getBatch,

    list: listBatches,

    async cancel(remoteId, signal) {
      return cancelOrEnded(remoteId, () => ai.batches.cancel({ name: remoteId, config: signal ? { abortSignal: signal } : {} }), (name) => getBatch(name, signal));
    },

    async fetchResults(remote, submission, destination, signal) {
      const written: ResultKind[] = [];
      // A batch read from `list` may lack its inline results (spec §4.1): ask the batch itself.
      const ref = remote.resultRefs[0] ?? (await getBatch(remote.remoteId, signal)).resultRefs[0];
      if (ref === INLINE_RESULTS_REF) {
        // `list` leaves inline responses out (spec §4.1): read them from the batch itself.
        const op = (await restJson(`${api}/${remote.remoteId}`, headers, signal)) as { metadata?: { output?: { inlinedResponses?: unknown } } };
        await writeLines(inlinedResultLines(op.metadata?.output?.inlinedResponses), destination('output'), signal, `inline results of ${remote.remoteId}`);
        written.push('output');
      } else if (ref !== undefined) {
        await download(ref, destination('output'), signal);
        written.push('output');
      }
      if (await writeMissingAsFailures(remote, submission, written.length > 0 ? [destination('output')] : [], destination('errors'), signal)) written.push('errors');
      return written;
    },

    parseResultLine: parseGoogleResultLine,

    async readInput(remote, destination, signal) {
      if (remote.inputRef === undefined) throw new Error(`Gemini batch ${remote.remoteId} was made from inline requests; the provider keeps no input file to import`);
      await download(remote.inputRef, destination, signal);
    },

    callSync: (call, signal) => generateOnce(ai, call, signal),
  });
}
