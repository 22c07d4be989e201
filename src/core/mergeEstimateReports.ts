// One report for several files estimated one by one (a submission prepares each file as its own
// job, but the cost preview shows them together). Every list entry already names its file, so
// merging is sums and concatenation; the price table is the same for all of them.
import type { EstimateReport } from '../shared/estimateReport';

export function mergeEstimateReports(reports: readonly EstimateReport[]): EstimateReport {
  const [first, ...rest] = reports;
  if (!first) throw new Error('no report to merge');
  if (rest.length === 0) return first;
  const merged: EstimateReport = structuredClone(first);
  const { totals } = merged;
  const unpriced = new Map(merged.price.unpricedModels.map((m) => [`${m.provider}\n${m.model}`, m]));
  for (const report of rest) {
    const t = report.totals;
    totals.items += t.items;
    totals.valid += t.valid;
    totals.invalid += t.invalid;
    totals.duplicates += t.duplicates;
    totals.cached += t.cached;
    totals.chunks += t.chunks;
    totals.inputTokens += t.inputTokens;
    totals.inputTokensExact &&= t.inputTokensExact;
    totals.outputTokensExpected += t.outputTokensExpected;
    totals.outputTokensMax += t.outputTokensMax;
    totals.cost.sync += t.cost.sync;
    totals.cost.batch += t.cost.batch;
    totals.cost.batchAfterDedup += t.cost.batchAfterDedup;
    totals.cost.batchAfterDedupMax += t.cost.batchAfterDedupMax;
    totals.cost.complete &&= t.cost.complete;
    // Loops, not push(...list): a spread of a few hundred thousand entries overflows the stack.
    for (const file of report.files) merged.files.push(file);
    for (const entry of report.invalid) merged.invalid.push(entry);
    for (const entry of report.duplicates) merged.duplicates.push(entry);
    for (const entry of report.chunks) merged.chunks.push(entry);
    for (const entry of report.problems) merged.problems.push(entry);
    for (const entry of report.notes) merged.notes.push(entry);
    for (const m of report.price.unpricedModels) unpriced.set(`${m.provider}\n${m.model}`, m);
  }
  merged.price.unpricedModels = [...unpriced.values()];
  return merged;
}
