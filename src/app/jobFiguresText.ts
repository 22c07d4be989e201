// A job's figures in words, the same for `llm-batch status`, the Jobs view's tooltip and the job
// summary: cost against the estimate, tokens, the savings, and where the money went.
import { formatDollars } from '../core/budget';
import type { JobFigures } from './jobFigures';

export function formatCount(value: number): string {
  return value.toLocaleString('en-US');
}

/** "$0.42 of $0.50 estimated (at most $0.80)" */
export function costLine(figures: JobFigures): string {
  return `${formatDollars(figures.actual.cost)} of ${formatDollars(figures.estimate.cost)} estimated (at most ${formatDollars(figures.estimate.max)})`;
}

/** "12,345 in, 6,789 out (estimated 12,000 in, 7,000 out)" */
export function tokensLine(figures: JobFigures): string {
  const { estimate, actual } = figures;
  const estimated = estimate.inputTokens === null || estimate.outputTokens === null ? '' : ` (estimated ${formatCount(estimate.inputTokens)} in, ${formatCount(estimate.outputTokens)} out)`;
  return `${formatCount(actual.inputTokens)} in, ${formatCount(actual.outputTokens)} out${estimated}`;
}

/** "$0.42 against sync prices, $0.90 against sending every line one by one" */
export function savingLine(figures: JobFigures): string {
  const parts = [`${formatDollars(figures.sync.saving)} against sync prices`];
  if (figures.naive.saving !== null) parts.push(`${formatDollars(figures.naive.saving)} against sending every line one by one (${formatDollars(figures.naive.cost ?? 0)})`);
  else if (figures.naive.cost !== null) parts.push(`sending every line one by one would cost ${formatDollars(figures.naive.cost)}`);
  return parts.join(', ');
}

/** "first batch $0.38 · retry batch 1 $0.02 · one by one (sync) $0.02", or "nothing yet". */
export function spendLine(figures: JobFigures): string {
  if (figures.byStrike.length === 0) return 'nothing yet';
  return figures.byStrike.map((row) => `${row.label} ${formatDollars(row.cost)}`).join(' · ');
}

/** Every figure as labelled lines, most important first. */
export function figureLines(figures: JobFigures): { readonly label: string; readonly text: string }[] {
  return [
    { label: 'Cost', text: costLine(figures) },
    { label: 'Tokens', text: tokensLine(figures) },
    { label: figures.final ? 'Saved' : 'Saved so far', text: savingLine(figures) },
    { label: 'Spent on', text: spendLine(figures) },
  ];
}
