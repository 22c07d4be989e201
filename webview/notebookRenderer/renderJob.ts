// A job cell's output: what is happening now, how this run came about, what it is expected to
// cost, the try's answers, live progress, failures by class, the job's actions and its first
// rows. Each part is drawn only when the payload has it, so one function serves a preview, a
// running job and a finished one.
import type { CostFigures, JobOutput, JobProgress, RendererToHost } from '../../src/shared/notebookOutputs';
import { el } from '../common/el';
import { hostButton } from './buttons';
import type { PostToHost } from './buttons';
import {
  DEFAULT_COLUMNS,
  JOB_ACTION_LABELS,
  failureText,
  jobActions,
  jobMeta,
  previewFigures,
  progressText,
  rowsCaption,
  spendText,
  stateCounts,
  trialText,
} from './outputText';
import type { JobAction } from './outputText';
import { rowsTable } from './rowsTable';

export function renderJob(output: JobOutput, post: PostToHost): HTMLElement {
  return el(
    'div',
    {
      className: 'llmb-output llmb-job',
      attrs: { 'data-testid': 'job-output', 'data-job-id': output.jobId, 'data-final': output.final ? 'true' : 'false' },
    },
    el('p', { className: 'llmb-headline', attrs: { 'data-testid': 'job-headline' } }, output.headline),
    output.notes.length === 0
      ? null
      : el('ul', { className: 'llmb-list llmb-notes', attrs: { 'data-testid': 'job-notes' } }, ...output.notes.map((note) => el('li', {}, note))),
    el(
      'p',
      { className: 'llmb-meta llmb-muted', attrs: { 'data-testid': 'job-meta' } },
      jobMeta(output),
      output.jobId ? ' · job ' : null,
      output.jobId ? el('code', { attrs: { 'data-testid': 'job-id' } }, output.jobId) : null,
    ),
    output.preview ? costPreview(output.preview) : null,
    output.trial ? trial(output.trial, post) : null,
    output.progress ? progress(output.progress) : null,
    output.failures && output.failures.length > 0 && output.jobId ? failures(output.failures, output.jobId, post) : null,
    actions(output, post),
    output.rows && output.rows.length > 0 && output.jobId
      ? rowsTable({
          rows: output.rows,
          columns: DEFAULT_COLUMNS,
          caption: rowsCaption(`Rows of job ${output.jobId}`, output.rows.length, output.progress?.total),
          jobId: output.jobId,
          post,
          testId: 'job-rows',
        })
      : null,
  );
}

function costPreview(figures: CostFigures): HTMLElement {
  return el(
    'section',
    { attrs: { 'data-testid': 'cost-preview', 'aria-label': 'Cost preview' } },
    el('p', { className: 'llmb-section-title' }, 'Cost preview'),
    el(
      'dl',
      { className: 'llmb-figures' },
      ...previewFigures(figures).map((figure) =>
        el('div', { className: 'llmb-figure', attrs: { 'data-figure': figure.key } }, el('dt', {}, figure.label), el('dd', {}, figure.value)),
      ),
    ),
    figures.complete ? null : el('p', { className: 'llmb-warning' }, 'Incomplete: some models have no known price, so these sums leave them out.'),
    figures.blockers.length === 0
      ? null
      : el(
          'div',
          { className: 'llmb-blockers', attrs: { 'data-testid': 'cost-blockers' } },
          el('p', { className: 'llmb-section-title' }, 'Cannot submit yet:'),
          el('ul', { className: 'llmb-list' }, ...figures.blockers.map((blocker) => el('li', {}, blocker))),
        ),
  );
}

function trial(tried: NonNullable<JobOutput['trial']>, post: PostToHost): HTMLElement {
  return el(
    'section',
    { attrs: { 'data-testid': 'job-trial', 'data-job-id': tried.jobId, 'aria-label': 'Try first' } },
    el('p', { className: 'llmb-section-title', attrs: { 'data-testid': 'trial-summary' } }, trialText(tried)),
    tried.rows.length === 0
      ? null
      : rowsTable({
          rows: tried.rows,
          columns: DEFAULT_COLUMNS,
          caption: rowsCaption(`Tried items (job ${tried.jobId})`, tried.rows.length, tried.count),
          jobId: tried.jobId,
          post,
          testId: 'trial-rows',
        }),
  );
}

function progress(state: JobProgress): HTMLElement {
  const summary = progressText(state);
  return el(
    'section',
    { attrs: { 'data-testid': 'job-progress', 'data-status': state.status, 'aria-label': 'Progress' } },
    el(
      'div',
      { className: 'llmb-progress-line' },
      el('progress', { attrs: { max: Math.max(state.total, 1), value: state.done, 'aria-label': summary } }),
      el('span', { attrs: { 'data-testid': 'progress-text' } }, summary),
    ),
    el(
      'ul',
      { className: 'llmb-chips', attrs: { 'data-testid': 'state-counts', 'aria-label': 'Items by state' } },
      ...stateCounts(state.counts).map((entry) =>
        el('li', { className: 'llmb-chip', attrs: { 'data-state': entry.state, 'data-count': entry.count } }, entry.text),
      ),
    ),
    el('p', { className: 'llmb-muted', attrs: { 'data-testid': 'job-spend' } }, spendText(state)),
    state.blockedReason ? el('p', { className: 'llmb-alert', attrs: { 'data-testid': 'job-blocked' } }, state.blockedReason) : null,
    state.alert ? el('p', { className: 'llmb-alert', attrs: { 'data-testid': 'job-alert' } }, state.alert) : null,
  );
}

function failures(classes: NonNullable<JobOutput['failures']>, jobId: string, post: PostToHost): HTMLElement {
  return el(
    'section',
    { attrs: { 'data-testid': 'job-failures', 'aria-label': 'Failures by class' } },
    el('p', { className: 'llmb-section-title' }, 'Failures by class'),
    el(
      'ul',
      { className: 'llmb-list' },
      ...classes.map((failure) =>
        el(
          'li',
          { attrs: { 'data-failure-class': failure.failureClass, 'data-count': failure.count } },
          el('span', { className: 'llmb-failure-class' }, failure.failureClass),
          ': ',
          failureText(failure),
        ),
      ),
    ),
    hostButton(post, 'Inspect Failures', { type: 'inspectFailures', jobId }, { action: 'inspectFailures', secondary: true }),
  );
}

function actions(output: JobOutput, post: PostToHost): HTMLElement | null {
  const jobId = output.jobId;
  const applicable = jobActions(output);
  if (!post || !jobId || applicable.length === 0) return null;
  return el(
    'div',
    { className: 'llmb-actions', attrs: { 'data-testid': 'job-actions', role: 'group', 'aria-label': 'Job actions' } },
    ...applicable.map((action) => hostButton(post, JOB_ACTION_LABELS[action], actionMessage(action, jobId), { action, secondary: action !== 'resubmitFailed' })),
  );
}

function actionMessage(action: JobAction, jobId: string): RendererToHost {
  switch (action) {
    case 'cancelJob':
      return { type: 'cancelJob', jobId };
    case 'resubmitFailed':
      return { type: 'resubmitFailed', jobId };
    case 'exportJsonl':
      return { type: 'exportResults', jobId, format: 'jsonl' };
    case 'exportCsv':
      return { type: 'exportResults', jobId, format: 'csv' };
    case 'revealJob':
      return { type: 'revealJob', jobId };
  }
}
