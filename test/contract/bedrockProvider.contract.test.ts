// Contract test: the Bedrock adapter (src/providers/bedrock/bedrockProvider.ts) against the AWS
// emulator, through the real SDKs: access checks, staging, the idempotent create, the lifecycle,
// results salvaged by recordId, cancel, list, findCreated, readInput and the sync call (spec §5, §6).
import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { BedrockClient, CreateModelInvocationJobCommand } from '@aws-sdk/client-bedrock';
import type { ItemOutcome } from '../../src/core/itemOutcome';
import { CapacityRefusedError, ProviderAccessError, TERMINAL_STATES } from '../../src/providers/batchProvider';
import type { BatchProvider, BatchSubmission, BatchTags, RemoteBatch, ResultKind, SyncOutcome } from '../../src/providers/batchProvider';
import { createBedrockProvider } from '../../src/providers/bedrock/bedrockProvider';
import { clientRequestTokenFor, jobNameFor } from '../../src/providers/bedrock/bedrockMapping';
import { TruncatedDownloadError } from '../../src/providers/downloadToFile';
import type { ProviderConnection } from '../../src/providers/providerConfig';
import { FAST_TIME_SCALE, startAwsEmulator } from '../emulators/aws/server';
import type { RunningAwsEmulator } from '../emulators/aws/server';

const BUCKET = 'llmb-bucket';
const ROLE = 'arn:aws:iam::123456789012:role/BedrockBatch';
const CLAUDE = 'anthropic.claude-3-haiku-20240307-v1:0';
const NOVA = 'amazon.nova-lite-v1:0';
const CREDENTIALS = { accessKeyId: 'AKIDPROVIDER', secretAccessKey: 'secret' };

let emu: RunningAwsEmulator;
let dir: string;
let seq = 0;

before(async () => {
  emu = await startAwsEmulator({ timeScale: FAST_TIME_SCALE, minRecords: 1, apiKey: CREDENTIALS.accessKeyId });
  dir = await mkdtemp(path.join(tmpdir(), 'bedrock-provider-'));
});

after(async () => {
  await emu.close();
  await rm(dir, { recursive: true, force: true });
});

beforeEach(() => emu.reset());

function provider(overrides: Partial<ProviderConnection> = {}, url = emu.url): BatchProvider {
  return createBedrockProvider({ provider: 'bedrock', region: 'us-east-1', bucket: BUCKET, roleArn: ROLE, baseUrl: url, awsCredentials: CREDENTIALS, maxRetries: 0, ...overrides });
}

const anthropicLine = (recordId: string, text: string): Record<string, unknown> => ({
  recordId,
  modelInput: { anthropic_version: 'bedrock-2023-05-31', max_tokens: 50, messages: [{ role: 'user', content: text }] },
});
const converseLine = (recordId: string, text: string): Record<string, unknown> => ({ recordId, modelInput: { messages: [{ role: 'user', content: [{ text }] }], inferenceConfig: { maxTokens: 50 } } });

async function submission(lines: readonly Record<string, unknown>[], model = CLAUDE): Promise<BatchSubmission> {
  const n = ++seq;
  const tags: BatchTags = { jobId: `job-20261126-101500-${String(n).padStart(6, '0')}`, batchKey: `job-20261126-101500-${String(n).padStart(6, '0')}.s0.b1` };
  const inputPath = path.join(dir, `input-${n}.jsonl`);
  await writeFile(inputPath, lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
  return { tags, inputPath, itemCount: lines.length, model, endpoint: '' };
}

async function waitTerminal(p: BatchProvider, remoteId: string): Promise<RemoteBatch> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const remote = await p.retrieve(remoteId);
    if (TERMINAL_STATES.has(remote.state)) return remote;
    if (Date.now() > deadline) throw new Error(`job ${remoteId} still ${remote.rawStatus}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Stage, create and run one batch to its end; the results go to files in a fresh folder. */
async function runBatch(p: BatchProvider, sub: BatchSubmission): Promise<{ remote: RemoteBatch; kinds: ResultKind[]; files: Record<ResultKind, string>; outcomes: Map<string, ItemOutcome> }> {
  const staged = await p.stage(sub);
  const created = await p.create(sub, staged);
  const remote = await waitTerminal(p, created.remoteId);
  const out = await mkdtemp(path.join(dir, 'results-'));
  const files = { output: path.join(out, 'output.jsonl'), errors: path.join(out, 'errors.jsonl') };
  const kinds = await p.fetchResults(remote, sub, (kind) => files[kind]);
  const outcomes = new Map<string, ItemOutcome>();
  for (const kind of kinds) {
    for (const line of (await readFile(files[kind], 'utf8')).split('\n')) {
      const outcome = p.parseResultLine(line);
      if (outcome) outcomes.set(outcome.customId, outcome);
    }
  }
  return { remote, kinds, files, outcomes };
}

function outcomeOf(sync: SyncOutcome): ItemOutcome {
  const { resultLine: _line, retryAfterMs: _wait, ...outcome } = sync;
  return outcome;
}

describe('verifyAccess', () => {
  it('passes with good credentials and an existing bucket', async () => {
    await provider().verifyAccess();
  });

  it('a wrong key: the message says AWS refused the credentials', async () => {
    await assert.rejects(provider({ awsCredentials: { accessKeyId: 'AKIDWRONG', secretAccessKey: 'x' } }).verifyAccess(), /AWS refused the credentials .*UnrecognizedClientException/);
  });

  it('no permission: the message names the IAM permissions', async () => {
    emu.setFaults({ accessDenied: true });
    await assert.rejects(provider().verifyAccess(), /may not use Bedrock batch inference .*AccessDeniedException.*IAM permissions/);
  });

  it('a missing bucket, or no bucket or role configured, is named', async () => {
    const strict = await startAwsEmulator({ timeScale: FAST_TIME_SCALE, buckets: ['other'] });
    try {
      await assert.rejects(provider({}, strict.url).verifyAccess(), /the S3 bucket 'llmb-bucket' does not exist/);
    } finally {
      await strict.close();
    }
    await assert.rejects(provider({ bucket: undefined }).verifyAccess(), /set the S3 bucket/);
    await assert.rejects(provider({ roleArn: undefined }).verifyAccess(), /IAM service role/);
  });

  it('no region anywhere (settings, environment, profile): the message says to set one', async () => {
    const saved = { AWS_REGION: process.env['AWS_REGION'], AWS_DEFAULT_REGION: process.env['AWS_DEFAULT_REGION'], AWS_CONFIG_FILE: process.env['AWS_CONFIG_FILE'] };
    delete process.env['AWS_REGION'];
    delete process.env['AWS_DEFAULT_REGION'];
    process.env['AWS_CONFIG_FILE'] = path.join(dir, 'no-such-aws-config');
    try {
      await assert.rejects(provider({ region: undefined }).verifyAccess(), /no AWS region is set/);
    } finally {
      const restore = (key: 'AWS_REGION' | 'AWS_DEFAULT_REGION' | 'AWS_CONFIG_FILE'): void => {
        const value = saved[key];
        // Reflect.deleteProperty: process.env turns an assigned undefined into the string "undefined".
        if (value === undefined) Reflect.deleteProperty(process.env, key);
        else process.env[key] = value;
      };
      restore('AWS_REGION');
      restore('AWS_DEFAULT_REGION');
      restore('AWS_CONFIG_FILE');
    }
  });

  it('an unreachable endpoint says it cannot reach it', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(closed.address() as AddressInfo).port}`;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    await assert.rejects(provider({}, url).verifyAccess(), /cannot reach/);
  });
});

describe('stage, create, retrieve, fetchResults', () => {
  it('stages the exact file under llm-batch/<jobId>/<batchKey>.jsonl, creates a tagged idempotent job, and salvages every record by recordId', async () => {
    const lines = [
      anthropicLine('ok1', 'first'),
      anthropicLine('ok2', 'second'),
      anthropicLine('boom', 'x [[fail:server_error]]'),
      anthropicLine('slow', 'x [[fail:ThrottlingException]]'),
      anthropicLine('bad', 'x [[fail:invalid_request]]'),
      anthropicLine('filtered', 'x [[fail:content_policy_violation]]'),
      anthropicLine('empty', 'x [[empty]]'),
    ];
    const p = provider();
    const sub = await submission(lines);
    const staged = await p.stage(sub);
    assert.equal(staged, `s3://${BUCKET}/llm-batch/${sub.tags.jobId}/${sub.tags.batchKey}.jsonl`);
    assert.equal(emu.getObject(BUCKET, `llm-batch/${sub.tags.jobId}/${sub.tags.batchKey}.jsonl`)?.toString('utf8'), await readFile(sub.inputPath, 'utf8'));
    assert.equal(await p.stage(sub), staged, 'staging again is harmless: the same key');
    const created = await p.create(sub, staged);
    assert.deepEqual(created.tags, sub.tags);
    assert.equal(created.model, CLAUDE);
    assert.equal(created.inputRef, staged);
    const [record] = emu.batches();
    assert.equal(record?.jobName, jobNameFor(sub.tags));
    assert.equal(record?.clientRequestToken, clientRequestTokenFor(sub.tags));
    assert.equal(record?.outputUri, `s3://${BUCKET}/llm-batch/${sub.tags.jobId}/${sub.tags.batchKey}.out/`);
    assert.equal(record?.modelInvocationType, 'InvokeModel');
    assert.deepEqual(record?.tags, [{ key: 'llmb_job', value: sub.tags.jobId }, { key: 'llmb_batch', value: sub.tags.batchKey }]);
    const again = await p.create(sub, staged);
    assert.equal(again.remoteId, created.remoteId, 'a second create of the same submission answers the same job');
    assert.equal(emu.batches().length, 1);

    const remote = await waitTerminal(p, created.remoteId);
    assert.equal(remote.state, 'completed');
    assert.deepEqual(remote.counts, { total: 7, completed: 4, failed: 3 });
    const out = await mkdtemp(path.join(dir, 'results-'));
    const files = { output: path.join(out, 'o.jsonl'), errors: path.join(out, 'e.jsonl') };
    assert.deepEqual(await p.fetchResults(remote, sub, (kind) => files[kind]), ['output']);
    assert.equal(existsSync(files.errors), false, 'no record is missing: no errors file');
    const written = (await readFile(files.output, 'utf8')).trim().split('\n');
    assert.equal(written.length, 7);
    assert.notDeepEqual(written.map((l) => (JSON.parse(l) as { recordId: string }).recordId), lines.map((l) => l['recordId']), 'unordered: matched by recordId only');
    const byId = new Map(written.map((l) => p.parseResultLine(l)).filter((o): o is ItemOutcome => o !== undefined).map((o) => [o.customId, o]));
    assert.deepEqual(byId.get('ok1'), { ok: true, customId: 'ok1', content: 'Echo: first', usage: { inputTokens: 2, outputTokens: 3 } });
    assert.equal(byId.get('empty')?.ok && byId.get('empty')?.ok === true ? (byId.get('empty') as { content: string }).content : undefined, '');
    const classOf = (id: string): string | undefined => {
      const o = byId.get(id);
      return o && !o.ok ? o.failureClass : undefined;
    };
    assert.equal(classOf('boom'), 'transient');
    assert.equal(classOf('slow'), 'rate_limited');
    assert.equal(classOf('bad'), 'invalid_request');
    assert.equal(classOf('filtered'), 'content_policy');
  });

  it('a Converse job: Converse records in, Converse answers parsed', async () => {
    const p = provider({ invocationType: 'Converse' });
    const { remote, outcomes } = await runBatch(p, await submission([converseLine('c1', 'hello'), converseLine('c2', 'bye')], NOVA));
    assert.equal(remote.endpoint, 'Converse');
    assert.equal(emu.batches()[0]?.modelInvocationType, 'Converse');
    assert.deepEqual(outcomes.get('c1'), { ok: true, customId: 'c1', content: 'Echo: hello', usage: { inputTokens: 2, outputTokens: 3 } });
  });

  it('PartiallyCompleted: records run are kept, the rest come back as expired lines; the job reads as completed', async () => {
    emu.setFaults({ expireAfterFraction: 0.5 });
    const lines = Array.from({ length: 10 }, (_, i) => anthropicLine(`r${i}`, `q${i}`));
    const { remote, kinds, outcomes } = await runBatch(provider(), await submission(lines));
    assert.equal(remote.rawStatus, 'PartiallyCompleted');
    assert.equal(remote.state, 'completed');
    assert.deepEqual(kinds, ['output', 'errors']);
    assert.equal(outcomes.size, 10, 'every record has an outcome');
    const ok = [...outcomes.values()].filter((o) => o.ok);
    const expired = [...outcomes.values()].filter((o) => !o.ok && o.failureClass === 'expired');
    assert.deepEqual([ok.length, expired.length], [5, 5]);
  });

  it('Expired (never started): no output, every record an expired line', async () => {
    emu.setFaults({ expireAfterFraction: 0 });
    const { remote, kinds, outcomes } = await runBatch(provider(), await submission([anthropicLine('a', 'x'), anthropicLine('b', 'y')]));
    assert.equal(remote.state, 'expired');
    assert.deepEqual(kinds, ['errors']);
    assert.deepEqual([...outcomes.values()].map((o) => (o.ok ? 'ok' : o.failureClass)), ['expired', 'expired']);
  });

  it('a job under the minimum record count fails validation: state failed, errors[0] a ValidationException naming both counts; no item lines', async () => {
    emu.setFaults({ minRecords: 5 });
    const { remote, kinds } = await runBatch(provider(), await submission([anthropicLine('a', 'x'), anthropicLine('b', 'y')]));
    assert.equal(remote.state, 'failed');
    assert.equal(remote.errors[0]?.code, 'ValidationException');
    assert.match(remote.errors[0]?.message ?? '', /less records \(2\) than the required minimum of: 5/);
    assert.deepEqual(kinds, []);
  });

  it('failValidation: the job fails as a whole with the provider’s message', async () => {
    emu.setFaults({ failValidation: true });
    const { remote } = await runBatch(provider(), await submission([anthropicLine('a', 'x')]));
    assert.equal(remote.state, 'failed');
    assert.match(remote.errors[0]?.message ?? '', /validation/i);
  });

  it('[[fail-once]] fails in the batch, then succeeds through callSync', async () => {
    const line = anthropicLine('once', 'retry me [[fail-once:server_error]]');
    const p = provider();
    const { outcomes } = await runBatch(p, await submission([line]));
    assert.equal(outcomes.get('once')?.ok, false);
    const sync = await p.callSync({ line, customId: 'once', model: CLAUDE, endpoint: '' });
    assert.equal(sync.ok, true);
  });

  it('a staged upload that meets a 503 is sent again whole from a fresh stream', async () => {
    emu.setFaults({ endpointFaults: [{ endpoint: 'PUT /{bucket}/{key}', times: 1, status: 503 }] });
    const sub = await submission(Array.from({ length: 300 }, (_, i) => anthropicLine(`r${i}`, `line ${i}`)));
    await provider({ maxRetries: 2 }).stage(sub);
    assert.equal(emu.requests().filter((r) => r.route === 'PUT /{bucket}/{key}').length, 2);
    assert.equal(emu.getObject(BUCKET, `llm-batch/${sub.tags.jobId}/${sub.tags.batchKey}.jsonl`)?.toString('utf8'), await readFile(sub.inputPath, 'utf8'));
  });
});

describe('downloads', () => {
  for (const mode of ['abort', 'short'] as const) {
    it(`a truncated output download (${mode}) is refused, leaves no file behind, and the retry is whole`, async () => {
      const p = provider();
      const sub = await submission(Array.from({ length: 30 }, (_, i) => anthropicLine(`r${i}`, `q${i}`)));
      const remote = await waitTerminal(p, (await p.create(sub, await p.stage(sub))).remoteId);
      const out = await mkdtemp(path.join(dir, 'cut-'));
      const files = { output: path.join(out, 'o.jsonl'), errors: path.join(out, 'e.jsonl') };
      emu.setFaults({ truncateDownload: mode });
      await assert.rejects(p.fetchResults(remote, sub, (kind) => files[kind]), TruncatedDownloadError);
      assert.deepEqual(await readdir(out), [], 'no destination and no temp file');
      assert.deepEqual(await p.fetchResults(remote, sub, (kind) => files[kind]), ['output']);
      assert.equal((await readFile(files.output, 'utf8')).trim().split('\n').length, 30);
    });
  }

  it('readInput downloads the job’s input lines; a job whose input is gone says so', async () => {
    const p = provider();
    const sub = await submission([anthropicLine('a', 'x'), anthropicLine('b', 'y')]);
    const created = await p.create(sub, await p.stage(sub));
    const target = path.join(dir, `read-${seq}.jsonl`);
    await p.readInput(created, target);
    assert.equal(await readFile(target, 'utf8'), await readFile(sub.inputPath, 'utf8'));
    emu.reset();
    await assert.rejects(p.readInput(created, path.join(dir, 'gone.jsonl')), /is gone from S3 \(NoSuchKey\)/);
    assert.equal(existsSync(path.join(dir, 'gone.jsonl')), false);
  });
});

describe('cancel, list, findCreated, capacity', () => {
  it('cancel mid-run: cancelling → cancelled; records not run come back as cancelled lines', async () => {
    const slow = await startAwsEmulator({ timeScale: { ...FAST_TIME_SCALE, inProgressMs: 400, stoppingMs: 20 }, minRecords: 1 });
    try {
      const p = provider({}, slow.url);
      const sub = await submission(Array.from({ length: 40 }, (_, i) => anthropicLine(`r${i}`, `q${i}`)));
      const created = await p.create(sub, await p.stage(sub));
      while ((await p.retrieve(created.remoteId)).state !== 'in_progress') await new Promise((resolve) => setTimeout(resolve, 5));
      const cancelling = await p.cancel(created.remoteId);
      assert.equal(cancelling.state, 'cancelling');
      const remote = await waitTerminal(p, created.remoteId);
      assert.equal(remote.state, 'cancelled');
      const out = await mkdtemp(path.join(dir, 'stop-'));
      const files = { output: path.join(out, 'o.jsonl'), errors: path.join(out, 'e.jsonl') };
      const kinds = await p.fetchResults(remote, sub, (kind) => files[kind]);
      const cancelled = (await readFile(files.errors, 'utf8')).trim().split('\n').map((l) => p.parseResultLine(l));
      assert.ok(cancelled.length > 0 && cancelled.every((o) => o !== undefined && !o.ok && o.failureClass === 'cancelled'));
      const ran = kinds.includes('output') ? (await readFile(files.output, 'utf8')).trim().split('\n').filter((l) => l !== '').length : 0;
      assert.equal(ran + cancelled.length, 40);
      const again = await p.cancel(created.remoteId);
      assert.equal(again.state, 'cancelled', 'cancelling an ended job answers its state');
    } finally {
      await slow.close();
    }
  });

  it('list yields every job newest first with our tags; someone else’s job has none; a hashed name’s tags come from the job’s tags', async () => {
    const p = provider();
    const first = await submission([anthropicLine('a', 'x')]);
    const second = await submission([anthropicLine('a', 'x')]);
    const long = await submission([anthropicLine('a', 'x')]);
    const longTags = { jobId: `job-import-${'y'.repeat(50)}`, batchKey: `job-import-${'y'.repeat(50)}.s0.b1` };
    const a = await p.create(first, await p.stage(first));
    const b = await p.create(second, await p.stage(second));
    const c = await p.create({ ...long, tags: longTags }, await p.stage({ ...long, tags: longTags }));
    const foreign = new BedrockClient({ region: 'us-east-1', endpoint: emu.url, credentials: CREDENTIALS });
    const { jobArn: foreignArn } = await foreign.send(
      new CreateModelInvocationJobCommand({
        jobName: 'someone-elses-job',
        roleArn: ROLE,
        modelId: CLAUDE,
        inputDataConfig: { s3InputDataConfig: { s3Uri: a.inputRef ?? '' } },
        outputDataConfig: { s3OutputDataConfig: { s3Uri: `s3://${BUCKET}/elsewhere/` } },
      }),
    );
    const listed: RemoteBatch[] = [];
    for await (const remote of p.list()) listed.push(remote);
    assert.deepEqual(listed.map((r) => r.remoteId), [foreignArn, c.remoteId, b.remoteId, a.remoteId]);
    assert.deepEqual(listed.map((r) => r.tags), [undefined, longTags, second.tags, first.tags]);
  });

  it('findCreated: found by name and token (the tags included), none for a submission never created', async () => {
    const p = provider();
    const sub = await submission([anthropicLine('a', 'x')]);
    const staged = await p.stage(sub);
    assert.deepEqual(await p.findCreated(sub, staged, Date.now()), { kind: 'none' });
    const created = await p.create(sub, staged);
    const other = await submission([anthropicLine('a', 'x')]);
    await p.create(other, await p.stage(other));
    const found = await p.findCreated(sub, staged, Date.now());
    assert.equal(found.kind, 'found');
    assert.equal(found.kind === 'found' ? found.remote.remoteId : '', created.remoteId);
    assert.deepEqual(found.kind === 'found' ? found.remote.tags : undefined, sub.tags);
  });

  it('a create whose response is lost is sent again by the SDK with the same token: one job, its ARN returned', async () => {
    // A proxy that forwards the first create to the emulator and then drops the connection
    // before the answer reaches the client: the job exists, the client does not know it.
    let dropped = 0;
    const proxy = createServer((req, res) => {
      const upstream = httpRequest(`${emu.url}${req.url ?? '/'}`, { method: req.method, headers: req.headers }, (answer) => {
        if (req.method === 'POST' && req.url === '/model-invocation-job' && dropped === 0) {
          dropped++;
          answer.resume();
          answer.on('end', () => res.destroy());
          return;
        }
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
      req.pipe(upstream);
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    try {
      const p = provider({ maxRetries: 2 }, `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`);
      const sub = await submission([anthropicLine('a', 'x')]);
      const created = await p.create(sub, await p.stage(sub));
      assert.equal(dropped, 1);
      assert.equal(emu.createCalls(), 2, 'the create was sent twice');
      assert.equal(emu.batches().length, 1, 'and made one job');
      assert.equal(created.remoteId, emu.batches()[0]?.jobArn);
    } finally {
      proxy.closeAllConnections();
      await new Promise<void>((resolve) => proxy.close(() => resolve()));
    }
  });

  it('capacity: ServiceQuotaExceededException on create is a CapacityRefusedError and makes nothing', async () => {
    emu.setFaults({ capacityRefusals: 1 });
    const p = provider({ maxRetries: 2 });
    const sub = await submission([anthropicLine('a', 'x')]);
    const staged = await p.stage(sub);
    await assert.rejects(p.create(sub, staged), (err: unknown) => err instanceof CapacityRefusedError && err.code === 'ServiceQuotaExceededException' && /concurrent batch inference jobs/.test(err.providerMessage));
    assert.equal(emu.batches().length, 0);
    assert.equal(emu.createCalls(), 1, 'not retried');
    assert.equal((await p.create(sub, staged)).state, 'validating', 'the same batch is created later');
  });

  it('refused credentials on any batch call are a ProviderAccessError', async () => {
    const p = provider({ awsCredentials: { accessKeyId: 'AKIDWRONG', secretAccessKey: 'x' } });
    const sub = await submission([anthropicLine('a', 'x')]);
    await assert.rejects(p.stage(sub), (err: unknown) => err instanceof ProviderAccessError && err.kind === 'auth' && err.status === 403);
    await assert.rejects(p.retrieve('arn:aws:bedrock:us-east-1:123456789012:model-invocation-job/abcdefabcdef'), (err: unknown) => err instanceof ProviderAccessError && err.kind === 'auth');
    emu.setFaults({ accessDenied: true });
    const list = async (): Promise<void> => {
      for await (const _ of provider().list()) void _;
    };
    await assert.rejects(list(), (err: unknown) => err instanceof ProviderAccessError && err.kind === 'permission');
  });
});

describe('callSync', () => {
  const line = anthropicLine('s1', 'sync me');

  it('InvokeModel: the answer and a result line that reads back to the same outcome', async () => {
    const p = provider();
    const sync = await p.callSync({ line, customId: 's1', model: CLAUDE, endpoint: '' });
    assert.deepEqual(outcomeOf(sync), { ok: true, customId: 's1', content: 'Echo: sync me', usage: { inputTokens: 2, outputTokens: 4 } });
    assert.deepEqual(p.parseResultLine(sync.resultLine ?? ''), outcomeOf(sync));
    assert.equal(emu.requests().filter((r) => r.route === 'POST /model/{id}/invoke').length, 1);
  });

  it('Converse: the line’s Converse request is sent, and read back the same', async () => {
    const p = provider({ invocationType: 'Converse' });
    const sync = await p.callSync({ line: converseLine('c1', 'talk'), customId: 'c1', model: NOVA, endpoint: '' });
    assert.deepEqual(outcomeOf(sync), { ok: true, customId: 'c1', content: 'Echo: talk', usage: { inputTokens: 1, outputTokens: 3 } });
    assert.deepEqual(p.parseResultLine(sync.resultLine ?? ''), outcomeOf(sync));
    assert.equal(emu.requests().filter((r) => r.route === 'POST /model/{id}/converse').length, 1);
  });

  it('429 ThrottlingException: rate_limited with the retry-after, sent once (no SDK retry)', async () => {
    emu.setFaults({ endpointFaults: [{ endpoint: 'POST /model/{id}/invoke', times: 1, status: 429, retryAfter: 2 }] });
    const sync = await provider({ maxRetries: 3 }).callSync({ line, customId: 's1', model: CLAUDE, endpoint: '' });
    assert.equal(sync.ok, false);
    assert.equal(!sync.ok && sync.failureClass, 'rate_limited');
    assert.equal(sync.retryAfterMs, 2000);
    assert.equal(emu.requests().filter((r) => r.route === 'POST /model/{id}/invoke').length, 1);
    assert.equal(provider().parseResultLine(sync.resultLine ?? '')?.ok, false);
  });

  it('5xx → transient; 400 ValidationException → invalid_request; a content filter → content_policy', async () => {
    const p = provider();
    const classOf = async (text: string): Promise<string> => {
      const sync = await p.callSync({ line: anthropicLine('x', text), customId: 'x', model: CLAUDE, endpoint: '' });
      return sync.ok ? 'ok' : `${sync.failureClass}:${sync.httpStatus ?? '-'}`;
    };
    assert.equal(await classOf('a [[fail:server_error]]'), 'transient:500');
    assert.equal(await classOf('a [[fail:overloaded]]'), 'transient:503');
    assert.equal(await classOf('a [[fail:ModelTimeoutException]]'), 'transient:408');
    assert.equal(await classOf('a [[fail:invalid_request]]'), 'invalid_request:400');
    assert.equal(await classOf('a [[fail:content_policy_violation]]'), 'content_policy:-');
  });

  it('a refused key, a missing permission or an unknown model is a ProviderAccessError, never an item failure', async () => {
    await assert.rejects(provider({ awsCredentials: { accessKeyId: 'AKIDWRONG', secretAccessKey: 'x' } }).callSync({ line, customId: 's1', model: CLAUDE, endpoint: '' }), (err: unknown) => err instanceof ProviderAccessError && err.kind === 'auth');
    emu.setFaults({ unknownModels: ['anthropic.claude-gone'] });
    await assert.rejects(provider().callSync({ line, customId: 's1', model: 'anthropic.claude-gone', endpoint: '' }), (err: unknown) => err instanceof ProviderAccessError && err.kind === 'not_found' && err.status === 404);
    emu.setFaults({ accessDenied: true });
    await assert.rejects(provider().callSync({ line, customId: 's1', model: CLAUDE, endpoint: '' }), (err: unknown) => err instanceof ProviderAccessError && err.kind === 'permission');
  });

  it('a connection error is a transient outcome without a result line', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(closed.address() as AddressInfo).port}`;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const sync = await provider({}, url).callSync({ line, customId: 's1', model: CLAUDE, endpoint: '' });
    assert.deepEqual([sync.ok, !sync.ok && sync.failureClass, !sync.ok && sync.code, sync.resultLine], [false, 'transient', 'connection_error', undefined]);
  });

  it('an aborted signal rejects instead of producing an outcome', async () => {
    const controller = new AbortController();
    controller.abort();
    await assert.rejects(provider().callSync({ line, customId: 's1', model: CLAUDE, endpoint: '' }, controller.signal));
  });

  it('leaves no listener behind on a long-lived signal, call after call', async () => {
    const controller = new AbortController();
    const p = provider();
    for (let i = 0; i < 15; i++) {
      await p.callSync({ line, customId: 's1', model: CLAUDE, endpoint: '' }, controller.signal);
      await p.verifyAccess(controller.signal);
    }
    // The HTTP handler unhooks each request's listener when its socket request closes, which for a
    // bodiless answer (HeadBucket) comes a moment after the call resolves: wait for that moment.
    const deadline = Date.now() + 1000;
    while (getEventListeners(controller.signal, 'abort').length > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
    assert.equal(getEventListeners(controller.signal, 'abort').length, 0);
  });
});
