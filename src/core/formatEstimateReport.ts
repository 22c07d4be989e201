// The human-readable estimate: a table per file, then tokens, the three costs, chunks and
// every problem with its file:line (terminals make those clickable). Long lists are cut with a
// pointer to --json, which always has everything.
import { formatDollars } from './budget';
import { formatBytes } from './fileTally';
import type { EstimateReport } from '../shared/estimateReport';

const LIST_LIMIT = 50;

export function formatEstimateReport(report: EstimateReport): string {
  const { totals } = report;
  const out: string[] = [];
  const n = (value: number) => value.toLocaleString('en-US');

  out.push(
    table(
      ['File', 'Format', 'Provider', 'Items', 'Valid', 'Invalid', 'Duplicates', 'Chunks'],
      [
        ...report.files.map((f) => [
          f.file,
          f.format ?? '-',
          f.provider ?? '-',
          n(f.items),
          n(f.valid),
          n(f.invalid),
          n(f.duplicates),
          n(report.chunks.filter((c) => c.file === f.file).length),
        ]),
        ...(report.files.length > 1
          ? [['Total', '', '', n(totals.items), n(totals.valid), n(totals.invalid), n(totals.duplicates), n(totals.chunks)]]
          : []),
      ],
    ),
  );

  out.push('', 'Tokens');
  out.push(`  input              ${n(totals.inputTokens)} ${totals.inputTokensExact ? '(exact)' : '(approximate)'}`);
  out.push(`  output expected    ${n(totals.outputTokensExpected)}`);
  out.push(`  output at most     ${n(totals.outputTokensMax)}`);

  const cost = totals.cost;
  const saving = (value: number) => (cost.sync > 0 ? ` (${Math.round((1 - value / cost.sync) * 100)}% less than sync)` : '');
  out.push('', `Cost (${cost.currency}, at expected output)${cost.complete ? '' : ' — incomplete: some models have no price'}`);
  out.push(`  sync API           ${formatDollars(cost.sync)}`);
  out.push(`  batch              ${formatDollars(cost.batch)}${saving(cost.batch)}`);
  out.push(`  batch after dedup  ${formatDollars(cost.batchAfterDedup)}${saving(cost.batchAfterDedup)}`);
  out.push(`  upper bound        ${formatDollars(cost.batchAfterDedupMax)} (batch after dedup, every request at its max output)`);

  if (report.chunks.length > 0) {
    out.push('', 'Batches to submit');
    out.push(
      indent(
        table(
          ['Chunk', 'Provider', 'Model', 'Requests', 'Size'],
          report.chunks.map((c) => [c.id, c.provider, c.model, n(c.requests), formatBytes(c.bytes)]),
        ),
      ),
    );
  }

  section(out, 'Invalid lines', report.invalid.map((e) => `${e.file}:${e.line}: ${e.message}`));
  section(out, 'Problems', report.problems.map((p) => `${p.file}: ${p.message}`));
  section(out, 'Notes', report.notes.map((p) => `${p.file}: ${p.message}`));
  section(out, 'Models without a price', report.price.unpricedModels.map((m) => m.message));

  out.push('', `Prices: ${report.price.source} ${report.price.version} (data of ${report.price.date}); batch at the provider's batch multiplier.`);
  return `${out.join('\n')}\n`;
}

function section(out: string[], title: string, lines: readonly string[]): void {
  if (lines.length === 0) return;
  out.push('', `${title} (${lines.length.toLocaleString('en-US')})`);
  out.push(...lines.slice(0, LIST_LIMIT).map((line) => `  ${line}`));
  if (lines.length > LIST_LIMIT) out.push(`  … and ${(lines.length - LIST_LIMIT).toLocaleString('en-US')} more (--json lists them all)`);
}

function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const numeric = header.map((_, i) => rows.length > 0 && rows.every((r) => /^[\d,.]*$/.test(r[i] ?? '')));
  const render = (cells: readonly string[]) =>
    cells
      .map((cell, i) => (numeric[i] ? cell.padStart(widths[i] ?? 0) : cell.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [render(header), render(widths.map((w) => '-'.repeat(w))), ...rows.map(render)].join('\n');
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((line) => `  ${line}`)
    .join('\n');
}
