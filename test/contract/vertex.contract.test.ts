// Contract test: the real `@google/genai` SDK in Vertex AI mode, and the GCS JSON API by fetch,
// against the Google emulator. Each trap of docs/PROVIDER_BATCH_APIS.md §4.2/§4.3 is a named test.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { ApiError, GoogleGenAI } from '@google/genai';
import type { BatchJob } from '@google/genai';
import { OAuth2Client } from 'google-auth-library';
import { startGoogleEmulator } from '../emulators/google/server';
import type { RunningGoogleEmulator } from '../emulators/google/server';

// Cancelling lasts finalizingMs: long enough to be seen on a loaded machine.
const FAST = { validatingMs: 20, inProgressMs: 60, finalizingMs: 250 };
const MODEL = 'gemini-2.0-flash';
const TOKEN = 'ya29.vertex-sdk';
const BUCKET = 'b';

let emu: RunningGoogleEmulator;

before(async () => {
  emu = await startGoogleEmulator({ timeScale: FAST, accessToken: TOKEN });
});

after(async () => {
  await emu.close();
});

beforeEach(() => emu.reset());

function presetTokenClient(token = TOKEN): OAuth2Client {
  const auth = new OAuth2Client();
  auth.setCredentials({ access_token: token, expiry_date: Date.now() + 3600_000 });
  return auth;
}

const vertex = (options: { token?: string; project?: boolean; apiVersion?: string } = {}): GoogleGenAI =>
  new GoogleGenAI({
    vertexai: true,
    ...(options.project === false ? {} : { project: 'p', location: 'us-central1' }),
    ...(options.apiVersion ? { apiVersion: options.apiVersion } : {}),
    googleAuthOptions: { authClient: presetTokenClient(options.token) },
    httpOptions: { baseUrl: emu.url },
  });

const line = (key: string, text: string): string => JSON.stringify({ key, request: { contents: [{ role: 'user', parts: [{ text }] }] } });
const bearer = { authorization: `Bearer ${TOKEN}` };

async function waitDone(ai: GoogleGenAI, name: string): Promise<BatchJob> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const job = await ai.batches.get({ name });
    if (['JOB_STATE_SUCCEEDED', 'JOB_STATE_FAILED', 'JOB_STATE_CANCELLED', 'JOB_STATE_EXPIRED'].includes(job.state ?? '')) return job;
    if (Date.now() > deadline) throw new Error(`${name} still ${job.state ?? '?'}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Result lines of a finished job, read through the GCS JSON API. */
async function outputLines(job: BatchJob): Promise<Record<string, unknown>[]> {
  const dirUri = job.outputInfo?.gcsOutputDirectory ?? '';
  const prefix = `${dirUri.replace(`gs://${BUCKET}/`, '')}/`;
  const listing = (await (await fetch(`${emu.url}/storage/v1/b/${BUCKET}/o?prefix=${encodeURIComponent(prefix)}`, { headers: bearer })).json()) as { items?: { name: string }[] };
  const lines: Record<string, unknown>[] = [];
  for (const item of listing.items ?? []) {
    const text = await (await fetch(`${emu.url}/storage/v1/b/${BUCKET}/o/${encodeURIComponent(item.name)}?alt=media`, { headers: bearer })).text();
    for (const l of text.split('\n')) if (l !== '') lines.push(JSON.parse(l) as Record<string, unknown>);
  }
  return lines;
}

describe('Vertex SDK ↔ emulator: traps (spec §4.2, §4.3)', () => {
  it('trap: offline auth — an OAuth2Client holding a preset token sends it as Bearer and looks up no ADC', async () => {
    await vertex().batches.list({ config: { pageSize: 1 } });
    assert.deepEqual(emu.requests().map((r) => `${r.path} ${r.status}`), ['/v1beta1/projects/p/locations/us-central1/batchPredictionJobs 200']);
    await assert.rejects(vertex({ token: 'stale' }).batches.list(), (e: unknown) => e instanceof ApiError && e.status === 401);
  });

  it('trap: v1beta1 by default, /v1/ served too; with a custom baseUrl and no project the prefix is dropped', async () => {
    await vertex({ apiVersion: 'v1' }).batches.list();
    await vertex({ project: false }).batches.list();
    assert.deepEqual(emu.requests().map((r) => r.path), ['/v1/projects/p/locations/us-central1/batchPredictionJobs', '/v1beta1/batchPredictionJobs']);
  });

  it('trap: the SDK derives dest and displayName when absent (gs://b/x.jsonl → gs://b/x/dest, genaiBatchJob_<ms>)', async () => {
    emu.putObject(BUCKET, 'x.jsonl', `${line('a', 'x')}\n`);
    const job = await vertex().batches.create({ model: MODEL, src: `gs://${BUCKET}/x.jsonl` });
    assert.equal(job.dest?.gcsUri, `gs://${BUCKET}/x/dest`);
    assert.match(job.displayName ?? '', /^genaiBatchJob_\d+$/);
    assert.equal(job.model, `publishers/google/models/${MODEL}`);
  });

  it('trap: names are full resource names or bare numbers; other bare ids, inline requests and files/ sources throw locally', async () => {
    const ai = vertex();
    emu.putObject(BUCKET, 'in.jsonl', `${line('a', 'x')}\n`);
    const job = await ai.batches.create({ model: MODEL, src: `gs://${BUCKET}/in.jsonl`, config: { dest: `gs://${BUCKET}/out/` } });
    const id = (job.name ?? '').split('/').pop() ?? '';
    assert.match(id, /^\d+$/);
    assert.equal((await ai.batches.get({ name: id })).name, job.name);
    const before = emu.requests().length;
    await assert.rejects(ai.batches.get({ name: 'batches/abc' }), /Invalid batch job name/);
    const config = { dest: `gs://${BUCKET}/out/` };
    await assert.rejects(ai.batches.create({ model: MODEL, src: [{ contents: 'x' }], config }), /not supported in Vertex AI/);
    await assert.rejects(ai.batches.create({ model: MODEL, src: 'files/abc', config }), /Unsupported string source/);
    assert.equal(emu.requests().length, before);
  });

  it('trap: completionStats are int64 strings the SDK keeps; outputInfo names the directory; lines are {key, request, status, response}', async () => {
    const ai = vertex();
    emu.putObject(BUCKET, 'in.jsonl', [line('a', 'x'), line('b', 'y [[fail:invalid_request_error]]')].join('\n') + '\n');
    const created = await ai.batches.create({ model: MODEL, src: `gs://${BUCKET}/in.jsonl`, config: { dest: `gs://${BUCKET}/out/`, displayName: 'd' } });
    const job = await waitDone(ai, created.name ?? '');
    assert.equal(job.state, 'JOB_STATE_SUCCEEDED');
    assert.deepEqual(job.completionStats, { successfulCount: '1', failedCount: '1' });
    assert.match(job.outputInfo?.gcsOutputDirectory ?? '', /^gs:\/\/b\/out\/prediction-model-/);
    const byKey = new Map((await outputLines(job)).map((l) => [l['key'], l]));
    assert.equal(byKey.get('a')?.['status'], '');
    assert.ok(byKey.get('a')?.['response']);
    assert.ok(byKey.get('a')?.['request'], 'the request is echoed');
    assert.match(String(byKey.get('b')?.['status']), /^Bad Request: \{"error":\{"code":400/);
  });

  it('a job whose input object does not exist fails with an error', async () => {
    const ai = vertex();
    const created = await ai.batches.create({ model: MODEL, src: `gs://${BUCKET}/missing.jsonl`, config: { dest: `gs://${BUCKET}/out/`, displayName: 'd' } });
    const job = await waitDone(ai, created.name ?? '');
    assert.equal(job.state, 'JOB_STATE_FAILED');
    assert.match(job.error?.message ?? '', /does not exist/);
  });
});

describe('Vertex SDK ↔ emulator: lifecycle and faults', () => {
  it('cancel: JOB_STATE_CANCELLING, then JOB_STATE_CANCELLED with a CANCELED error', async () => {
    const ai = vertex();
    emu.putObject(BUCKET, 'in.jsonl', `${line('a', 'x')}\n`);
    const created = await ai.batches.create({ model: MODEL, src: `gs://${BUCKET}/in.jsonl`, config: { dest: `gs://${BUCKET}/out/`, displayName: 'd' } });
    await ai.batches.cancel({ name: created.name ?? '' });
    assert.equal((await ai.batches.get({ name: created.name ?? '' })).state, 'JOB_STATE_CANCELLING');
    const job = await waitDone(ai, created.name ?? '');
    assert.equal(job.state, 'JOB_STATE_CANCELLED');
    assert.equal(job.error?.code, 1);
  });

  it('expireAfterFraction and outputShardLines: JOB_STATE_EXPIRED, the items run so far spread over shards', async () => {
    const ai = vertex();
    emu.setFaults({ expireAfterFraction: 0.5, outputShardLines: 1 });
    emu.putObject(BUCKET, 'in.jsonl', ['a', 'b', 'c', 'd'].map((k) => line(k, k)).join('\n') + '\n');
    const created = await ai.batches.create({ model: MODEL, src: `gs://${BUCKET}/in.jsonl`, config: { dest: `gs://${BUCKET}/out/`, displayName: 'd' } });
    const job = await waitDone(ai, created.name ?? '');
    assert.equal(job.state, 'JOB_STATE_EXPIRED');
    assert.equal((await outputLines(job)).length, 2);
    assert.deepEqual(
      emu.objectNames(BUCKET, 'out/').map((n) => n.split('/').pop()),
      ['predictions_00001-of-00002.jsonl', 'predictions_00002-of-00002.jsonl'],
    );
  });

  it('capacityRefusals on a Vertex create: 429 RESOURCE_EXHAUSTED, no job', async () => {
    emu.setFaults({ capacityRefusals: 1 });
    emu.putObject(BUCKET, 'in.jsonl', `${line('a', 'x')}\n`);
    await assert.rejects(vertex().batches.create({ model: MODEL, src: `gs://${BUCKET}/in.jsonl`, config: { dest: `gs://${BUCKET}/out/`, displayName: 'd' } }), (e: unknown) => e instanceof ApiError && e.status === 429);
    assert.equal(emu.batches().length, 0);
  });

  it('sync generateContent goes to publishers/google/models under the project', async () => {
    const answer = await vertex().models.generateContent({ model: MODEL, contents: 'hello' });
    assert.equal(answer.text, 'Echo: hello');
    assert.equal(emu.requests()[0]?.path, `/v1beta1/projects/p/locations/us-central1/publishers/google/models/${MODEL}:generateContent`);
  });
});

describe('GCS JSON API subset', () => {
  it('media upload, list by prefix (no items key when empty), get alt=media and metadata, 404 for a missing object', async () => {
    const put = await fetch(`${emu.url}/upload/storage/v1/b/${BUCKET}/o?uploadType=media&name=${encodeURIComponent('dir/a b.jsonl')}`, { method: 'POST', headers: bearer, body: 'hello\n' });
    const object = (await put.json()) as { name: string; size: string; bucket: string };
    assert.deepEqual([object.name, object.size, object.bucket], ['dir/a b.jsonl', '6', BUCKET]);
    const listed = (await (await fetch(`${emu.url}/storage/v1/b/${BUCKET}/o?prefix=dir/`, { headers: bearer })).json()) as { items?: { name: string }[] };
    assert.deepEqual(listed.items?.map((i) => i.name), ['dir/a b.jsonl']);
    const empty = (await (await fetch(`${emu.url}/storage/v1/b/${BUCKET}/o?prefix=nothing/`, { headers: bearer })).json()) as Record<string, unknown>;
    assert.equal('items' in empty, false);
    assert.equal(await (await fetch(`${emu.url}/storage/v1/b/${BUCKET}/o/${encodeURIComponent('dir/a b.jsonl')}?alt=media`, { headers: bearer })).text(), 'hello\n');
    assert.equal(((await (await fetch(`${emu.url}/storage/v1/b/${BUCKET}/o/${encodeURIComponent('dir/a b.jsonl')}`, { headers: bearer })).json()) as { size: string }).size, '6');
    assert.equal((await fetch(`${emu.url}/storage/v1/b/${BUCKET}/o/missing?alt=media`, { headers: bearer })).status, 404);
  });

  it('needs a bearer token; a wrong one is 401', async () => {
    assert.equal((await fetch(`${emu.url}/storage/v1/b/${BUCKET}/o`)).status, 401);
    assert.equal((await fetch(`${emu.url}/storage/v1/b/${BUCKET}/o`, { headers: { authorization: 'Bearer nope' } })).status, 401);
  });

  it('truncateDownload applies to alt=media downloads', async () => {
    emu.putObject(BUCKET, 'f.jsonl', `${line('a', 'x')}\n${line('b', 'y')}\n`);
    emu.setFaults({ truncateDownload: 'short' });
    const text = await (await fetch(`${emu.url}/storage/v1/b/${BUCKET}/o/f.jsonl?alt=media`, { headers: bearer })).text();
    assert.ok(!text.endsWith('\n'));
  });
});
