// A finished job's figures add up, against the OpenAI emulator: a failure retried by a batch, an
// answer that is never valid (billed at every attempt: first batch, both retry batches and the
// sync call), a duplicate never sent. Spent = the sum by strike = what the items were charged =
// what the budget settled; the saving against sync = the same usage at the sync price − spent;
// the naive cost is the estimate's every-line sync cost, and the saving against it naive − spent.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { readJobFigures } from '../../src/app/jobFigures';
import { DEFAULT_BATCH_MULTIPLIERS } from '../../src/core/pricing';
import { prepareJob } from '../../src/engine/createJob';
import { startHarness } from './harness';
import type { Harness } from './harness';

const close = (actual: number, expected: number, what: string) => assert.ok(Math.abs(actual - expected) < 1e-12, `${what}: ${actual}, expected ${expected}`);

describe('job figures of a finished job', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(async () => {
    await h.close();
  });

  it('add up: spent by strike, saving against sync and against a naive run', async () => {
    const file = h.file('figures.jsonl', ['fine one', 'flaky [[fail-once:server_error]]', 'prose [[not-json]]', 'fine two', 'fine one'], { json: true });
    const prepared = await prepareJob(h.store, { file, provider: 'openai', outputBuffer: 0.25, budget: {}, failureAlertRate: 0.9, outputJson: true });
    const naiveSync = prepared.estimate.report.totals.cost.sync;
    const jobId = await prepared.create();
    const job = await h.engine.run(jobId);
    assert.equal(job.status, 'completed_with_failures');

    const items = h.store.index.items(jobId);
    const byId = new Map(items.map((item) => [item.id, item]));
    assert.equal(byId.get('item-2')?.state, 'succeeded', 'the flaky item succeeded in a retry batch');
    assert.equal(byId.get('item-3')?.state, 'dead_letter', 'the answer that is never JSON went to the end of the ladder');
    assert.equal(byId.get('item-3')?.strike, 3);
    assert.equal(byId.get('item-5')?.state, 'deduped');

    const figures = readJobFigures(h.store.index, job);
    assert.equal(figures.final, true);
    assert.deepEqual(figures.progress, { done: 5, total: 5 });
    assert.deepEqual(
      figures.byStrike.map((row) => row.strike),
      [0, 1, 2, 3],
      'the invalid answer was billed at every strike',
    );

    // Spent: the strikes add up to what the items were charged, and to what the budget settled.
    const charged = items.reduce((sum, item) => sum + item.cost, 0);
    assert.ok(charged > 0);
    close(figures.actual.cost, charged, 'spent = what the items were charged');
    close(figures.batchSpend + figures.syncSpend, figures.actual.cost, 'spent = batch strikes + sync strike');
    close(
      figures.byStrike.reduce((sum, row) => sum + row.cost, 0),
      figures.actual.cost,
      'spent = the sum by strike',
    );
    assert.ok(figures.syncSpend > 0, 'the sync call was paid');
    close(h.store.index.spendSince(job.createdAt.slice(0, 10)), figures.actual.cost, 'the settled spend is what was spent');
    assert.equal(
      figures.actual.inputTokens + figures.actual.outputTokens,
      items.reduce((sum, item) => sum + item.tokensIn + item.tokensOut, 0),
    );

    // Against sync: batch strikes at OpenAI's documented 50% off, the sync strike at its own price.
    const multiplier = DEFAULT_BATCH_MULTIPLIERS.openai;
    close(figures.sync.cost, figures.batchSpend / multiplier + figures.syncSpend, 'the same usage at the sync price');
    close(figures.sync.saving, figures.sync.cost - figures.actual.cost, 'saving against sync = sync − spent');
    assert.ok(figures.sync.saving > 0);

    // Against a naive run: every line (the duplicate too) one by one at the sync price, as estimated.
    close(figures.naive.cost ?? NaN, naiveSync, 'the naive cost is the estimate’s');
    close(figures.naive.saving ?? NaN, naiveSync - figures.actual.cost, 'saving against naive = naive − spent');

    // The estimate in tokens counts what is sent: four unique lines, not the duplicate.
    const report = prepared.estimate.report;
    assert.ok((figures.estimate.inputTokens ?? 0) > 0 && (figures.estimate.inputTokens ?? 0) < report.totals.inputTokens, 'the duplicate is not in the estimate of what is sent');
    close(figures.estimate.cost, report.totals.cost.batchAfterDedup, 'the expected cost');
  });
});
