// A job's figures from its aggregates, table by table: progress, estimate vs actual, the saving
// against sync and against a naive run (only once final), spend by strike that adds up — and the
// words the CLI, the tooltip and the summary share.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { jobFigures, jobStateWords, strikeName } from '../../src/app/jobFigures';
import type { JobAggregates } from '../../src/app/jobFigures';
import { figureLines, savingLine, spendLine, tokensLine } from '../../src/app/jobFiguresText';
import type { JobRow, StrikeSpend } from '../../src/store/stateIndex';

function job(overrides: Partial<JobRow> = {}): JobRow {
  return {
    id: 'job-1',
    name: 'reviews.jsonl',
    sourceFile: '/w/reviews.jsonl',
    sourceSha256: '',
    provider: 'openai',
    model: 'gpt-4o-mini',
    endpoint: '/v1/chat/completions',
    status: 'completed',
    createdAt: '2026-12-01T00:00:00.000Z',
    updatedAt: '2026-12-01T00:00:00.000Z',
    estimateExpected: 0.5,
    estimateMax: 0.8,
    options: '{}',
    cancelRequested: false,
    alert: null,
    blockedReason: null,
    resumed: false,
    waitingReason: null,
    estimateInputTokens: 12_000,
    estimateOutputTokens: 7_000,
    estimateNaiveSync: 1.2,
    ...overrides,
  };
}

const strike = (n: number, cost: number, syncCost: number, tokensIn = 100, tokensOut = 50): StrikeSpend => ({ strike: n, cost, syncCost, tokensIn, tokensOut });

const close = (actual: number, expected: number, what: string) => assert.ok(Math.abs(actual - expected) < 1e-12, `${what}: ${actual}, expected ${expected}`);

describe('job figures', () => {
  const table: { name: string; aggregates: JobAggregates; expect: { done: number; total: number; actual: number; syncSaving: number; naiveSaving: number | null; batch: number; sync: number } }[] = [
    {
      name: 'a finished job with a retry batch and a sync call',
      aggregates: {
        job: job(),
        counts: { succeeded: 180, deduped: 10, cached: 5, dead_letter: 5 },
        byStrike: [strike(0, 0.38, 0.76), strike(1, 0.02, 0.04), strike(3, 0.02, 0.02)],
      },
      expect: { done: 200, total: 200, actual: 0.42, syncSaving: 0.82 - 0.42, naiveSaving: 1.2 - 0.42, batch: 0.4, sync: 0.02 },
    },
    {
      name: 'a running job: no saving against a naive run yet (what is still to spend is no saving)',
      aggregates: { job: job({ status: 'running' }), counts: { succeeded: 120, submitted: 60, failed: 20 }, byStrike: [strike(0, 0.3, 0.6)] },
      expect: { done: 120, total: 200, actual: 0.3, syncSaving: 0.3, naiveSaving: null, batch: 0.3, sync: 0 },
    },
    {
      name: 'a finished job whose failures are all final counts every item done',
      aggregates: { job: job({ status: 'completed_with_failures' }), counts: { succeeded: 1, failed: 1 }, byStrike: [] },
      expect: { done: 2, total: 2, actual: 0, syncSaving: 0, naiveSaving: 1.2, batch: 0, sync: 0 },
    },
    {
      name: 'a job made before the naive cost was kept',
      aggregates: { job: job({ estimateNaiveSync: null, estimateInputTokens: null, estimateOutputTokens: null }), counts: { succeeded: 3 }, byStrike: [strike(0, 0.1, 0.1)] },
      expect: { done: 3, total: 3, actual: 0.1, syncSaving: 0, naiveSaving: null, batch: 0.1, sync: 0 },
    },
  ];
  for (const row of table) {
    it(row.name, () => {
      const figures = jobFigures(row.aggregates);
      assert.deepEqual(figures.progress, { done: row.expect.done, total: row.expect.total });
      close(figures.actual.cost, row.expect.actual, 'actual cost');
      close(figures.sync.saving, row.expect.syncSaving, 'saving against sync');
      if (row.expect.naiveSaving === null) assert.equal(figures.naive.saving, null);
      else close(figures.naive.saving ?? NaN, row.expect.naiveSaving, 'saving against a naive run');
      close(figures.batchSpend, row.expect.batch, 'batch spend');
      close(figures.syncSpend, row.expect.sync, 'sync spend');
      close(figures.batchSpend + figures.syncSpend, figures.actual.cost, 'spend by strike adds up to the actual cost');
      assert.equal(figures.actual.inputTokens, row.aggregates.byStrike.reduce((sum, s) => sum + s.tokensIn, 0));
    });
  }

  it('keeps the estimate as the job recorded it', () => {
    const figures = jobFigures({ job: job(), counts: {}, byStrike: [] });
    assert.deepEqual(figures.estimate, { cost: 0.5, max: 0.8, inputTokens: 12_000, outputTokens: 7_000 });
  });

  it('names strikes in plain words', () => {
    assert.deepEqual([0, 1, 2, 3].map(strikeName), ['first batch', 'retry batch 1', 'retry batch 2', 'one by one (sync)']);
  });

  it('says why a job waits before its state', () => {
    assert.equal(jobStateWords(job({ status: 'running', blockedReason: 'not submitted: no key' })), 'not submitted: no key');
    assert.equal(jobStateWords(job({ status: 'running', waitingReason: 'queue full' })), 'waiting for capacity');
    assert.equal(jobStateWords(job({ status: 'completed_with_failures' })), 'completed with failures');
  });
});

describe('job figures in words', () => {
  const finished = jobFigures({ job: job(), counts: { succeeded: 200 }, byStrike: [strike(0, 0.38, 0.76, 12_345, 6_789), strike(3, 0.02, 0.02, 0, 0)] });

  it('writes tokens with separators beside the estimate', () => {
    assert.equal(tokensLine(finished), '12,345 in, 6,789 out (estimated 12,000 in, 7,000 out)');
  });

  it('names both savings once the job is final, only the naive cost before', () => {
    assert.equal(savingLine(finished), '$0.3800 against sync prices, $0.8000 against sending every line one by one ($1.20)');
    const running = jobFigures({ job: job({ status: 'running' }), counts: { submitted: 1 }, byStrike: [] });
    assert.equal(savingLine(running), '$0.00 against sync prices, sending every line one by one would cost $1.20');
  });

  it('lists spend by attempt without internal words', () => {
    assert.equal(spendLine(finished), 'first batch $0.3800 · one by one (sync) $0.0200');
    assert.equal(spendLine(jobFigures({ job: job(), counts: {}, byStrike: [] })), 'nothing yet');
    for (const { label, text } of figureLines(finished)) assert.doesNotMatch(`${label} ${text}`, /strike|intent|engine/i);
  });
});
