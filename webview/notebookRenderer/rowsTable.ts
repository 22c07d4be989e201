// The rows table every output kind shares (a job's rows, a try's rows, a results cell): one <tr>
// per item, with a caption for screen readers, inside a box that scrolls sideways so a narrow
// editor never cuts a column off. Inputs and outputs are model text, shown as text (el()).
import type { ResultRow } from '../../src/shared/notebookOutputs';
import { el } from '../common/el';
import type { Child } from '../common/el';
import { hostButton } from './buttons';
import type { PostToHost } from './buttons';
import { money, RESULT_COLUMNS, rowStateWord } from './outputText';
import type { ResultColumn } from './outputText';

export interface RowsTableOptions {
  readonly rows: readonly ResultRow[];
  readonly columns: readonly ResultColumn[];
  readonly caption: string;
  /** The job the rows belong to: each row's Open button asks the host to open that item. */
  readonly jobId: string;
  readonly post: PostToHost;
  /** data-testid of the table ("job-rows", "trial-rows", "results-rows"). */
  readonly testId: string;
}

export function rowsTable(options: RowsTableOptions): HTMLElement {
  const openable = options.post !== undefined;
  const head = el(
    'tr',
    {},
    ...options.columns.map((column) => el('th', { attrs: { scope: 'col' } }, RESULT_COLUMNS[column])),
    openable ? el('th', { attrs: { scope: 'col' } }, 'Detail') : null,
  );
  const body = options.rows.map((row) =>
    el(
      'tr',
      {
        className: isFailure(row.state) ? 'llmb-row llmb-row-failed' : 'llmb-row',
        attrs: { 'data-testid': 'result-row', 'data-item-id': row.id, 'data-state': row.state },
      },
      ...options.columns.map((column) => cell(row, column)),
      openable
        ? el(
            'td',
            {},
            hostButton(options.post, 'Open', { type: 'openItem', jobId: options.jobId, itemId: row.id }, {
              action: 'openItem',
              ariaLabel: `Open item ${row.id}`,
              secondary: true,
            }),
          )
        : null,
    ),
  );
  return el(
    'div',
    { className: 'llmb-table-scroll' },
    el(
      'table',
      { className: 'llmb-table', attrs: { 'data-testid': options.testId } },
      el('caption', {}, options.caption),
      el('thead', {}, head),
      el('tbody', {}, ...body),
    ),
  );
}

function isFailure(state: string): boolean {
  return state === 'failed' || state === 'dead_letter';
}

function cell(row: ResultRow, column: ResultColumn): HTMLElement {
  const attrs = { 'data-column': column };
  switch (column) {
    case 'id':
      return el('td', { attrs }, row.id);
    case 'line':
      return el('td', { className: 'llmb-number', attrs }, row.line);
    case 'state':
      return el('td', { attrs }, rowStateWord(row.state));
    case 'input':
      return el('td', { className: 'llmb-text', attrs }, row.input);
    case 'output':
      return el('td', { className: isFailure(row.state) ? 'llmb-text llmb-error' : 'llmb-text', attrs }, ...outputText(row));
    case 'cost':
      return el('td', { className: 'llmb-number', attrs }, money(row.cost));
    case 'failureClass':
      return el('td', { attrs }, row.failureClass ?? '');
  }
}

/** A failed row's output is its error; the failure class leads it so rows of one kind line up. */
function outputText(row: ResultRow): Child[] {
  if (!isFailure(row.state) || !row.failureClass) return [row.output];
  return [el('span', { className: 'llmb-failure-class' }, row.failureClass), ': ', row.output];
}
