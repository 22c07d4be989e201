// The job summary page: the job's figures (progress, cost against the estimate, tokens, the
// savings, spend by attempt), its batches, and why it waits, with "Show Log". The host sends
// everything already in words; this page only lays it out, as text (el()).
import '../common/zodJitless';
import '@vscode-elements/elements/dist/vscode-button/index.js';
import { jobSummaryToWebviewSchema } from '../../src/shared/protocol';
import type { JobSummaryToHost, JobSummaryToWebview } from '../../src/shared/protocol';
import { el, replaceChildren } from '../common/el';
import { integer } from '../common/format';
import { connectToHost } from '../common/vscodeApi';

type Summary = Extract<JobSummaryToWebview, { type: 'summary' }>;

const app = document.getElementById('app') ?? document.body;
const ui = {
  title: el('h1', {}, 'Job summary'),
  subtitle: el('p', { className: 'subtitle' }),
  figures: el('dl', { className: 'facts figures', attrs: { 'aria-label': 'Figures' } }),
  strikes: el('tbody'),
  batches: el('tbody'),
  waitsSection: el('section', { className: 'card waits', attrs: { 'aria-labelledby': 'waits-head' } }),
  waits: el('ul', { className: 'lines' }),
  showLog: el('vscode-button', { attrs: { secondary: true, title: 'Open the LLM Batch Runner output: each provider call and state change' } }, 'Show Log'),
};

const host = connectToHost<typeof jobSummaryToWebviewSchema, JobSummaryToHost>(jobSummaryToWebviewSchema, onMessage);
buildPage();

function onMessage(message: JobSummaryToWebview): void {
  app.removeAttribute('aria-busy');
  if (message.type === 'gone') {
    replaceChildren(app, el('h1', {}, 'Job summary'), el('p', { className: 'notice', attrs: { role: 'note' } }, `Job ${message.jobId} is no longer in this workspace.`));
    return;
  }
  render(message);
}

function buildPage(): void {
  ui.showLog.onclick = () => host.post({ type: 'showLog' });
  const table = (label: string, columns: readonly string[], body: HTMLElement) =>
    el(
      'div',
      { className: 'table-wrap' },
      el('table', { className: 'grid', attrs: { 'aria-label': label } }, el('thead', {}, el('tr', {}, ...columns.map((name) => el('th', { attrs: { scope: 'col' } }, name)))), body),
    );
  replaceChildren(ui.waitsSection, el('div', { className: 'section-head' }, el('h2', { attrs: { id: 'waits-head' } }, 'Why it waits'), ui.showLog), ui.waits);
  replaceChildren(
    app,
    el('header', {}, ui.title, ui.subtitle),
    el('section', { className: 'card', attrs: { 'aria-labelledby': 'figures-head' } }, el('h2', { attrs: { id: 'figures-head' } }, 'Figures'), ui.figures),
    ui.waitsSection,
    el('section', { attrs: { 'aria-labelledby': 'strikes-head' } }, el('h2', { attrs: { id: 'strikes-head' } }, 'Spend by attempt'), table('Spend by attempt', ['Attempt', 'Cost', 'At sync prices', 'Tokens'], ui.strikes)),
    el('section', { attrs: { 'aria-labelledby': 'batches-head' } }, el('h2', { attrs: { id: 'batches-head' } }, 'Batches'), table('Batches', ['Batch', 'Remote id', 'Attempt', 'State', 'Items'], ui.batches)),
  );
}

function render(summary: Summary): void {
  const { job } = summary;
  replaceChildren(ui.title, `Summary: ${job.name}`);
  replaceChildren(ui.subtitle, `Job ${job.id} · ${job.provider} · ${job.model} · ${job.state}`);
  replaceChildren(ui.figures, ...summary.figures.flatMap(({ label, text }) => [el('dt', {}, label), el('dd', { attrs: { 'data-figure': label } }, text)]));
  replaceChildren(
    ui.strikes,
    ...(summary.strikes.length === 0
      ? [el('tr', {}, el('td', { className: 'empty', attrs: { colspan: 4 } }, 'Nothing spent yet.'))]
      : summary.strikes.map((row) => el('tr', {}, el('td', {}, row.label), el('td', { className: 'num' }, row.cost), el('td', { className: 'num' }, row.syncCost), el('td', { className: 'num' }, row.tokens)))),
  );
  replaceChildren(
    ui.batches,
    ...(summary.batches.length === 0
      ? [el('tr', {}, el('td', { className: 'empty', attrs: { colspan: 5 } }, 'No batches: the items went one by one, or none were sent.'))]
      : summary.batches.map((batch) =>
          el(
            'tr',
            {},
            el('td', { className: 'mono' }, batch.key),
            el('td', { className: 'mono' }, batch.remoteId ?? 'not created yet'),
            el('td', {}, batch.attempt),
            el('td', {}, batch.state),
            el('td', { className: 'num' }, integer(batch.items)),
          ),
        )),
  );
  replaceChildren(ui.waits, ...(summary.waits.length === 0 ? [el('li', {}, summary.final ? 'Nothing: the job has ended.' : 'Nothing: the job is on its way.')] : summary.waits.map((line) => el('li', {}, line))));
}
