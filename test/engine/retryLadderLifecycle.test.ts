// The retry ladder and the sync strike against the emulator, one guarantee per test: retry
// batches planned like the first (one model each), paid sync answers kept, sync retries
// journaled, access refusals that condemn no item, capacity refusals that cost no strike, and
// one driver per job. Each runs for every provider (LLM_BATCH_PROVIDER=<id> runs one); below a
// provider's minimum batch (Bedrock: 100) the retries skip the batch strikes and go straight to
// sync calls, which the tests expect rather than skip.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { createPricer } from '../../src/core/pricing';
import { Engine } from '../../src/engine/engine';
import { readItemLines } from '../../src/engine/batchInputs';
import { exportResults } from '../../src/engine/exportResults';
import { appendSyncResult } from '../../src/engine/syncResults';
import { resultParserFor } from '../../src/providers/resultParsers';
import type { BatchProvider } from '../../src/providers/batchProvider';
import type { JournalRecord } from '../../src/store/journal';
import { PROVIDERS, providerFromEnv } from './engineProviders';
import type { ProviderEmulator } from './engineProviders';
import { FAST_ENGINE, startHarness } from './harness';
import type { Harness } from './harness';

type AnyHarness = Harness<ProviderEmulator>;

async function results(h: AnyHarness, jobId: string) {
  const records = [];
  for await (const record of exportResults(h.store, jobId, resultParserFor(h.rig.provider))) records.push(record);
  return records;
}

/** Every journaled event of the job, from its archived history and the live journal, once each. */
function journalOf(h: AnyHarness, jobId: string): JournalRecord[] {
  const root = path.join(h.workspace, '.llm-batch');
  const read = (file: string) => {
    try {
      return readFileSync(file, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as JournalRecord);
    } catch {
      return [];
    }
  };
  const bySeq = new Map<number, JournalRecord>();
  for (const record of [...read(path.join(root, 'jobs', jobId, 'history.jsonl')), ...read(path.join(root, 'journal.jsonl'))]) {
    if (record['jobId'] === jobId) bySeq.set(record.seq, record);
  }
  return [...bySeq.values()].sort((a, b) => a.seq - b.seq);
}

/** A chat request line for `model`. */
function line(id: string, model: string, text: string): string {
  return JSON.stringify({ custom_id: id, method: 'POST', url: '/v1/chat/completions', body: { model, messages: [{ role: 'user', content: text }], max_completion_tokens: 20 } });
}

const syncRequests = (h: AnyHarness) => h.emulator.requests().filter((r) => r.route === 'POST /chat/completions');

/** The strike items fail at just before their sync call: 2, or 0 where a retry batch would be below the provider's minimum. */
const syncDoorStrike = (h: AnyHarness): number => (h.rig.minRequests > 1 ? 0 : 2);

/** Steps until the job's items sit failed at the sync strike's door, all batches collected. */
async function stepToSyncStrike(h: AnyHarness, engine: Engine, jobId: string, ids: readonly string[]): Promise<void> {
  for (let i = 0; i < 500; i++) {
    await engine.step(jobId);
    const items = h.store.index.items(jobId).filter((item) => ids.includes(item.id));
    const open = h.store.index.batches(jobId).some((b) => !b.collected);
    if (!open && items.every((item) => item.state === 'failed' && item.strike === syncDoorStrike(h))) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`${jobId} never reached the sync strike`);
}

const only = providerFromEnv();

for (const provider of only ? [only] : PROVIDERS) {
  describe(`retry ladder and sync strike: ${provider}`, () => {
    let h: AnyHarness;
    before(async () => {
      h = await startHarness({}, { provider });
    });
    after(async () => {
      await h.close();
    });
    beforeEach(() => {
      h.emulator.reset();
    });

    it('plans retry batches like the first submission: one model per batch, for strikes and retry-failed alike', async (t) => {
      if (h.rig.minRequests > 1) return t.skip(`${provider} retries fewer than ${h.rig.minRequests} items through sync calls, never in a retry batch (see the ladder test in lifecycle.test.ts)`);
      const [mini, big] = h.rig.models;
      const file = path.join(h.workspace, 'two-models.jsonl');
      writeFileSync(
        file,
        `${[
          line('mini-flaky', mini, 'a [[fail-once:server_error]]'),
          line('big-flaky', big, 'b [[fail-once:server_error]]'),
          line('mini-down', mini, 'c [[fail:server_error]]'),
          line('big-down', big, 'd [[fail:server_error]]'),
          line('mini-ok', mini, 'e'),
        ].join('\n')}\n`,
      );
      const jobId = await h.submit(file);
      const job = await h.engine.run(jobId);
      assert.equal(job.status, 'completed_with_failures');
      const states = new Map(h.store.index.items(jobId).map((item) => [item.id, [item.state, item.failureClass]]));
      assert.deepEqual(states.get('mini-flaky'), ['succeeded', null], 'a mixed-model retry batch would have failed it as model_mismatch');
      assert.deepEqual(states.get('big-flaky'), ['succeeded', null]);
      assert.deepEqual(states.get('mini-down'), ['dead_letter', 'transient']);
      assert.deepEqual(states.get('big-down'), ['dead_letter', 'transient']);

      // The model(s) of each batch: as the provider recorded it where the batch names one, else
      // those of the request lines sent (Anthropic's requests each name theirs; a batch may mix them).
      const wire = new Map(h.emulator.batches().map((b) => [b.remoteId, b.model]));
      const modelsOf = (b: { remoteId: string | null; inputFile: string }) => {
        const onWire = wire.get(b.remoteId ?? '');
        if (onWire !== undefined) return onWire;
        const sent = readFileSync(h.store.resolve(b.inputFile), 'utf8').split('\n').filter(Boolean);
        return [...new Set(sent.map((text) => (JSON.parse(text) as { params: { model: string } }).params.model))].sort().join(' + ');
      };
      const byStrike = (strike: number) =>
        h.store.index
          .batches(jobId)
          .filter((b) => b.strike === strike)
          .map(modelsOf)
          .sort();
      const perBatch = h.rig.oneModelPerBatch ? [mini, big].sort() : [[mini, big].sort().join(' + ')];
      const how = h.rig.oneModelPerBatch ? 'one batch per model' : `one batch: ${provider} batches may mix models`;
      assert.deepEqual(byStrike(0), perBatch);
      assert.deepEqual(byStrike(1), perBatch, `strike 1: ${how}`);
      assert.deepEqual(byStrike(2), perBatch, `strike 2: ${how}`);
      assert.ok(
        h.emulator.batches().every((b) => b.endedWell),
        'no batch failed validation',
      );

      // retry-failed over both models: planned the same way.
      const before = h.store.index.batches(jobId).length;
      assert.deepEqual((await h.engine.retryFailed(jobId)).sort(), ['big-down', 'mini-down']);
      const resubmitted = h.store.index.batches(jobId).slice(before);
      assert.deepEqual(
        resubmitted.map((b) => h.store.index.itemsOfBatch(b.key).map((item) => item.model)),
        h.rig.oneModelPerBatch ? [[mini], [big]] : [[mini, big]],
        h.rig.oneModelPerBatch ? 'one retry batch per model' : 'one retry batch',
      );
      assert.ok(resubmitted.every((b) => b.strike === 0), 'a resubmission starts the ladder again');
      await h.engine.run(jobId);
    });

    it('keeps the paid answer of a sync success: results show its content, and the same request later is a cache hit', async () => {
      // Item 1 fails in every batch (its custom_id is faulted), so it reaches the sync call, which succeeds.
      h.emulator.setFaults({ itemErrors: { 'item-1': { status: 500, code: 'server_error' } } });
      const file = h.file('sync-answer.jsonl', ['paid at full price', 'fine']);
      const jobId = await h.submit(file);
      assert.equal((await h.engine.run(jobId)).status, 'completed');
      const item = h.store.index.item(jobId, 'item-1');
      assert.equal(item?.batchKey, 'sync');
      assert.equal(item?.state, 'succeeded');
      assert.deepEqual(
        (await results(h, jobId)).slice(0, 2).map((r) => [r.custom_id, r.state, r.content]),
        [
          ['item-1', 'succeeded', 'Echo: paid at full price'],
          ['item-2', 'succeeded', 'Echo: fine'],
        ],
      );

      h.emulator.reset();
      const again = await h.submit(file);
      assert.equal((await h.engine.run(again)).status, 'completed');
      assert.equal(h.emulator.batches().length, 0, 'nothing was sent again');
      assert.equal(syncRequests(h).length, 0);
      assert.deepEqual(
        (await results(h, again)).slice(0, 2).map((r) => [r.state, r.content]),
        [
          ['cached', 'Echo: paid at full price'],
          ['cached', 'Echo: fine'],
        ],
      );
    });

    it('keeps a sync answer written just before a kill: the orphaned call takes it instead of dead letter', async () => {
      h.emulator.setFaults({ itemErrors: { 'item-1': { status: 500, code: 'server_error' } } });
      const jobId = await h.submit(h.file('sync-kill.jsonl', ['answered, then killed', 'fine too']));
      await stepToSyncStrike(h, h.engine, jobId, ['item-1']);
      // What a process killed between writing the answer and journaling it leaves behind.
      const item = h.store.index.item(jobId, 'item-1');
      assert.ok(item);
      const line = JSON.parse((await readItemLines(h.store, [item])).get('item-1')?.toString('utf8') ?? '{}') as Record<string, unknown>;
      await h.store.commit([{ type: 'item.syncStarted', jobId, id: 'item-1' }]);
      const answer = await h.provider.callSync({ line, customId: 'item-1', model: item.model, endpoint: '/v1/chat/completions' });
      assert.ok(answer.resultLine);
      await appendSyncResult(h.store, jobId, answer.resultLine);
      await h.reopen({ asIfKilled: true });

      assert.equal((await h.engine.run(jobId)).status, 'completed');
      assert.equal(syncRequests(h).length, 1, 'not sent again');
      assert.deepEqual(
        (await results(h, jobId)).slice(0, 2).map((r) => [r.custom_id, r.state, r.content]),
        [
          ['item-1', 'succeeded', 'Echo: answered, then killed'],
          ['item-2', 'succeeded', 'Echo: fine too'],
        ],
      );
    });

    it('retries a sync call through the journal, not the SDK: two 500s, then an answer, three journaled attempts', async () => {
      h.emulator.setFaults({
        itemErrors: { 'item-1': { status: 500, code: 'server_error' } },
        endpointFaults: [{ endpoint: 'POST /chat/completions', times: 2, status: 500, retryAfter: 0 }],
      });
      const jobId = await h.submit(h.file('sync-retries.jsonl', ['third time lucky']));
      assert.equal((await h.engine.run(jobId)).status, 'completed');
      assert.equal(syncRequests(h).length, 3, 'sent exactly three times');
      assert.deepEqual(
        syncRequests(h).map((r) => r.status),
        [500, 500, 200],
      );
      const attempts = journalOf(h, jobId).filter((r) => (r['type'] === 'item.syncStarted' && r['id'] === 'item-1') || r['type'] === 'item.syncResult');
      assert.deepEqual(
        attempts.map((r) => (r['type'] === 'item.syncStarted' ? 'started' : (r['outcome'] as { ok: boolean }).ok ? 'ok' : 'failed')),
        ['started', 'failed', 'started', 'failed', 'started', 'ok'],
        'every attempt is in the journal',
      );
      assert.equal((await results(h, jobId))[0]?.content, 'Echo: third time lucky');
    });

    it('stops the run on a refused key during sync calls and leaves the items retryable, not dead-lettered', async () => {
      h.emulator.setFaults({ itemErrors: { 'item-1': { status: 500, code: 'server_error' }, 'item-2': { status: 500, code: 'server_error' } } });
      // Batches go to the harness emulator; sync calls to one that refuses the key.
      const strict = await h.rig.start({ key: 'the-right-key' });
      try {
        const refusing = h.rig.adapter(strict, 'a-revoked-key', { maxRetries: 0 });
        const provider: BatchProvider = { ...h.provider, callSync: (...args) => refusing.callSync(...args) };
        const engine = h.engineWith(provider);
        const jobId = await h.submit(h.file('revoked.jsonl', ['one', 'two', 'three']));
        await stepToSyncStrike(h, engine, jobId, ['item-1', 'item-2']);
        await assert.rejects(engine.run(jobId), /API key/);
        for (const id of ['item-1', 'item-2']) {
          const item = h.store.index.item(jobId, id);
          assert.equal(item?.state, 'failed', `${id} stays failed, not dead letter`);
          assert.equal(item?.strike, syncDoorStrike(h), `${id} keeps its strike: the sync call is still owed`);
          assert.notEqual(item?.batchKey, 'sync');
        }
        assert.equal(strict.requests().filter((r) => r.route === 'POST /chat/completions').length, 1, 'the first refusal stopped the strike');
        // Below the provider's minimum batch, retry-failed sends by sync: the same items are retryable.
        const retried = h.rig.minRequests > 2 ? h.engine.retryableItems(jobId).map((item) => item.id) : await h.engine.retryFailed(jobId);
        assert.deepEqual(
          [...retried].sort(),
          ['item-1', 'item-2'],
          'retry-failed still takes them',
        );
      } finally {
        await strict.close();
      }
    });

    it('waits out a whole-batch capacity refusal and resubmits the same chunk: no strike, no sync call', async (t) => {
      if (h.rig.unsupported.capacityRefusalFailFast) return t.skip(`${provider} refuses capacity at create (no batch is made), never fails a made batch for it: the next test covers it`);
      h.emulator.setFaults({ capacityRefusals: 1 });
      const jobId = await h.submit(h.file('capacity.jsonl', ['q1', 'q2', 'q3']));
      for (let i = 0; i < 200 && h.store.index.batches(jobId).length < 2; i++) {
        await h.engine.step(jobId);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      const [refused, resent] = h.store.index.batches(jobId);
      assert.equal(refused?.state, 'failed');
      assert.ok(refused?.collected);
      assert.equal(resent?.state, 'intent', 'not sent again before its backoff');
      assert.ok(resent && resent.notBefore !== null && resent.notBefore >= Date.now() - 1_000, 'the resubmission waits');
      assert.equal(resent?.inputFile, refused?.inputFile, 'the same chunk: same input bytes');
      assert.equal(resent?.strike, refused?.strike, 'no strike');
      // OpenAI's words, or Azure's.
      assert.match(h.store.index.job(jobId)?.waitingReason ?? '', /^Waiting for provider capacity: batch \S+ \(3 items\) was refused as a whole: token_limit_exceeded: (Enqueued token limit reached|The number of enqueued tokens has surpassed)/);

      const job = await h.engine.run(jobId);
      assert.equal(job.status, 'completed');
      assert.equal(job.waitingReason, null, 'the job no longer says it waits');
      assert.deepEqual(
        h.store.index.items(jobId).map((item) => [item.state, item.strike]),
        [
          ['succeeded', 0],
          ['succeeded', 0],
          ['succeeded', 0],
        ],
      );
      assert.equal(h.store.index.batches(jobId).length, 2);
      assert.equal(syncRequests(h).length, 0, 'no full-price sync call');
      assert.equal(h.emulator.batches().length, 2);
    });

    it('waits out a capacity refusal at create (Azure fail-fast regions) and creates the same intent later, no strike', async (t) => {
      if (h.rig.capacityRefusalUnrecognized) return t.skip(`${provider}: ${h.rig.capacityRefusalUnrecognized}`);
      // OpenAI and Azure choose between refusing at create and failing the batch; the others always refuse at create.
      h.emulator.setFaults(h.rig.unsupported.capacityRefusalFailFast ? { capacityRefusals: 1 } : { capacityRefusals: 1, capacityRefusalFailFast: true });
      const jobId = await h.submit(h.file('capacity-at-create.jsonl', ['f1', 'f2']));
      await h.engine.step(jobId);
      const [deferred] = h.store.index.batches(jobId);
      assert.equal(deferred?.state, 'intent', 'no batch was made');
      assert.equal(deferred?.capacityRefusals, 1);
      assert.ok(deferred && deferred.notBefore !== null && deferred.notBefore > Date.now() - 1_000, 'it waits before trying again');
      const reason = h.store.index.job(jobId)?.waitingReason ?? '';
      assert.match(reason, new RegExp(`^Waiting for provider capacity: batch \\S+ \\(${2 + h.padding} items\\) was refused at create: \\S+`));
      if (provider === 'openai' || provider === 'azure') assert.match(reason, /refused at create: token_limit_exceeded: /);

      const job = await h.engine.run(jobId);
      assert.equal(job.status, 'completed');
      assert.equal(job.waitingReason, null);
      assert.deepEqual(
        h.store.index.batches(jobId).map((b) => [b.key, b.strike]),
        [[deferred?.key, 0]],
        'the same intent was created: no new batch, no strike',
      );
      assert.equal(h.emulator.batches().length, 1);
      assert.equal(h.emulator.createCalls(), 2);
    });

    it('lets one actor drive a job at a time: the poll loop and a user’s retry-by-sync never both call an item', async () => {
      const ids = ['item-1', 'item-2', 'item-3'];
      h.emulator.setFaults({ itemErrors: Object.fromEntries(ids.map((id) => [id, { status: 500, code: 'server_error' }])) });
      const jobId = await h.submit(h.file('two-drivers.jsonl', ['x1', 'x2', 'x3']));
      // Stop at the sync strike's door (its wait has only just begun), then race with an engine that waits no more.
      await stepToSyncStrike(h, h.engine, jobId, ids);
      assert.equal(syncRequests(h).length, 0);
      const engine = new Engine({ store: h.store, providerFor: () => h.provider, pricer: createPricer(), config: { ...FAST_ENGINE, retryWaitsMs: [0, 0] } });
      await Promise.all([engine.step(jobId), engine.retryBySync(jobId, ids)]);
      assert.equal(syncRequests(h).length, ids.length, 'each item was called once');
      const started = journalOf(h, jobId).filter((r) => r['type'] === 'item.syncStarted');
      assert.deepEqual(started.map((r) => r['id']).sort(), ids, 'each item was started once');
      assert.deepEqual(
        h.store.index
          .items(jobId)
          .filter((item) => ids.includes(item.id))
          .map((item) => item.state),
        ['succeeded', 'succeeded', 'succeeded'],
      );
    });
  });
}
