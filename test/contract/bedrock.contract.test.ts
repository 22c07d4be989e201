// Contract test: the real AWS SDKs (`@aws-sdk/client-bedrock`, `client-bedrock-runtime`,
// `client-s3`) against the AWS emulator on one port (spec §5): the job lifecycle, S3 path style,
// the runtime, every fault switch, and each of the spec's traps as a named test.
import assert from 'node:assert/strict';
import { writeFile, mkdtemp, rm, stat } from 'node:fs/promises';
import { createReadStream } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import {
  BedrockClient,
  CreateModelInvocationJobCommand,
  GetModelInvocationJobCommand,
  ListModelInvocationJobsCommand,
  ListTagsForResourceCommand,
  StopModelInvocationJobCommand,
  paginateListModelInvocationJobs,
} from '@aws-sdk/client-bedrock';
import type { CreateModelInvocationJobCommandInput, GetModelInvocationJobCommandOutput } from '@aws-sdk/client-bedrock';
import { BedrockRuntimeClient, ConverseCommand, InvokeModelCommand } from '@aws-sdk/client-bedrock-runtime';
import { GetObjectCommand, HeadBucketCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { FAST_TIME_SCALE, startAwsEmulator } from '../emulators/aws/server';
import type { RunningAwsEmulator } from '../emulators/aws/server';

const REGION = 'us-east-1';
const CREDENTIALS = { accessKeyId: 'AKIDEMULATOR', secretAccessKey: 'emulator-secret' };
const ROLE = 'arn:aws:iam::123456789012:role/BedrockBatch';
const CLAUDE = 'anthropic.claude-3-haiku-20240307-v1:0';
const BUCKET = 'batch-bucket';

let emu: RunningAwsEmulator;
let dir: string;
let bedrock: BedrockClient;
let s3: S3Client;
let runtime: BedrockRuntimeClient;
let seq = 0;

function makeClients(url: string, maxAttempts = 1): { bedrock: BedrockClient; s3: S3Client; runtime: BedrockRuntimeClient } {
  const common = { region: REGION, endpoint: url, credentials: CREDENTIALS, maxAttempts };
  return {
    bedrock: new BedrockClient(common),
    s3: new S3Client({ ...common, forcePathStyle: true }),
    runtime: new BedrockRuntimeClient({ ...common, requestHandler: new NodeHttpHandler() }),
  };
}

before(async () => {
  emu = await startAwsEmulator({ timeScale: FAST_TIME_SCALE, minRecords: 1 });
  ({ bedrock, s3, runtime } = makeClients(emu.url));
  dir = await mkdtemp(path.join(tmpdir(), 'bedrock-contract-'));
});

after(async () => {
  await emu.close();
  await rm(dir, { recursive: true, force: true });
});

beforeEach(() => emu.reset());

const anthropicRecord = (recordId: string, text: string): Record<string, unknown> => ({
  recordId,
  modelInput: { anthropic_version: 'bedrock-2023-05-31', max_tokens: 50, messages: [{ role: 'user', content: text }] },
});
const converseRecord = (recordId: string, text: string): Record<string, unknown> => ({ recordId, modelInput: { messages: [{ role: 'user', content: [{ text }] }] } });

function putInput(records: readonly Record<string, unknown>[], key = `in/batch-${++seq}.jsonl`): string {
  emu.putObject(BUCKET, key, records.map((r) => JSON.stringify(r)).join('\n') + '\n');
  return `s3://${BUCKET}/${key}`;
}

function jobInput(inputUri: string, overrides: Partial<CreateModelInvocationJobCommandInput> = {}): CreateModelInvocationJobCommandInput {
  const n = ++seq;
  return {
    jobName: `job-${n}`,
    roleArn: ROLE,
    modelId: CLAUDE,
    inputDataConfig: { s3InputDataConfig: { s3Uri: inputUri, s3InputFormat: 'JSONL' } },
    outputDataConfig: { s3OutputDataConfig: { s3Uri: `s3://${BUCKET}/out/${n}/` } },
    clientRequestToken: `token${n}`,
    ...overrides,
  };
}

async function create(inputUri: string, overrides: Partial<CreateModelInvocationJobCommandInput> = {}): Promise<string> {
  const { jobArn } = await bedrock.send(new CreateModelInvocationJobCommand(jobInput(inputUri, overrides)));
  assert.ok(jobArn);
  return jobArn;
}

const TERMINAL = new Set(['Completed', 'PartiallyCompleted', 'Failed', 'Stopped', 'Expired']);

async function waitTerminal(jobArn: string, client = bedrock): Promise<GetModelInvocationJobCommandOutput> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const job = await client.send(new GetModelInvocationJobCommand({ jobIdentifier: jobArn }));
    if (TERMINAL.has(job.status ?? '')) return job;
    if (Date.now() > deadline) throw new Error(`job ${jobArn} still ${job.status}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

async function getText(bucket: string, key: string): Promise<string> {
  const answer = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return (await answer.Body?.transformToString()) ?? '';
}

/** The output folder of a job: `<outputUri><job id>/` (spec §5.3). */
function outputKeys(job: GetModelInvocationJobCommandOutput): { folder: string; keys: string[] } {
  const uri = job.outputDataConfig?.s3OutputDataConfig?.s3Uri ?? '';
  const jobId = (job.jobArn ?? '').split('/').pop() ?? '';
  const folder = `${uri.replace(`s3://${BUCKET}/`, '')}${jobId}/`;
  return { folder, keys: emu.objects().filter((o) => o.key.startsWith(folder)).map((o) => o.key).sort() };
}

const linesOf = (text: string): Record<string, unknown>[] => text.split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as Record<string, unknown>);

describe('job lifecycle (spec §5.1–§5.3)', () => {
  it('create → Submitted → … → Completed: output `<prefix><jobId>/<input>.out` + manifest, every record by recordId, shuffled', async (t) => {
    // Slow enough that a poll every few ms sees every state.
    // Each state lasts long enough to be polled on a loaded machine.
    const visible = await startAwsEmulator({ timeScale: { submittedMs: 150, validatingMs: 150, scheduledMs: 150, inProgressMs: 200, stoppingMs: 20 }, minRecords: 1 });
    t.after(() => visible.close());
    const { bedrock } = makeClients(visible.url);
    const records = Array.from({ length: 12 }, (_, i) => anthropicRecord(`rec${i}`, `question ${i}`));
    visible.putObject(BUCKET, 'in/questions.jsonl', records.map((r) => JSON.stringify(r)).join('\n') + '\n');
    const { jobArn = '' } = await bedrock.send(new CreateModelInvocationJobCommand(jobInput(`s3://${BUCKET}/in/questions.jsonl`)));
    assert.match(jobArn, /^arn:aws:bedrock:us-east-1:123456789012:model-invocation-job\/[a-z0-9]{12}$/);
    const first = await bedrock.send(new GetModelInvocationJobCommand({ jobIdentifier: jobArn }));
    assert.equal(first.status, 'Submitted');
    assert.ok(first.submitTime instanceof Date, 'the SDK parses RFC 3339 submitTime into a Date');
    // The first read saw Submitted (asserted above); the loop sees the rest.
    const seen = new Set<string>([first.status ?? '']);
    let job: GetModelInvocationJobCommandOutput;
    for (;;) {
      job = await bedrock.send(new GetModelInvocationJobCommand({ jobIdentifier: jobArn }));
      seen.add(job.status ?? '');
      if (TERMINAL.has(job.status ?? '')) break;
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    assert.equal(job.status, 'Completed');
    for (const state of ['Submitted', 'Validating', 'Scheduled', 'InProgress']) assert.ok(seen.has(state), `saw ${state} (saw ${[...seen].join(', ')})`);
    assert.deepEqual([job.totalRecordCount, job.processedRecordCount, job.successRecordCount, job.errorRecordCount], [12, 12, 12, 0]);
    assert.ok(job.endTime instanceof Date && job.jobExpirationTime instanceof Date);
    const { folder } = outputKeys(job);
    assert.deepEqual(visible.objects().filter((o) => o.key.startsWith(folder)).map((o) => o.key).sort(), [`${folder}manifest.json.out`, `${folder}questions.jsonl.out`]);
    const text = (key: string): string => visible.getObject(BUCKET, key)?.toString('utf8') ?? '';
    const lines = linesOf(text(`${folder}questions.jsonl.out`));
    assert.deepEqual(lines.map((l) => l['recordId']).sort(), records.map((r) => r['recordId']).sort());
    assert.notDeepEqual(lines.map((l) => l['recordId']), records.map((r) => r['recordId']), 'output order is not input order (match on recordId)');
    const rec3 = lines.find((l) => l['recordId'] === 'rec3') as { modelInput: unknown; modelOutput: { content: { text: string }[]; usage: { input_tokens: number } } };
    assert.deepEqual(rec3.modelInput, records[3]?.['modelInput']);
    assert.equal(rec3.modelOutput.content[0]?.text, 'Echo: question 3');
    assert.ok(rec3.modelOutput.usage.input_tokens > 0);
    const manifest = JSON.parse(text(`${folder}manifest.json.out`)) as Record<string, number>;
    assert.equal(manifest['totalRecordCount'], 12);
    assert.equal(manifest['successRecordCount'], 12);
    assert.ok((manifest['inputTokenCount'] ?? 0) > 0);
  });

  it('a Converse-type job answers every record in the Converse shape', async () => {
    const job = await waitTerminal(await create(putInput([converseRecord('c1', 'hello there')]), { modelId: 'amazon.nova-lite-v1:0', modelInvocationType: 'Converse' }));
    assert.equal(job.modelInvocationType, 'Converse');
    const { folder } = outputKeys(job);
    const [line] = linesOf(await getText(BUCKET, `${folder}batch-${seq - 1}.jsonl.out`)) as { modelOutput: { output: { message: { content: { text: string }[] } }; stopReason: string; usage: { inputTokens: number } } }[];
    assert.equal(line?.modelOutput.output.message.content[0]?.text, 'Echo: hello there');
    assert.equal(line?.modelOutput.stopReason, 'end_turn');
    assert.ok((line?.modelOutput.usage.inputTokens ?? 0) > 0);
  });

  it('an input folder is read whole: one `.out` per `.jsonl` object in it', async () => {
    putInput([anthropicRecord('a1', 'one')], 'folder/part-a.jsonl');
    putInput([anthropicRecord('b1', 'two')], 'folder/part-b.jsonl');
    const job = await waitTerminal(await create(`s3://${BUCKET}/folder/`));
    assert.equal(job.totalRecordCount, 2);
    const { folder, keys } = outputKeys(job);
    assert.deepEqual(keys, [`${folder}manifest.json.out`, `${folder}part-a.jsonl.out`, `${folder}part-b.jsonl.out`]);
  });

  it('a line without recordId gets an 11-character generated one in the output', async () => {
    const job = await waitTerminal(await create(putInput([{ modelInput: anthropicRecord('x', 'no id')['modelInput'] }])));
    const { folder, keys } = outputKeys(job);
    const out = keys.find((k) => k.endsWith('.jsonl.out') && k.startsWith(folder)) ?? '';
    const [line] = linesOf(await getText(BUCKET, out));
    assert.match(String(line?.['recordId']), /^[A-Za-z0-9]{11}$/);
  });

  it('create is idempotent on clientRequestToken: the same token answers the same job, and makes no second one', async () => {
    const input = jobInput(putInput([anthropicRecord('r1', 'x')]));
    const a = await bedrock.send(new CreateModelInvocationJobCommand(input));
    const b = await bedrock.send(new CreateModelInvocationJobCommand(input));
    assert.equal(a.jobArn, b.jobArn);
    assert.equal(emu.batches().length, 1);
    assert.equal(emu.createCalls(), 2);
    await assert.rejects(bedrock.send(new CreateModelInvocationJobCommand({ ...input, jobName: 'other-name' })), { name: 'ConflictException' });
  });

  it('rejects a job name outside the pattern or over 63 characters with a ValidationException', async () => {
    const inputUri = putInput([anthropicRecord('r1', 'x')]);
    await assert.rejects(create(inputUri, { jobName: '-starts-with-dash' }), (err: Error & { $metadata?: { httpStatusCode?: number } }) => err.name === 'ValidationException' && err.$metadata?.httpStatusCode === 400);
    await assert.rejects(create(inputUri, { jobName: `a${'b'.repeat(63)}` }), { name: 'ValidationException' });
    await assert.rejects(create(inputUri, { jobName: 'has_underscore' }), { name: 'ValidationException' });
    await assert.rejects(create(inputUri, { roleArn: 'not-a-role' }), { name: 'ValidationException' });
    assert.equal(emu.batches().length, 0);
  });

  it('lists newest first across pages, filters by nameContains and statusEquals', async () => {
    const inputUri = putInput([anthropicRecord('r1', 'x')]);
    const arns: string[] = [];
    for (const name of ['alpha-1', 'alpha-2', 'beta-1']) arns.push(await create(inputUri, { jobName: name }));
    const pages: string[][] = [];
    for await (const page of paginateListModelInvocationJobs({ client: bedrock, pageSize: 2 }, {})) pages.push((page.invocationJobSummaries ?? []).map((s) => s.jobArn ?? ''));
    assert.deepEqual(pages, [[arns[2], arns[1]], [arns[0]]]);
    const alpha = await bedrock.send(new ListModelInvocationJobsCommand({ nameContains: 'alpha' }));
    assert.deepEqual(alpha.invocationJobSummaries?.map((s) => s.jobName), ['alpha-2', 'alpha-1']);
    assert.ok(alpha.invocationJobSummaries?.every((s) => s.submitTime instanceof Date && typeof s.clientRequestToken === 'string'));
    await waitTerminal(arns[0] ?? '');
    const done = await bedrock.send(new ListModelInvocationJobsCommand({ statusEquals: 'Completed' }));
    assert.ok(done.invocationJobSummaries?.some((s) => s.jobArn === arns[0]));
  });

  it('ListTagsForResource reads back the tags given at create', async () => {
    const jobArn = await create(putInput([anthropicRecord('r1', 'x')]), { tags: [{ key: 'llmb_job', value: 'job-1' }, { key: 'llmb_batch', value: 'job-1.s0.b1' }] });
    const { tags } = await bedrock.send(new ListTagsForResourceCommand({ resourceARN: jobArn }));
    assert.deepEqual(tags, [{ key: 'llmb_job', value: 'job-1' }, { key: 'llmb_batch', value: 'job-1.s0.b1' }]);
  });
});

describe('spec traps', () => {
  it('trap: the runtime client defaults to HTTP/2 and fails against the HTTP/1.1 emulator; NodeHttpHandler works', async () => {
    const http2 = new BedrockRuntimeClient({ region: REGION, endpoint: emu.url, credentials: CREDENTIALS, maxAttempts: 1 });
    const body = JSON.stringify(anthropicRecord('x', 'hi')['modelInput']);
    await assert.rejects(http2.send(new InvokeModelCommand({ modelId: CLAUDE, body, contentType: 'application/json' })), (err: Error & { code?: string }) => /HTTP2|http2/i.test(`${err.code ?? ''} ${err.message}`));
    http2.destroy();
    const answer = await runtime.send(new InvokeModelCommand({ modelId: CLAUDE, body, contentType: 'application/json' }));
    assert.equal(JSON.parse(new TextDecoder().decode(answer.body)).content[0].text, 'Echo: hi');
  });

  it('trap: timestamps are RFC 3339 strings; an epoch number makes the SDK throw', async () => {
    const jobArn = await create(putInput([anthropicRecord('r1', 'x')]));
    const raw = await fetch(`${emu.url}/model-invocation-job/${encodeURIComponent(jobArn)}`, { headers: { authorization: 'Bearer t' } });
    const wire = (await raw.json()) as Record<string, unknown>;
    assert.match(String(wire['submitTime']), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
    // A server that sends epoch seconds instead, as OpenAI does.
    const server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ ...wire, submitTime: 1_790_000_000 }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const client = new BedrockClient({ region: REGION, endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, credentials: CREDENTIALS, maxAttempts: 1 });
      await assert.rejects(client.send(new GetModelInvocationJobCommand({ jobIdentifier: jobArn })), /RFC-3339 date-times must be expressed as strings/);
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });

  it('trap: the job ARN travels URL-encoded as one path segment; a bare job id works too', async () => {
    const jobArn = await create(putInput([anthropicRecord('r1', 'x')]));
    await bedrock.send(new GetModelInvocationJobCommand({ jobIdentifier: jobArn }));
    const get = emu.requests().find((r) => r.route === 'GET /model-invocation-job/{id}');
    assert.equal(get?.path, `/model-invocation-job/${encodeURIComponent(jobArn)}`);
    const bare = await bedrock.send(new GetModelInvocationJobCommand({ jobIdentifier: jobArn.split('/').pop() }));
    assert.equal(bare.jobArn, jobArn);
  });

  it('trap: a streamed PutObject arrives aws-chunked with a CRC32 trailer and is stored decoded', async () => {
    const file = path.join(dir, 'upload.jsonl');
    const content = `${Array.from({ length: 2000 }, (_, i) => JSON.stringify(anthropicRecord(`r${i}`, `line ${i}`))).join('\n')}\n`;
    await writeFile(file, content);
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'staged/upload.jsonl', Body: createReadStream(file), ContentLength: (await stat(file)).size }));
    assert.equal(emu.getObject(BUCKET, 'staged/upload.jsonl')?.toString('utf8'), content);
    assert.equal(await getText(BUCKET, 'staged/upload.jsonl'), content);
  });

  it('trap: static credentials sign every request (SigV4 with our key, so no IMDS probe); Bearer is accepted too', async () => {
    const keyed = await startAwsEmulator({ timeScale: FAST_TIME_SCALE, apiKey: CREDENTIALS.accessKeyId });
    try {
      const ok = makeClients(keyed.url);
      await ok.bedrock.send(new ListModelInvocationJobsCommand({}));
      const bearer = await fetch(`${keyed.url}/model-invocation-jobs`, { headers: { authorization: `Bearer ${CREDENTIALS.accessKeyId}` } });
      assert.equal(bearer.status, 200);
    } finally {
      await keyed.close();
    }
  });

  it('S3: ListObjectsV2 pages with continuation tokens; GetObject of a missing key is NoSuchKey; HeadBucket', async () => {
    for (let i = 0; i < 5; i++) emu.putObject(BUCKET, `p/k${i}`, `v${i}`);
    const first = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'p/', MaxKeys: 3 }));
    assert.deepEqual(first.Contents?.map((c) => c.Key), ['p/k0', 'p/k1', 'p/k2']);
    assert.equal(first.IsTruncated, true);
    const second = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'p/', MaxKeys: 3, ContinuationToken: first.NextContinuationToken }));
    assert.deepEqual(second.Contents?.map((c) => [c.Key, c.Size]), [['p/k3', 2], ['p/k4', 2]]);
    assert.equal(second.IsTruncated, false);
    await assert.rejects(s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'p/none' })), { name: 'NoSuchKey' });
    await s3.send(new HeadBucketCommand({ Bucket: BUCKET }));
  });
});

describe('fault switches', () => {
  it('endpointFaults: a 429 ThrottlingException is retried by the SDK and counted; S3 gets 503 SlowDown', async () => {
    const jobArn = await create(putInput([anthropicRecord('r1', 'x')]));
    emu.setFaults({ endpointFaults: [{ endpoint: 'GET /model-invocation-job/{id}', times: 1, status: 429, retryAfter: 0 }, { endpoint: 'GET /{bucket}/{key}', times: 1, status: 503 }] });
    const retrying = makeClients(emu.url, 2);
    const job = await retrying.bedrock.send(new GetModelInvocationJobCommand({ jobIdentifier: jobArn }));
    assert.equal(job.$metadata.attempts, 2);
    await assert.rejects(bedrock.send(new GetModelInvocationJobCommand({ jobIdentifier: jobArn })).then(() => s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: `in/batch-${seq - 1}.jsonl` }))), (err: Error & { $metadata?: { httpStatusCode?: number } }) => err.name === 'SlowDown' && err.$metadata?.httpStatusCode === 503);
    const faulted = emu.requests().filter((r) => r.status === 429 || r.status === 503);
    assert.equal(faulted.length, 2);
  });

  it('failValidation is one-shot: the next job fails with a message and no output; the one after runs', async () => {
    emu.setFaults({ failValidation: true });
    const failed = await waitTerminal(await create(putInput([anthropicRecord('r1', 'x')])));
    assert.equal(failed.status, 'Failed');
    assert.match(failed.message ?? '', /validation/i);
    assert.deepEqual(outputKeys(failed).keys, []);
    const next = await waitTerminal(await create(putInput([anthropicRecord('r1', 'x')])));
    assert.equal(next.status, 'Completed');
  });

  it('minRecords: a job under the per-job minimum fails validation with a message naming both counts (default 100)', async () => {
    const strict = await startAwsEmulator({ timeScale: FAST_TIME_SCALE });
    try {
      const clients = makeClients(strict.url);
      strict.putObject(BUCKET, 'in/small.jsonl', `${[1, 2, 3].map((i) => JSON.stringify(anthropicRecord(`r${i}`, 'x'))).join('\n')}\n`);
      const { jobArn } = await clients.bedrock.send(new CreateModelInvocationJobCommand(jobInput(`s3://${BUCKET}/in/small.jsonl`)));
      const job = await waitTerminal(jobArn ?? '', clients.bedrock);
      assert.equal(job.status, 'Failed');
      assert.match(job.message ?? '', /contains less records \(3\) than the required minimum of: 100/);
    } finally {
      await strict.close();
    }
    emu.setFaults({ minRecords: 2 });
    const one = await waitTerminal(await create(putInput([anthropicRecord('r1', 'x')])));
    assert.match(one.message ?? '', /less records \(1\) than the required minimum of: 2/);
  });

  it('itemErrors and [[fail:…]] markers become error lines with a numeric errorCode; the rest succeed', async () => {
    emu.setFaults({ itemErrors: { r2: { errorCode: 400, errorMessage: 'bad record' } } });
    const records = [anthropicRecord('r1', 'fine'), anthropicRecord('r2', 'forced'), anthropicRecord('r3', 'boom [[fail:server_error]]'), anthropicRecord('r4', 'slow [[fail:ThrottlingException]]')];
    const job = await waitTerminal(await create(putInput(records)));
    assert.equal(job.status, 'Completed');
    assert.deepEqual([job.successRecordCount, job.errorRecordCount], [1, 3]);
    const { folder, keys } = outputKeys(job);
    const lines = linesOf(await getText(BUCKET, keys.find((k) => k.endsWith('.jsonl.out') && k.startsWith(folder)) ?? ''));
    const errorOf = (id: string): unknown => lines.find((l) => l['recordId'] === id)?.['error'];
    assert.deepEqual(errorOf('r2'), { errorCode: 400, errorMessage: 'bad record' });
    assert.equal((errorOf('r3') as { errorCode: number }).errorCode, 500);
    assert.equal((errorOf('r4') as { errorCode: number }).errorCode, 429);
    assert.equal(errorOf('r1'), undefined);
  });

  it('[[fail-once:…]] fails the record in the batch, then the same request succeeds through the runtime', async () => {
    const record = anthropicRecord('r1', 'once [[fail-once:server_error]]');
    const job = await waitTerminal(await create(putInput([record])));
    assert.equal(job.errorRecordCount, 1);
    const answer = await runtime.send(new InvokeModelCommand({ modelId: CLAUDE, body: JSON.stringify(record['modelInput']), contentType: 'application/json' }));
    assert.match(JSON.parse(new TextDecoder().decode(answer.body)).content[0].text, /^Echo: once/);
  });

  it('expireAfterFraction 0.5: PartiallyCompleted with half the records in the output; 0: Expired, never started, no output', async () => {
    emu.setFaults({ expireAfterFraction: 0.5 });
    const records = Array.from({ length: 10 }, (_, i) => anthropicRecord(`r${i}`, `q${i}`));
    const partial = await waitTerminal(await create(putInput(records)));
    assert.equal(partial.status, 'PartiallyCompleted');
    assert.deepEqual([partial.totalRecordCount, partial.processedRecordCount], [10, 5]);
    const { folder, keys } = outputKeys(partial);
    assert.equal(linesOf(await getText(BUCKET, keys.find((k) => k.endsWith('.jsonl.out') && k.startsWith(folder)) ?? '')).length, 5);
    emu.setFaults({ expireAfterFraction: 0 });
    const expired = await waitTerminal(await create(putInput(records)));
    assert.equal(expired.status, 'Expired');
    assert.deepEqual(outputKeys(expired).keys, []);
  });

  it('stop mid-run: Stopping → Stopped with the records run so far in the output; stopping an ended job is a ValidationException', async () => {
    const slow = await startAwsEmulator({ timeScale: { ...FAST_TIME_SCALE, inProgressMs: 400, stoppingMs: 30 }, minRecords: 1 });
    try {
      const clients = makeClients(slow.url);
      slow.putObject(BUCKET, 'in/many.jsonl', `${Array.from({ length: 40 }, (_, i) => JSON.stringify(anthropicRecord(`r${i}`, `q${i}`))).join('\n')}\n`);
      const { jobArn = '' } = await clients.bedrock.send(new CreateModelInvocationJobCommand(jobInput(`s3://${BUCKET}/in/many.jsonl`)));
      for (;;) {
        const job = await clients.bedrock.send(new GetModelInvocationJobCommand({ jobIdentifier: jobArn }));
        if ((job.processedRecordCount ?? 0) > 0) break;
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      await clients.bedrock.send(new StopModelInvocationJobCommand({ jobIdentifier: jobArn }));
      assert.equal((await clients.bedrock.send(new GetModelInvocationJobCommand({ jobIdentifier: jobArn }))).status, 'Stopping');
      const stopped = await waitTerminal(jobArn, clients.bedrock);
      assert.equal(stopped.status, 'Stopped');
      const processed = stopped.processedRecordCount ?? 0;
      assert.ok(processed > 0 && processed < 40, `processed ${processed}`);
      const out = slow.objects().find((o) => o.key.endsWith('many.jsonl.out'));
      assert.equal(linesOf(slow.getObject(BUCKET, out?.key ?? '')?.toString('utf8') ?? '').length, processed);
      await assert.rejects(clients.bedrock.send(new StopModelInvocationJobCommand({ jobIdentifier: jobArn })), { name: 'ValidationException' });
    } finally {
      await slow.close();
    }
  });

  it('capacityRefusals: ServiceQuotaExceededException (400, not retried), no job made; an idempotent re-create does not count', async () => {
    const input = jobInput(putInput([anthropicRecord('r1', 'x')]));
    const made = await bedrock.send(new CreateModelInvocationJobCommand(input));
    emu.setFaults({ capacityRefusals: 1 });
    const again = await bedrock.send(new CreateModelInvocationJobCommand(input));
    assert.equal(again.jobArn, made.jobArn, 'answered from the token, before the quota');
    const retrying = makeClients(emu.url, 3);
    await assert.rejects(retrying.bedrock.send(new CreateModelInvocationJobCommand(jobInput(input.inputDataConfig?.s3InputDataConfig?.s3Uri ?? ''))), (err: Error & { $metadata?: { httpStatusCode?: number; attempts?: number } }) => {
      assert.equal(err.name, 'ServiceQuotaExceededException');
      assert.equal(err.$metadata?.httpStatusCode, 400);
      assert.equal(err.$metadata?.attempts, 1);
      assert.match(err.message, /concurrent batch inference jobs/);
      return true;
    });
    assert.equal(emu.batches().length, 1);
    await create(input.inputDataConfig?.s3InputDataConfig?.s3Uri ?? '');
    assert.equal(emu.batches().length, 2, 'the counter ran out');
  });

  it('ordered: the output follows the input order', async () => {
    emu.setFaults({ ordered: true });
    const records = Array.from({ length: 8 }, (_, i) => anthropicRecord(`r${i}`, `q${i}`));
    const job = await waitTerminal(await create(putInput(records)));
    const { folder, keys } = outputKeys(job);
    const lines = linesOf(await getText(BUCKET, keys.find((k) => k.endsWith('.jsonl.out') && k.startsWith(folder)) ?? ''));
    assert.deepEqual(lines.map((l) => l['recordId']), records.map((r) => r['recordId']));
  });

  for (const mode of ['abort', 'short'] as const) {
    it(`truncateDownload '${mode}' is one-shot: the body is cut mid-line, the next GetObject is whole`, async () => {
      const content = `${Array.from({ length: 50 }, (_, i) => JSON.stringify(anthropicRecord(`r${i}`, 'x'))).join('\n')}\n`;
      emu.putObject(BUCKET, 'cut.jsonl', content);
      emu.setFaults({ truncateDownload: mode });
      const answer = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'cut.jsonl' }));
      if (mode === 'abort') {
        assert.equal(answer.ContentLength, Buffer.byteLength(content));
        await assert.rejects(answer.Body?.transformToString() ?? Promise.resolve(''));
      } else {
        const text = (await answer.Body?.transformToString()) ?? '';
        assert.ok(text.length < content.length && !text.endsWith('\n'));
        assert.throws(() => JSON.parse(text.slice(text.lastIndexOf('\n') + 1)));
      }
      assert.equal(await getText(BUCKET, 'cut.jsonl'), content);
    });
  }

  it('emptyContent and nonJsonContent shape the answers of batch records and sync calls', async () => {
    emu.setFaults({ emptyContent: true });
    const job = await waitTerminal(await create(putInput([anthropicRecord('r1', 'hello')])));
    const { folder, keys } = outputKeys(job);
    const [line] = linesOf(await getText(BUCKET, keys.find((k) => k.endsWith('.jsonl.out') && k.startsWith(folder)) ?? '')) as { modelOutput: { content: { text: string }[] } }[];
    assert.equal(line?.modelOutput.content[0]?.text, '');
    emu.setFaults({ nonJsonContent: true });
    const answer = await runtime.send(new ConverseCommand({ modelId: 'amazon.nova-lite-v1:0', system: [{ text: 'Answer in JSON.' }], messages: [{ role: 'user', content: [{ text: 'give json' }] }] }));
    const text = answer.output?.message?.content?.[0]?.text ?? '';
    assert.ok(text.startsWith('Sure!'));
    assert.throws(() => JSON.parse(text));
  });

  it('accessDenied: every call is AccessDeniedException 403 (S3: AccessDenied); a wrong key is UnrecognizedClientException / InvalidAccessKeyId', async () => {
    emu.setFaults({ accessDenied: true });
    await assert.rejects(bedrock.send(new ListModelInvocationJobsCommand({})), (err: Error & { $metadata?: { httpStatusCode?: number } }) => err.name === 'AccessDeniedException' && err.$metadata?.httpStatusCode === 403);
    await assert.rejects(s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'x' })), { name: 'AccessDenied' });
    emu.setFaults({});
    const keyed = await startAwsEmulator({ timeScale: FAST_TIME_SCALE, apiKey: 'AKIDRIGHT' });
    try {
      const wrong = makeClients(keyed.url);
      await assert.rejects(wrong.bedrock.send(new ListModelInvocationJobsCommand({})), (err: Error & { $metadata?: { httpStatusCode?: number } }) => err.name === 'UnrecognizedClientException' && err.$metadata?.httpStatusCode === 403);
      await assert.rejects(wrong.s3.send(new ListObjectsV2Command({ Bucket: BUCKET })), { name: 'InvalidAccessKeyId' });
      await assert.rejects(wrong.runtime.send(new ConverseCommand({ modelId: 'm', messages: [{ role: 'user', content: [{ text: 'x' }] }] })), { name: 'UnrecognizedClientException' });
    } finally {
      await keyed.close();
    }
  });

  it('unknownModels: the runtime answers 404 ResourceNotFoundException; a create answers ValidationException', async () => {
    emu.setFaults({ unknownModels: ['anthropic.claude-nope'] });
    await assert.rejects(runtime.send(new InvokeModelCommand({ modelId: 'anthropic.claude-nope', body: '{}' })), (err: Error & { $metadata?: { httpStatusCode?: number } }) => err.name === 'ResourceNotFoundException' && err.$metadata?.httpStatusCode === 404);
    await assert.rejects(create(putInput([anthropicRecord('r1', 'x')]), { modelId: 'anthropic.claude-nope' }), /model identifier is invalid/);
  });
});

describe('runtime (spec §5.6)', () => {
  const invoke = async (modelId: string, body: unknown): Promise<{ json: Record<string, unknown> }> => {
    const answer = await runtime.send(new InvokeModelCommand({ modelId, body: JSON.stringify(body), contentType: 'application/json', accept: 'application/json' }));
    return { json: JSON.parse(new TextDecoder().decode(answer.body)) as Record<string, unknown> };
  };

  it('InvokeModel answers in the body shape of the model family, with token counts in x-amzn-bedrock-*-token-count headers', async () => {
    assert.equal(((await invoke(CLAUDE, anthropicRecord('x', 'hi')['modelInput'])).json['content'] as { text: string }[])[0]?.text, 'Echo: hi');
    assert.deepEqual((await invoke('amazon.titan-text-express-v1', { inputText: 'titan' })).json['results'], [{ tokenCount: 3, outputText: 'Echo: titan', completionReason: 'FINISH' }]);
    assert.equal((await invoke('meta.llama3-8b-instruct-v1:0', { prompt: 'llama' })).json['generation'], 'Echo: llama');
    const nova = (await invoke('amazon.nova-lite-v1:0', { messages: [{ role: 'user', content: [{ text: 'nova' }] }] })).json as { output: { message: { content: { text: string }[] } } };
    assert.equal(nova.output.message.content[0]?.text, 'Echo: nova');
    const raw = await fetch(`${emu.url}/model/${encodeURIComponent(CLAUDE)}/invoke`, { method: 'POST', headers: { authorization: 'Bearer t', 'content-type': 'application/json' }, body: JSON.stringify(anthropicRecord('x', 'count me')['modelInput']) });
    assert.equal(raw.headers.get('x-amzn-bedrock-input-token-count'), '2');
    assert.equal(raw.headers.get('x-amzn-bedrock-output-token-count'), '4');
  });

  it('Converse answers output.message, stopReason and usage', async () => {
    const answer = await runtime.send(new ConverseCommand({ modelId: CLAUDE, messages: [{ role: 'user', content: [{ text: 'conv' }] }] }));
    assert.equal(answer.output?.message?.content?.[0]?.text, 'Echo: conv');
    assert.equal(answer.stopReason, 'end_turn');
    assert.ok((answer.usage?.inputTokens ?? 0) > 0);
  });

  it('markers: ThrottlingException 429 with the configured retry-after, ValidationException 400, a content filter stops the answer', async () => {
    emu.setFaults({ endpointFaults: [{ endpoint: 'POST /model/{id}/invoke', times: 1, status: 429, retryAfter: 2 }] });
    await assert.rejects(invoke(CLAUDE, anthropicRecord('x', 'hi')['modelInput']), (err: Error & { $response?: { headers?: Record<string, string> } }) => err.name === 'ThrottlingException' && err.$response?.headers?.['retry-after'] === '2');
    await assert.rejects(invoke(CLAUDE, anthropicRecord('x', 'bad [[fail:invalid_request]]')['modelInput']), { name: 'ValidationException' });
    await assert.rejects(invoke(CLAUDE, { messages: [] }), /Malformed input request/);
    const filtered = (await invoke(CLAUDE, anthropicRecord('x', 'no [[fail:content_policy_violation]]')['modelInput'])).json;
    assert.equal(filtered['stop_reason'], 'refusal');
    const conv = await runtime.send(new ConverseCommand({ modelId: CLAUDE, messages: [{ role: 'user', content: [{ text: 'no [[fail:content_filtered]]' }] }] }));
    assert.equal(conv.stopReason, 'content_filtered');
  });
});

describe('control endpoints', () => {
  it('POST/GET /__emulator/faults validate and report; GET /__emulator/batches; POST /__emulator/reset', async () => {
    const bad = await fetch(`${emu.url}/__emulator/faults`, { method: 'POST', body: JSON.stringify({ nope: true }) });
    assert.equal(bad.status, 400);
    assert.match(((await bad.json()) as { message: string }).message, /unknown fault switch "nope"/);
    const set = await fetch(`${emu.url}/__emulator/faults`, { method: 'POST', body: JSON.stringify({ capacityRefusals: 2, minRecords: 5 }) });
    assert.deepEqual(((await set.json()) as { faults: unknown }).faults, { capacityRefusals: 2, minRecords: 5 });
    emu.setFaults({});
    await create(putInput([anthropicRecord('r1', 'x')]));
    const listed = (await (await fetch(`${emu.url}/__emulator/batches`)).json()) as { batches: { jobArn: string; status: string }[]; createCalls: number };
    assert.equal(listed.batches.length, 1);
    assert.equal(listed.createCalls, 1);
    await fetch(`${emu.url}/__emulator/reset`, { method: 'POST' });
    assert.equal(emu.batches().length, 0);
    assert.equal(emu.objects().length, 0);
  });
});
