// The item detail page: one item of a job, read-only. Sections for the source line, the request
// sent, the answer, each attempt (its error when it failed) and the remote batches, each with its
// own Copy button; the host copies the whole text (the page may show a clipped one). Everything a
// file, a model or a provider wrote is rendered as text (el()), never as markup.
import '../common/zodJitless';
import '@vscode-elements/elements/dist/vscode-button/index.js';
import { itemDetailToWebviewSchema } from '../../src/shared/protocol';
import type { ItemAttemptView, ItemDetailSection, ItemDetailToHost, ItemDetailToWebview, ItemDetailView } from '../../src/shared/protocol';
import { el, replaceChildren } from '../common/el';
import type { Child } from '../common/el';
import { baseName, dollars, integer } from '../common/format';
import { connectToHost } from '../common/vscodeApi';

type Clipped = NonNullable<ItemDetailView['request']['text']>;

const app = document.getElementById('app') ?? document.body;
const ui = {
  title: el('h1', {}, 'Item'),
  subtitle: el('p', { className: 'subtitle' }),
  status: el('p', { className: 'status', attrs: { role: 'status', 'aria-live': 'polite' } }),
  body: el('div', { className: 'item-detail' }),
};
replaceChildren(app, el('header', {}, ui.title, ui.subtitle), ui.status, ui.body);

const host = connectToHost<typeof itemDetailToWebviewSchema, ItemDetailToHost>(itemDetailToWebviewSchema, onMessage);

function onMessage(message: ItemDetailToWebview): void {
  switch (message.type) {
    case 'detail':
      app.removeAttribute('aria-busy');
      render(message.detail);
      return;
    case 'missing':
      app.removeAttribute('aria-busy');
      replaceChildren(ui.title, 'Item not found');
      replaceChildren(ui.subtitle, '');
      replaceChildren(ui.body, el('p', { className: 'notice', attrs: { role: 'note' } }, message.message));
      return;
    case 'status':
      ui.status.className = message.ok ? 'status' : 'status error';
      replaceChildren(ui.status, message.message);
      return;
  }
}

function render(detail: ItemDetailView): void {
  const { job, item } = detail;
  replaceChildren(ui.title, `Item ${item.id}`);
  replaceChildren(ui.subtitle, `${job.name} (${job.id}) · ${job.provider} · ${item.model} · line ${integer(item.line)}`);
  replaceChildren(
    ui.body,
    detail.historyProblem ? el('p', { className: 'notice', attrs: { role: 'note' } }, `Part of this item's history could not be read, so the attempts below may be incomplete: ${detail.historyProblem}`) : null,
    summarySection(detail),
    sourceSection(detail),
    requestSection(detail),
    answerSection(detail),
    attemptsSection(detail),
    batchesSection(detail),
  );
}

/** A section with a heading and its buttons on one row, then its content. */
function section(id: string, title: string, buttons: Child[], ...content: Child[]): HTMLElement {
  const heading = el('h2', { attrs: { id: `${id}-title` } }, title);
  return el(
    'section',
    { className: 'card', attrs: { 'aria-labelledby': `${id}-title`, id } },
    el('div', { className: 'section-head' }, heading, el('div', { className: 'buttons' }, ...buttons)),
    ...content,
  );
}

function copyButton(section: ItemDetailSection, what: string, label = 'Copy'): HTMLElement {
  const button = el('vscode-button', { attrs: { secondary: true, 'aria-label': `Copy the ${what}`, title: `Copy the whole ${what}` } }, label);
  button.onclick = () => host.post({ type: 'copy', section });
  return button;
}

/** A clipped text as a block, with a note when the page shows only its start. */
function textBlock(text: Clipped, label: string): Child[] {
  return [
    el('pre', { className: 'text', attrs: { 'aria-label': label, tabindex: 0 } }, text.text),
    text.truncated ? el('p', { className: 'hint' }, `Showing the first ${integer(text.text.length)} of ${integer(text.length)} characters; Copy copies all of it.`) : null,
  ];
}

function fact(term: string, ...value: Child[]): Child[] {
  return [el('dt', {}, term), el('dd', {}, ...value)];
}

function summarySection(detail: ItemDetailView): HTMLElement {
  const { item } = detail;
  const facts: Child[] = [
    ...fact('State', item.state),
    ...fact('Tokens', `${integer(item.tokensIn)} in · ${integer(item.tokensOut)} out`),
    ...fact('Cost', `${dollars(item.cost)} (estimated ${dollars(item.estimatedCost)}, at most ${dollars(item.estimatedMax)})`),
    ...fact('Sent to', detail.job.endpoint),
  ];
  if (detail.duplicateOf !== null) {
    const twin = detail.duplicateOf;
    const open = el('button', { className: 'link', attrs: { type: 'button', title: `Open the detail of ${twin}` } }, twin);
    open.onclick = () => host.post({ type: 'openItem', itemId: twin });
    facts.push(...fact('Duplicate of', open, ' — the same request, sent once; this item shares its answer.'));
  }
  if (detail.cachedFrom !== null) {
    const from = detail.cachedFrom;
    const where = from.itemId !== null ? `${from.itemId} of job ${from.jobId ?? '(unknown)'}` : from.jobId !== null ? `job ${from.jobId}` : 'an earlier job';
    facts.push(...fact('Answer reused from', `${where} — the same request was answered before, so nothing was sent or paid.`));
  }
  if (detail.deadLetter !== null) {
    facts.push(...fact('Given up', `${localTime(detail.deadLetter.at)}${detail.deadLetter.reason ? ` — ${detail.deadLetter.reason}` : ' — no attempt left, or a failure another attempt would repeat'}`));
  }
  return section('summary', 'Summary', [], el('dl', { className: 'facts' }, ...facts));
}

function sourceSection(detail: ItemDetailView): HTMLElement {
  const { source } = detail;
  const open = el('vscode-button', { attrs: { title: `Open ${source.file} at line ${source.line}` } }, 'Open Source Line');
  open.onclick = () => host.post({ type: 'openSourceLine' });
  const buttons: Child[] = [open, source.text ? copyButton('source', 'source line') : null];
  return section(
    'source',
    'Source line',
    buttons,
    el('p', { className: 'hint' }, el('span', { className: 'file', attrs: { title: source.file } }, baseName(source.file)), ` line ${integer(source.line)}`),
    source.changedSinceSubmit ? el('p', { className: 'warning' }, 'The file changed after this job was submitted: the line below is what it holds now, and may differ from what was sent.') : null,
    ...(source.text ? textBlock(source.text, 'Source line') : [el('p', { className: 'notice' }, source.problem ?? 'The line cannot be read.')]),
  );
}

function requestSection(detail: ItemDetailView): HTMLElement {
  const { request } = detail;
  return section(
    'request',
    'Request sent',
    [request.text ? copyButton('request', 'request') : null],
    request.text ? el('p', { className: 'hint' }, 'The exact line sent to the provider in its batch.') : null,
    ...(request.text ? textBlock(request.text, 'Request sent') : [el('p', { className: 'hint' }, request.note ?? 'Nothing was sent.')]),
  );
}

function answerSection(detail: ItemDetailView): HTMLElement {
  const { answer } = detail;
  if (!answer) {
    const failed = detail.attempts.some((a) => a.outcome === 'failed');
    return section('answer', 'Answer', [], el('p', { className: 'hint' }, failed ? 'No answer: every attempt so far failed (see Attempts below).' : 'No answer yet.'));
  }
  const from = answer.from === 'twin' ? 'The answer of the item this one repeats.' : answer.from === 'cache' ? 'The answer an earlier job received for the same request.' : null;
  return section(
    'answer',
    'Answer',
    [copyButton('answer', 'answer'), copyButton('rawAnswer', 'raw result line', 'Copy Raw Line')],
    from ? el('p', { className: 'hint' }, from) : null,
    ...(answer.content ? textBlock(answer.content, 'Answer') : [el('p', { className: 'hint' }, 'The provider answered without text content; its raw result line is below.')]),
    el('details', {}, el('summary', {}, 'Raw result line'), ...textBlock(answer.raw, 'Raw result line')),
  );
}

function attemptsSection(detail: ItemDetailView): HTMLElement {
  const failures = detail.attempts.some((a) => a.outcome !== 'succeeded') || detail.deadLetter !== null;
  const list =
    detail.attempts.length === 0
      ? el('p', { className: 'hint' }, detail.duplicateOf !== null || detail.cachedFrom !== null ? 'Never sent: no attempts.' : 'Not sent yet.')
      : el('ol', { className: 'attempts' }, ...detail.attempts.map(attempt));
  return section(
    'attempts',
    failures ? 'Attempts and errors' : 'Attempts',
    [failures ? copyButton('errors', 'errors') : null],
    detail.earlierAttempts > 0 ? el('p', { className: 'hint' }, `${integer(detail.earlierAttempts)} earlier attempt(s) not shown.`) : null,
    list,
  );
}

function attempt(view: ItemAttemptView): HTMLElement {
  const outcome = view.outcome === 'succeeded' ? 'Succeeded' : view.outcome === 'failed' ? 'Failed' : view.outcome === 'no answer' ? 'No answer recorded' : 'Stopped';
  const why = [view.failure, view.code ? `[${view.code}]` : null].filter(Boolean).join(' ');
  return el(
    'li',
    { className: `attempt ${view.outcome === 'succeeded' ? 'ok' : 'bad'}` },
    el('h3', {}, `${view.label}: ${outcome}${why ? ` — ${why}` : ''}`),
    view.message ? el('p', { className: 'message' }, view.message) : null,
    el(
      'p',
      { className: 'hint' },
      `${view.remoteId ? `Batch ${view.remoteId}` : view.batchKey ? 'Batch not created at the provider' : 'Sync API call'} · ${localTime(view.at)} · ${integer(view.tokensIn)} in / ${integer(view.tokensOut)} out · ${dollars(view.cost)}`,
    ),
    view.raw ? el('details', {}, el('summary', {}, 'Raw result line'), ...textBlock(view.raw, `${view.label} raw result line`)) : null,
  );
}

function batchesSection(detail: ItemDetailView): HTMLElement {
  if (detail.batches.length === 0) return section('batches', 'Remote batches', [], el('p', { className: 'hint' }, 'None: this item went in no batch.'));
  return section(
    'batches',
    'Remote batches',
    [],
    el(
      'div',
      { className: 'table-wrap' },
      el(
        'table',
        { className: 'grid' },
        el('thead', {}, el('tr', {}, ...['Round', 'Provider batch id', 'State', 'Our name'].map((name) => el('th', { attrs: { scope: 'col' } }, name)))),
        el(
          'tbody',
          {},
          ...detail.batches.map((batch) =>
            el('tr', {}, el('td', {}, batch.label), el('td', { className: 'mono' }, batch.remoteId ?? 'not created yet'), el('td', {}, batch.state), el('td', { className: 'mono' }, batch.key)),
          ),
        ),
      ),
    ),
  );
}

function localTime(iso: string): string {
  const at = new Date(iso);
  return Number.isNaN(at.getTime()) ? iso : at.toLocaleString();
}
