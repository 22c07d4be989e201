// A requests cell's output: how many requests were built into which file, the dataset rows that
// made none (with why), and the first rendered requests as the provider will read them.
import type { RequestsOutput } from '../../src/shared/notebookOutputs';
import { el } from '../common/el';
import { requestsHeadline, skippedHeadline, skippedRowText } from './outputText';

export function renderRequests(output: RequestsOutput): HTMLElement {
  return el(
    'div',
    { className: 'llmb-output llmb-requests', attrs: { 'data-testid': 'requests-output' } },
    el('p', { className: 'llmb-headline', attrs: { 'data-testid': 'requests-headline' } }, requestsHeadline(output)),
    output.skipped.length === 0
      ? null
      : el(
          'section',
          { className: 'llmb-warning', attrs: { 'data-testid': 'requests-skipped', 'aria-label': 'Skipped rows' } },
          el('p', { className: 'llmb-section-title' }, skippedHeadline(output.skipped.length)),
          el('ul', { className: 'llmb-list' }, ...output.skipped.map((skip) => el('li', { attrs: { 'data-row': skip.row } }, skippedRowText(skip.row, skip.message)))),
        ),
    output.sample.length === 0
      ? null
      : el(
          'section',
          { attrs: { 'data-testid': 'requests-sample', 'aria-label': 'First requests' } },
          el('p', { className: 'llmb-section-title' }, output.sample.length === 1 ? 'First request' : `First ${output.sample.length} requests`),
          ...output.sample.map((request) =>
            el(
              'div',
              { className: 'llmb-sample', attrs: { 'data-testid': 'request-sample', 'data-request-id': request.id } },
              el('code', { className: 'llmb-code' }, request.id),
              el('pre', { className: 'llmb-sample-text' }, request.text),
            ),
          ),
        ),
  );
}
