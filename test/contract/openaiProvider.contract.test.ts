// Contract test: the OpenAI / Azure OpenAI adapter (src/providers/openai/openaiProvider.ts) against the
// local emulator, through the real `openai` SDK, in all three URL styles: OpenAI, Azure dated
// api-version and Azure v1 (spec §1, §2, §6).
import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { APIConnectionError, APIUserAbortError, InternalServerError, OpenAI } from 'openai';
import type { ItemOutcome } from '../../src/core/itemOutcome';
import { ProviderAccessError, TERMINAL_STATES } from '../../src/providers/batchProvider';
import type { BatchProvider, BatchSubmission, BatchTags, RemoteBatch, ResultKind, SyncOutcome } from '../../src/providers/batchProvider';
import { TruncatedDownloadError, downloadToFile } from '../../src/providers/downloadToFile';
import { tagMetadata } from '../../src/providers/openai/openaiMapping';
import type { OpenAiRemoteBatch } from '../../src/providers/openai/openaiMapping';
import { createOpenAiProvider } from '../../src/providers/openai/openaiProvider';
import { startOpenAiEmulator } from '../emulators/openai/server';
import type { RunningEmulator } from '../emulators/openai/server';

const FAST = { validatingMs: 20, inProgressMs: 50, finalizingMs: 20 };
const MODEL = 'gpt-4o-mini';

interface Line {
  custom_id: string;
  method: 'POST';
  url: string;
  body: Record<string, unknown>;
}

const chatLine = (customId: string, text: string, url = '/v1/chat/completions'): Line => ({
  custom_id: customId,
  method: 'POST',
  url,
  body: { model: MODEL, messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: text }] },
});

/** A sync outcome without what only the engine needs (the answer's result line, the provider's retry-after). */
function outcomeOf(sync: SyncOutcome): ItemOutcome {
  const { resultLine: _line, retryAfterMs: _wait, ...outcome } = sync;
  return outcome;
}

let emu: RunningEmulator;
let dir: string;
let fileSeq = 0;

before(async () => {
  emu = await startOpenAiEmulator({ timeScale: FAST });
  dir = await mkdtemp(path.join(tmpdir(), 'openai-provider-'));
});

after(async () => {
  await emu.close();
  await rm(dir, { recursive: true, force: true });
});

beforeEach(() => {
  emu.reset();
});

const openaiProvider = (maxRetries = 0, baseUrl = emu.openaiBaseUrl): BatchProvider => createOpenAiProvider({ provider: 'openai', apiKey: 'test', baseUrl, maxRetries });

async function writeInput(lines: readonly (Line | string)[]): Promise<string> {
  const file = path.join(dir, `input-${++fileSeq}.jsonl`);
  await writeFile(file, lines.map((l) => (typeof l === 'string' ? l : JSON.stringify(l))).join('\n') + '\n');
  return file;
}

async function waitTerminal(provider: BatchProvider, remoteId: string): Promise<RemoteBatch> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const batch = await provider.retrieve(remoteId);
    if (TERMINAL_STATES.has(batch.state)) return batch;
    if (Date.now() > deadline) throw new Error(`batch ${remoteId} still ${batch.state}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** The submission each batch was created from, by remote id: `fetchResults` is handed it, as the engine does. */
const submissions = new Map<string, BatchSubmission>();

/** Tags no other batch of this run has, unless a test names its own. */
const freshTags = (): BatchTags => ({ jobId: 'job-contract', batchKey: `job-contract.s0.b${++fileSeq}` });

async function submissionOf(lines: readonly (Line | string)[], endpoint = '/v1/chat/completions', tags: BatchTags = freshTags()): Promise<BatchSubmission> {
  return { tags, inputPath: await writeInput(lines), itemCount: lines.length, model: MODEL, endpoint };
}

async function submit(provider: BatchProvider, lines: readonly (Line | string)[], endpoint = '/v1/chat/completions', tags: BatchTags = freshTags()): Promise<RemoteBatch> {
  const submission = await submissionOf(lines, endpoint, tags);
  const remote = await provider.create(submission, await provider.stage(submission));
  submissions.set(remote.remoteId, submission);
  return remote;
}

/** The adapter's own view of a batch: which of its two result files it has. */
const filesOf = (remote: RemoteBatch): Pick<OpenAiRemoteBatch, 'outputFileId' | 'errorFileId'> => remote as OpenAiRemoteBatch;

/** fetchResults into fresh files: the kinds written, and where each went. */
async function fetchInto(provider: BatchProvider, remote: RemoteBatch, signal?: AbortSignal): Promise<{ kinds: ResultKind[]; pathOf: (kind: ResultKind) => string }> {
  const submission = submissions.get(remote.remoteId);
  assert.ok(submission, `batch ${remote.remoteId} was submitted by this test`);
  const stem = path.join(dir, `result-${++fileSeq}`);
  const pathOf = (kind: ResultKind): string => `${stem}-${kind}.jsonl`;
  const kinds = await provider.fetchResults(remote, submission, pathOf, signal);
  return { kinds, pathOf };
}

/** Fetches a batch's results and parses every line; every non-empty line must be a result. */
async function outcomesOf(provider: BatchProvider, remote: RemoteBatch): Promise<ItemOutcome[]> {
  const { kinds, pathOf } = await fetchInto(provider, remote);
  const outcomes: ItemOutcome[] = [];
  for (const kind of kinds) {
    for (const l of (await readFile(pathOf(kind), 'utf8')).split('\n').filter((x) => x !== '')) {
      const outcome = provider.parseResultLine(l);
      assert.ok(outcome, `unparseable ${kind} line: ${l.slice(0, 80)}`);
      outcomes.push(outcome);
    }
  }
  return outcomes;
}

async function allOutcomes(provider: BatchProvider, batch: RemoteBatch): Promise<Map<string, ItemOutcome>> {
  const outcomes = await outcomesOf(provider, batch);
  const byId = new Map(outcomes.map((o) => [o.customId, o]));
  assert.equal(byId.size, outcomes.length, 'each custom_id appears once across both files');
  return byId;
}

/** One item through callSync, as the engine calls it: the item's batch line, parsed. */
function syncOf(provider: BatchProvider, line: Line, signal?: AbortSignal): Promise<SyncOutcome> {
  return provider.callSync({ line: { ...line }, customId: line.custom_id, model: MODEL, endpoint: line.url }, signal);
}

const bodyLine = (customId: string, url: string, body: Record<string, unknown>): Line => ({ custom_id: customId, method: 'POST', url, body });

function expectOk(outcome: ItemOutcome | undefined, content?: string): void {
  assert.ok(outcome?.ok, `expected success, got ${JSON.stringify(outcome)}`);
  if (content !== undefined) assert.equal(outcome.content, content);
}

function expectFail(outcome: ItemOutcome | undefined, failureClass: string, code?: string, httpStatus?: number): void {
  assert.ok(outcome && !outcome.ok, `expected failure, got ${JSON.stringify(outcome)}`);
  assert.equal(outcome.failureClass, failureClass);
  if (code !== undefined) assert.equal(outcome.code, code);
  if (httpStatus !== undefined) assert.equal(outcome.httpStatus, httpStatus);
  assert.ok(outcome.message.length > 0);
}

interface ProxiedRequest {
  method: string;
  path: string;
  body: string;
}

/**
 * A pass-through proxy in front of the emulator that records request bodies (the emulator logs
 * only paths) and can drop the answer to POST /batches after forwarding it: the batch exists,
 * but the client sees a connection error.
 */
async function startProxy(options: { dropBatchCreate: boolean }): Promise<{ baseUrl: string; seen: ProxiedRequest[]; close: () => Promise<void> }> {
  const seen: ProxiedRequest[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const method = req.method ?? 'GET';
      const url = req.url ?? '/';
      const body = Buffer.concat(chunks);
      seen.push({ method, path: url.split('?')[0] ?? url, body: body.toString('utf8') });
      const headers: Record<string, string> = {};
      for (const name of ['authorization', 'content-type']) {
        const v = req.headers[name];
        if (typeof v === 'string') headers[name] = v;
      }
      fetch(`${emu.url}${url}`, { method, headers, ...(method === 'GET' ? {} : { body }) })
        .then(async (upstream) => {
          const text = await upstream.text();
          if (options.dropBatchCreate && method === 'POST' && url.endsWith('/batches')) {
            req.socket.destroy();
            return;
          }
          res.writeHead(upstream.status, { 'content-type': upstream.headers.get('content-type') ?? 'application/json' });
          res.end(text);
        })
        .catch(() => req.socket.destroy());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

const leftovers = async (): Promise<string[]> => (await readdir(dir)).filter((f) => f.startsWith('.'));

interface Style {
  name: string;
  make: () => BatchProvider;
  endpoint: string;
  batchesPath: string;
  /** Where a sync chat call must land: Azure's dated style routes it by `body.model`. */
  syncChatPath: string;
}

const STYLES: Style[] = [
  { name: 'OpenAI', make: () => openaiProvider(), endpoint: '/v1/chat/completions', batchesPath: '/v1/batches', syncChatPath: '/v1/chat/completions' },
  {
    name: 'Azure dated api-version',
    make: () => createOpenAiProvider({ provider: 'azure', apiKey: 'azure-key', endpoint: emu.azureEndpoint, apiVersion: '2024-10-21', maxRetries: 0 }),
    endpoint: '/chat/completions',
    batchesPath: '/openai/batches',
    syncChatPath: `/openai/deployments/${MODEL}/chat/completions`,
  },
  {
    name: 'Azure v1',
    make: () => createOpenAiProvider({ provider: 'azure', apiKey: 'azure-key', endpoint: `${emu.azureEndpoint}/`, maxRetries: 0 }),
    endpoint: '/v1/chat/completions',
    batchesPath: '/openai/v1/batches',
    syncChatPath: '/openai/v1/chat/completions',
  },
];

const MARKER_ITEMS: [string, string][] = [
  ['ok-1', 'What is 1 + 1?'],
  ['ok-2', 'Name a colour.'],
  ['empty', 'Say nothing [[empty]]'],
  ['ctx', 'Very long [[fail:context_length_exceeded]]'],
  ['srv', 'Unlucky [[fail:server_error]]'],
  ['rl', 'Busy [[fail:rate_limit_exceeded]]'],
  ['cp', 'Forbidden [[fail:content_policy_violation]]'],
  ['once', 'Flaky [[fail-once:server_error]]'],
];

for (const style of STYLES) {
  describe(`${style.name} style`, () => {
    it('stage → create with tags → poll → list by tags → fetch both files → every line matched by custom_id', async () => {
      const provider = style.make();
      const lines = MARKER_ITEMS.map(([id, text]) => chatLine(id, text, style.endpoint));
      const tags = { jobId: `job-${style.name}`, batchKey: `job-${style.name}.s0.b3` };
      const created = await submit(provider, lines, style.endpoint, tags);
      assert.equal(created.state, 'validating');
      assert.deepEqual(created.tags, tags);
      assert.deepEqual(emu.batches()[0]?.metadata, tagMetadata(tags), 'the tags travel as the batch metadata');
      assert.equal(created.inputRef, emu.batches()[0]?.inputFileId);
      assert.ok(Math.abs(created.createdAt - Date.now()) < 5000, 'createdAt is epoch ms');
      assert.equal(created.expiresAt, created.createdAt + 86_400_000);

      const done = await waitTerminal(provider, created.remoteId);
      assert.equal(done.state, 'completed');
      assert.deepEqual(done.counts, { total: 8, completed: 3, failed: 5 });
      const { outputFileId, errorFileId } = filesOf(done);
      assert.ok(outputFileId);
      assert.ok(errorFileId);
      assert.deepEqual(done.resultRefs, [outputFileId, errorFileId]);

      const found: RemoteBatch[] = [];
      for await (const b of provider.list()) if (b.tags?.batchKey === tags.batchKey) found.push(b);
      assert.deepEqual(
        found.map((b) => [b.remoteId, b.state]),
        [[created.remoteId, 'completed']],
      );

      const outcomes = await allOutcomes(provider, done);
      assert.deepEqual([...outcomes.keys()].sort(), lines.map((l) => l.custom_id).sort());
      expectOk(outcomes.get('ok-1'), 'Echo: What is 1 + 1?');
      expectOk(outcomes.get('ok-2'), 'Echo: Name a colour.');
      expectOk(outcomes.get('empty'), '');
      expectFail(outcomes.get('ctx'), 'invalid_request', 'context_length_exceeded', 400);
      expectFail(outcomes.get('srv'), 'transient', 'server_error', 500);
      expectFail(outcomes.get('rl'), 'rate_limited', 'rate_limit_exceeded', 429);
      expectFail(outcomes.get('cp'), 'content_policy', 'content_policy_violation', 400);
      expectFail(outcomes.get('once'), 'transient', 'server_error', 500);
      const usage = outcomes.get('ok-1')?.usage;
      assert.ok(usage && usage.inputTokens > 0 && usage.outputTokens > 0);

      const requests = emu.requests();
      assert.ok(requests.some((r) => r.method === 'POST' && r.path === style.batchesPath), `POST ${style.batchesPath}`);
      // Spec §2.1 trap: the batch client must never be deployment-scoped.
      assert.ok(!requests.some((r) => r.path.includes('/deployments/') && r.path.endsWith('/batches')));
    });

    it('callSync re-issues each item body: markers classify like the batch, fail-once now succeeds', async () => {
      const provider = style.make();
      const byId = new Map(MARKER_ITEMS.map(([id, text]) => [id, chatLine(id, text, style.endpoint)]));
      const call = (id: string): Promise<ItemOutcome> => {
        const line = byId.get(id);
        assert.ok(line);
        return syncOf(provider, line);
      };
      // The first attempt of the fail-once body is used up here, as a batch would have.
      expectFail(await call('once'), 'transient', 'server_error', 500);
      expectOk(await call('once'), 'Echo: Flaky [[fail-once:server_error]]');
      expectOk(await call('ok-1'), 'Echo: What is 1 + 1?');
      expectOk(await call('empty'), '');
      expectFail(await call('ctx'), 'invalid_request', 'context_length_exceeded', 400);
      expectFail(await call('srv'), 'transient', 'server_error', 500);
      expectFail(await call('rl'), 'rate_limited', 'rate_limit_exceeded', 429);
      expectFail(await call('cp'), 'content_policy', 'content_policy_violation', 400);
      const ctx = await call('ctx');
      assert.ok(!ctx.ok && ctx.message.startsWith("This model's maximum context length"), 'message comes from body.error, without the SDK status prefix');
      assert.ok(
        emu.requests().every((r) => r.method === 'POST' && r.path === style.syncChatPath),
        `every sync call went to ${style.syncChatPath}: ${JSON.stringify(emu.requests().map((r) => r.path))}`,
      );
    });
  });
}

describe('batch outcomes', () => {
  it('[[fail-once:server_error]] fails in the batch, then succeeds through callSync', async () => {
    const provider = openaiProvider();
    const line = chatLine('flaky', 'Try again [[fail-once:server_error]]');
    const done = await waitTerminal(provider, (await submit(provider, [line])).remoteId);
    expectFail((await allOutcomes(provider, done)).get('flaky'), 'transient', 'server_error', 500);
    expectOk(await syncOf(provider, line), 'Echo: Try again [[fail-once:server_error]]');
  });

  it('runs /v1/responses and /v1/embeddings batches; sync answers equal the batch answers', async () => {
    const provider = openaiProvider();
    const respLines: Line[] = [
      { custom_id: 'r1', method: 'POST', url: '/v1/responses', body: { model: MODEL, input: 'Hello responses' } },
      { custom_id: 'r2', method: 'POST', url: '/v1/responses', body: { model: MODEL, input: [{ role: 'user', content: 'Too long [[fail:context_length_exceeded]]' }] } },
    ];
    const embLines: Line[] = [{ custom_id: 'e1', method: 'POST', url: '/v1/embeddings', body: { model: 'text-embedding-3-small', input: ['alpha', 'beta'] } }];
    const [respBatch, embBatch] = await Promise.all([submit(provider, respLines, '/v1/responses'), submit(provider, embLines, '/v1/embeddings')]);
    const resp = await allOutcomes(provider, await waitTerminal(provider, respBatch.remoteId));
    const emb = await allOutcomes(provider, await waitTerminal(provider, embBatch.remoteId));

    expectOk(resp.get('r1'), 'Echo: Hello responses');
    expectFail(resp.get('r2'), 'invalid_request', 'context_length_exceeded', 400);
    const e1 = emb.get('e1');
    assert.ok(e1?.ok);
    const data = JSON.parse(e1.content) as { index: number; embedding: number[] }[];
    assert.equal(data[0]?.index, 0);
    assert.equal(data[0]?.embedding.length, 8);
    assert.equal(e1.usage?.outputTokens, 0);

    const [r1, e1Line] = [respLines[0], embLines[0]];
    assert.ok(r1 && e1Line);
    const proxy = await startProxy({ dropBatchCreate: false });
    try {
      const viaProxy = openaiProvider(0, proxy.baseUrl);
      assert.deepEqual(outcomeOf(await syncOf(viaProxy, r1)), resp.get('r1'));
      assert.deepEqual(outcomeOf(await syncOf(viaProxy, e1Line)), e1);
      // Spec §1.7: the sync call sends the line's body unchanged (the SDK's embeddings.create
      // would add encoding_format: base64 and hand back float32-rounded vectors).
      assert.deepEqual(
        proxy.seen.map((r) => [r.path, JSON.parse(r.body) as unknown]),
        [
          ['/v1/responses', r1.body],
          ['/v1/embeddings', e1Line.body],
        ],
      );
    } finally {
      await proxy.close();
    }
  });

  it('cancel while validating: cancelling → cancelled, every item batch_cancelled → cancelled', async () => {
    const provider = openaiProvider();
    const created = await submit(provider, Array.from({ length: 5 }, (_, i) => chatLine(`c${i}`, `item ${i}`)));
    const cancelling = await provider.cancel(created.remoteId);
    assert.equal(cancelling.state, 'cancelling');
    const done = await waitTerminal(provider, created.remoteId);
    assert.equal(done.state, 'cancelled');
    assert.equal(filesOf(done).outputFileId, undefined);
    const outcomes = await allOutcomes(provider, done);
    assert.equal(outcomes.size, 5);
    for (const o of outcomes.values()) expectFail(o, 'cancelled', 'batch_cancelled');
  });

  it('cancel of a batch that already finished returns its finished state instead of failing', async () => {
    const provider = openaiProvider();
    const done = await waitTerminal(provider, (await submit(provider, [chatLine('a', 'x')])).remoteId);
    const afterCancel = await provider.cancel(done.remoteId);
    assert.equal(afterCancel.state, 'completed');
    assert.ok(filesOf(done).outputFileId);
    assert.equal(filesOf(afterCancel).outputFileId, filesOf(done).outputFileId);
    assert.deepEqual(afterCancel.resultRefs, done.resultRefs);
  });

  it('a validation failure surfaces errors with their line numbers', async () => {
    const provider = openaiProvider();
    const created = await submit(provider, [chatLine('a', 'x'), '{"custom_id": broken', chatLine('a', 'dup')]);
    const done = await waitTerminal(provider, created.remoteId);
    assert.equal(done.state, 'failed');
    assert.deepEqual(
      done.errors.map((e) => [e.code, e.line]),
      [
        ['invalid_json_line', 2],
        ['duplicate_custom_id', 3],
      ],
    );
    assert.ok(done.errors.every((e) => e.message.length > 0));
    assert.deepEqual(done.resultRefs, []);

    emu.setFaults({ failValidation: true });
    const forced = await waitTerminal(provider, (await submit(provider, [chatLine('b', 'y')])).remoteId);
    assert.equal(forced.state, 'failed');
    assert.deepEqual(
      forced.errors.map((e) => [e.code, e.line]),
      [['invalid_request', 1]],
    );
  });

  it('expiry: finished items in the output, the rest batch_expired → expired', async () => {
    const provider = openaiProvider();
    emu.setFaults({ expireAfterFraction: 0.5 });
    const done = await waitTerminal(provider, (await submit(provider, Array.from({ length: 10 }, (_, i) => chatLine(`x${i}`, `item ${i}`)))).remoteId);
    assert.equal(done.state, 'expired');
    const outcomes = [...(await allOutcomes(provider, done)).values()];
    assert.equal(outcomes.length, 10);
    assert.equal(outcomes.filter((o) => o.ok).length, 5);
    for (const o of outcomes.filter((x) => !x.ok)) expectFail(o, 'expired', 'batch_expired');
  });

  it('completed with no output file: every item in the error file, transient', async () => {
    const provider = openaiProvider();
    emu.setFaults({ completedWithNullOutput: true });
    const done = await waitTerminal(provider, (await submit(provider, [chatLine('a', 'x'), chatLine('b', 'y')])).remoteId);
    assert.equal(done.state, 'completed');
    assert.equal(filesOf(done).outputFileId, undefined);
    assert.ok(filesOf(done).errorFileId);
    const outcomes = await allOutcomes(provider, done);
    assert.equal(outcomes.size, 2);
    for (const o of outcomes.values()) expectFail(o, 'transient', 'server_error', 500);
  });

  it('azureVariants: capitalised statuses, ISO times, "" file ids and null counts parse', async () => {
    const provider = STYLES[1]?.make();
    assert.ok(provider);
    emu.setFaults({ azureVariants: true });
    const tags = { jobId: 'job-variants', batchKey: 'job-variants.s0.b0' };
    const created = await submit(provider, [chatLine('a', 'x', '/chat/completions')], '/chat/completions', tags);
    assert.equal(created.rawStatus, 'Validating');
    assert.equal(created.state, 'validating');
    assert.deepEqual(created.resultRefs, []);
    assert.deepEqual(created.counts, { total: 0, completed: 0, failed: 0 });
    assert.ok(Math.abs(created.createdAt - Date.now()) < 5000);
    assert.equal(created.expiresAt, created.createdAt + 86_400_000);
    const done = await waitTerminal(provider, created.remoteId);
    assert.equal(done.rawStatus, 'Completed');
    assert.deepEqual(done.counts, { total: 1, completed: 1, failed: 0 });
    const listed: RemoteBatch[] = [];
    for await (const b of provider.list()) listed.push(b);
    assert.deepEqual(
      listed.map((b) => [b.remoteId, b.rawStatus, b.tags]),
      [[created.remoteId, 'Completed', tags]],
    );
    expectOk((await allOutcomes(provider, done)).get('a'), 'Echo: x');
  });
});

describe('fetching results', () => {
  /** fetchResults into `${stem}-<kind>.jsonl`, so a test can look at the files before and after. */
  function fetchTo(provider: BatchProvider, remote: RemoteBatch, stem: string, signal?: AbortSignal): Promise<ResultKind[]> {
    const submission = submissions.get(remote.remoteId);
    assert.ok(submission);
    return provider.fetchResults(remote, submission, (kind) => path.join(dir, `${stem}-${kind}.jsonl`), signal);
  }

  for (const mode of ['abort', 'short'] as const) {
    it(`a truncated download (${mode}) throws and leaves no destination or temp file; the retry is whole`, async () => {
      const provider = openaiProvider();
      const done = await waitTerminal(provider, (await submit(provider, Array.from({ length: 10 }, (_, i) => chatLine(`t${i}`, `item ${i}`)))).remoteId);
      assert.ok(filesOf(done).outputFileId);
      const stem = `truncated-${mode}`;
      const dest = path.join(dir, `${stem}-output.jsonl`);
      emu.setFaults({ truncateDownload: mode });
      await assert.rejects(fetchTo(provider, done, stem), (err) => err instanceof TruncatedDownloadError && /cut short/.test(err.message));
      assert.equal(existsSync(dest), false);
      assert.deepEqual(await leftovers(), []);

      emu.setFaults({});
      assert.ok((await fetchTo(provider, done, stem)).includes('output'));
      const lines = (await readFile(dest, 'utf8')).split('\n').filter((l) => l !== '');
      assert.equal(lines.length, 10);
      assert.ok(lines.every((l) => provider.parseResultLine(l)?.ok));
    });
  }

  it("an empty file (Azure's clean error file) is fetched as an empty file", async () => {
    const provider = STYLES[1]?.make();
    assert.ok(provider);
    const done = await waitTerminal(provider, (await submit(provider, [chatLine('a', 'x', '/chat/completions')], '/chat/completions')).remoteId);
    assert.ok(filesOf(done).errorFileId);
    assert.deepEqual(await fetchTo(provider, done, 'empty-error'), ['output', 'errors']);
    assert.equal((await stat(path.join(dir, 'empty-error-errors.jsonl'))).size, 0);
  });

  it('an aborted fetch leaves no file', async () => {
    const provider = openaiProvider();
    const done = await waitTerminal(provider, (await submit(provider, [chatLine('a', 'x')])).remoteId);
    assert.ok(filesOf(done).outputFileId);
    await assert.rejects(fetchTo(provider, done, 'aborted', AbortSignal.abort()), APIUserAbortError);
    assert.equal(existsSync(path.join(dir, 'aborted-output.jsonl')), false);
    assert.deepEqual(await leftovers(), []);
  });

  it('a batch that failed validation gets one 400 error line per named input line, under that line\'s custom_id', async () => {
    const provider = openaiProvider();
    const created = await submit(provider, [chatLine('a', 'x'), '{"custom_id": broken', chatLine('a', 'dup'), chatLine('c', 'fine')]);
    const done = await waitTerminal(provider, created.remoteId);
    assert.equal(done.state, 'failed');
    assert.deepEqual(
      done.errors.map((e) => [e.code, e.line]),
      [
        ['invalid_json_line', 2],
        ['duplicate_custom_id', 3],
      ],
    );
    assert.deepEqual(done.resultRefs, [], 'the provider kept no result file');
    // Line 2 has no readable custom_id, so no item can carry its error; line 3's is `a`.
    const outcomes = await outcomesOf(provider, done);
    assert.equal(outcomes.length, 1);
    expectFail(outcomes[0], 'invalid_request', 'duplicate_custom_id', 400);
    assert.equal(outcomes[0]?.customId, 'a');
    assert.match(outcomes[0]?.ok === false ? outcomes[0].message : '', /line 3 is a duplicate/);
  });

  it("a batch the provider refused at validation (the emulator's failValidation) names its item by custom_id", async () => {
    const provider = openaiProvider();
    emu.setFaults({ failValidation: true });
    const done = await waitTerminal(provider, (await submit(provider, [chatLine('v1', 'x'), chatLine('v2', 'y')])).remoteId);
    assert.equal(done.state, 'failed');
    const { kinds, pathOf } = await fetchInto(provider, done);
    assert.deepEqual(kinds, ['errors']);
    const lines = (await readFile(pathOf('errors'), 'utf8')).split('\n').filter((l) => l !== '');
    assert.equal(lines.length, 1, 'one line per named input line, none for the others');
    const outcome = provider.parseResultLine(lines[0] ?? '');
    expectFail(outcome, 'invalid_request', 'invalid_request', 400);
    assert.equal(outcome?.customId, 'v1');
  });

  it('a batch that failed with no line named (a quota refusal) writes no result file', async () => {
    const provider = openaiProvider();
    const remote: OpenAiRemoteBatch = {
      ...(await submit(provider, [chatLine('q', 'x')])),
      state: 'failed',
      rawStatus: 'failed',
      resultRefs: [],
      outputFileId: undefined,
      errorFileId: undefined,
      errors: [{ code: 'token_limit_exceeded', message: 'Enqueued token limit reached.', line: undefined }],
    };
    const { kinds, pathOf } = await fetchInto(provider, remote);
    assert.deepEqual(kinds, []);
    assert.equal(existsSync(pathOf('errors')), false);
  });
});

describe('reading the input of a batch made elsewhere', () => {
  it('readInput downloads the request lines the batch was created from, byte for byte', async () => {
    const provider = openaiProvider();
    const created = await submit(provider, [chatLine('i1', 'first'), chatLine('i2', 'second')]);
    const submission = submissions.get(created.remoteId);
    assert.ok(submission && created.inputRef);
    const dest = path.join(dir, 'read-input.jsonl');
    await provider.readInput(created, dest);
    assert.equal(await readFile(dest, 'utf8'), await readFile(submission.inputPath, 'utf8'));
  });

  it('readInput of a batch with no input file says so, naming the batch', async () => {
    const provider = openaiProvider();
    const created = await submit(provider, [chatLine('i1', 'first')]);
    const dest = path.join(dir, 'no-input.jsonl');
    await assert.rejects(provider.readInput({ ...created, inputRef: undefined }, dest), new RegExp(`batch ${created.remoteId} has no input file`));
    assert.equal(existsSync(dest), false);
  });
});

describe('downloadToFile edge cases (synthetic responses)', () => {
  const respond = (body: string, headers: Record<string, string> = {}): Response => new Response(body, { headers });

  it('a body that ends cleanly short of Content-Length is truncated', async () => {
    const dest = path.join(dir, 'short-length.jsonl');
    await assert.rejects(downloadToFile(respond('{"a":1}\n', { 'content-length': '20' }), dest), /received 8 of 20 bytes/);
    assert.equal(existsSync(dest), false);
    assert.deepEqual(await leftovers(), []);
  });

  it('ignores Content-Length under a Content-Encoding, whose bytes differ from the decoded ones', async () => {
    const dest = path.join(dir, 'encoded.jsonl');
    assert.deepEqual(await downloadToFile(respond('{"a":1}\n', { 'content-length': '3', 'content-encoding': 'gzip' }), dest), { bytes: 8 });
    assert.equal(await readFile(dest, 'utf8'), '{"a":1}\n');
  });

  it('accepts a final line without a newline when it is whole JSON', async () => {
    const dest = path.join(dir, 'no-final-newline.jsonl');
    await downloadToFile(respond('{"a":1}\n{"b":2}'), dest);
    assert.equal(await readFile(dest, 'utf8'), '{"a":1}\n{"b":2}');
  });

  it('a failed download leaves an existing destination untouched', async () => {
    const dest = path.join(dir, 'existing.jsonl');
    await writeFile(dest, 'old bytes\n');
    await assert.rejects(downloadToFile(respond('{"a":1}\n{"b":', { 'content-length': '13' }), dest, { label: 'file-x' }), /file-x was cut short: its last line is incomplete/);
    assert.equal(await readFile(dest, 'utf8'), 'old bytes\n');
    await downloadToFile(respond('{"new":true}\n'), dest);
    assert.equal(await readFile(dest, 'utf8'), '{"new":true}\n');
    assert.deepEqual(await leftovers(), []);
  });
});

describe('uploads and creates never double-submit', () => {
  it('stage uploads the file as a stream and is retried by the SDK after a 503', async () => {
    const provider = openaiProvider(1);
    emu.setFaults({ endpointFaults: [{ endpoint: 'POST /files', times: 1, status: 503 }] });
    const submission = await submissionOf(Array.from({ length: 20 }, (_, i) => chatLine(`u${i}`, `upload ${i}`)));
    const { inputPath } = submission;
    const fileId = await provider.stage(submission);
    assert.ok(fileId, 'OpenAI stages the input as a file');
    assert.equal(emu.requests().filter((r) => r.method === 'POST' && r.path === '/v1/files').length, 2);
    const stored = await new OpenAI({ apiKey: 'k', baseURL: emu.openaiBaseUrl, maxRetries: 0 }).files.retrieve(fileId);
    assert.equal(stored.bytes, (await stat(inputPath)).size);
    assert.equal(stored.filename, path.basename(inputPath));
    assert.equal(stored.purpose, 'batch');
  });

  it('a 500 on create is not retried (even with maxRetries 2) and creates nothing', async () => {
    const provider = openaiProvider(2);
    emu.setFaults({ endpointFaults: [{ endpoint: 'POST /batches', times: 1, status: 500 }] });
    await assert.rejects(submit(provider, [chatLine('a', 'x')]), InternalServerError);
    assert.equal(emu.createCalls(), 1);
    assert.equal(emu.batches().length, 0);
  });

  it('a create whose response is lost is found again by its tag and input file instead of being re-sent', async () => {
    const proxy = await startProxy({ dropBatchCreate: true });
    try {
      const provider = openaiProvider(2, proxy.baseUrl);
      const tags = { jobId: 'job-lost', batchKey: 'job-lost.s0.b0' };
      const created = await submit(provider, [chatLine('a', 'x')], '/v1/chat/completions', tags);
      assert.equal(emu.createCalls(), 1, 'the SDK did not retry the create');
      assert.equal(emu.batches().length, 1);
      assert.equal(created.remoteId, emu.batches()[0]?.id);
      assert.deepEqual(created.tags, tags);
      assert.ok(proxy.seen.some((r) => r.method === 'GET' && r.path === '/v1/batches'), 'reconciled through list');
    } finally {
      await proxy.close();
    }
  });
});

describe('findCreated: a restarted process finds the batch its lost create made', () => {
  /**
   * The create of a process that stopped before its answer came: the request reached the
   * provider and made the batch, the answer was lost on the way back.
   */
  async function lostCreate(submission: BatchSubmission): Promise<{ staged: string; since: number }> {
    const staged = await openaiProvider().stage(submission);
    assert.ok(staged);
    const since = Date.now();
    const proxy = await startProxy({ dropBatchCreate: true });
    try {
      const earlier = new OpenAI({ apiKey: 'test', baseURL: proxy.baseUrl, maxRetries: 0 });
      const params = { input_file_id: staged, endpoint: '/v1/chat/completions' as const, completion_window: '24h' as const, metadata: tagMetadata(submission.tags) };
      await assert.rejects(earlier.batches.create(params), APIConnectionError);
    } finally {
      await proxy.close();
    }
    assert.equal(emu.batches().length, 1, 'the lost create made its batch');
    return { staged, since };
  }

  it('finds the batch by its tag (no staged input to go by)', async () => {
    const submission = await submissionOf([chatLine('a', 'x')]);
    const { since } = await lostCreate(submission);
    const found = await openaiProvider().findCreated(submission, undefined, since);
    assert.equal(found.kind, 'found');
    assert.equal(found.kind === 'found' ? found.remote.remoteId : undefined, emu.batches()[0]?.id);
    assert.deepEqual(found.kind === 'found' ? found.remote.tags : undefined, submission.tags);
    assert.equal(emu.createCalls(), 1, 'finding creates nothing');
  });

  it('finds the batch by the input file staged for it alone', async () => {
    const submission = await submissionOf([chatLine('a', 'x')]);
    const { staged, since } = await lostCreate(submission);
    const renamed = { ...submission, tags: { jobId: submission.tags.jobId, batchKey: `${submission.tags.batchKey}-other` } };
    const found = await openaiProvider().findCreated(renamed, staged, since);
    assert.equal(found.kind === 'found' ? found.remote.inputRef : found.kind, staged);
  });

  it('says none for a key (and an input file) no batch has, though other batches exist', async () => {
    const provider = openaiProvider();
    const theirs = await submissionOf([chatLine('a', 'x')]);
    await lostCreate(theirs);
    await submit(provider, [chatLine('b', 'y')]);
    const unknown = await submissionOf([chatLine('c', 'z')], '/v1/chat/completions', { jobId: 'job-unknown', batchKey: 'job-unknown.s0.b0' });
    const unusedFile = await provider.stage(unknown);
    assert.deepEqual(await provider.findCreated(unknown, undefined, Date.now()), { kind: 'none' });
    assert.deepEqual(await provider.findCreated(unknown, unusedFile, Date.now()), { kind: 'none' });
  });
});

describe('sync calls and signals', () => {
  it('hands back each answer as a batch result line that reads back to the same outcome', async () => {
    const provider = openaiProvider();
    const ok = chatLine('a', 'kept for later');
    const bad = chatLine('b', 'too long [[fail:context_length_exceeded]]');
    const embed = { model: 'text-embedding-3-small', input: ['alpha'] };
    for (const sync of [
      await syncOf(provider, ok),
      await syncOf(provider, bad),
      await syncOf(provider, bodyLine('r', '/v1/responses', { model: MODEL, input: 'hi' })),
      await syncOf(provider, bodyLine('e', '/v1/embeddings', embed)),
    ]) {
      assert.ok(sync.resultLine, `${sync.customId} has a result line`);
      assert.deepEqual(provider.parseResultLine(sync.resultLine), outcomeOf(sync), `${sync.customId} reads back the same`);
    }
  });

  it('sends a sync call once: no SDK retries, the provider\'s retry-after handed to the engine', async () => {
    // Even a client built with retries must not retry a paid sync call behind the journal's back.
    const provider = openaiProvider(2);
    emu.setFaults({ endpointFaults: [{ endpoint: 'POST /chat/completions', times: 2, status: 429, retryAfter: 7 }] });
    const line = chatLine('a', 'x');
    const outcome = await syncOf(provider, line);
    expectFail(outcomeOf(outcome), 'rate_limited', undefined, 429);
    assert.equal(outcome.retryAfterMs, 7_000);
    assert.equal(emu.requests().length, 1);
  });

  it('a refused key, a missing permission or an unknown model is a ProviderAccessError, never an item failure', async () => {
    const strict = await startOpenAiEmulator({ apiKey: 'right' });
    try {
      const provider = createOpenAiProvider({ provider: 'openai', apiKey: 'wrong', baseUrl: strict.openaiBaseUrl, maxRetries: 0 });
      const line = chatLine('a', 'x');
      await assert.rejects(syncOf(provider, line), (error: unknown) => {
        assert.ok(error instanceof ProviderAccessError);
        assert.equal(error.kind, 'auth');
        assert.equal(error.status, 401);
        assert.match(error.message, /^the provider refused the credentials \(check the API key\): /);
        return true;
      });
    } finally {
      await strict.close();
    }
  });

  it('a connection error is a transient outcome', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const provider = openaiProvider(0, `http://127.0.0.1:${port}/v1`);
    const line = chatLine('a', 'x');
    const outcome = await syncOf(provider, line);
    expectFail(outcome, 'transient', 'connection_error');
    assert.equal(outcome.ok ? 0 : outcome.httpStatus, undefined);
  });

  it('a timeout is a transient outcome', async () => {
    // Accepts the request and never answers.
    const silent = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = silent.address() as AddressInfo;
      const provider = createOpenAiProvider({ provider: 'openai', apiKey: 'k', baseUrl: `http://127.0.0.1:${port}/v1`, maxRetries: 0, timeoutMs: 100 });
      const line = chatLine('a', 'x');
      expectFail(await syncOf(provider, line), 'transient', 'timeout');
    } finally {
      silent.closeAllConnections();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });

  it('Azure dated style ignores a stray OPENAI_BASE_URL (the SDK would throw on baseURL + endpoint)', async () => {
    const saved = process.env['OPENAI_BASE_URL'];
    process.env['OPENAI_BASE_URL'] = 'http://127.0.0.1:9/v1';
    try {
      const provider = createOpenAiProvider({ provider: 'azure', apiKey: 'k', endpoint: emu.azureEndpoint, apiVersion: '2024-10-21', maxRetries: 0 });
      const batches: RemoteBatch[] = [];
      for await (const b of provider.list()) batches.push(b);
      assert.deepEqual(batches, []);
      assert.deepEqual(
        emu.requests().map((r) => `${r.path}?${r.query}`),
        ['/openai/batches?api-version=2024-10-21&limit=100'],
      );
    } finally {
      if (saved === undefined) delete process.env['OPENAI_BASE_URL'];
      else process.env['OPENAI_BASE_URL'] = saved;
    }
  });

  it("a line that names no URL is sent to the job's endpoint", async () => {
    const provider = openaiProvider();
    const { url: _url, ...line } = bodyLine('e', '/v1/embeddings', { model: 'text-embedding-3-small', input: ['alpha'] });
    expectOk(await provider.callSync({ line, customId: 'e', model: 'text-embedding-3-small', endpoint: '/v1/embeddings' }));
    assert.deepEqual(
      emu.requests().map((r) => `${r.method} ${r.path}`),
      ['POST /v1/embeddings'],
    );
  });

  it('a streaming body is refused without a request', async () => {
    const provider = openaiProvider();
    const line = chatLine('a', 'x');
    expectFail(await syncOf(provider, { ...line, body: { ...line.body, stream: true } }), 'invalid_request', 'stream_unsupported');
    assert.equal(emu.requests().length, 0);
  });

  it('leaves no listener behind on a long-lived signal, call after call (a watch, the extension session)', async () => {
    const provider = openaiProvider();
    const session = new AbortController();
    const line = chatLine('a', 'x');
    const created = await submit(provider, [line]);
    for (let call = 0; call < 15; call++) {
      await provider.retrieve(created.remoteId, session.signal);
      await syncOf(provider, line, session.signal);
      for await (const batch of provider.list(session.signal)) assert.ok(batch.remoteId);
    }
    assert.equal(getEventListeners(session.signal, 'abort').length, 0);
    // The link still works while a call runs: aborting the session aborts it.
    const pending = provider.retrieve(created.remoteId, session.signal);
    session.abort();
    await assert.rejects(pending, APIUserAbortError);
  });

  it('an aborted signal rejects every call instead of producing an outcome', async () => {
    const provider = openaiProvider();
    const signal = AbortSignal.abort();
    const line = chatLine('a', 'x');
    await assert.rejects(syncOf(provider, line, signal), APIUserAbortError);
    await assert.rejects(provider.retrieve('batch_x', signal), APIUserAbortError);
    await assert.rejects(provider.stage(await submissionOf([line]), signal), APIUserAbortError);
    await assert.rejects(async () => {
      for await (const b of provider.list(signal)) assert.fail(`unexpected batch ${b.remoteId}`);
    }, APIUserAbortError);
    assert.equal(emu.requests().length, 0);
  });
});
