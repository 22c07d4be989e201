// The figures a notebook's job output shows: the cost preview before a submit (what it is expected
// to cost, the most it may cost, and what the same items would cost sent naively one by one), and a
// running job's progress from the index's per-job counts.
import { FINAL_JOB_STATES } from '../../engine/engine';
import type { CostFigures, JobProgress } from '../../shared/notebookOutputs';
import type { JobRow } from '../../store/stateIndex';
import type { WorkspaceStore } from '../../store/workspaceStore';
import type { SubmitPreview } from '../jobService';

/** States in which an item has its final answer or its final failure. */
const SETTLED_STATES = new Set(['succeeded', 'cached', 'deduped', 'dead_letter', 'cancelled']);

export function costFigures(preview: SubmitPreview, extraBlockers: readonly string[] = []): CostFigures {
  const { report } = preview.prepared.estimate;
  return {
    items: report.totals.items,
    valid: report.totals.valid,
    invalid: report.totals.invalid,
    duplicates: report.totals.duplicates,
    cached: report.totals.cached,
    inputTokens: report.totals.inputTokens,
    outputTokens: report.totals.outputTokensExpected,
    expected: preview.prepared.expected,
    max: preview.prepared.reservation,
    naiveSync: report.totals.cost.sync,
    complete: report.totals.cost.complete,
    blockers: [...preview.blockers.map((b) => b.message), ...extraBlockers],
  };
}

export function jobProgress(store: WorkspaceStore, job: JobRow): JobProgress {
  const counts = store.index.countsByState(job.id);
  const entries = Object.entries(counts).filter(([, n]) => (n ?? 0) > 0) as [string, number][];
  const total = entries.reduce((sum, [, n]) => sum + n, 0);
  const done = entries.filter(([state]) => SETTLED_STATES.has(state)).reduce((sum, [, n]) => sum + n, 0);
  return {
    status: job.status,
    counts: Object.fromEntries(entries),
    total,
    // A finished job has nothing left to wait for, whatever its items' states.
    done: FINAL_JOB_STATES.has(job.status) ? total : done,
    spent: store.index.actualCost(job.id),
    estimate: job.estimateExpected,
    ...(job.blockedReason === null ? {} : { blockedReason: job.blockedReason }),
    ...(job.alert === null ? {} : { alert: job.alert }),
  };
}

export function isFinalJob(job: JobRow): boolean {
  return FINAL_JOB_STATES.has(job.status);
}
