// Contract test: the Vertex AI adapter (src/providers/google/vertexProvider.ts) against the
// Google emulator, through the real `@google/genai` SDK (vertexai: true, a preset OAuth token so
// nothing looks for application default credentials) and the GCS JSON API (spec §4.2, §4.3, §6).
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import type { ItemOutcome } from '../../src/core/itemOutcome';
import { CapacityRefusedError, ProviderAccessError, TERMINAL_STATES } from '../../src/providers/batchProvider';
import type { BatchProvider, BatchSubmission, RemoteBatch, ResultKind } from '../../src/providers/batchProvider';
import { TruncatedDownloadError } from '../../src/providers/downloadToFile';
import { createVertexProvider } from '../../src/providers/google/vertexProvider';
import { startGoogleEmulator } from '../emulators/google/server';
import type { RunningGoogleEmulator } from '../emulators/google/server';

const FAST = { validatingMs: 20, inProgressMs: 60, finalizingMs: 20 };
const MODEL = 'gemini-2.0-flash';
const TOKEN = 'ya29.emulator-token';
const BUCKET = 'llmb-test-bucket';

const requestLine = (key: string, text: string): Record<string, unknown> => ({ key, request: { contents: [{ role: 'user', parts: [{ text }] }], generationConfig: { temperature: 0 } } });

let emu: RunningGoogleEmulator;
let dir: string;
let seq = 0;

before(async () => {
  emu = await startGoogleEmulator({ timeScale: FAST, accessToken: TOKEN });
  dir = await mkdtemp(path.join(tmpdir(), 'vertex-provider-'));
});

after(async () => {
  await emu.close();
  await rm(dir, { recursive: true, force: true });
});

beforeEach(() => emu.reset());

const provider = (accessToken = TOKEN): BatchProvider =>
  createVertexProvider({ provider: 'vertex', project: 'proj-1', location: 'us-central1', bucket: BUCKET, baseUrl: emu.url, accessToken });

async function submissionOf(lines: readonly Record<string, unknown>[], batchKey = `job-v.s0.b${++seq}`): Promise<BatchSubmission> {
  const inputPath = path.join(dir, `${batchKey}.input.jsonl`);
  await writeFile(inputPath, lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
  return { tags: { jobId: 'job-v', batchKey }, inputPath, itemCount: lines.length, model: MODEL, endpoint: '' };
}

async function waitTerminal(p: BatchProvider, remoteId: string): Promise<RemoteBatch> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const batch = await p.retrieve(remoteId);
    if (TERMINAL_STATES.has(batch.state)) return batch;
    if (Date.now() > deadline) throw new Error(`job ${remoteId} still ${batch.state}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

async function runToEnd(p: BatchProvider, lines: readonly Record<string, unknown>[]): Promise<{ submission: BatchSubmission; remote: RemoteBatch }> {
  const submission = await submissionOf(lines);
  const created = await p.create(submission, await p.stage(submission));
  return { submission, remote: await waitTerminal(p, created.remoteId) };
}

const destinationIn = (folder: string) => (kind: ResultKind): string => path.join(dir, `${folder}.${kind}.jsonl`);

async function outcomesOf(p: BatchProvider, destination: (kind: ResultKind) => string, kinds: readonly ResultKind[]): Promise<Map<string, ItemOutcome>> {
  const byId = new Map<string, ItemOutcome>();
  for (const kind of kinds) {
    for (const text of (await readFile(destination(kind), 'utf8')).split('\n')) {
      if (text === '') continue;
      const outcome = p.parseResultLine(text);
      assert.ok(outcome, `unreadable result line: ${text}`);
      assert.ok(!byId.has(outcome.customId), `${outcome.customId} answered twice`);
      byId.set(outcome.customId, outcome);
    }
  }
  return byId;
}

describe('Vertex adapter: access and settings', () => {
  it('verifyAccess passes with the token (offline: no application default credentials are looked up)', async () => {
    await provider().verifyAccess();
  });

  it('verifyAccess names a refused token', async () => {
    await assert.rejects(provider('expired-token').verifyAccess(), /access token was refused at Vertex AI \(project proj-1, us-central1/);
  });

  it('a batch call with a refused token throws ProviderAccessError (auth), GCS calls too', async () => {
    const submission = await submissionOf([requestLine('a', 'x')]);
    await assert.rejects(provider('expired-token').stage(submission), (error: unknown) => error instanceof ProviderAccessError && error.kind === 'auth');
    await assert.rejects(provider('expired-token').retrieve('123'), (error: unknown) => error instanceof ProviderAccessError && error.kind === 'auth');
  });

  it('a provider older than an hour still sends its token (the OAuth2Client cannot refresh a token it was handed)', async (t) => {
    const p = provider();
    const { remote } = await runToEnd(p, [requestLine('a', 'x')]);
    // Only Date moves (the emulator reads the same clock; the batch has ended, so it stays ended).
    t.mock.timers.enable({ apis: ['Date'], now: Date.now() + 2 * 3600_000 });
    try {
      assert.equal((await p.retrieve(remote.remoteId)).state, 'completed');
    } finally {
      t.mock.timers.reset();
    }
  });

  it('the factory names the missing settings', () => {
    assert.throws(() => createVertexProvider({ provider: 'vertex', accessToken: TOKEN }), /a project \(--project\), a location \(--location\), a Cloud Storage bucket \(--bucket\)/);
  });
});

describe('Vertex adapter: lifecycle', () => {
  it('stage writes gs://<bucket>/llm-batch/<jobId>/<batchKey>.jsonl; create points the job at it with our display name', async () => {
    const p = provider();
    const submission = await submissionOf([requestLine('a', 'x')]);
    const staged = await p.stage(submission);
    assert.equal(staged, `gs://${BUCKET}/llm-batch/job-v/${submission.tags.batchKey}.jsonl`);
    assert.equal(emu.object(BUCKET, `llm-batch/job-v/${submission.tags.batchKey}.jsonl`)?.toString('utf8'), await readFile(submission.inputPath, 'utf8'));
    assert.equal(await p.stage(submission), staged, 'staging again writes the same object');
    const created = await p.create(submission, staged);
    assert.match(created.remoteId, /^projects\/proj-1\/locations\/us-central1\/batchPredictionJobs\/\d+$/);
    assert.deepEqual(created.tags, submission.tags);
    assert.equal(created.inputRef, staged);
    assert.equal(created.counts.total, 1);
  });

  it('runs to completed: completionStats strings, every shard concatenated, every item by id', async () => {
    const p = provider();
    emu.setFaults({ outputShardLines: 3, itemErrors: { bad: { code: 400, message: 'Please use a valid role: user, model.' } } });
    const keys = Array.from({ length: 8 }, (_, i) => `v${i}`);
    const { submission, remote } = await runToEnd(p, [...keys.map((k) => requestLine(k, `q ${k}`)), requestLine('bad', 'x')]);
    assert.equal(remote.state, 'completed');
    assert.deepEqual(remote.counts, { total: 9, completed: 8, failed: 1 });
    assert.match(remote.resultRefs[0] ?? '', new RegExp(`^gs://${BUCKET}/llm-batch/job-v/${submission.tags.batchKey}\\.out/prediction-model-`));
    assert.equal(emu.objectNames(BUCKET, `llm-batch/job-v/${submission.tags.batchKey}.out/`).length, 3, 'three shards');
    const destination = destinationIn('vertex-complete');
    const kinds = await p.fetchResults(remote, submission, destination);
    assert.deepEqual(kinds, ['output']);
    const byId = await outcomesOf(p, destination, kinds);
    assert.deepEqual([...byId.keys()].sort(), [...keys, 'bad'].sort());
    const bad = byId.get('bad');
    assert.equal(bad && !bad.ok ? [bad.failureClass, bad.message].join(': ') : bad, 'invalid_request: Please use a valid role: user, model.');
    const good = byId.get('v2');
    assert.equal(good?.ok ? good.content : good, 'Echo: q v2');
  });

  it('an expired job gives the results it has; its other items are expired', async () => {
    const p = provider();
    emu.setFaults({ expireAfterFraction: 0.5 });
    const keys = Array.from({ length: 6 }, (_, i) => `x${i}`);
    const { submission, remote } = await runToEnd(p, keys.map((k) => requestLine(k, k)));
    assert.equal(remote.state, 'expired');
    const destination = destinationIn('vertex-expired');
    const kinds = await p.fetchResults(remote, submission, destination);
    assert.deepEqual(kinds, ['output', 'errors']);
    const byId = await outcomesOf(p, destination, kinds);
    assert.equal(byId.size, 6);
    assert.equal([...byId.values()].filter((o) => !o.ok && o.failureClass === 'expired').length, 3);
  });

  it('cancel: JOB_STATE_CANCELLING then cancelled, items never run are cancelled', async () => {
    const p = provider();
    const submission = await submissionOf([requestLine('a', 'x'), requestLine('b', 'y')]);
    const created = await p.create(submission, await p.stage(submission));
    const cancelling = await p.cancel(created.remoteId);
    assert.equal(cancelling.rawStatus, 'JOB_STATE_CANCELLING');
    assert.equal(cancelling.state, 'cancelling');
    const remote = await waitTerminal(p, created.remoteId);
    assert.equal(remote.state, 'cancelled');
    const destination = destinationIn('vertex-cancelled');
    const byId = await outcomesOf(p, destination, await p.fetchResults(remote, submission, destination));
    assert.deepEqual([...byId.values()].map((o) => !o.ok && o.failureClass), ['cancelled', 'cancelled']);
  });

  it('a truncated shard download is refused, leaves no file, and the next fetch succeeds', async () => {
    const p = provider();
    const { submission, remote } = await runToEnd(p, [requestLine('a', 'one'), requestLine('b', 'two')]);
    const destination = destinationIn('vertex-truncated');
    emu.setFaults({ truncateDownload: true });
    await assert.rejects(p.fetchResults(remote, submission, destination), TruncatedDownloadError);
    assert.equal(existsSync(destination('output')), false);
    assert.equal((await outcomesOf(p, destination, await p.fetchResults(remote, submission, destination))).size, 2);
  });

  it('readInput reads the GCS source of a job', async () => {
    const p = provider();
    const { submission, remote } = await runToEnd(p, [requestLine('a', 'x')]);
    const destination = path.join(dir, 'vertex-imported.jsonl');
    await p.readInput(remote, destination);
    assert.equal(await readFile(destination, 'utf8'), await readFile(submission.inputPath, 'utf8'));
  });
});

describe('Vertex adapter: finding its own job', () => {
  it('findCreated: none, found, ambiguous; list carries the tags', async () => {
    const p = provider();
    const submission = await submissionOf([requestLine('a', 'x')]);
    const staged = await p.stage(submission);
    assert.deepEqual(await p.findCreated(submission, staged, Date.now()), { kind: 'none' });
    const first = await p.create(submission, staged);
    const found = await p.findCreated(submission, staged, Date.now());
    assert.equal(found.kind === 'found' ? found.remote.remoteId : found.kind, first.remoteId);
    const second = await p.create(submission, staged);
    const ambiguous = await p.findCreated(submission, staged, Date.now());
    assert.deepEqual(ambiguous.kind === 'ambiguous' ? [...ambiguous.candidates].sort() : ambiguous, [first.remoteId, second.remoteId].sort());
    const tags: unknown[] = [];
    for await (const b of p.list()) tags.push(b.tags);
    assert.deepEqual(tags, [submission.tags, submission.tags]);
  });

  it('a create whose answer is lost returns the job it made', async () => {
    const p = provider();
    const submission = await submissionOf([requestLine('a', 'x')]);
    const staged = await p.stage(submission);
    emu.setFaults({ dropCreateResponse: true });
    const created = await p.create(submission, staged);
    assert.equal(emu.batches().length, 1);
    assert.equal(created.remoteId, emu.batches()[0]?.name);
  });

  it('a create refused for the enqueued-token quota throws CapacityRefusedError', async () => {
    const p = provider();
    const submission = await submissionOf([requestLine('a', 'x')]);
    const staged = await p.stage(submission);
    emu.setFaults({ capacityRefusals: 1 });
    await assert.rejects(p.create(submission, staged), CapacityRefusedError);
    assert.equal(emu.batches().length, 0);
  });
});

describe('Vertex adapter: callSync', () => {
  const call = (customId: string, text: string): Parameters<BatchProvider['callSync']>[0] => ({ line: requestLine(customId, text), customId, model: MODEL, endpoint: '' });

  it('ok through publishers/google/models/…:generateContent, read back from its result line', async () => {
    const p = provider();
    const outcome = await p.callSync(call('s1', 'hello'));
    assert.equal(outcome.ok ? outcome.content : outcome, 'Echo: hello');
    assert.equal(emu.requests().at(-1)?.path, `/v1beta1/projects/proj-1/locations/us-central1/publishers/google/models/${MODEL}:generateContent`);
    const kept = p.parseResultLine(outcome.resultLine ?? '');
    assert.equal(kept?.ok ? kept.content : kept, 'Echo: hello');
  });

  it('429 rate_limited with its delay; 503 transient; 401 and 404 throw ProviderAccessError', async () => {
    const p = provider();
    emu.setFaults({ endpointFaults: [{ endpoint: 'POST /publishers/google/models/{model}:generateContent', times: 1, status: 429, retryAfter: 1 }] });
    const limited = await p.callSync(call('s2', 'x'));
    assert.deepEqual(!limited.ok && [limited.failureClass, limited.retryAfterMs], ['rate_limited', 1000]);
    const overloaded = await p.callSync(call('s3', 'x [[fail:overloaded]]'));
    assert.equal(!overloaded.ok && overloaded.failureClass, 'transient');
    await assert.rejects(provider('expired-token').callSync(call('s4', 'x')), (error: unknown) => error instanceof ProviderAccessError && error.kind === 'auth');
    await assert.rejects(p.callSync({ ...call('s5', 'x'), model: 'text-bison-nope' }), (error: unknown) => error instanceof ProviderAccessError && error.kind === 'not_found');
  });
});
