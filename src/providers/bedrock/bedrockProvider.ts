// The AWS Bedrock batch inference adapter (spec §5) over the official SDKs: `@aws-sdk/client-bedrock`
// for the jobs, `@aws-sdk/client-s3` for the staged input and the output objects, and
// `@aws-sdk/client-bedrock-runtime` (InvokeModel / Converse) for the sync call. It owns the client
// setup, the S3 plumbing and the error handling; names, states and wire shapes live in
// ./bedrockMapping so they can be tested without a server.
import { createReadStream } from 'node:fs';
import { stat, unlink } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import {
  BedrockClient,
  CreateModelInvocationJobCommand,
  GetModelInvocationJobCommand,
  ListModelInvocationJobsCommand,
  ListTagsForResourceCommand,
  StopModelInvocationJobCommand,
  paginateListModelInvocationJobs,
} from '@aws-sdk/client-bedrock';
import type { CreateModelInvocationJobCommandInput, ListModelInvocationJobsCommandInput, ModelInvocationJobSummary } from '@aws-sdk/client-bedrock';
import { BedrockRuntimeClient, ConverseCommand, InvokeModelCommand } from '@aws-sdk/client-bedrock-runtime';
import type { ConverseCommandInput } from '@aws-sdk/client-bedrock-runtime';
import { GetObjectCommand, HeadBucketCommand, PutObjectCommand, S3Client, paginateListObjectsV2 } from '@aws-sdk/client-s3';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { ItemOutcome } from '../../core/itemOutcome';
import { CapacityRefusedError, ProviderAccessError, TERMINAL_STATES, noAnswerOutcome } from '../batchProvider';
import type { BatchProvider, BatchSubmission, BatchTags, FoundBatch, RemoteBatch, ResultKind, SyncCall, SyncOutcome } from '../batchProvider';
import { TruncatedDownloadError, downloadToFile } from '../downloadToFile';
import type { ProviderConnection } from '../providerConfig';
import {
  TAG_BATCH,
  TAG_JOB,
  accessKindOf,
  classifyErrorCode,
  clientRequestTokenFor,
  errorResultLine,
  headerTokenCounts,
  isHashedJobName,
  jobNameFor,
  missingRecordLine,
  outcomeFromModelOutput,
  outputPrefixKey,
  parseBedrockResultLine,
  parseS3Uri,
  resultFolderUri,
  retryAfterMsOf,
  s3Uri,
  stagingKey,
  syncResultLine,
  tagsFromAwsTags,
  toRemoteBatch,
} from './bedrockMapping';

/** What an AWS SDK error says about itself: its name, HTTP status, message and response headers. */
interface AwsErrorInfo {
  readonly name: string;
  readonly status: number | undefined;
  readonly message: string;
  readonly headers: Readonly<Record<string, string | undefined>> | undefined;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The service's answer in an error: set only when the service answered (not for network errors). */
function awsErrorOf(error: unknown): AwsErrorInfo | undefined {
  if (!(error instanceof Error) || !isRecord((error as unknown as Record<string, unknown>)['$metadata'])) return undefined;
  const meta = (error as unknown as { $metadata: { httpStatusCode?: number } }).$metadata;
  if (meta.httpStatusCode === undefined) return undefined;
  const response = (error as unknown as { $response?: { headers?: Record<string, string> } }).$response;
  return { name: error.name, status: meta.httpStatusCode, message: error.message, headers: response?.headers };
}

const NETWORK_CODES: ReadonlySet<string> = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNABORTED', 'EHOSTUNREACH', 'ENETUNREACH']);

/** A request that got no answer: a timeout or a connection that failed or dropped. */
function networkFailureOf(error: unknown): 'timeout' | 'connection_error' | undefined {
  if (!(error instanceof Error) || awsErrorOf(error) !== undefined) return undefined;
  if (error.name === 'TimeoutError') return 'timeout';
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && NETWORK_CODES.has(code) ? 'connection_error' : undefined;
}

const isAbort = (error: unknown, signal: AbortSignal | undefined): boolean => signal?.aborted === true || (error instanceof Error && error.name === 'AbortError');

/** No credentials anywhere in the default chain (environment, profile, SSO, container, IMDS). */
const isMissingCredentials = (error: unknown): boolean => error instanceof Error && error.name === 'CredentialsProviderError';

/** A refused key or permission (or no credentials at all), as the error that stops the job instead of a retry every poll. */
function refusedAccess(error: unknown): unknown {
  if (isMissingCredentials(error)) return new ProviderAccessError('auth', (error as Error).message, undefined);
  const info = awsErrorOf(error);
  if (!info || (info.status !== 401 && info.status !== 403)) return error;
  return new ProviderAccessError(accessKindOf(info.name, info.status) === 'auth' ? 'auth' : 'permission', `${info.name}: ${info.message}`, info.status);
}

async function guarded<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw refusedAccess(error);
  }
}

const sleep = (ms: number, signal: AbortSignal | undefined): Promise<void> =>
  new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });

/** The SDK's per-call options: the caller's signal, when there is one. */
const sendOptions = (signal: AbortSignal | undefined): { abortSignal?: AbortSignal } => (signal ? { abortSignal: signal } : {});

const DEFAULT_ATTEMPTS = 3;
const LIST_PAGE_SIZE = 100;

export function createBedrockProvider(connection: ProviderConnection): BatchProvider {
  const credentials = connection.awsCredentials
    ? {
        accessKeyId: connection.awsCredentials.accessKeyId,
        secretAccessKey: connection.awsCredentials.secretAccessKey,
        ...(connection.awsCredentials.sessionToken === undefined ? {} : { sessionToken: connection.awsCredentials.sessionToken }),
      }
    : undefined;
  // Without explicit credentials nothing is passed, so the SDK runs the standard chain itself.
  const common = {
    ...(connection.region === undefined ? {} : { region: connection.region }),
    ...(connection.baseUrl === undefined ? {} : { endpoint: connection.baseUrl }),
    ...(credentials === undefined ? {} : { credentials }),
  };
  const attempts = connection.maxRetries === undefined ? DEFAULT_ATTEMPTS : Math.max(1, connection.maxRetries + 1);
  const timeouts = connection.timeoutMs === undefined ? {} : { requestTimeout: connection.timeoutMs, throwOnRequestTimeout: true };
  const bedrock = new BedrockClient({ ...common, maxAttempts: attempts, requestHandler: new NodeHttpHandler(timeouts) });
  // Path style at a base URL (the emulator, a proxy): one host serves every bucket there.
  const s3Options = { ...common, forcePathStyle: connection.baseUrl !== undefined };
  const s3 = new S3Client({ ...s3Options, maxAttempts: attempts, requestHandler: new NodeHttpHandler(timeouts) });
  // Uploads stream the file, which an SDK retry cannot rewind: `stage` retries with a fresh stream
  // itself. A socket that stays idle, not a long upload, is what times out.
  const s3Upload = new S3Client({ ...s3Options, maxAttempts: 1, requestHandler: new NodeHttpHandler(connection.timeoutMs === undefined ? {} : { socketTimeout: connection.timeoutMs }) });
  // The runtime client defaults to HTTP/2, which an HTTP/1.1 server (the emulator, most proxies)
  // fails with ERR_HTTP2_ERROR (spec §5.6 trap). One attempt: a sync call is paid, and the engine
  // retries it under its journaled policy.
  const runtime = new BedrockRuntimeClient({ ...common, maxAttempts: 1, requestHandler: new NodeHttpHandler(timeouts) });
  const invocationType = connection.invocationType ?? 'InvokeModel';
  const where = connection.baseUrl ?? `Bedrock in ${connection.region ?? 'the default AWS region'}`;

  function bucket(): string {
    if (connection.bucket === undefined || connection.bucket === '') {
      throw new Error('Bedrock batch jobs read their input from S3: set the S3 bucket to stage batches through (--bucket, or the Bedrock bucket setting)');
    }
    return connection.bucket;
  }

  function roleArn(): string {
    if (connection.roleArn === undefined || connection.roleArn === '') {
      throw new Error('Bedrock batch jobs run as an IAM service role: set its ARN (--role-arn, or the Bedrock role ARN setting)');
    }
    return connection.roleArn;
  }

  /** The RemoteBatch of a job or summary; a name too long to carry the tags has them read from the job's tags. */
  async function remoteOf(job: { jobArn?: string | undefined; jobName?: string | undefined }, signal: AbortSignal | undefined, known?: BatchTags): Promise<RemoteBatch> {
    if (known === undefined && job.jobArn !== undefined && job.jobName !== undefined && isHashedJobName(job.jobName)) {
      const answer = await bedrock.send(new ListTagsForResourceCommand({ resourceARN: job.jobArn }), sendOptions(signal));
      return toRemoteBatch(job, tagsFromAwsTags(answer.tags));
    }
    return toRemoteBatch(job, known);
  }

  async function retrieve(remoteId: string, signal: AbortSignal | undefined): Promise<RemoteBatch> {
    return remoteOf(await bedrock.send(new GetModelInvocationJobCommand({ jobIdentifier: remoteId }), sendOptions(signal)), signal);
  }

  async function* summaries(input: ListModelInvocationJobsCommandInput, signal: AbortSignal | undefined): AsyncGenerator<ModelInvocationJobSummary> {
    const pages = paginateListModelInvocationJobs({ client: bedrock, pageSize: LIST_PAGE_SIZE }, { sortBy: 'CreationTime', sortOrder: 'Descending', ...input });
    // The paginator takes no abort signal; checking between pages keeps a cancel prompt.
    for await (const page of pages) {
      signal?.throwIfAborted();
      yield* page.invocationJobSummaries ?? [];
    }
  }

  /**
   * The S3 objects `keys` as one stream of whole lines (a newline is added after an object that
   * ends without one), each object fetched when the previous one has been read. An object cut
   * short (fewer bytes than its Content-Length, or a last line that is not whole JSON) errors the
   * stream, which `downloadToFile` turns into a TruncatedDownloadError. A failed GetObject is kept
   * in `failed` so the caller can rethrow it as itself.
   */
  function objectsAsLines(bucketName: string, keys: readonly string[], signal: AbortSignal | undefined, failed: { error?: unknown }): ReadableStream<Uint8Array> {
    let index = 0;
    let current: { key: string; reader: ReadableStreamDefaultReader<Uint8Array>; expected: number | undefined; received: number; tail: Uint8Array[] } | undefined;
    return new ReadableStream<Uint8Array>({
      async pull(controller) {
        for (;;) {
          if (current === undefined) {
            const key = keys[index++];
            if (key === undefined) return controller.close();
            let body;
            try {
              const answer = await s3.send(new GetObjectCommand({ Bucket: bucketName, Key: key }), sendOptions(signal));
              body = answer.Body;
              current = { key, reader: (body?.transformToWebStream() ?? new ReadableStream<Uint8Array>()).getReader(), expected: answer.ContentLength, received: 0, tail: [] };
            } catch (error) {
              failed.error = error;
              throw error;
            }
          }
          const chunk = await current.reader.read();
          if (chunk.done) {
            const { key, expected, received, tail } = current;
            current = undefined;
            const label = s3Uri(bucketName, key);
            if (expected !== undefined && received !== expected) throw new TruncatedDownloadError(`${label} was cut short: received ${received} of ${expected} bytes`);
            const last = Buffer.concat(tail).toString('utf8');
            if (last.trim() === '') continue;
            if (!isJson(last)) throw new TruncatedDownloadError(`${label} was cut short: its last line is incomplete (${received} bytes received, no final newline)`);
            controller.enqueue(new Uint8Array([0x0a]));
            return;
          }
          const bytes = chunk.value;
          if (bytes.byteLength === 0) continue;
          current.received += bytes.byteLength;
          const nl = bytes.lastIndexOf(0x0a);
          if (nl >= 0) current.tail = [bytes.subarray(nl + 1)];
          else current.tail.push(bytes);
          controller.enqueue(bytes);
          return;
        }
      },
      async cancel(reason) {
        await current?.reader.cancel(reason).catch(() => undefined);
      },
    });
  }

  /** Writes the objects, concatenated, to `destination` atomically (whole or not at all). */
  async function downloadObjects(bucketName: string, keys: readonly string[], destination: string, signal: AbortSignal | undefined): Promise<void> {
    const failed: { error?: unknown } = {};
    try {
      await downloadToFile(new Response(objectsAsLines(bucketName, keys, signal, failed)), destination, { signal, label: `s3://${bucketName}/${keys[0] ?? ''}` });
    } catch (error) {
      // A refused or missing object is that error, not a "cut short" download.
      if (failed.error !== undefined && !isAbort(error, signal)) throw failed.error;
      throw error;
    }
  }

  async function listKeys(bucketName: string, prefix: string, signal: AbortSignal | undefined): Promise<string[]> {
    const keys: string[] = [];
    for await (const page of paginateListObjectsV2({ client: s3, pageSize: 1000 }, { Bucket: bucketName, Prefix: prefix })) {
      signal?.throwIfAborted();
      for (const object of page.Contents ?? []) if (object.Key !== undefined) keys.push(object.Key);
    }
    return keys;
  }

  function createInput(submission: BatchSubmission, staged: string): CreateModelInvocationJobCommandInput {
    const { tags } = submission;
    return {
      jobName: jobNameFor(tags),
      roleArn: roleArn(),
      modelId: submission.model,
      inputDataConfig: { s3InputDataConfig: { s3Uri: staged, s3InputFormat: 'JSONL' } },
      outputDataConfig: { s3OutputDataConfig: { s3Uri: s3Uri(bucket(), outputPrefixKey(tags)) } },
      clientRequestToken: clientRequestTokenFor(tags),
      modelInvocationType: invocationType,
      tags: [
        { key: TAG_JOB, value: tags.jobId },
        { key: TAG_BATCH, value: tags.batchKey },
      ],
    };
  }

  /** What is known of a job just made, when reading it back failed: enough to journal its ARN. */
  function provisional(jobArn: string, submission: BatchSubmission, staged: string): RemoteBatch {
    return {
      remoteId: jobArn,
      state: 'validating',
      rawStatus: 'Submitted',
      counts: { total: submission.itemCount, completed: 0, failed: 0 },
      tags: submission.tags,
      resultRefs: [],
      inputRef: staged,
      endpoint: invocationType,
      model: submission.model,
      createdAt: Date.now(),
      expiresAt: undefined,
      errors: [],
    };
  }

  async function findCreated(submission: BatchSubmission, signal: AbortSignal | undefined): Promise<FoundBatch> {
    const name = jobNameFor(submission.tags);
    const token = clientRequestTokenFor(submission.tags);
    const matches = new Map<string, ModelInvocationJobSummary>();
    // The token is derived from the tags alone, so a job carrying it was made from this submission,
    // whenever that was: no time window is needed.
    for await (const summary of summaries({ nameContains: name }, signal)) {
      if (summary.jobName === name && summary.clientRequestToken === token && summary.jobArn !== undefined) matches.set(summary.jobArn, summary);
    }
    const [only, ...others] = [...matches.values()];
    if (only === undefined) return { kind: 'none' };
    // Bedrock's idempotency makes two jobs with one token impossible within its window; if it
    // ever happens, say so rather than pick one.
    if (others.length > 0) return { kind: 'ambiguous', candidates: [...matches.keys()] };
    return { kind: 'found', remote: await remoteOf(only, signal, submission.tags) };
  }

  /** The record ids present in a results file we wrote. */
  async function recordIdsIn(file: string): Promise<Set<string>> {
    const ids = new Set<string>();
    const lines = createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Infinity });
    for await (const line of lines) {
      const id = recordIdOf(line);
      if (id !== undefined) ids.add(id);
    }
    return ids;
  }

  /** Lines for the input records the output left out (PartiallyCompleted, Stopped, Expired), in input order. */
  async function* missingLines(inputPath: string, present: ReadonlySet<string>, rawStatus: string): AsyncGenerator<Buffer> {
    const lines = createInterface({ input: createReadStream(inputPath, 'utf8'), crlfDelay: Infinity });
    for await (const line of lines) {
      const id = recordIdOf(line);
      if (id !== undefined && !present.has(id)) yield Buffer.from(`${missingRecordLine(id, rawStatus)}\n`, 'utf8');
    }
  }

  const adapter: BatchProvider = {
    id: 'bedrock',

    async verifyAccess(signal) {
      const bucketName = bucket();
      roleArn();
      try {
        await bedrock.send(new ListModelInvocationJobsCommand({ maxResults: 1 }), sendOptions(signal));
      } catch (error) {
        if (isAbort(error, signal)) throw error;
        throw new Error(accessFailureText(error, `${where} (bedrock:ListModelInvocationJobs)`), { cause: error });
      }
      try {
        await s3.send(new HeadBucketCommand({ Bucket: bucketName }), sendOptions(signal));
      } catch (error) {
        if (isAbort(error, signal)) throw error;
        const info = awsErrorOf(error);
        if (info?.status === 404) throw new Error(`the S3 bucket '${bucketName}' does not exist (404): check the bucket setting and the region`, { cause: error });
        if (info?.status === 403) throw new Error(`the AWS credentials may not use the S3 bucket '${bucketName}' (403 ${info.name}): check the bucket policy and the IAM permissions`, { cause: error });
        throw new Error(accessFailureText(error, `the S3 bucket '${bucketName}'`), { cause: error });
      }
    },

    stage: (submission, signal) =>
      guarded(async () => {
        const bucketName = bucket();
        const key = stagingKey(submission.tags);
        const { size } = await stat(submission.inputPath);
        // Same key every time, so staging again after a crash overwrites the same object.
        for (let attempt = 1; ; attempt++) {
          try {
            // A read stream with its length: the file is sent as it is read, never held in memory.
            await s3Upload.send(
              new PutObjectCommand({ Bucket: bucketName, Key: key, Body: createReadStream(submission.inputPath), ContentLength: size, ContentType: 'application/jsonl' }),
              sendOptions(signal),
            );
            return s3Uri(bucketName, key);
          } catch (error) {
            if (isAbort(error, signal) || attempt >= attempts || !isRetryable(error)) throw error;
            await sleep(Math.min(2000, 100 * 2 ** (attempt - 1)), signal);
          }
        }
      }),

    create: (submission, staged, signal) =>
      guarded(async () => {
        if (staged === undefined) throw new Error(`Bedrock reads batch ${submission.tags.batchKey} from S3: it must be staged before it is created`);
        let jobArn: string | undefined;
        try {
          // The clientRequestToken makes this create idempotent (spec §5.1): Bedrock answers a token
          // it has seen with the job it already made. So the SDK may retry a create whose answer was
          // lost (a 5xx, throttling, a dropped connection) and the engine may send it again after a
          // crash: neither can make a second job.
          jobArn = (await bedrock.send(new CreateModelInvocationJobCommand(createInput(submission, staged)), sendOptions(signal))).jobArn;
        } catch (error) {
          const info = awsErrorOf(error);
          // Too many concurrent jobs for the model: nothing was made; the same batch may be sent later.
          if (info?.name === 'ServiceQuotaExceededException') throw new CapacityRefusedError(info.name, info.message);
          throw error;
        }
        if (jobArn === undefined) throw new Error(`Bedrock answered the create of batch ${submission.tags.batchKey} without a job ARN`);
        try {
          return await remoteOf(await bedrock.send(new GetModelInvocationJobCommand({ jobIdentifier: jobArn }), sendOptions(signal)), signal, submission.tags);
        } catch (error) {
          if (isAbort(error, signal)) throw error;
          // The job exists; its ARN is what the engine must journal. The next poll reads the rest.
          return provisional(jobArn, submission, staged);
        }
      }),

    findCreated: (submission, _staged, _since, signal) => guarded(() => findCreated(submission, signal)),

    retrieve: (remoteId, signal) => guarded(() => retrieve(remoteId, signal)),

    async *list(signal) {
      try {
        for await (const summary of summaries({}, signal)) yield await remoteOf(summary, signal);
      } catch (error) {
        throw refusedAccess(error);
      }
    },

    cancel: (remoteId, signal) =>
      guarded(async () => {
        try {
          await bedrock.send(new StopModelInvocationJobCommand({ jobIdentifier: remoteId }), sendOptions(signal));
        } catch (error) {
          // Stopping a job that ended a moment ago is refused, but the caller's goal (nothing more
          // runs) already holds, and the ended job with its output is what it needs.
          const info = awsErrorOf(error);
          if (info?.name !== 'ValidationException' && info?.name !== 'ConflictException') throw error;
          const current = await retrieve(remoteId, signal);
          if (TERMINAL_STATES.has(current.state) || current.state === 'cancelling') return current;
          throw error;
        }
        return retrieve(remoteId, signal);
      }),

    fetchResults: (remote, submission, destination, signal) =>
      guarded(async () => {
        const folder = remote.resultRefs[0] ?? (connection.bucket ? resultFolderUri(s3Uri(connection.bucket, outputPrefixKey(submission.tags)), remote.remoteId) : undefined);
        const location = folder === undefined ? undefined : parseS3Uri(folder);
        const written: ResultKind[] = [];
        const present = new Set<string>();
        if (location !== undefined) {
          // Every `<input>.jsonl.out`; `manifest.json.out` holds only counts.
          const keys = (await listKeys(location.bucket, location.key, signal)).filter((key) => key.endsWith('.jsonl.out')).sort();
          if (keys.length > 0) {
            const output = destination('output');
            await downloadObjects(location.bucket, keys, output, signal);
            written.push('output');
            for (const id of await recordIdsIn(output)) present.add(id);
          }
        }
        // A job that ran out of time or was stopped leaves records out of its output: each gets a
        // line of its own (expired, cancelled), so the engine matches every outcome by recordId. A
        // Failed job ran nothing; its reason is on the batch (errors), not on the items.
        if (remote.state !== 'failed' && TERMINAL_STATES.has(remote.state)) {
          const missing = Readable.toWeb(Readable.from(missingLines(submission.inputPath, present, remote.rawStatus))) as ReadableStream<Uint8Array>;
          const errors = destination('errors');
          await downloadToFile(new Response(missing), errors, { signal, label: `missing records of ${remote.remoteId}` });
          // Nothing missing: no errors file, as when the provider has none to give.
          if ((await stat(errors)).size > 0) written.push('errors');
          else await unlink(errors);
        }
        return written;
      }),

    parseResultLine(line): ItemOutcome | undefined {
      return parseBedrockResultLine(line);
    },

    readInput: (remote, destination, signal) =>
      guarded(async () => {
        const input = remote.inputRef === undefined ? undefined : parseS3Uri(remote.inputRef);
        if (input === undefined) throw new Error(`Bedrock job ${remote.remoteId} names no S3 input to read`);
        // An s3Uri names one .jsonl object or a folder of them (spec §5.1).
        const keys = input.key.endsWith('.jsonl') ? [input.key] : (await listKeys(input.bucket, input.key.endsWith('/') || input.key === '' ? input.key : `${input.key}/`, signal)).filter((k) => k.endsWith('.jsonl')).sort();
        if (keys.length === 0) throw new Error(`Bedrock job ${remote.remoteId}: its input ${remote.inputRef} holds no .jsonl object any more`);
        try {
          await downloadObjects(input.bucket, keys, destination, signal);
        } catch (error) {
          const info = awsErrorOf(error);
          if (info?.name === 'NoSuchKey' || info?.status === 404) throw new Error(`Bedrock job ${remote.remoteId}: its input ${remote.inputRef} is gone from S3 (${info.name})`, { cause: error });
          throw error;
        }
      }),

    callSync: (call, signal) => callSync(runtime, invocationType, call, signal),
  };
  return adapter;
}

/** One sync call, once (the client makes one attempt): InvokeModel with the record's body, or Converse. */
async function callSync(runtime: BedrockRuntimeClient, invocationType: 'InvokeModel' | 'Converse', call: SyncCall, signal: AbortSignal | undefined): Promise<SyncOutcome> {
  const { customId, model } = call;
  const modelInput = call.line['modelInput'];
  if (!isRecord(modelInput)) {
    return { ok: false, customId, failureClass: 'invalid_request', code: 'no_model_input', message: 'The line has no modelInput object to send.', httpStatus: undefined, usage: undefined, resultLine: undefined, retryAfterMs: undefined };
  }
  try {
    if (invocationType === 'Converse') {
      const answer = await runtime.send(new ConverseCommand({ ...(modelInput as Omit<ConverseCommandInput, 'modelId'>), modelId: model }), sendOptions(signal));
      const { $metadata: _metadata, ...body } = answer;
      // Through JSON, so the kept line holds exactly what parseResultLine will read back.
      const modelOutput: unknown = JSON.parse(JSON.stringify(body));
      const outcome = outcomeFromModelOutput(customId, modelOutput);
      return { ...outcome, resultLine: syncResultLine(customId, modelInput, modelOutput), retryAfterMs: undefined };
    }
    let headers: Record<string, string> | undefined;
    const command = new InvokeModelCommand({ modelId: model, body: JSON.stringify(modelInput), contentType: 'application/json', accept: 'application/json' });
    // The SDK's output drops the token-count headers (spec §5.6); read them off the raw response.
    command.middlewareStack.add(
      (next) => async (args) => {
        const result = await next(args);
        const response = result.response as { headers?: Record<string, string> } | undefined;
        headers = response?.headers;
        return result;
      },
      { step: 'deserialize', name: 'llmbTokenCountHeaders' },
    );
    const answer = await runtime.send(command, sendOptions(signal));
    const text = new TextDecoder().decode(answer.body);
    let modelOutput: unknown;
    try {
      modelOutput = JSON.parse(text);
    } catch {
      return { ok: false, customId, failureClass: 'invalid_output', code: 'not_json', message: 'The model answered with a body that is not JSON.', httpStatus: 200, usage: undefined, resultLine: undefined, retryAfterMs: undefined };
    }
    const outcome = outcomeFromModelOutput(customId, modelOutput);
    // Counts the body lacks (some model families) come from the headers, and are kept in the line.
    const fromHeaders = outcome.usage === undefined ? headerTokenCounts(headers) : undefined;
    return {
      ...(fromHeaders ? { ...outcome, usage: fromHeaders } : outcome),
      resultLine: syncResultLine(customId, modelInput, modelOutput, fromHeaders),
      retryAfterMs: undefined,
    };
  } catch (error) {
    return syncFailure(customId, modelInput, error, signal);
  }
}

function syncFailure(customId: string, modelInput: unknown, error: unknown, signal: AbortSignal | undefined): SyncOutcome {
  // A caller's abort is not the item's failure: rethrow so the engine stops instead of recording one.
  if (isAbort(error, signal)) throw error;
  if (isMissingCredentials(error)) throw new ProviderAccessError('auth', (error as Error).message, undefined);
  const network = networkFailureOf(error);
  if (network !== undefined) {
    return noAnswerOutcome(customId, network, (error as Error).message);
  }
  const info = awsErrorOf(error);
  if (info === undefined) throw error;
  // Our credentials, permissions or the model's name are wrong, not this item: every item would
  // fail the same way, and none of them may be dead-lettered for it.
  const access = accessKindOf(info.name, info.status, info.message);
  if (access !== undefined) throw new ProviderAccessError(access, `${info.name}: ${info.message}`, info.status);
  const byName = classifyErrorCode(info.name, info.message);
  const failureClass = info.name === 'ValidationException' || byName === 'transient' ? classifyErrorCode(info.status, info.message) : byName;
  return {
    ok: false,
    customId,
    failureClass,
    code: info.name,
    message: info.message,
    httpStatus: info.status,
    usage: undefined,
    resultLine: errorResultLine(customId, modelInput, info.status ?? info.name, info.message),
    retryAfterMs: retryAfterMsOf(info.headers, Date.now()),
  };
}

function isRetryable(error: unknown): boolean {
  if (networkFailureOf(error) !== undefined) return true;
  const info = awsErrorOf(error);
  return info !== undefined && info.status !== undefined && (info.status === 429 || info.status >= 500);
}

/** Why a first call failed, as a user can act on it: the credentials, the permission, or the network. */
function accessFailureText(error: unknown, where: string): string {
  if (error instanceof Error && /region is missing/i.test(error.message)) {
    return `no AWS region is set for ${where}: set it (--region, the Bedrock region setting, or AWS_REGION)`;
  }
  if (isMissingCredentials(error)) {
    return `no AWS credentials were found for ${where} (set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, a profile, or a role): ${(error as Error).message}`;
  }
  const info = awsErrorOf(error);
  if (info !== undefined) {
    const kind = accessKindOf(info.name, info.status, info.message);
    if (kind === 'auth') return `AWS refused the credentials at ${where} (${info.status} ${info.name}: ${info.message}): check the access key, secret and session token`;
    if (kind === 'permission') return `the AWS credentials may not use Bedrock batch inference at ${where} (${info.status} ${info.name}: ${info.message}): check the IAM permissions`;
    return `${where} did not answer as expected (${info.status} ${info.name}: ${info.message})`;
  }
  if (networkFailureOf(error) !== undefined) return `cannot reach ${where} (${(error as Error).message})`;
  return `${where} did not answer as expected (${error instanceof Error ? error.message : String(error)})`;
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/** The recordId of a JSONL line, if it is a JSON object that has one. */
function recordIdOf(line: string): string | undefined {
  if (line.trim() === '') return undefined;
  try {
    const parsed: unknown = JSON.parse(line);
    return isRecord(parsed) && typeof parsed['recordId'] === 'string' && parsed['recordId'] !== '' ? parsed['recordId'] : undefined;
  } catch {
    return undefined;
  }
}
