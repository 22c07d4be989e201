// Whole job lifecycles against each provider's emulator: each row of the failure taxonomy, the
// full ladder to dead letter, and the guarantees around it (one batch per intent, only failures
// retried). The same scenarios run for every provider; a fault a provider cannot have is skipped
// with the reason, and what is OpenAI's own (importing a batch made with its SDK, a completed
// batch with no output file, duplicated output lines) runs for OpenAI only.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { TestContext } from 'node:test';
import OpenAI, { toFile } from 'openai';
import { prepareJob } from '../../src/engine/createJob';
import { importBatch, untrackedBatches } from '../../src/engine/importBatch';
import { createOpenAiProvider } from '../../src/providers/openai/openaiProvider';
import { exportResults } from '../../src/engine/exportResults';
import { resultParserFor } from '../../src/providers/resultParsers';
import type { FaultConfig } from '../emulators/openai/faults';
import { PROVIDERS, providerFromEnv } from './engineProviders';
import type { ProviderEmulator } from './engineProviders';
import { createdIntentKeys, startHarness } from './harness';
import type { Harness } from './harness';

async function results(h: Harness<unknown>, jobId: string) {
  const records = [];
  for await (const record of exportResults(h.store, jobId, resultParserFor(h.rig.provider))) records.push(record);
  return records;
}

/** Skips the test when the provider has no counterpart of one of these switches; true when skipped. */
function skipUnless(t: TestContext, h: Harness<ProviderEmulator>, ...switches: (keyof FaultConfig)[]): boolean {
  const why = switches.map((key) => h.rig.unsupported[key]).find((reason) => reason !== undefined);
  if (why === undefined) return false;
  t.skip(`${h.rig.provider}: ${why}`);
  return true;
}

/** No intent reached the provider twice, and every batch it made is one the journal knows. */
function assertOneBatchPerIntent(h: Harness<ProviderEmulator>, expected: number): void {
  const keys = createdIntentKeys(h);
  assert.deepEqual(
    keys.filter((key) => key.startsWith('(not journaled')),
    [],
    'every batch the provider made is journaled',
  );
  assert.equal(new Set(keys).size, keys.length, 'no batch was created twice');
  assert.equal(keys.length, expected);
}

// LLM_BATCH_PROVIDER=<id> runs one provider's suite only.
const only = providerFromEnv();

for (const provider of only ? [only] : PROVIDERS) {
  describe(`job lifecycle: ${provider}`, () => {
    let h: Harness<ProviderEmulator>;
    /** Retries below the provider's minimum batch (Bedrock: 100) go one by one through sync calls. */
    let retriesBySync: boolean;
    before(async () => {
      h = await startHarness({}, { provider });
      retriesBySync = h.rig.minRequests > 1;
    });
    after(async () => {
      await h.close();
    });

    it('runs the full ladder: first batch, strike-1 batch, strike-2 batch, sync, dead letter — deterministic errors straight to dead letter', async () => {
      h.emulator.reset();
      const file = h.file('ladder.jsonl', [
        'fine one',
        'too long [[fail:context_length_exceeded]]',
        'flaky [[fail-once:server_error]]',
        'broken [[fail:server_error]]',
        'blocked [[fail:content_policy_violation]]',
        'fine two',
        'fine one', // a duplicate of item 1: never sent
      ]);
      const jobId = await h.submit(file);
      const job = await h.engine.run(jobId);
      assert.equal(job.status, 'completed_with_failures');
      const byId = new Map((await results(h, jobId)).map((r) => [r.custom_id, r]));
      assert.equal(byId.get('item-1')?.state, 'succeeded');
      assert.equal(byId.get('item-1')?.content, 'Echo: fine one');
      assert.equal(byId.get('item-3')?.state, 'succeeded', 'fail-once succeeds on its second attempt');
      // The failure as the provider's emulator writes the [[fail:context_length_exceeded]] marker: the fixture, not the run, says what to expect.
      const tooLong = byId.get('item-2')?.failure;
      assert.equal(tooLong?.class, 'invalid_request');
      assert.equal(tooLong?.message, h.rig.markerMessage('context_length_exceeded'));
      if (provider === 'openai' || provider === 'azure') assert.equal(tooLong?.code, 'context_length_exceeded');
      else assert.ok(tooLong?.code, 'the provider\'s code is kept');
      assert.equal(byId.get('item-2')?.state, 'dead_letter');
      assert.equal(byId.get('item-5')?.state, 'dead_letter');
      assert.equal(byId.get('item-5')?.failure?.class, 'content_policy');
      assert.equal(byId.get('item-4')?.state, 'dead_letter');
      assert.equal(byId.get('item-4')?.failure?.class, 'transient');
      assert.equal(byId.get('item-7')?.state, 'succeeded');
      assert.equal(byId.get('item-7')?.duplicate_of, 'item-1');

      const items = new Map(h.store.index.items(jobId).map((item) => [item.id, item]));
      assert.equal(items.get('item-4')?.strike, 3, 'the server_error item went through all three strikes');
      assert.equal(items.get('item-2')?.strike, 0, 'the 400 was not paid for again');
      assert.equal(items.get('item-3')?.strike, retriesBySync ? 3 : 1);

      const batches = h.store.index.batches(jobId);
      if (retriesBySync) {
        // Below the minimum, the two retryable failures skip the batch strikes: one sync call each.
        assert.deepEqual(
          batches.map((b) => [b.strike, b.itemCount]),
          [[0, 6 + h.padding]],
        );
        assert.equal(items.get('item-3')?.batchKey, 'sync');
        assertOneBatchPerIntent(h, 1);
        return;
      }
      // The first batch is not a strike. Strike 1 carried exactly the retryable failures (items 3
      // and 4), strike 2 what failed again (item 4), and strike 3 was item 4's sync call.
      assert.deepEqual(
        batches.map((b) => [b.strike, b.itemCount]),
        [
          [0, 6],
          [1, 2],
          [2, 1],
        ],
      );
      assertOneBatchPerIntent(h, 3);
    });

    it('retries a transient error on create without creating a second batch', async () => {
      h.emulator.reset();
      h.emulator.setFaults({ endpointFaults: [{ endpoint: 'POST /batches', times: 2, status: 500, retryAfter: 0 }] });
      const jobId = await h.submit(h.file('create-fault.jsonl', ['a', 'b', 'c']));
      const job = await h.engine.run(jobId);
      assert.equal(job.status, 'completed');
      assert.equal(h.emulator.batches().length, 1);
      assert.ok(h.emulator.createCalls() >= 3, 'the failing creates were really attempted');
      assertOneBatchPerIntent(h, 1);
    });

    it('keeps what an expired batch finished and requeues only the rest', async () => {
      h.emulator.reset();
      h.emulator.setFaults({ expireAfterFraction: 0.5 });
      const texts = ['e1', 'e2', 'e3', 'e4', 'e5', 'e6'];
      const jobId = await h.submit(h.file('expiry.jsonl', texts));
      await h.engine.step(jobId); // creates the batch while the fault is on
      h.emulator.setFaults({});
      const job = await h.engine.run(jobId);
      assert.equal(job.status, 'completed');
      const [first, second, ...more] = h.store.index.batches(jobId);
      assert.equal(first?.state, h.rig.expiredBatchState, 'what ran before the time was up is kept either way');
      // The emulators run floor(n × fraction) items before expiring the batch: the rest, and only they, are requeued.
      const items = texts.length + h.padding;
      const unfinished = items - Math.floor(items * 0.5);
      if (retriesBySync) {
        assert.equal(second, undefined, `${unfinished} items are below the minimum batch: no retry batch`);
        assert.equal(h.store.index.items(jobId).filter((item) => item.batchKey === 'sync').length, unfinished, 'only unfinished items were sent again');
        return;
      }
      assert.equal(second?.strike, 1, 'the first batch is not a strike');
      assert.equal(second?.itemCount, unfinished, 'only unfinished items were requeued');
      assert.equal(more.length, 0);
    });

    it('catches silent corruption: empty and non-JSON outputs are invalid_output and retried', async () => {
      h.emulator.reset();
      // A provider whose lines cannot ask for JSON (Anthropic) is checked for empty answers only.
      const json = h.rig.askForJson !== undefined;
      const texts = ['good', 'nothing [[empty]]', ...(json ? ['prose [[not-json]]'] : [])];
      const jobId = await h.submit(h.file('corrupt.jsonl', texts, { json }), { outputJson: json });
      const job = await h.engine.run(jobId);
      assert.equal(job.status, 'completed_with_failures');
      const items = new Map(h.store.index.items(jobId).map((item) => [item.id, item]));
      assert.equal(items.get('item-1')?.state, 'succeeded');
      if (!json) {
        assert.equal(items.get('item-2')?.state, 'dead_letter');
        assert.equal(items.get('item-2')?.failureClass, 'invalid_output');
        assert.equal(items.get('item-2')?.strike, 3);
        return;
      }
      for (const id of ['item-2', 'item-3']) {
        assert.equal(items.get(id)?.state, 'dead_letter');
        assert.equal(items.get(id)?.failureClass, 'invalid_output');
        assert.equal(items.get(id)?.strike, 3, retriesBySync ? 'retried once by sync' : 'retried by batch twice and once by sync');
      }
      assert.match(items.get('item-3')?.failureMessage ?? '', /not JSON/);
    });

    it("checks every answer against the job's JSON Schema", async (t) => {
      if (h.rig.askForJson === undefined) return t.skip(`${provider}: its batch lines cannot ask for JSON (no JSON mode, no response format), so no answer is JSON`);
      h.emulator.reset();
      // The fake model answers JSON requests with {"echo": ..., "length": N}.
      const schema = { type: 'object', required: ['echo', 'length'], properties: { length: { type: 'integer', maximum: 12 } } };
      const jobId = await h.submit(h.file('schema.jsonl', ['short', 'a much longer text here'], { json: true }), { outputSchema: schema });
      await h.engine.run(jobId);
      const items = new Map(h.store.index.items(jobId).map((item) => [item.id, item]));
      assert.equal(items.get('item-1')?.state, 'succeeded');
      assert.equal(items.get('item-2')?.state, 'dead_letter');
      assert.equal(items.get('item-2')?.failureClass, 'invalid_output');
      assert.equal(items.get('item-2')?.failureMessage, "the output does not match the job's schema: at /length must be <= 12");
    });

    it('matches output lines that come in any order by id', async () => {
      h.emulator.reset();
      // Every emulator shuffles its results (deterministically) unless told to keep them ordered.
      const texts = ['o1', 'o2', 'o3', 'o4', 'o5', 'o6'];
      const jobId = await h.submit(h.file('unordered.jsonl', texts));
      assert.equal((await h.engine.run(jobId)).status, 'completed');
      const records = (await results(h, jobId)).slice(0, texts.length);
      assert.deepEqual(
        records.map((r) => [r.custom_id, r.content]),
        texts.map((text, i) => [`item-${i + 1}`, `Echo: ${text}`]),
      );
    });

    it('matches duplicated output lines by id', async (t) => {
      if (skipUnless(t, h, 'duplicateOutputLines')) return;
      h.emulator.reset();
      h.emulator.setFaults({ duplicateOutputLines: true });
      const jobId = await h.submit(h.file('dup-out.jsonl', ['d1', 'd2', 'd3', 'd4']));
      assert.equal((await h.engine.run(jobId)).status, 'completed');
      const records = await results(h, jobId);
      assert.deepEqual(
        records.map((r) => r.content),
        ['Echo: d1', 'Echo: d2', 'Echo: d3', 'Echo: d4'],
      );
    });

    it('treats a null output file as all failed', async (t) => {
      if (skipUnless(t, h, 'completedWithNullOutput')) return;
      h.emulator.reset();
      h.emulator.setFaults({ completedWithNullOutput: true });
      const nullJob = await h.submit(h.file('null-out.jsonl', ['n1', 'n2']));
      await h.engine.step(nullJob);
      h.emulator.setFaults({});
      assert.equal((await h.engine.run(nullJob)).status, 'completed');
      assert.equal(h.store.index.batches(nullJob).length, 2, 'everything failed in batch 1 and was retried in batch 2');
    });

    it('survives a truncated download by downloading again', async () => {
      h.emulator.reset();
      h.emulator.setFaults({ truncateDownload: true });
      const jobId = await h.submit(h.file('truncated.jsonl', ['t1', 't2', 't3']));
      assert.equal((await h.engine.run(jobId)).status, 'completed');
      assert.equal(h.emulator.batches().length, 1);
      assert.ok(
        h.emulator.requests().filter((r) => r.route === 'GET /files/{id}/content').length >= 2,
        'the cut download was really answered, then fetched again',
      );
    });

    it('reuses cached results: a resubmitted file sends nothing', async () => {
      h.emulator.reset();
      const file = h.file('cached.jsonl', ['c1', 'c2']);
      await h.engine.run(await h.submit(file));
      const again = await h.submit(file);
      assert.equal((await h.engine.run(again)).status, 'completed');
      assert.equal(h.emulator.batches().length, 1, 'the second job created no batch');
      const records = (await results(h, again)).slice(0, 2);
      assert.deepEqual(
        records.map((r) => [r.state, r.content]),
        [
          ['cached', 'Echo: c1'],
          ['cached', 'Echo: c2'],
        ],
      );
    });

    it('refuses over budget before anything is uploaded', async () => {
      h.emulator.reset();
      const file = h.file('budget.jsonl', Array.from({ length: 50 }, (_, i) => `question ${i}`));
      const prepared = await prepareJob(h.store, { file, provider, providerSettings: h.rig.settings, outputBuffer: 0.25, budget: { daily: 0.000001 }, failureAlertRate: 0.05 });
      assert.equal(prepared.budget.accepted, false);
      assert.deepEqual(
        prepared.blockers.map((b) => b.kind),
        ['budget'],
      );
      assert.match(prepared.blockers.map((b) => b.message).join('\n'), /^Refused: this submission may cost up to \$0\.\d+, and \$0\.\d+ is already spent or reserved today; that would pass the daily budget of \$0\.000001 by \$0\.\d+\.$/m);
      await assert.rejects(prepared.create(), /Not submitted: Refused/);
      assert.deepEqual(h.emulator.requests(), [], 'nothing staged, nothing created: no request at all');
    });

    it('cancels: unsent work is cancelled, sent work kept, the job ends cancelled', async () => {
      h.emulator.reset();
      const jobId = await h.submit(h.file('cancel.jsonl', ['x1', 'x2', 'x3']));
      await h.engine.cancel(jobId);
      const job = await h.engine.run(jobId);
      assert.equal(job.status, 'cancelled');
      assert.deepEqual(h.store.index.countsByState(jobId), { cancelled: 3 + h.padding });
      assert.equal(h.emulator.batches().length, 0);
    });

    it('raises an alert when failures pass the threshold', async () => {
      h.emulator.reset();
      // Enough bad lines to pass 5% even among a minimum batch's padding.
      const bad = h.padding > 0 ? 10 : 1;
      const texts = ['ok', ...Array.from({ length: bad }, (_, i) => `bad ${i + 1} [[fail:invalid_request_error]]`)];
      const jobId = await h.submit(h.file('alert.jsonl', texts));
      await h.engine.run(jobId);
      const rate = ((100 * bad) / (texts.length + h.padding)).toFixed(1);
      assert.equal(h.store.index.job(jobId)?.alert, `${rate}% of the items of alert.jsonl failed (alert threshold 5%)`);
    });

    it('retry-failed resubmits exactly the retryable dead letters', async () => {
      h.emulator.reset();
      const jobId = await h.submit(h.file('manual.jsonl', ['fine', 'down [[fail:server_error]]', 'bad [[fail:context_length_exceeded]]']));
      await h.engine.run(jobId);
      const batchesBefore = h.store.index.batches(jobId).length;
      if (retriesBySync) {
        // What the submit service does below the minimum batch: one sync call per item.
        const retryable = h.engine.retryableItems(jobId).map((item) => item.id);
        assert.deepEqual(retryable, ['item-2']);
        assert.deepEqual(await h.engine.retryBySync(jobId, retryable), ['item-2']);
        const job = await h.engine.run(jobId);
        assert.equal(job.status, 'completed_with_failures');
        assert.equal(h.store.index.batches(jobId).length, batchesBefore, 'no batch below the minimum');
        assert.equal(h.store.index.item(jobId, 'item-3')?.state, 'dead_letter');
        return;
      }
      const ids = await h.engine.retryFailed(jobId);
      assert.deepEqual(ids, ['item-2']);
      const job = await h.engine.run(jobId);
      assert.equal(job.status, 'completed_with_failures');
      assert.equal(h.store.index.batches(jobId).at(-1)?.itemCount, 1);
    });
  });
}

describe('job lifecycle: OpenAI only', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(async () => {
    await h.close();
  });

  it('imports a batch started elsewhere and follows it to the end, ladder included', async () => {
    h.emulator.reset();
    // A batch created by someone else's script, straight through the SDK (no llmb_ tags).
    const client = new OpenAI({ apiKey: 'test', baseURL: h.emulator.openaiBaseUrl, maxRetries: 0 });
    const lines = ['outside 1', 'outside 2 [[fail-once:server_error]]'].map((text, i) =>
      JSON.stringify({ custom_id: `ext-${i + 1}`, method: 'POST', url: '/v1/chat/completions', body: { model: 'gpt-4o-mini', messages: [{ role: 'user', content: text }] } }),
    );
    const file = await client.files.create({ file: await toFile(Buffer.from(`${lines.join('\n')}\n`), 'outside.jsonl'), purpose: 'batch' });
    const remote = await client.batches.create({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' });

    const provider = createOpenAiProvider({ provider: 'openai', apiKey: 'test', baseUrl: h.emulator.openaiBaseUrl });
    const found = await untrackedBatches(h.store, provider);
    assert.deepEqual(
      found.map((b) => b.remoteId),
      [remote.id],
    );
    const [untracked] = found;
    assert.ok(untracked);
    const jobId = await importBatch(h.store, 'openai', provider, untracked);
    const job = await h.engine.run(jobId);
    assert.equal(job.status, 'completed');
    assert.deepEqual(h.store.index.countsByState(jobId), { succeeded: 2 });
    assert.equal(h.store.index.batches(jobId).length, 2, 'the imported batch, then a strike-2 batch for the fail-once item');
    assert.deepEqual(await untrackedBatches(h.store, provider), [], 'an imported batch is not offered again');
  });
});
