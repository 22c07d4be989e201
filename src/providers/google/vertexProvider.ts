// The Vertex AI batch prediction adapter over `@google/genai` with `vertexai: true`
// (docs/PROVIDER_BATCH_APIS.md §4.2, §4.3), plus the Cloud Storage JSON API through fetch,
// since the SDK has no GCS upload. Input: `gs://<bucket>/llm-batch/<jobId>/<batchKey>.jsonl`;
// results under `gs://<bucket>/llm-batch/<jobId>/<batchKey>.out/` (the job's own output
// directory below it), every `*.jsonl` shard concatenated into one file. Tags: the display name.
// Credentials: a preset access token through an OAuth2Client (offline-safe, spec §4.2 trap),
// else Google's application default credentials.
import { openAsBlob } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { GoogleGenAI } from '@google/genai';
import { GoogleAuth, OAuth2Client } from 'google-auth-library';
import type { BatchProvider, RemoteBatch, ResultKind } from '../batchProvider';
import { downloadToFile } from '../downloadToFile';
import type { ProviderConnection } from '../providerConfig';
import {
  FIND_MAX_SCANNED,
  accessFailureText,
  apiErrorOf,
  cancelOrEnded,
  concatenate,
  createOnce,
  decideFound,
  generateOnce,
  guarded,
  restCall,
  restJson,
  writeMissingAsFailures,
} from './googleCommon';
import { displayNameOf, parseGoogleResultLine, remoteFromBatchJob, tagsOfDisplayName } from './googleMapping';

const CLOUD_PLATFORM_SCOPE = 'https://www.googleapis.com/auth/cloud-platform';
const DEFAULT_STORAGE_URL = 'https://storage.googleapis.com';
const PAGE_SIZE = 100;

/** The folder our objects go under in the user's bucket. */
export const STAGING_FOLDER = 'llm-batch';

export function stagedObjectName(tags: { jobId: string; batchKey: string }): string {
  return `${STAGING_FOLDER}/${tags.jobId}/${tags.batchKey}.jsonl`;
}

export function outputPrefixOf(bucket: string, tags: { jobId: string; batchKey: string }): string {
  return `gs://${bucket}/${STAGING_FOLDER}/${tags.jobId}/${tags.batchKey}.out/`;
}

function splitGsUri(uri: string): { bucket: string; object: string } {
  const m = /^gs:\/\/([^/]+)\/?(.*)$/.exec(uri);
  if (!m?.[1]) throw new Error(`not a Cloud Storage URI: ${uri}`);
  return { bucket: m[1], object: m[2] ?? '' };
}

export function createVertexProvider(connection: ProviderConnection): BatchProvider {
  const { project, location, bucket } = connection;
  const missing = [project ? undefined : 'a project (--project)', location ? undefined : 'a location (--location)', bucket ? undefined : 'a Cloud Storage bucket (--bucket)'].filter(Boolean);
  if (!project || !location || !bucket) throw new Error(`Vertex AI needs ${missing.join(', ')}`);
  const accessToken = connection.accessToken;
  // With a ready token, google-auth-library must not look for ADC at all: offline it would probe
  // the GCE metadata server. Passing it as a header is not enough; an OAuth2Client holding it is (spec §4.2).
  let authClient: OAuth2Client | undefined;
  if (accessToken !== undefined && accessToken !== '') {
    authClient = new OAuth2Client();
    // No expiry_date: the client cannot refresh a token it was handed, and with an expiry it would
    // fail locally after an hour ("No refresh token is set"); without one it keeps sending the
    // token and a stale token comes back as a 401 (ProviderAccessError: give a fresh token).
    authClient.setCredentials({ access_token: accessToken });
  }
  const adc = authClient ? undefined : new GoogleAuth({ scopes: [CLOUD_PLATFORM_SCOPE] });
  const baseUrl = connection.baseUrl?.replace(/\/+$/, '');
  const storageUrl = baseUrl ?? DEFAULT_STORAGE_URL;
  const ai = new GoogleGenAI({
    vertexai: true,
    project,
    location,
    ...(authClient ? { googleAuthOptions: { authClient } } : {}),
    // No retryOptions: the SDK retries nothing (spec §4.3).
    httpOptions: { ...(baseUrl ? { baseUrl } : {}), ...(connection.timeoutMs === undefined ? {} : { timeout: connection.timeoutMs }) },
  });
  const where = `Vertex AI (project ${project}, ${location}${baseUrl ? `, ${baseUrl}` : ''})`;

  async function storageHeaders(): Promise<Record<string, string>> {
    if (accessToken) return { authorization: `Bearer ${accessToken}` };
    const token = await adc?.getAccessToken();
    if (!token) throw new Error('no Google credentials: run `gcloud auth application-default login` or give an access token');
    return { authorization: `Bearer ${token}` };
  }

  const objectUrl = (b: string, object: string): string => `${storageUrl}/storage/v1/b/${encodeURIComponent(b)}/o/${encodeURIComponent(object)}`;

  async function downloadObject(uri: string, destination: string, signal: AbortSignal | undefined): Promise<void> {
    const { bucket: b, object } = splitGsUri(uri);
    const response = await restCall(`${objectUrl(b, object)}?alt=media`, { method: 'GET', headers: await storageHeaders() }, signal);
    await downloadToFile(response, destination, { signal, label: `Cloud Storage object ${uri}` });
  }

  /** Object names under a prefix, across pages, in the order GCS lists them (by name). */
  async function listObjects(b: string, prefix: string, signal: AbortSignal | undefined): Promise<string[]> {
    const names: string[] = [];
    let pageToken: string | undefined;
    do {
      const query = new URLSearchParams({ prefix, ...(pageToken ? { pageToken } : {}) });
      // GCS leaves `items` out of an empty listing.
      const page = (await restJson(`${storageUrl}/storage/v1/b/${encodeURIComponent(b)}/o?${query.toString()}`, await storageHeaders(), signal)) as { items?: { name?: string }[]; nextPageToken?: string };
      for (const item of page.items ?? []) if (typeof item.name === 'string') names.push(item.name);
      pageToken = page.nextPageToken || undefined;
    } while (pageToken !== undefined);
    return names;
  }

  const withSignal = (signal: AbortSignal | undefined): { abortSignal?: AbortSignal } => (signal ? { abortSignal: signal } : {});

  const getJob = async (name: string, signal: AbortSignal | undefined): Promise<RemoteBatch> => remoteFromBatchJob(await ai.batches.get({ name, config: withSignal(signal) }));

  async function* listJobs(signal: AbortSignal | undefined): AsyncGenerator<RemoteBatch> {
    const pager = await ai.batches.list({ config: { pageSize: PAGE_SIZE, ...withSignal(signal) } });
    for await (const job of pager) {
      let remote: RemoteBatch;
      try {
        remote = remoteFromBatchJob(job);
      } catch (error) {
        if (tagsOfDisplayName(job.displayName) !== undefined) throw error;
        continue;
      }
      yield remote;
    }
  }

  async function findOurs(tags: { jobId: string; batchKey: string }, signal: AbortSignal | undefined): Promise<RemoteBatch[]> {
    const matches: RemoteBatch[] = [];
    let scanned = 0;
    for await (const remote of listJobs(signal)) {
      if (remote.tags?.jobId === tags.jobId && remote.tags.batchKey === tags.batchKey) matches.push(remote);
      if (++scanned >= FIND_MAX_SCANNED) break;
    }
    return matches;
  }

  return guarded({
    id: 'vertex',

    async verifyAccess(signal) {
      try {
        await ai.batches.list({ config: { pageSize: 1, ...withSignal(signal) } });
      } catch (error) {
        if (signal?.aborted) throw error;
        const text = error instanceof Error && /default credentials/i.test(error.message)
          ? `no Google credentials for ${where}: run \`gcloud auth application-default login\` or give an access token (${error.message})`
          : accessFailureText(error, where, accessToken ? 'the access token' : 'the application default credentials');
        throw new Error(text, { cause: error });
      }
      try {
        await listObjects(bucket, `${STAGING_FOLDER}/`, signal).then(() => undefined);
      } catch (error) {
        if (signal?.aborted) throw error;
        const api = apiErrorOf(error);
        throw new Error(`the Cloud Storage bucket ${bucket} cannot be used (${api?.httpStatus ?? '?'}: ${api?.message ?? String(error)}): check --bucket and the credentials' storage role`, { cause: error });
      }
    },

    async stage(submission, signal) {
      // The same object name every time: staging again after a crash overwrites it, harmlessly.
      const name = stagedObjectName(submission.tags);
      const query = new URLSearchParams({ uploadType: 'media', name });
      // A file-backed Blob streams from disk, so a large input is never held in memory.
      const body = await openAsBlob(submission.inputPath);
      await restCall(
        `${storageUrl}/upload/storage/v1/b/${encodeURIComponent(bucket)}/o?${query.toString()}`,
        { method: 'POST', headers: { ...(await storageHeaders()), 'content-type': 'application/jsonl' }, body },
        signal,
      );
      return `gs://${bucket}/${name}`;
    },

    async create(submission, staged, signal) {
      if (staged === undefined) throw new Error(`batch ${submission.tags.batchKey}: its input was not staged in Cloud Storage`);
      return createOnce(
        async () => {
          const job = await ai.batches.create({
            model: submission.model,
            src: staged,
            config: { dest: outputPrefixOf(bucket, submission.tags), displayName: displayNameOf(submission.tags), ...withSignal(signal) },
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

    retrieve: getJob,

    list: listJobs,

    async cancel(remoteId, signal) {
      return cancelOrEnded(remoteId, () => ai.batches.cancel({ name: remoteId, config: withSignal(signal) }), (name) => getJob(name, signal));
    },

    async fetchResults(remote, submission, destination, signal) {
      const written: ResultKind[] = [];
      const outputDir = remote.resultRefs[0];
      if (outputDir !== undefined) {
        const { bucket: b, object } = splitGsUri(outputDir);
        const prefix = object === '' || object.endsWith('/') ? object : `${object}/`;
        const shards = (await listObjects(b, prefix, signal)).filter((name) => name.endsWith('.jsonl'));
        if (shards.length > 0) {
          // Each shard is downloaded whole (and checked) before any of them reaches the destination.
          const scratch = await mkdtemp(path.join(tmpdir(), 'llmb-vertex-'));
          try {
            const files: string[] = [];
            for (const [i, shard] of shards.entries()) {
              const file = path.join(scratch, `${i}.jsonl`);
              await downloadObject(`gs://${b}/${shard}`, file, signal);
              files.push(file);
            }
            await concatenate(files, destination('output'), signal);
          } finally {
            await rm(scratch, { recursive: true, force: true });
          }
          written.push('output');
        }
      }
      if (await writeMissingAsFailures(remote, submission, written.length > 0 ? [destination('output')] : [], destination('errors'), signal)) written.push('errors');
      return written;
    },

    parseResultLine: parseGoogleResultLine,

    async readInput(remote, destination, signal) {
      if (remote.inputRef === undefined || !remote.inputRef.startsWith('gs://')) {
        throw new Error(`Vertex AI job ${remote.remoteId} has no Cloud Storage input to import (BigQuery sources are not supported)`);
      }
      await downloadObject(remote.inputRef, destination, signal);
    },

    callSync: (call, signal) => generateOnce(ai, call, signal),
  });
}
