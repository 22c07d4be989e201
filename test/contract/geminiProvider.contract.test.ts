// Contract test: the Gemini Developer API adapter (src/providers/google/geminiProvider.ts) against
// the Google emulator, through the real `@google/genai` SDK (spec §4.1, §4.3, §6).
import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { GoogleGenAI } from '@google/genai';
import type { ItemOutcome } from '../../src/core/itemOutcome';
import { CapacityRefusedError, ProviderAccessError, TERMINAL_STATES } from '../../src/providers/batchProvider';
import type { BatchProvider, BatchSubmission, RemoteBatch, ResultKind } from '../../src/providers/batchProvider';
import { TruncatedDownloadError } from '../../src/providers/downloadToFile';
import { createGeminiProvider } from '../../src/providers/google/geminiProvider';
import { startGoogleEmulator } from '../emulators/google/server';
import type { RunningGoogleEmulator } from '../emulators/google/server';

// Cancelling lasts finalizingMs and a run inProgressMs: long enough to cancel mid-run and to see it on a loaded machine.
const FAST = { validatingMs: 20, inProgressMs: 300, finalizingMs: 250 };
const MODEL = 'gemini-2.0-flash';
const KEY = 'gemini-test-key';

const requestLine = (key: string, text: string): Record<string, unknown> => ({
  key,
  request: { contents: [{ role: 'user', parts: [{ text }] }], systemInstruction: { parts: [{ text: 'Be brief.' }] }, generationConfig: { temperature: 0 } },
});

let emu: RunningGoogleEmulator;
let dir: string;
let seq = 0;

before(async () => {
  emu = await startGoogleEmulator({ timeScale: FAST, apiKey: KEY });
  dir = await mkdtemp(path.join(tmpdir(), 'gemini-provider-'));
});

after(async () => {
  await emu.close();
  await rm(dir, { recursive: true, force: true });
});

beforeEach(() => emu.reset());

const provider = (apiKey = KEY): BatchProvider => createGeminiProvider({ provider: 'gemini', apiKey, baseUrl: emu.url });

async function submissionOf(lines: readonly Record<string, unknown>[], batchKey = `job-1.s0.b${++seq}`): Promise<BatchSubmission> {
  const inputPath = path.join(dir, `${batchKey}.input.jsonl`);
  await writeFile(inputPath, lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
  return { tags: { jobId: 'job-1', batchKey }, inputPath, itemCount: lines.length, model: MODEL, endpoint: '' };
}

async function waitTerminal(p: BatchProvider, remoteId: string): Promise<RemoteBatch> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const batch = await p.retrieve(remoteId);
    if (TERMINAL_STATES.has(batch.state)) return batch;
    if (Date.now() > deadline) throw new Error(`batch ${remoteId} still ${batch.state}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const destinationIn = (folder: string) => (kind: ResultKind): string => path.join(dir, `${folder}.${kind}.jsonl`);

/** Every outcome in the written files, by id. */
async function outcomesOf(p: BatchProvider, destination: (kind: ResultKind) => string, kinds: readonly ResultKind[]): Promise<{ byId: Map<string, ItemOutcome>; order: string[] }> {
  const byId = new Map<string, ItemOutcome>();
  const order: string[] = [];
  for (const kind of kinds) {
    for (const text of (await readFile(destination(kind), 'utf8')).split('\n')) {
      if (text === '') continue;
      const outcome = p.parseResultLine(text);
      assert.ok(outcome, `unreadable result line: ${text}`);
      assert.ok(!byId.has(outcome.customId), `${outcome.customId} answered twice`);
      byId.set(outcome.customId, outcome);
      order.push(outcome.customId);
    }
  }
  return { byId, order };
}

async function runToEnd(p: BatchProvider, lines: readonly Record<string, unknown>[]): Promise<{ submission: BatchSubmission; remote: RemoteBatch }> {
  const submission = await submissionOf(lines);
  const staged = await p.stage(submission);
  const created = await p.create(submission, staged);
  return { submission, remote: await waitTerminal(p, created.remoteId) };
}

describe('Gemini adapter: access', () => {
  it('verifyAccess passes with the right key', async () => {
    await provider().verifyAccess();
  });

  it('verifyAccess names a wrong key (Gemini answers 400 API_KEY_INVALID, not 401)', async () => {
    await assert.rejects(provider('wrong').verifyAccess(), (error: Error) => {
      assert.match(error.message, /Gemini API key is not valid/);
      assert.match(error.message, /API key not valid/);
      return true;
    });
  });

  it('a batch call with a wrong key throws ProviderAccessError (auth)', async () => {
    const submission = await submissionOf([requestLine('a', 'x')]);
    await assert.rejects(provider('wrong').stage(submission), (error: unknown) => error instanceof ProviderAccessError && error.kind === 'auth');
  });

  it('a refused permission (403) on retrieve throws ProviderAccessError (permission)', async () => {
    emu.setFaults({ endpointFaults: [{ endpoint: 'GET /batches/{id}', times: 1, status: 403 }] });
    await assert.rejects(provider().retrieve('batches/whatever'), (error: unknown) => error instanceof ProviderAccessError && error.kind === 'permission');
  });

  it('the factory refuses a missing key with the variables to set', () => {
    assert.throws(() => createGeminiProvider({ provider: 'gemini', baseUrl: emu.url }), /GEMINI_API_KEY or GOOGLE_API_KEY/);
  });
});

describe('Gemini adapter: lifecycle', () => {
  it('stage uploads the input as files/… with the tags in its display name; create names the batch with them', async () => {
    const p = provider();
    const submission = await submissionOf([requestLine('a', 'hello')]);
    const staged = await p.stage(submission);
    assert.match(staged ?? '', /^files\/[^/]+$/);
    const created = await p.create(submission, staged);
    assert.match(created.remoteId, /^batches\//);
    assert.deepEqual(created.tags, submission.tags);
    assert.equal(created.counts.total, 1);
    assert.equal(created.model, MODEL);
    assert.equal(emu.batches()[0]?.inputRef, staged);
  });

  it('runs to completed, counts read from string batchStats, every item by id and not in input order', async () => {
    const p = provider();
    const keys = Array.from({ length: 12 }, (_, i) => `item-${i}`);
    const { submission, remote } = await runToEnd(p, keys.map((k) => requestLine(k, `question ${k}`)));
    assert.equal(remote.state, 'completed');
    assert.deepEqual(remote.counts, { total: 12, completed: 12, failed: 0 });
    assert.match(remote.resultRefs[0] ?? '', /^files\/batch-/);
    const destination = destinationIn('complete');
    const kinds = await p.fetchResults(remote, submission, destination);
    assert.deepEqual(kinds, ['output']);
    const { byId, order } = await outcomesOf(p, destination, kinds);
    assert.deepEqual([...byId.keys()].sort(), [...keys].sort());
    assert.notDeepEqual(order, keys, 'the emulator shuffles results; matching must not rely on order');
    const one = byId.get('item-3');
    assert.ok(one?.ok);
    assert.equal(one.content, 'Echo: question item-3');
    assert.ok((one.usage?.inputTokens ?? 0) > 0);
  });

  it('an item failing inside a SUCCEEDED batch is a failed item, classified by its rpc code', async () => {
    const p = provider();
    emu.setFaults({ itemErrors: { bad: { code: 400, message: 'bad field' } } });
    const { submission, remote } = await runToEnd(p, [
      requestLine('good', 'fine'),
      requestLine('bad', 'x'),
      requestLine('slow', 'x [[fail:rate_limit_exceeded]]'),
      requestLine('down', 'x [[fail:server_error]]'),
      requestLine('unsafe', 'x [[fail:content_policy_violation]]'),
      requestLine('empty', 'x [[empty]]'),
      requestLine('prose', 'x [[not-json]]'),
    ]);
    assert.equal(remote.state, 'completed');
    assert.deepEqual(remote.counts, { total: 7, completed: 4, failed: 3 });
    const destination = destinationIn('mixed');
    const { byId } = await outcomesOf(p, destination, await p.fetchResults(remote, submission, destination));
    const classOf = (id: string): string => {
      const o = byId.get(id);
      assert.ok(o, id);
      return o.ok ? 'ok' : o.failureClass;
    };
    assert.equal(classOf('good'), 'ok');
    assert.equal(classOf('bad'), 'invalid_request');
    assert.equal(classOf('slow'), 'rate_limited');
    assert.equal(classOf('down'), 'transient');
    assert.equal(classOf('unsafe'), 'content_policy');
    assert.equal(classOf('empty'), 'ok');
    assert.equal((byId.get('empty') as { content: string }).content, '');
    assert.match((byId.get('prose') as { content: string }).content, /^Sure!/);
  });

  it('an expired batch gives the results it has, and its other items are written as expired', async () => {
    const p = provider();
    emu.setFaults({ expireAfterFraction: 0.5 });
    const keys = Array.from({ length: 8 }, (_, i) => `e${i}`);
    const { submission, remote } = await runToEnd(p, keys.map((k) => requestLine(k, k)));
    assert.equal(remote.state, 'expired');
    const destination = destinationIn('expired');
    const kinds = await p.fetchResults(remote, submission, destination);
    assert.deepEqual(kinds, ['output', 'errors']);
    const { byId } = await outcomesOf(p, destination, kinds);
    assert.deepEqual([...byId.keys()].sort(), [...keys].sort());
    const outcomes = [...byId.values()];
    assert.equal(outcomes.filter((o) => o.ok).length, 4);
    assert.ok(outcomes.filter((o) => !o.ok).every((o) => !o.ok && o.failureClass === 'expired'));
  });

  it('cancel mid-run: cancelled, the items run keep their results, the rest are cancelled', async () => {
    const p = provider();
    const keys = Array.from({ length: 6 }, (_, i) => `c${i}`);
    const submission = await submissionOf(keys.map((k) => requestLine(k, k)));
    const created = await p.create(submission, await p.stage(submission));
    await new Promise((resolve) => setTimeout(resolve, FAST.validatingMs + FAST.inProgressMs / 2));
    const cancelling = await p.cancel(created.remoteId);
    assert.ok(['in_progress', 'cancelled'].includes(cancelling.state), cancelling.state);
    const remote = await waitTerminal(p, created.remoteId);
    assert.equal(remote.state, 'cancelled');
    const destination = destinationIn('cancelled');
    const { byId } = await outcomesOf(p, destination, await p.fetchResults(remote, submission, destination));
    assert.deepEqual([...byId.keys()].sort(), [...keys].sort());
    assert.ok([...byId.values()].some((o) => !o.ok && o.failureClass === 'cancelled'));
  });

  it('cancelling a batch that already ended returns it ended', async () => {
    const p = provider();
    const { remote } = await runToEnd(p, [requestLine('a', 'x')]);
    const again = await p.cancel(remote.remoteId);
    assert.equal(again.state, 'completed');
  });

  it('a batch that fails as a whole writes every item as failed with its error', async () => {
    const p = provider();
    emu.setFaults({ failValidation: true });
    const { submission, remote } = await runToEnd(p, [requestLine('a', 'x'), requestLine('b', 'y')]);
    assert.equal(remote.state, 'failed');
    assert.equal(remote.errors[0]?.code, 'INVALID_ARGUMENT');
    const destination = destinationIn('failed');
    const kinds = await p.fetchResults(remote, submission, destination);
    assert.deepEqual(kinds, ['errors']);
    const { byId } = await outcomesOf(p, destination, kinds);
    assert.deepEqual([...byId.keys()].sort(), ['a', 'b']);
    assert.ok([...byId.values()].every((o) => !o.ok && o.failureClass === 'invalid_request'));
  });

  it('a truncated download is refused, leaves no file, and the next fetch succeeds', async () => {
    const p = provider();
    const { submission, remote } = await runToEnd(p, [requestLine('a', 'one'), requestLine('b', 'two'), requestLine('c', 'three')]);
    for (const mode of ['abort', 'short'] as const) {
      const destination = destinationIn(`truncated-${mode}`);
      emu.setFaults({ truncateDownload: mode });
      await assert.rejects(p.fetchResults(remote, submission, destination), TruncatedDownloadError);
      assert.equal(existsSync(destination('output')), false);
      const { byId } = await outcomesOf(p, destination, await p.fetchResults(remote, submission, destination));
      assert.equal(byId.size, 3);
    }
  });

  it('inline batches: results are read from the batch and matched by metadata.key', async () => {
    const p = provider();
    const ai = new GoogleGenAI({ apiKey: KEY, httpOptions: { baseUrl: emu.url } });
    const created = await ai.batches.create({
      model: MODEL,
      src: [
        { contents: [{ role: 'user', parts: [{ text: 'first' }] }], metadata: { key: 'i1' } },
        { contents: [{ role: 'user', parts: [{ text: 'second' }] }], metadata: { key: 'i2' } },
      ],
    });
    const remote = await waitTerminal(p, created.name ?? '');
    const listed = await (async () => {
      for await (const b of p.list()) if (b.remoteId === remote.remoteId) return b;
      return undefined;
    })();
    assert.ok(listed);
    assert.deepEqual(listed.resultRefs, [], 'list leaves inline responses out (spec §4.1)');
    const destination = destinationIn('inline');
    const submission = await submissionOf([]);
    const { byId } = await outcomesOf(p, destination, await p.fetchResults(listed, submission, destination));
    assert.equal((byId.get('i2') as { content: string }).content, 'Echo: second');
    await assert.rejects(p.readInput(remote, path.join(dir, 'inline-input.jsonl')), /inline requests/);
  });
});

describe('Gemini adapter: finding its own batch', () => {
  it('list carries our tags, and none on someone else’s batch', async () => {
    const p = provider();
    const submission = await submissionOf([requestLine('a', 'x')]);
    await p.create(submission, await p.stage(submission));
    const ai = new GoogleGenAI({ apiKey: KEY, httpOptions: { baseUrl: emu.url } });
    const theirs = await ai.files.upload({ file: submission.inputPath, config: { mimeType: 'jsonl' } });
    await ai.batches.create({ model: MODEL, src: theirs.name ?? '', config: { displayName: 'someone else' } });
    const all: RemoteBatch[] = [];
    for await (const b of p.list()) all.push(b);
    assert.equal(all.length, 2);
    assert.deepEqual(all.filter((b) => b.tags !== undefined).map((b) => b.tags), [submission.tags]);
  });

  it('findCreated: none before a create, found after, ambiguous when the same tags were created twice', async () => {
    const p = provider();
    const submission = await submissionOf([requestLine('a', 'x')]);
    const staged = await p.stage(submission);
    assert.deepEqual(await p.findCreated(submission, staged, Date.now()), { kind: 'none' });
    const created = await p.create(submission, staged);
    const found = await p.findCreated(submission, staged, Date.now());
    assert.equal(found.kind, 'found');
    assert.equal(found.kind === 'found' ? found.remote.remoteId : '', created.remoteId);
    const twice = await p.create(submission, staged);
    const ambiguous = await p.findCreated(submission, staged, Date.now());
    assert.deepEqual(ambiguous.kind === 'ambiguous' ? [...ambiguous.candidates].sort() : ambiguous, [created.remoteId, twice.remoteId].sort());
  });

  it('a create whose answer is lost returns the batch it made, without creating a second', async () => {
    const p = provider();
    const submission = await submissionOf([requestLine('a', 'x')]);
    const staged = await p.stage(submission);
    emu.setFaults({ dropCreateResponse: true });
    const created = await p.create(submission, staged);
    assert.equal(emu.createCalls(), 1);
    assert.equal(emu.batches().length, 1);
    assert.equal(created.remoteId, emu.batches()[0]?.name);
  });

  it('a 500 on create (nothing made) is thrown after looking, not retried', async () => {
    const p = provider();
    const submission = await submissionOf([requestLine('a', 'x')]);
    const staged = await p.stage(submission);
    emu.setFaults({ endpointFaults: [{ endpoint: 'POST /models/{model}:batchGenerateContent', times: 1, status: 500 }] });
    await assert.rejects(p.create(submission, staged), /INTERNAL|internal/);
    assert.equal(emu.createCalls(), 1);
    assert.equal(emu.batches().length, 0);
  });

  it('a create refused for the enqueued-token quota throws CapacityRefusedError and makes nothing', async () => {
    const p = provider();
    const submission = await submissionOf([requestLine('a', 'x')]);
    const staged = await p.stage(submission);
    emu.setFaults({ capacityRefusals: 1 });
    await assert.rejects(p.create(submission, staged), (error: unknown) => {
      assert.ok(error instanceof CapacityRefusedError);
      assert.equal(error.code, 'RESOURCE_EXHAUSTED');
      assert.match(error.providerMessage, /enqueued tokens/);
      return true;
    });
    assert.equal(emu.batches().length, 0);
    await p.create(submission, staged);
  });

  it('a plain 429 on create is not a capacity refusal', async () => {
    const p = provider();
    const submission = await submissionOf([requestLine('a', 'x')]);
    const staged = await p.stage(submission);
    emu.setFaults({ endpointFaults: [{ endpoint: 'POST /models/{model}:batchGenerateContent', times: 1, status: 429 }] });
    await assert.rejects(p.create(submission, staged), (error: unknown) => !(error instanceof CapacityRefusedError));
  });

  it('readInput downloads the staged request lines', async () => {
    const p = provider();
    const { submission, remote } = await runToEnd(p, [requestLine('a', 'x'), requestLine('b', 'y')]);
    const destination = path.join(dir, 'imported.jsonl');
    await p.readInput(remote, destination);
    assert.equal(await readFile(destination, 'utf8'), await readFile(submission.inputPath, 'utf8'));
  });
});

describe('Gemini adapter: callSync', () => {
  const call = (customId: string, text: string): Parameters<BatchProvider['callSync']>[0] => ({ line: requestLine(customId, text), customId, model: MODEL, endpoint: '' });

  it('ok: the answer, its usage, and a result line that reads back the same', async () => {
    const p = provider();
    const outcome = await p.callSync(call('s1', 'hello'));
    assert.ok(outcome.ok);
    assert.equal(outcome.content, 'Echo: hello');
    assert.equal(outcome.finishReason, 'stop');
    const kept = p.parseResultLine(outcome.resultLine ?? '');
    assert.deepEqual(kept && kept.ok ? [kept.customId, kept.content] : kept, ['s1', 'Echo: hello']);
  });

  it('429 is rate_limited with the RetryInfo delay, sent once (the SDK does not retry)', async () => {
    const p = provider();
    emu.setFaults({ endpointFaults: [{ endpoint: 'POST /models/{model}:generateContent', times: 1, status: 429, retryAfter: 2 }] });
    const outcome = await p.callSync(call('s2', 'hello'));
    assert.equal(outcome.ok, false);
    assert.equal(!outcome.ok && outcome.failureClass, 'rate_limited');
    assert.equal(outcome.retryAfterMs, 2000);
    assert.equal(emu.requests().filter((r) => r.route === 'POST /models/{model}:generateContent').length, 1);
    const kept = p.parseResultLine(outcome.resultLine ?? '');
    assert.equal(kept && !kept.ok ? kept.failureClass : undefined, 'rate_limited');
  });

  it('5xx is transient; a 400 is invalid_request; a safety block is content_policy', async () => {
    const p = provider();
    const down = await p.callSync(call('s3', 'x [[fail:server_error]]'));
    assert.equal(!down.ok && down.failureClass, 'transient');
    assert.equal(!down.ok && down.httpStatus, 500);
    const bad = await p.callSync(call('s4', 'x [[fail:invalid_request_error]]'));
    assert.equal(!bad.ok && bad.failureClass, 'invalid_request');
    const unsafe = await p.callSync(call('s5', 'x [[fail:content_policy_violation]]'));
    assert.equal(!unsafe.ok && unsafe.failureClass, 'content_policy');
  });

  it('a wrong key, a 401 and an unknown model throw ProviderAccessError', async () => {
    await assert.rejects(provider('wrong').callSync(call('s6', 'x')), (error: unknown) => error instanceof ProviderAccessError && error.kind === 'auth');
    const p = provider();
    emu.setFaults({ endpointFaults: [{ endpoint: 'POST /models/{model}:generateContent', times: 1, status: 401 }] });
    await assert.rejects(p.callSync(call('s7', 'x')), (error: unknown) => error instanceof ProviderAccessError && error.kind === 'auth');
    await assert.rejects(p.callSync({ ...call('s8', 'x'), model: 'no-such-model' }), (error: unknown) => error instanceof ProviderAccessError && error.kind === 'not_found');
  });

  it('[[fail-once]] fails the batch item, then the same request succeeds as a sync call', async () => {
    const p = provider();
    const { submission, remote } = await runToEnd(p, [requestLine('once', 'x [[fail-once:server_error]]')]);
    const destination = destinationIn('once');
    const { byId } = await outcomesOf(p, destination, await p.fetchResults(remote, submission, destination));
    assert.equal(byId.get('once')?.ok, false);
    const retried = await p.callSync(call('once', 'x [[fail-once:server_error]]'));
    assert.equal(retried.ok, true);
  });

  it('leaves no abort listener on the caller’s signal', async () => {
    const p = provider();
    const controller = new AbortController();
    await p.callSync(call('s9', 'hello'), controller.signal);
    await p.retrieve((await runToEnd(p, [requestLine('a', 'x')])).remote.remoteId, controller.signal);
    assert.equal(getEventListeners(controller.signal, 'abort').length, 0);
  });
});
