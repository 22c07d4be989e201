// A job's figures — estimate vs actual, the saving against sync and against a naive run, spend
// by strike — from the index's per-job aggregates only (the job row, its counts by state and its
// spend by strike: never a scan of its items), for `status --json`, the Jobs view and the job
// summary alike. `jobFigures` is pure arithmetic over those rows; `readJobFigures` reads them.
import { FINAL_JOB_STATES } from '../engine/engine';
import { FIRST_BATCH_STRIKE, SYNC_STRIKE } from '../engine/retryLadder';
import type { JobRow, StateIndex, StrikeSpend } from '../store/stateIndex';
import type { ItemState } from '../store/storeEvents';

/** Item states with nothing left to do: an answer (own, a twin's, a cached one) or a final failure. */
const SETTLED_STATES: ReadonlySet<ItemState> = new Set(['succeeded', 'cached', 'deduped', 'dead_letter', 'cancelled']);

/** What one strike spent: the first batch (0), a retry batch (1, 2) or the sync calls (3). */
export interface StrikeFigures extends StrikeSpend {
  /** Plain words for the strike, as the UI shows it ("first batch", "retry batch 1", "one by one"). */
  readonly label: string;
  /** True for the batch strikes (0–2), false for the sync strike. */
  readonly batch: boolean;
}

export interface JobFigures {
  /** Nothing more will be spent: the figures are the job's last. */
  readonly final: boolean;
  /** Items with nothing left to do, of all the job's items (a final job: all of them). */
  readonly progress: { readonly done: number; readonly total: number };
  readonly estimate: {
    /** Expected cost of what is sent (after dedup and the cache). */
    readonly cost: number;
    /** At every request's max-output bound: what the budget reserved. */
    readonly max: number;
    /** Expected tokens of what is sent; null for a job made before they were kept. */
    readonly inputTokens: number | null;
    readonly outputTokens: number | null;
  };
  /** What was charged, every attempt included. */
  readonly actual: { readonly cost: number; readonly inputTokens: number; readonly outputTokens: number };
  /** The same usage at the sync price, and what the batch price saved on it (sync − actual). */
  readonly sync: { readonly cost: number; readonly saving: number };
  /**
   * Every valid line sent one by one, duplicates and cached included, at the sync price (as
   * estimated), and what the job saved against that (naive − actual). `saving` is null until the
   * job is final (what is still to spend would count as saved); both null for a job made before
   * the naive cost was kept.
   */
  readonly naive: { readonly cost: number | null; readonly saving: number | null };
  /** Spend at each strike that spent anything, in order. */
  readonly byStrike: readonly StrikeFigures[];
  /** Spend of the batch strikes (0–2) and of the sync strike (3): they add up to `actual.cost`. */
  readonly batchSpend: number;
  readonly syncSpend: number;
}

/** The aggregates a job's figures are made of (what `readJobFigures` reads from the index). */
export interface JobAggregates {
  readonly job: JobRow;
  readonly counts: Partial<Record<ItemState, number>>;
  readonly byStrike: readonly StrikeSpend[];
}

export function strikeName(strike: number): string {
  if (strike <= FIRST_BATCH_STRIKE) return 'first batch';
  if (strike >= SYNC_STRIKE) return 'one by one (sync)';
  return `retry batch ${strike}`;
}

/** How a job's state reads: why it waits, when it does, else its state in words. */
export function jobStateWords(job: Pick<JobRow, 'status' | 'blockedReason' | 'waitingReason'>): string {
  return job.blockedReason ?? (job.waitingReason ? 'waiting for capacity' : job.status.replace(/_/g, ' '));
}

export function jobFigures({ job, counts, byStrike }: JobAggregates): JobFigures {
  const final = FINAL_JOB_STATES.has(job.status);
  let total = 0;
  let done = 0;
  for (const [state, n] of Object.entries(counts) as [ItemState, number][]) {
    total += n;
    if (SETTLED_STATES.has(state)) done += n;
  }
  const strikes = byStrike.map((row): StrikeFigures => ({ ...row, label: strikeName(row.strike), batch: row.strike < SYNC_STRIKE }));
  const sum = (rows: readonly StrikeSpend[], of: (row: StrikeSpend) => number) => rows.reduce((acc, row) => acc + of(row), 0);
  const actual = sum(strikes, (row) => row.cost);
  const syncCost = sum(strikes, (row) => row.syncCost);
  const naive = job.estimateNaiveSync;
  return {
    final,
    progress: { done: final ? total : done, total },
    estimate: { cost: job.estimateExpected, max: job.estimateMax, inputTokens: job.estimateInputTokens, outputTokens: job.estimateOutputTokens },
    actual: { cost: actual, inputTokens: sum(strikes, (row) => row.tokensIn), outputTokens: sum(strikes, (row) => row.tokensOut) },
    sync: { cost: syncCost, saving: syncCost - actual },
    naive: { cost: naive, saving: naive === null || !final ? null : naive - actual },
    byStrike: strikes,
    batchSpend: sum(
      strikes.filter((row) => row.batch),
      (row) => row.cost,
    ),
    syncSpend: sum(
      strikes.filter((row) => !row.batch),
      (row) => row.cost,
    ),
  };
}

/** The job's figures from the index's per-job totals (a handful of small reads, whatever the job's size). */
export function readJobFigures(index: StateIndex, job: JobRow): JobFigures {
  return jobFigures({ job, counts: index.countsByState(job.id), byStrike: index.spendByStrike(job.id) });
}
