// Contract test: the real `@google/genai` SDK (Gemini Developer API backend) against the Google
// emulator. Each trap of docs/PROVIDER_BATCH_APIS.md §4.1/§4.3 is a named test, and every fault
// switch is exercised through the SDK.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { ApiError, GoogleGenAI } from '@google/genai';
import type { BatchJob } from '@google/genai';
import { startGoogleEmulator } from '../emulators/google/server';
import type { RunningGoogleEmulator } from '../emulators/google/server';

const FAST = { validatingMs: 20, inProgressMs: 60, finalizingMs: 20 };
const MODEL = 'gemini-2.0-flash';
const KEY = 'gemini-sdk-key';

let emu: RunningGoogleEmulator;
let dir: string;
let seq = 0;

before(async () => {
  emu = await startGoogleEmulator({ timeScale: FAST, apiKey: KEY });
  dir = await mkdtemp(path.join(tmpdir(), 'gemini-sdk-'));
});

after(async () => {
  await emu.close();
  await rm(dir, { recursive: true, force: true });
});

beforeEach(() => emu.reset());

const client = (options: { apiKey?: string; apiVersion?: string; retries?: number } = {}): GoogleGenAI =>
  new GoogleGenAI({
    vertexai: false,
    apiKey: options.apiKey ?? KEY,
    ...(options.apiVersion ? { apiVersion: options.apiVersion } : {}),
    httpOptions: { baseUrl: emu.url, ...(options.retries ? { retryOptions: { attempts: options.retries, initialDelay: 0.01, maxDelay: 0.02 } } : {}) },
  });

const line = (key: string, text: string): string => JSON.stringify({ key, request: { contents: [{ role: 'user', parts: [{ text }] }] } });

async function inputFile(lines: readonly string[]): Promise<string> {
  const file = path.join(dir, `in-${++seq}.jsonl`);
  await writeFile(file, `${lines.join('\n')}\n`);
  return file;
}

async function createBatch(ai: GoogleGenAI, lines: readonly string[], displayName = 'd'): Promise<BatchJob> {
  const file = await ai.files.upload({ file: await inputFile(lines), config: { mimeType: 'jsonl' } });
  return ai.batches.create({ model: MODEL, src: file.name ?? '', config: { displayName } });
}

async function waitDone(ai: GoogleGenAI, name: string): Promise<BatchJob> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const job = await ai.batches.get({ name });
    if (['JOB_STATE_SUCCEEDED', 'JOB_STATE_FAILED', 'JOB_STATE_CANCELLED', 'JOB_STATE_EXPIRED'].includes(job.state ?? '')) return job;
    if (Date.now() > deadline) throw new Error(`${name} still ${job.state ?? '?'}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** The wire Operation, as a raw GET sees it (what the SDK maps away). */
async function rawBatch(name: string): Promise<{ metadata: Record<string, unknown>; done: boolean; error?: { code: number; message: string } }> {
  const response = await fetch(`${emu.url}/v1beta/${name}`, { headers: { 'x-goog-api-key': KEY } });
  assert.equal(response.status, 200);
  return (await response.json()) as { metadata: Record<string, unknown>; done: boolean };
}

async function download(ai: GoogleGenAI, fileName: string): Promise<string[]> {
  const target = path.join(dir, `out-${++seq}.jsonl`);
  await ai.files.download({ file: fileName, downloadPath: target });
  // The SDK's downloader pipes without waiting for the stream to close on every path; read what landed.
  const { readFile } = await import('node:fs/promises');
  return (await readFile(target, 'utf8')).split('\n').filter((l) => l !== '');
}

const parse = (text: string): Record<string, unknown> => JSON.parse(text) as Record<string, unknown>;

describe('Gemini SDK ↔ emulator: traps (spec §4.1, §4.3)', () => {
  it('trap: SDK 3.3.0 defaults to /v1/, and /v1beta/ is served too', async () => {
    await client().batches.list({ config: { pageSize: 1 } });
    await client({ apiVersion: 'v1beta' }).batches.list({ config: { pageSize: 1 } });
    assert.deepEqual(
      emu.requests().map((r) => r.path),
      ['/v1/batches', '/v1beta/batches'],
    );
  });

  it('trap: the resumable upload needs x-goog-upload-url on start and x-goog-upload-status: final; the SDK moves the URL onto baseUrl', async () => {
    const ai = client();
    const file = await ai.files.upload({ file: await inputFile([line('a', 'x')]), config: { mimeType: 'jsonl', displayName: 'input' } });
    assert.match(file.name ?? '', /^files\//);
    assert.equal(file.sizeBytes, String(Buffer.byteLength(`${line('a', 'x')}\n`)), 'sizeBytes is an int64 string');
    const uploads = emu.requests().filter((r) => r.route === 'POST /upload/files');
    assert.equal(uploads.length, 2);
    assert.equal(uploads[0]?.query, '');
    assert.match(uploads[1]?.query ?? '', /^upload_id=/, 'the chunk went to the (rewritten) upload URL on the emulator');
  });

  it('trap: the SDK’s BatchJob has no batchStats; the raw Operation has them as int64 strings, zeros left out', async () => {
    const ai = client();
    const created = await createBatch(ai, [line('a', 'x'), line('b', 'y [[fail:server_error]]')]);
    const job = await waitDone(ai, created.name ?? '');
    assert.equal('batchStats' in job, false);
    assert.equal('error' in job, false);
    const raw = await rawBatch(created.name ?? '');
    assert.equal(raw.metadata['state'], 'BATCH_STATE_SUCCEEDED', 'the wire says BATCH_STATE_*; the SDK maps it to JOB_STATE_*');
    assert.equal(job.state, 'JOB_STATE_SUCCEEDED');
    assert.deepEqual(raw.metadata['batchStats'], { requestCount: '2', successfulRequestCount: '1', failedRequestCount: '1' });
    assert.equal(raw.done, true);
  });

  it('trap: a bare batch id throws "Invalid batch job name" before any request', async () => {
    await assert.rejects(client().batches.get({ name: 'abc123' }), /Invalid batch job name/);
    assert.equal(emu.requests().length, 0);
  });

  it('trap: no retries by default — a 429 is thrown on the first attempt, as ApiError with the JSON body in .message', async () => {
    emu.setFaults({ endpointFaults: [{ endpoint: 'GET /batches', times: 1, status: 429, retryAfter: 3 }] });
    await assert.rejects(client().batches.list(), (error: unknown) => {
      assert.ok(error instanceof ApiError);
      assert.equal(error.status, 429);
      const body = JSON.parse(error.message) as { error: { status: string; details: { retryDelay?: string }[] } };
      assert.equal(body.error.status, 'RESOURCE_EXHAUSTED');
      assert.equal(body.error.details[0]?.retryDelay, '3s', 'the wait travels in a RetryInfo detail');
      return true;
    });
    assert.equal(emu.requests().length, 1);
  });

  it('with retryOptions the SDK retries a 503 itself (p-retry, Retry-After ignored)', async () => {
    emu.setFaults({ endpointFaults: [{ endpoint: 'GET /batches', times: 1, status: 503, retryAfter: 30 }] });
    const started = Date.now();
    await client({ retries: 2 }).batches.list();
    assert.equal(emu.requests().length, 2);
    assert.ok(Date.now() - started < 5000, 'a 30 s Retry-After was not honoured');
  });

  it('trap: inline responses are plain objects (no .text getter), in input order, and list leaves them out', async () => {
    const ai = client();
    const created = await ai.batches.create({
      model: MODEL,
      src: [
        { contents: [{ role: 'user', parts: [{ text: 'one' }] }], metadata: { key: 'k1' } },
        { contents: [{ role: 'user', parts: [{ text: 'two' }] }], metadata: { key: 'k2' } },
      ],
    });
    const job = await waitDone(ai, created.name ?? '');
    const inlined = job.dest?.inlinedResponses ?? [];
    assert.deepEqual(inlined.map((r) => r.metadata?.['key']), ['k1', 'k2']);
    const first = inlined[0]?.response;
    assert.ok(first);
    assert.equal((first as { text?: unknown }).text, undefined);
    assert.equal(first.candidates?.[0]?.content?.parts?.[0]?.text, 'Echo: one');
    for await (const listed of await ai.batches.list()) assert.equal(listed.dest?.inlinedResponses, undefined);
  });

  it('trap: results download from /v1/files/…:download and /download/v1beta/files/…:download alike', async () => {
    const ai = client();
    const job = await waitDone(ai, (await createBatch(ai, [line('a', 'x')])).name ?? '');
    const fileName = job.dest?.fileName ?? '';
    assert.match(fileName, /^files\/batch-/);
    assert.equal((await download(ai, fileName)).length, 1);
    const direct = await fetch(`${emu.url}/download/v1beta/${fileName}:download?alt=media`, { headers: { 'x-goog-api-key': KEY } });
    assert.equal(direct.status, 200);
    assert.equal(parse((await direct.text()).trim())['key'], 'a');
  });

  it('auth: a wrong key is a 400 API_KEY_INVALID; no key is a 403', async () => {
    await assert.rejects(client({ apiKey: 'nope' }).batches.list(), (error: unknown) => error instanceof ApiError && error.status === 400 && /API_KEY_INVALID/.test(error.message));
    const anonymous = await fetch(`${emu.url}/v1beta/batches`);
    assert.equal(anonymous.status, 403);
  });

  it('file lines come back as {key, response} / {key, error} with an rpc code', async () => {
    const ai = client();
    const job = await waitDone(ai, (await createBatch(ai, [line('ok', 'x'), line('limited', 'x [[fail:rate_limit_exceeded]]')])).name ?? '');
    const lines = (await download(ai, job.dest?.fileName ?? '')).map(parse);
    const byKey = new Map(lines.map((l) => [l['key'], l]));
    assert.ok(byKey.get('ok')?.['response']);
    assert.deepEqual((byKey.get('limited')?.['error'] as { code: number }).code, 8);
  });
});

describe('Gemini SDK ↔ emulator: fault switches', () => {
  it('endpointFaults are counted per route and then let requests through', async () => {
    emu.setFaults({ endpointFaults: [{ endpoint: 'POST /models/{model}:generateContent', times: 2, status: 500 }] });
    const ai = client();
    for (let i = 0; i < 2; i++) await assert.rejects(ai.models.generateContent({ model: MODEL, contents: 'x' }), (e: unknown) => e instanceof ApiError && e.status === 500);
    assert.equal((await ai.models.generateContent({ model: MODEL, contents: 'hi' })).text, 'Echo: hi');
  });

  it('failValidation (one-shot): FAILED, done, with an INVALID_ARGUMENT error; the next batch is fine', async () => {
    const ai = client();
    emu.setFaults({ failValidation: true });
    const failedJob = await waitDone(ai, (await createBatch(ai, [line('a', 'x')])).name ?? '');
    assert.equal(failedJob.state, 'JOB_STATE_FAILED');
    const raw = await rawBatch(failedJob.name ?? '');
    assert.equal(raw.error?.code, 3);
    assert.equal((await waitDone(ai, (await createBatch(ai, [line('a', 'x')])).name ?? '')).state, 'JOB_STATE_SUCCEEDED');
  });

  it('itemErrors fail those keys on every attempt', async () => {
    const ai = client();
    emu.setFaults({ itemErrors: { b: { code: 503, message: 'overloaded' } } });
    const job = await waitDone(ai, (await createBatch(ai, [line('a', 'x'), line('b', 'y')])).name ?? '');
    const b = (await download(ai, job.dest?.fileName ?? '')).map(parse).find((l) => l['key'] === 'b');
    assert.deepEqual(b?.['error'], { code: 14, message: 'overloaded' });
  });

  it('expireAfterFraction: EXPIRED with the results of the items run so far', async () => {
    const ai = client();
    emu.setFaults({ expireAfterFraction: 0.5 });
    const job = await waitDone(ai, (await createBatch(ai, ['a', 'b', 'c', 'd'].map((k) => line(k, k)))).name ?? '');
    assert.equal(job.state, 'JOB_STATE_EXPIRED');
    assert.equal((await download(ai, job.dest?.fileName ?? '')).length, 2);
  });

  it('cancel mid-run: RUNNING until it stops, then CANCELLED; cancelling again is refused', async () => {
    const ai = client();
    const created = await createBatch(ai, ['a', 'b', 'c', 'd'].map((k) => line(k, k)));
    await new Promise((resolve) => setTimeout(resolve, FAST.validatingMs + FAST.inProgressMs / 2));
    await ai.batches.cancel({ name: created.name ?? '' });
    assert.equal((await rawBatch(created.name ?? '')).metadata['state'], 'BATCH_STATE_RUNNING', 'the Gemini API has no cancelling state');
    const job = await waitDone(ai, created.name ?? '');
    assert.equal(job.state, 'JOB_STATE_CANCELLED');
    await assert.rejects(ai.batches.cancel({ name: created.name ?? '' }), (e: unknown) => e instanceof ApiError && e.status === 400);
  });

  it('capacityRefusals: the next N creates are answered 429 RESOURCE_EXHAUSTED naming the enqueued-token quota; nothing is made', async () => {
    const ai = client();
    emu.setFaults({ capacityRefusals: 1 });
    await assert.rejects(createBatch(ai, [line('a', 'x')]), (error: unknown) => {
      assert.ok(error instanceof ApiError && error.status === 429);
      assert.match(error.message, /enqueued tokens/);
      assert.match(error.message, /QuotaFailure/);
      return true;
    });
    assert.equal(emu.batches().length, 0);
    assert.equal(emu.createCalls(), 1);
    await createBatch(ai, [line('a', 'x')]);
    assert.equal(emu.batches().length, 1);
  });

  it('enqueuedTokenLimit: a create is refused while running batches hold the tokens, accepted once they end', async () => {
    const ai = client();
    emu.setFaults({ enqueuedTokenLimit: 5 }); // each batch holds 3 tokens (12 characters)
    const first = await createBatch(ai, [line('a', 'twelve chars')]);
    await assert.rejects(createBatch(ai, [line('b', 'twelve chars')]), (e: unknown) => e instanceof ApiError && e.status === 429);
    await waitDone(ai, first.name ?? '');
    await createBatch(ai, [line('b', 'twelve chars')]);
  });

  it('ordered: results in input order (by default they are shuffled)', async () => {
    const ai = client();
    const keys = Array.from({ length: 8 }, (_, i) => `k${i}`);
    const shuffled = await waitDone(ai, (await createBatch(ai, keys.map((k) => line(k, k)))).name ?? '');
    assert.notDeepEqual((await download(ai, shuffled.dest?.fileName ?? '')).map((l) => parse(l)['key']), keys);
    emu.setFaults({ ordered: true });
    const ordered = await waitDone(ai, (await createBatch(ai, keys.map((k) => line(k, k)))).name ?? '');
    assert.deepEqual((await download(ai, ordered.dest?.fileName ?? '')).map((l) => parse(l)['key']), keys);
  });

  it('truncateDownload (one-shot): abort drops the socket mid-body; short sends a consistent half', async () => {
    const ai = client();
    const job = await waitDone(ai, (await createBatch(ai, ['a', 'b', 'c'].map((k) => line(k, k)))).name ?? '');
    const url = `${emu.url}/v1beta/${job.dest?.fileName ?? ''}:download?alt=media`;
    const headers = { 'x-goog-api-key': KEY };
    emu.setFaults({ truncateDownload: 'abort' });
    const aborted = await fetch(url, { headers });
    await assert.rejects(aborted.text(), /terminated/);
    emu.setFaults({ truncateDownload: 'short' });
    const short = await (await fetch(url, { headers })).text();
    assert.ok(!short.endsWith('\n'));
    assert.equal((await (await fetch(url, { headers })).text()).split('\n').filter(Boolean).length, 3, 'one-shot');
  });

  it('emptyContent and nonJsonContent shape batch items and sync answers', async () => {
    const ai = client();
    emu.setFaults({ emptyContent: true });
    assert.equal((await ai.models.generateContent({ model: MODEL, contents: 'x' })).text ?? '', '');
    emu.setFaults({ nonJsonContent: true });
    const answer = await ai.models.generateContent({ model: MODEL, contents: 'x', config: { responseMimeType: 'application/json' } });
    assert.throws(() => JSON.parse(answer.text ?? ''));
  });

  it('dropCreateResponse (one-shot): the batch is made, the client hears nothing', async () => {
    const ai = client();
    emu.setFaults({ dropCreateResponse: true });
    await assert.rejects(createBatch(ai, [line('a', 'x')]), /fetch failed|socket|terminated/i);
    assert.equal(emu.batches().length, 1);
  });

  it('control endpoints: faults validated over HTTP, batches listed, reset', async () => {
    const bad = await fetch(`${emu.url}/__emulator/faults`, { method: 'POST', body: JSON.stringify({ noSuchSwitch: true }) });
    assert.equal(bad.status, 400);
    const good = await fetch(`${emu.url}/__emulator/faults`, { method: 'POST', body: JSON.stringify({ capacityRefusals: 2 }) });
    assert.deepEqual(((await good.json()) as { faults: unknown }).faults, { capacityRefusals: 2 });
    await createBatch(client(), [line('a', 'x')]).catch(() => undefined);
    const listed = (await (await fetch(`${emu.url}/__emulator/batches`)).json()) as { createCalls: number };
    assert.equal(listed.createCalls, 1);
    await fetch(`${emu.url}/__emulator/reset`, { method: 'POST' });
    assert.deepEqual(((await (await fetch(`${emu.url}/__emulator/faults`)).json()) as { faults: unknown }).faults, {});
  });

  it('[[fail:…]] markers give Google errors on sync: 429 with RetryInfo, 400 INVALID_ARGUMENT, an unknown model 404', async () => {
    const ai = client();
    await assert.rejects(ai.models.generateContent({ model: MODEL, contents: 'x [[fail:rate_limit_exceeded]]' }), (e: unknown) => e instanceof ApiError && e.status === 429 && /RetryInfo/.test(e.message));
    await assert.rejects(ai.models.generateContent({ model: MODEL, contents: 'x [[fail:context_length_exceeded]]' }), (e: unknown) => e instanceof ApiError && e.status === 400);
    await assert.rejects(ai.models.generateContent({ model: 'no-such-model', contents: 'x' }), (e: unknown) => e instanceof ApiError && e.status === 404);
  });
});
