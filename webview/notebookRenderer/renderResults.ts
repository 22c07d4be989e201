// A results cell's output: how many items the filter matched, the first of them in the chosen
// columns, and where they were exported when the cell asked for it.
import type { ResultsOutput } from '../../src/shared/notebookOutputs';
import { el } from '../common/el';
import type { PostToHost } from './buttons';
import { knownColumns, matchedText, rowsCaption } from './outputText';
import { rowsTable } from './rowsTable';

export function renderResults(output: ResultsOutput, post: PostToHost): HTMLElement {
  return el(
    'div',
    { className: 'llmb-output llmb-results', attrs: { 'data-testid': 'results-output', 'data-job-id': output.jobId } },
    el(
      'p',
      { className: 'llmb-headline', attrs: { 'data-testid': 'results-matched' } },
      matchedText(output.matched),
      el('span', { className: 'llmb-muted' }, ' in job '),
      el('code', { className: 'llmb-code' }, output.jobId),
    ),
    output.rows.length === 0
      ? null
      : rowsTable({
          rows: output.rows,
          columns: knownColumns(output.columns),
          caption: rowsCaption(`Results of job ${output.jobId}`, output.rows.length, output.matched),
          jobId: output.jobId,
          post,
          testId: 'results-rows',
        }),
    output.exported ? el('p', { className: 'llmb-muted', attrs: { 'data-testid': 'results-exported' } }, `Exported to ${output.exported}`) : null,
  );
}
