// Sync mode (a notebook's "mode: sync" and its try-first): every item goes once through the sync
// API at the full price, no batch is created, the reservation is at the sync price, spend is the
// sum of the items' costs, and a kill mid-run neither loses an item nor sends one twice.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { createPricer } from '../../src/core/pricing';
import { startHarness } from './harness';

function syncCalls(h: { emulator: { requests(): readonly { method: string; path: string }[] } }): number {
  return h.emulator.requests().filter((r) => r.method === 'POST' && r.path.endsWith('/chat/completions')).length;
}

describe('sync-mode jobs', () => {
  it('sends each item once through the sync API at the sync price, creates no batch, and books what it spent', async () => {
    const h = await startHarness({});
    try {
      const file = h.file('sync.jsonl', ['one', 'two', 'two', 'three [[fail:server_error]]']);
      const jobId = await h.submit(file, { mode: 'sync' });
      const job = h.store.index.job(jobId);
      assert.ok(job);
      // The reservation is at the sync price: twice the batch bound of the same items.
      const batchJob = await h.submit(h.file('batch.jsonl', ['one', 'two', 'two', 'three [[fail:server_error]]']));
      const reserved = (id: string) => h.store.index.openReservation(id);
      assert.ok(Math.abs(reserved(jobId) - 2 * reserved(batchJob)) < 1e-12, `sync reserves ${reserved(jobId)}, batch ${reserved(batchJob)}`);
      await h.engine.cancel(batchJob);
      await h.engine.step(batchJob);

      const done = await h.engine.run(jobId);
      assert.equal(done.status, 'completed_with_failures');
      assert.equal(h.emulator.batches().length, 0, 'no batch was created for a sync-mode job');
      const counts = h.store.index.countsByState(jobId);
      assert.deepEqual({ ...counts }, { succeeded: 2, deduped: 1, dead_letter: 1 });
      // The duplicate is not sent; the failing item is called three times (5xx is retried), the others once.
      assert.equal(syncCalls(h), 2 + 3);
      const pricer = createPricer();
      for (const item of h.store.index.items(jobId, { states: ['succeeded'] })) {
        const price = pricer.price('openai', item.model, item.tokensIn, item.tokensOut);
        assert.ok(price && Math.abs(item.cost - price.sync) < 1e-12, `${item.id} costs the sync price`);
      }
      assert.ok(Math.abs(h.store.index.actualCost(jobId) - h.store.index.items(jobId).reduce((sum, item) => sum + item.cost, 0)) < 1e-12);
      assert.equal(h.store.index.openReservation(jobId), 0, 'the reservation is settled');
    } finally {
      await h.close();
    }
  });

  it('on Bedrock, a sync-mode run of fewer items than its batch minimum goes ahead (no batch to refuse)', async () => {
    const h = await startHarness({}, { provider: 'bedrock' });
    try {
      const file = path.join(h.workspace, 'three.jsonl');
      const line = (i: number) =>
        JSON.stringify({ custom_id: `item-${i}`, method: 'POST', url: '/v1/chat/completions', body: { model: h.rig.models[0], messages: [{ role: 'user', content: `three ${i}` }], max_completion_tokens: 20 } });
      writeFileSync(file, `${[1, 2, 3].map(line).join('\n')}\n`);
      // As a batch, three records are refused by the estimate; one by one, they are not.
      await assert.rejects(h.submit(file), /at least 100 requests/);
      const jobId = await h.submit(file, { mode: 'sync' });
      const done = await h.engine.run(jobId);
      assert.equal(done.status, 'completed');
      assert.equal(h.store.index.countsByState(jobId).succeeded, 3);
      assert.equal(h.emulator.batches().length, 0);
    } finally {
      await h.close();
    }
  });

  it('a kill during a sync-mode run leaves every item accounted for and none sent twice', async () => {
    const h = await startHarness({});
    try {
      const texts = Array.from({ length: 12 }, (_, i) => `question ${i + 1}`);
      const jobId = await h.submit(h.file('kill.jsonl', texts), { mode: 'sync' });
      // Stop after a few calls, as a kill would: the journal as it stands, no snapshot.
      const abort = new AbortController();
      const watcher = setInterval(() => {
        if (syncCalls(h) >= 4) abort.abort();
      }, 1);
      await h.engine.step(jobId, abort.signal).catch(() => undefined);
      clearInterval(watcher);
      const sentBefore = syncCalls(h);
      await h.reopen({ asIfKilled: true });
      const done = await h.engine.run(jobId);
      assert.ok(['completed', 'completed_with_failures'].includes(done.status));
      const items = h.store.index.items(jobId);
      assert.equal(items.length, 12, 'every item is accounted for');
      const states = new Set(items.map((i) => i.state));
      assert.ok([...states].every((state) => state === 'succeeded' || state === 'dead_letter'), `states: ${[...states].join(', ')}`);
      // Only a call cut off by the kill may have an unknown outcome: it is dead-lettered, never sent again.
      assert.ok(items.filter((i) => i.state === 'dead_letter').length <= 1);
      assert.ok(sentBefore >= 4 && sentBefore < 12, `the kill came mid-run (${sentBefore} calls)`);
      assert.ok(syncCalls(h) <= 12, `${syncCalls(h)} sync calls for 12 items: one was sent twice`);
    } finally {
      await h.close();
    }
  });
});
