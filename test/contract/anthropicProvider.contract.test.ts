// Contract test: the Anthropic adapter (src/providers/anthropic/anthropicProvider.ts) against the
// local emulator through the real `@anthropic-ai/sdk` (docs/PROVIDER_BATCH_APIS.md §3, §6).
import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { createServer, request as httpRequest } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { Anthropic, RateLimitError } from '@anthropic-ai/sdk';
import type { ItemOutcome } from '../../src/core/itemOutcome';
import { CapacityRefusedError, ProviderAccessError, TERMINAL_STATES } from '../../src/providers/batchProvider';
import type { BatchProvider, BatchSubmission, RemoteBatch, SyncOutcome } from '../../src/providers/batchProvider';
import { createAnthropicProvider } from '../../src/providers/anthropic/anthropicProvider';
import { TruncatedDownloadError } from '../../src/providers/downloadToFile';
import { startAnthropicEmulator } from '../emulators/anthropic/server';
import type { RunningAnthropicEmulator } from '../emulators/anthropic/server';

const FAST = { inProgressMs: 60, cancelingMs: 30 };
const MODEL = 'claude-sonnet-4-5';
const KEY = 'sk-ant-test';

type Line = { custom_id: string; params: Record<string, unknown> };
const line = (customId: string, text: string, extra: Record<string, unknown> = {}): Line => ({
  custom_id: customId,
  params: { model: MODEL, max_tokens: 64, messages: [{ role: 'user', content: text }], ...extra },
});
const lines = (n: number, prefix = 'item'): Line[] => Array.from({ length: n }, (_, i) => line(`${prefix}-${i}`, `question ${i}`));

let emu: RunningAnthropicEmulator;
let provider: BatchProvider;
/** Batches that stay in progress for a minute, for tests that must act on a running batch on a busy machine. */
let slow: RunningAnthropicEmulator;
let slowProvider: BatchProvider;
let dir: string;
let seq = 0;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function submissionOf(ls: Line[]): Promise<BatchSubmission> {
  seq++;
  const inputPath = path.join(dir, `input-${seq}.jsonl`);
  await writeFile(inputPath, `${ls.map((l) => JSON.stringify(l)).join('\n')}\n`);
  return { tags: { jobId: 'job-1', batchKey: `job-1.b${seq}` }, inputPath, itemCount: ls.length, model: MODEL, endpoint: '/v1/messages' };
}

async function untilTerminal(remoteId: string, p: BatchProvider = provider): Promise<RemoteBatch> {
  for (let i = 0; i < 200; i++) {
    const remote = await p.retrieve(remoteId);
    if (TERMINAL_STATES.has(remote.state)) return remote;
    await sleep(15);
  }
  throw new Error(`batch ${remoteId} did not end`);
}

/** Runs a submission to the end and returns the remote batch and each item's outcome by id. */
async function runToEnd(ls: Line[]): Promise<{ remote: RemoteBatch; outcomes: Map<string, ItemOutcome>; raw: string }> {
  const submission = await submissionOf(ls);
  const created = await provider.create(submission, await provider.stage(submission));
  const remote = await untilTerminal(created.remoteId);
  const file = path.join(dir, `out-${seq}.jsonl`);
  assert.deepEqual(await provider.fetchResults(remote, submission, () => file), ['output']);
  const raw = await readFile(file, 'utf8');
  const outcomes = new Map<string, ItemOutcome>();
  for (const text of raw.split('\n').filter((l) => l !== '')) {
    const outcome = provider.parseResultLine(text);
    assert.ok(outcome, `every line reads back: ${text}`);
    outcomes.set(outcome.customId, outcome);
  }
  return { remote, outcomes, raw };
}

function outcomeOf(sync: SyncOutcome): ItemOutcome {
  const { resultLine: _line, retryAfterMs: _wait, ...outcome } = sync;
  return outcome;
}

const failureOf = (o: ItemOutcome | undefined): string => (o === undefined ? 'missing' : o.ok ? 'ok' : o.failureClass);

before(async () => {
  emu = await startAnthropicEmulator({ timeScale: FAST, apiKey: KEY });
  provider = createAnthropicProvider({ provider: 'anthropic', apiKey: KEY, baseUrl: emu.url, maxRetries: 0 });
  slow = await startAnthropicEmulator({ timeScale: { inProgressMs: 60_000, cancelingMs: 30 }, apiKey: KEY });
  slowProvider = createAnthropicProvider({ provider: 'anthropic', apiKey: KEY, baseUrl: slow.url, maxRetries: 0 });
  dir = await mkdtemp(path.join(tmpdir(), 'anthropic-provider-'));
});

after(async () => {
  await emu.close();
  await slow.close();
  await rm(dir, { recursive: true, force: true });
});

beforeEach(() => {
  emu.reset();
  slow.reset();
});

describe('access', () => {
  it('verifyAccess passes with a good key', async () => {
    await provider.verifyAccess();
  });

  it('verifyAccess with a wrong key names the refused key', async () => {
    const wrong = createAnthropicProvider({ provider: 'anthropic', apiKey: 'sk-ant-wrong', baseUrl: emu.url, maxRetries: 0 });
    await assert.rejects(wrong.verifyAccess(), /API key was refused by Anthropic.*401/);
  });

  it('verifyAccess against nothing says it cannot reach Anthropic', async () => {
    const gone = await startAnthropicEmulator();
    const url = gone.url;
    await gone.close();
    const p = createAnthropicProvider({ provider: 'anthropic', apiKey: KEY, baseUrl: url, maxRetries: 0 });
    await assert.rejects(p.verifyAccess(), /cannot reach Anthropic/);
  });

  it('no key: a ProviderAccessError before any request, yet result lines still parse', async () => {
    const keyless = createAnthropicProvider({ provider: 'anthropic', baseUrl: emu.url });
    await assert.rejects(keyless.retrieve('msgbatch_x'), ProviderAccessError);
    assert.equal(keyless.parseResultLine(JSON.stringify({ custom_id: 'a', result: { type: 'expired' } }))?.ok, false);
    assert.equal(emu.requests().length, 0);
  });

  it('a refused key on a batch call is a ProviderAccessError, not a retryable error', async () => {
    const wrong = createAnthropicProvider({ provider: 'anthropic', apiKey: 'sk-ant-wrong', baseUrl: emu.url, maxRetries: 0 });
    const error = await wrong.retrieve('msgbatch_x').then(
      () => assert.fail('expected a refusal'),
      (e: unknown) => e,
    );
    assert.ok(error instanceof ProviderAccessError);
    assert.equal(error.kind, 'auth');
  });
});

describe('a batch from create to results', () => {
  it('stage has nothing to stage; create sends the lines inline; the batch runs to completed', async () => {
    const submission = await submissionOf(lines(4));
    assert.equal(await provider.stage(submission), undefined);
    const created = await provider.create(submission, undefined);
    assert.equal(created.state, 'in_progress');
    assert.deepEqual(created.counts, { total: 4, completed: 0, failed: 0 });
    assert.deepEqual(created.resultRefs, []);
    assert.equal(created.tags, undefined);
    assert.deepEqual(emu.batches()[0]?.customIds, ['item-0', 'item-1', 'item-2', 'item-3']);
    const ended = await untilTerminal(created.remoteId);
    assert.equal(ended.state, 'completed');
    assert.deepEqual(ended.counts, { total: 4, completed: 4, failed: 0 });
    assert.deepEqual(ended.resultRefs, [`${emu.url}/v1/messages/batches/${created.remoteId}/results`]);
  });

  it('fetchResults saves the stream as received: every item by id, in the emulator’s (unordered) order', async () => {
    const { remote, outcomes, raw } = await runToEnd(lines(8));
    assert.deepEqual([...outcomes.keys()].sort(), lines(8).map((l) => l.custom_id).sort());
    assert.notDeepEqual([...outcomes.keys()], lines(8).map((l) => l.custom_id), 'unordered, so matching by id matters');
    const direct = await fetch(remote.resultRefs[0] ?? '', { headers: { 'x-api-key': KEY, 'anthropic-version': '2023-06-01' } });
    assert.equal(raw, await direct.text(), 'byte for byte');
    for (const outcome of outcomes.values()) assert.ok(outcome.ok && outcome.content.startsWith('Echo: question'));
  });

  it('parseResultLine reads all four result types from a real run', async () => {
    emu.setFaults({ itemErrors: { 'item-1': { type: 'invalid_request_error', message: 'bad params' } } });
    const { outcomes } = await runToEnd([line('ok', 'fine'), line('item-1', 'x'), line('temp', 'x', { temperature: 0.3 }), line('rate', '[[fail:rate_limit_exceeded]]')]);
    assert.equal(failureOf(outcomes.get('ok')), 'ok');
    assert.equal(failureOf(outcomes.get('item-1')), 'invalid_request');
    assert.equal(failureOf(outcomes.get('temp')), 'invalid_request', '2026-10-21 removed temperature');
    assert.equal(failureOf(outcomes.get('rate')), 'rate_limited');

    emu.setFaults({ expireAfterFraction: 0.5 });
    const expiring = await runToEnd(lines(6, 'exp'));
    assert.equal(expiring.remote.state, 'completed', 'a partial expiry ends as completed; the expired items say so one by one');
    assert.deepEqual(expiring.remote.counts, { total: 6, completed: 3, failed: 3 });
    assert.equal([...expiring.outcomes.values()].filter((o) => failureOf(o) === 'expired').length, 3);
  });

  it('a batch in which every request expired is expired', async () => {
    emu.setFaults({ expireAfterFraction: 0.01 });
    const { remote, outcomes } = await runToEnd(lines(5));
    assert.equal(remote.state, 'expired');
    assert.deepEqual([...outcomes.values()].map(failureOf), ['expired', 'expired', 'expired', 'expired', 'expired']);
  });

  it('prompt caching reaches the usage: the first item writes the prefix, the others read it', async () => {
    emu.setFaults({ ordered: true });
    const system = [{ type: 'text', text: 'Shared instructions. '.repeat(30), cache_control: { type: 'ephemeral' } }];
    const { outcomes } = await runToEnd([line('a', 'one', { system }), line('b', 'two', { system })]);
    const a = outcomes.get('a');
    const b = outcomes.get('b');
    assert.ok(a?.ok && b?.ok);
    assert.ok((a.usage?.cacheWriteTokens ?? 0) > 0);
    assert.equal(a.usage?.cacheReadTokens, 0);
    assert.equal(b.usage?.cacheReadTokens, a.usage?.cacheWriteTokens);
    assert.ok((b.usage?.inputTokens ?? 0) > (b.usage?.cacheReadTokens ?? 0), 'inputTokens includes the cached tokens');
  });

  for (const mode of ['abort', 'short'] as const) {
    it(`a truncated results download (${mode}) is refused, leaves no file, and the retry is whole`, async () => {
      const submission = await submissionOf(lines(6));
      const created = await provider.create(submission, undefined);
      const remote = await untilTerminal(created.remoteId);
      const sub = await mkdtemp(path.join(dir, 'trunc-'));
      const file = path.join(sub, 'out.jsonl');
      emu.setFaults({ truncateDownload: mode });
      await assert.rejects(provider.fetchResults(remote, submission, () => file), TruncatedDownloadError);
      assert.equal(existsSync(file), false);
      assert.deepEqual(await readdir(sub), [], 'no temp file left either');
      await provider.fetchResults(remote, submission, () => file);
      assert.equal((await readFile(file, 'utf8')).trim().split('\n').length, 6);
    });
  }

  it('fetchResults of a batch still running says it has no results yet', async () => {
    const submission = await submissionOf(lines(2));
    const created = await slowProvider.create(submission, undefined);
    await assert.rejects(slowProvider.fetchResults(created, submission, () => path.join(dir, 'never.jsonl')), /no results yet/);
  });
});

describe('cancel and list', () => {
  it('cancel: cancelling, then cancelled with the unprocessed items cancelled', async () => {
    const submission = await submissionOf(lines(6));
    const created = await slowProvider.create(submission, undefined);
    const cancelling = await slowProvider.cancel(created.remoteId);
    assert.equal(cancelling.state, 'cancelling');
    const ended = await untilTerminal(created.remoteId, slowProvider);
    assert.equal(ended.state, 'cancelled');
    const file = path.join(dir, `cancel-${seq}.jsonl`);
    await slowProvider.fetchResults(ended, submission, () => file);
    const classes = (await readFile(file, 'utf8')).trim().split('\n').map((l) => failureOf(slowProvider.parseResultLine(l)));
    assert.equal(classes.length, 6);
    assert.ok(classes.includes('cancelled'));
    assert.ok(classes.every((c) => c === 'cancelled' || c === 'ok'));
  });

  it('cancel of a batch that already ended returns its ended state instead of failing', async () => {
    const submission = await submissionOf(lines(1));
    const created = await provider.create(submission, undefined);
    await untilTerminal(created.remoteId);
    assert.equal((await provider.cancel(created.remoteId)).state, 'completed');
  });

  it('list: every batch newest first, across pages, with no tags', async () => {
    const made: string[] = [];
    for (let i = 0; i < 3; i++) made.push((await provider.create(await submissionOf(lines(1, `l${i}`)), undefined)).remoteId);
    const listed: RemoteBatch[] = [];
    for await (const remote of provider.list()) listed.push(remote);
    assert.deepEqual(listed.map((r) => r.remoteId), made.slice().reverse());
    assert.ok(listed.every((r) => r.tags === undefined));
  });

  it('readInput: Anthropic keeps no requests, so import is refused with the reason', async () => {
    const created = await provider.create(await submissionOf(lines(1)), undefined);
    await assert.rejects(provider.readInput(created, path.join(dir, 'in.jsonl')), /Anthropic does not keep a batch's requests, so it cannot be imported/);
  });
});

/** A proxy in front of the emulator that loses the answer to the next create in the chosen way. */
async function lossyProxy(upstream: string, mode: 'drop' | '500'): Promise<{ url: string; close(): Promise<void> }> {
  let armed = true;
  const target = new URL(upstream);
  const server: Server = createServer((req, res) => {
    const isCreate = req.method === 'POST' && req.url === '/v1/messages/batches';
    const forward = httpRequest({ host: target.hostname, port: target.port, path: req.url, method: req.method, headers: req.headers }, (up) => {
      if (isCreate && armed) {
        armed = false;
        up.resume();
        // The batch was made upstream; the client never hears of it.
        up.on('end', () => (mode === 'drop' ? res.socket?.destroy() : res.writeHead(500, { 'content-type': 'application/json' }).end('{"type":"error","error":{"type":"api_error","message":"lost"}}')));
        return;
      }
      res.writeHead(up.statusCode ?? 500, up.headers);
      up.pipe(res);
    });
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

describe('a create whose answer is lost is found, never sent twice', () => {
  for (const mode of ['drop', '500'] as const) {
    it(`answer lost (${mode === 'drop' ? 'connection closed' : 'a 500 after the batch was made'}): create returns the batch it made`, async () => {
      const proxy = await lossyProxy(emu.url, mode);
      try {
        // SDK retries on: the adapter must still never resend a create.
        const p = createAnthropicProvider({ provider: 'anthropic', apiKey: KEY, baseUrl: proxy.url, maxRetries: 2 });
        const created = await p.create(await submissionOf(lines(3)), undefined);
        assert.equal(emu.createCalls(), 1);
        assert.deepEqual(emu.batches().map((b) => b.id), [created.remoteId]);
      } finally {
        await proxy.close();
      }
    });
  }

  it('a lookalike that existed before the create (a sibling chunk of the same size, still running) is not mistaken for it', async () => {
    // Slow batches: both stay in progress, so their results cannot tell them apart.
    const slow = await startAnthropicEmulator({ timeScale: { inProgressMs: 60_000, cancelingMs: 30 } });
    const proxy = await lossyProxy(slow.url, 'drop');
    try {
      const direct = createAnthropicProvider({ provider: 'anthropic', apiKey: KEY, baseUrl: slow.url, maxRetries: 0 });
      const sibling = await direct.create(await submissionOf(lines(3, 'sib')), undefined);
      const p = createAnthropicProvider({ provider: 'anthropic', apiKey: KEY, baseUrl: proxy.url, maxRetries: 0 });
      const created = await p.create(await submissionOf(lines(3)), undefined);
      assert.notEqual(created.remoteId, sibling.remoteId);
      assert.deepEqual(slow.batches().map((b) => b.id), [sibling.remoteId, created.remoteId]);
      assert.equal(created.state, 'in_progress');
    } finally {
      await proxy.close();
      await slow.close();
    }
  });

  it('a 500 that made nothing: the error, after looking, and still one create call', async () => {
    emu.setFaults({ endpointFaults: [{ endpoint: 'POST /v1/messages/batches', times: 1, status: 500 }] });
    const p = createAnthropicProvider({ provider: 'anthropic', apiKey: KEY, baseUrl: emu.url, maxRetries: 2 });
    await assert.rejects(p.create(await submissionOf(lines(2)), undefined), /500/);
    assert.equal(emu.createCalls(), 1);
    assert.equal(emu.batches().length, 0);
  });
});

describe('findCreated after a crash (no tags: time and size, then ids)', () => {
  it('found: the one batch of that size made since the attempt', async () => {
    const since = Date.now();
    const submission = await submissionOf(lines(3));
    const created = await provider.create(submission, undefined);
    const found = await provider.findCreated(submission, undefined, since);
    assert.equal(found.kind, 'found');
    assert.equal(found.kind === 'found' ? found.remote.remoteId : '', created.remoteId);
    assert.equal(found.kind === 'found' ? found.remote.tags : 'x', undefined);
  });

  it('none: nothing made, or only batches of another size', async () => {
    const since = Date.now();
    const submission = await submissionOf(lines(3));
    assert.deepEqual(await provider.findCreated(submission, undefined, since), { kind: 'none' });
    await provider.create(await submissionOf(lines(2)), undefined);
    assert.deepEqual(await provider.findCreated(submission, undefined, since), { kind: 'none' });
  });

  it('none: a batch made well before the attempt (beyond the 60 s skew) is not it', async () => {
    const submission = await submissionOf(lines(3));
    await provider.create(submission, undefined);
    assert.deepEqual(await provider.findCreated(submission, undefined, Date.now() + 61_000), { kind: 'none' });
  });

  it('ambiguous: two running batches of the same size, never a guess', async () => {
    const since = Date.now();
    const submission = await submissionOf(lines(3));
    const a = await slowProvider.create(submission, undefined);
    const b = await slowProvider.create(await submissionOf(lines(3, 'other')), undefined);
    const found = await slowProvider.findCreated(submission, undefined, since);
    assert.equal(found.kind, 'ambiguous');
    assert.deepEqual(found.kind === 'ambiguous' ? [...found.candidates].sort() : [], [a.remoteId, b.remoteId].sort());
  });

  it('sharpened: once ended, the batch whose results carry the input’s ids is the one', async () => {
    const since = Date.now();
    const submission = await submissionOf(lines(3));
    const mine = await provider.create(submission, undefined);
    const other = await provider.create(await submissionOf(lines(3, 'other')), undefined);
    await untilTerminal(mine.remoteId);
    await untilTerminal(other.remoteId);
    const found = await provider.findCreated(submission, undefined, since);
    assert.equal(found.kind === 'found' ? found.remote.remoteId : found.kind, mine.remoteId);
  });
});

describe('sync calls', () => {
  it('an answer comes back as a result line that reads back to the same outcome', async () => {
    const l = line('s1', 'Hello sync');
    const sync = await provider.callSync({ line: l, customId: 's1', model: MODEL, endpoint: '/v1/messages' });
    assert.equal(sync.ok, true);
    assert.equal(sync.ok ? sync.content : '', 'Echo: Hello sync');
    assert.ok(sync.resultLine);
    assert.deepEqual(provider.parseResultLine(sync.resultLine), outcomeOf(sync));
  });

  it('the model comes from the call when the line has none', async () => {
    const l = { custom_id: 's1', params: { max_tokens: 5, messages: [{ role: 'user', content: 'x' }] } };
    const sync = await provider.callSync({ line: l, customId: 's1', model: MODEL, endpoint: '/v1/messages' });
    assert.equal(sync.ok, true);
  });

  it('a 429 is sent once (no SDK retries, even with maxRetries 2): rate_limited with the provider’s retry-after', async () => {
    const p = createAnthropicProvider({ provider: 'anthropic', apiKey: KEY, baseUrl: emu.url, maxRetries: 2 });
    emu.setFaults({ endpointFaults: [{ endpoint: 'POST /v1/messages', times: 1, status: 429, retryAfter: 7, retryAfterMs: null }] });
    const sync = await p.callSync({ line: line('s', 'x'), customId: 's', model: MODEL, endpoint: '/v1/messages' });
    assert.equal(failureOf(sync), 'rate_limited');
    assert.equal(sync.retryAfterMs, 7000);
    assert.equal(sync.ok ? 0 : sync.httpStatus, 429);
    assert.equal(emu.requests().filter((e) => e.path === '/v1/messages').length, 1);
    assert.ok(sync.resultLine);
    assert.deepEqual(p.parseResultLine(sync.resultLine), outcomeOf(sync));
  });

  it('a 5xx and a 529 are transient', async () => {
    for (const status of [500, 529] as const) {
      emu.setFaults({ endpointFaults: [{ endpoint: 'POST /v1/messages', times: 1, status }] });
      const sync = await provider.callSync({ line: line('s', 'x'), customId: 's', model: MODEL, endpoint: '/v1/messages' });
      assert.equal(failureOf(sync), 'transient', String(status));
      assert.equal(sync.retryAfterMs, 1);
    }
  });

  it('a 400 (temperature under 2026-10-21) is invalid_request', async () => {
    const sync = await provider.callSync({ line: line('s', 'x', { temperature: 1 }), customId: 's', model: MODEL, endpoint: '/v1/messages' });
    assert.equal(failureOf(sync), 'invalid_request');
    assert.equal(sync.ok ? '' : sync.code, 'invalid_request_error');
  });

  it('a refusal (stop_reason "refusal") is content_policy', async () => {
    const sync = await provider.callSync({ line: line('s', '[[fail:content_policy_violation]]'), customId: 's', model: MODEL, endpoint: '/v1/messages' });
    assert.equal(failureOf(sync), 'content_policy');
  });

  it('401, 403 and a 404 model are ProviderAccessErrors, never an item failure', async () => {
    const wrong = createAnthropicProvider({ provider: 'anthropic', apiKey: 'sk-ant-wrong', baseUrl: emu.url, maxRetries: 0 });
    const call = (text: string): Parameters<BatchProvider['callSync']>[0] => ({ line: line('s', text), customId: 's', model: MODEL, endpoint: '/v1/messages' });
    await assert.rejects(wrong.callSync(call('x')), (e: unknown) => e instanceof ProviderAccessError && e.kind === 'auth' && e.status === 401);
    await assert.rejects(provider.callSync(call('[[fail:permission_error]]')), (e: unknown) => e instanceof ProviderAccessError && e.kind === 'permission');
    await assert.rejects(provider.callSync(call('[[fail:not_found_error]]')), (e: unknown) => e instanceof ProviderAccessError && e.kind === 'not_found');
  });

  it('a streaming body is refused without a request', async () => {
    const sync = await provider.callSync({ line: line('s', 'x', { stream: true }), customId: 's', model: MODEL, endpoint: '/v1/messages' });
    assert.equal(failureOf(sync), 'invalid_request');
    assert.equal(emu.requests().length, 0);
  });

  it('a connection error is transient, with no result line', async () => {
    const gone = await startAnthropicEmulator();
    const url = gone.url;
    await gone.close();
    const p = createAnthropicProvider({ provider: 'anthropic', apiKey: KEY, baseUrl: url, maxRetries: 0 });
    const sync = await p.callSync({ line: line('s', 'x'), customId: 's', model: MODEL, endpoint: '/v1/messages' });
    assert.equal(failureOf(sync), 'transient');
    assert.equal(sync.resultLine, undefined);
  });
});

describe('capacity refusal (spec §3.5: the processing queue is full)', () => {
  it('a 429 on create is a refusal that made nothing: thrown as is, not a CapacityRefusedError, not looked for, not resent', async () => {
    emu.setFaults({ capacityRefusals: 1 });
    const error = await provider.create(await submissionOf(lines(2)), undefined).then(
      () => assert.fail('expected a refusal'),
      (e: unknown) => e,
    );
    assert.ok(error instanceof RateLimitError);
    assert.ok(!(error instanceof CapacityRefusedError));
    assert.equal(emu.createCalls(), 1);
    assert.equal(emu.batches().length, 0);
    const after = emu.requests().slice(emu.requests().findIndex((e) => e.method === 'POST') + 1);
    assert.deepEqual(after, [], 'no lookup after a refusal');
  });
});

describe('signals', () => {
  it('leaves no listener behind on a long-lived signal, call after call (a watch, the extension session)', async () => {
    const controller = new AbortController();
    const created = await provider.create(await submissionOf(lines(1)), undefined, controller.signal);
    for (let i = 0; i < 5; i++) await provider.retrieve(created.remoteId, controller.signal);
    await provider.callSync({ line: line('s', 'x'), customId: 's', model: MODEL, endpoint: '/v1/messages' }, controller.signal);
    const listed: string[] = [];
    for await (const remote of provider.list(controller.signal)) listed.push(remote.remoteId);
    assert.deepEqual(listed, [created.remoteId]);
    assert.equal(getEventListeners(controller.signal, 'abort').length, 0);
  });

  it('an aborted signal rejects a call instead of producing an outcome', async () => {
    const controller = new AbortController();
    controller.abort();
    await assert.rejects(provider.callSync({ line: line('s', 'x'), customId: 's', model: MODEL, endpoint: '/v1/messages' }, controller.signal));
    await assert.rejects(provider.retrieve('msgbatch_x', controller.signal));
  });
});

describe('a raw SDK check the adapter relies on', () => {
  it('the SDK sends the same auth to an absolute results_url', async () => {
    const c = new Anthropic({ apiKey: KEY, baseURL: emu.url, maxRetries: 0 });
    const created = await provider.create(await submissionOf(lines(1)), undefined);
    await untilTerminal(created.remoteId);
    for await (const r of await c.messages.batches.results(created.remoteId)) assert.equal(r.custom_id, 'item-0');
  });
});
