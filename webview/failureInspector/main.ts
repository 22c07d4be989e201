// The failure inspector page: a job's failed and dead-letter items, a page at a time, with
// filter chips per failure class and the actions on the selected rows. Rows form a grid with one
// tab stop: arrows move between rows, Space selects, Enter opens the source line; a row's id opens
// the item's detail. Every id, message and input preview is rendered as text (el()).
import '../common/zodJitless';
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-checkbox/index.js';
import type { VscodeCheckbox } from '@vscode-elements/elements/dist/vscode-checkbox/index.js';
import { failureInspectorToWebviewSchema } from '../../src/shared/protocol';
import type { FailedItemView, FailureInspectorToHost, FailureInspectorToWebview } from '../../src/shared/protocol';
import { el, replaceChildren } from '../common/el';
import { count } from '../../src/shared/wording';
import type { FailureInspectorRestore } from '../../src/shared/panelRestore';
import { integer } from '../common/format';
import { connectToHost, newRequestId } from '../common/vscodeApi';

type Items = Extract<FailureInspectorToWebview, { type: 'items' }>;

const COLUMNS = ['ID', 'Line', 'State', 'Class', 'Code', 'Message', 'Tries', 'Input'] as const;

/** A failure class as words ("invalid request"), not an identifier; filters keep the class itself. */
function words(name: string): string {
  return name.replace(/_/g, ' ');
}

/** A cell with its column's name (shown beside the value when a narrow editor stacks the table). */
function cell(label: (typeof COLUMNS)[number], className: string, content: Node | string): HTMLElement {
  return el('td', { className, attrs: { role: 'gridcell', 'data-label': label } }, content);
}

const state: {
  view: Items | undefined;
  selected: Set<string>;
  /** The row that holds the grid's one tab stop. */
  focusId: string | undefined;
  /** The request id of the action in flight, if any. */
  pending: string | undefined;
} = { view: undefined, selected: new Set(), focusId: undefined, pending: undefined };

const app = document.getElementById('app') ?? document.body;
const ui = {
  title: el('h1', {}, 'Failures'),
  subtitle: el('p', { className: 'subtitle' }),
  readOnly: el('p', { className: 'notice', attrs: { role: 'note', hidden: true } }),
  chips: el('div', { className: 'chips', attrs: { role: 'group', 'aria-label': 'Filter by failure class' } }),
  retryBatch: el('vscode-button', { attrs: { title: 'Put the selected items into a new batch (retryable failures only)' } }, 'Retry as batch'),
  retrySync: el('vscode-button', { attrs: { secondary: true, title: 'Send each selected item once through the sync API, now' } }, 'Retry via sync'),
  deadLetter: el('vscode-button', { attrs: { secondary: true, title: 'Give up on the selected failed items' } }, 'Move to dead letter'),
  copy: el('vscode-button', { attrs: { secondary: true, title: 'Copy the selected rows as tab-separated text' } }, 'Copy'),
  selection: el('span', { className: 'selection' }),
  status: el('p', { className: 'status', attrs: { role: 'status', 'aria-live': 'polite' } }),
  selectAll: el('vscode-checkbox', { attrs: { 'aria-label': 'Select every row on this page' } }),
  body: el('tbody'),
  pager: el('nav', { className: 'pager', attrs: { 'aria-label': 'Pages' } }),
};

const host = connectToHost<typeof failureInspectorToWebviewSchema, FailureInspectorToHost>(failureInspectorToWebviewSchema, onMessage);
buildPage();

function onMessage(message: FailureInspectorToWebview): void {
  if (message.type === 'items') {
    state.view = message;
    // Kept by VS Code through a reload: the panel comes back on the same job, classes and page.
    const restore: FailureInspectorRestore = { jobId: message.job.id, filter: [...message.filter], page: message.page };
    host.setState(restore);
    const onPage = new Set(message.items.map((item) => item.id));
    for (const id of state.selected) if (!onPage.has(id)) state.selected.delete(id);
    if (state.focusId === undefined || !onPage.has(state.focusId)) state.focusId = message.items[0]?.id;
    render();
    return;
  }
  if (message.requestId !== state.pending) return;
  state.pending = undefined;
  if (message.ok) state.selected.clear();
  ui.status.className = message.ok ? 'status' : 'status error';
  replaceChildren(ui.status, message.message);
  renderRows();
  renderToolbar();
}

function buildPage(): void {
  ui.retryBatch.onclick = () => act({ type: 'retry', mode: 'batch', ids: selectedIds(), requestId: newRequestId() });
  ui.retrySync.onclick = () => act({ type: 'retry', mode: 'sync', ids: selectedIds(), requestId: newRequestId() });
  ui.deadLetter.onclick = () => act({ type: 'deadLetter', ids: selectedIds(), requestId: newRequestId() });
  ui.copy.onclick = () => {
    if (state.selected.size === 0) return;
    host.post({ type: 'copy', text: selectedAsText() });
    replaceChildren(ui.status, `Copied ${count(state.selected.size, 'row')}.`);
  };
  ui.selectAll.onchange = () => {
    const all = (ui.selectAll as VscodeCheckbox).checked;
    for (const item of state.view?.items ?? []) {
      if (all) state.selected.add(item.id);
      else state.selected.delete(item.id);
    }
    renderRows();
    renderToolbar();
  };
  const table = el(
    'table',
    { className: 'grid', attrs: { role: 'grid', 'aria-label': 'Failed items', 'aria-multiselectable': 'true' } },
    el('thead', {}, el('tr', {}, el('th', { className: 'select', attrs: { scope: 'col' } }, ui.selectAll), ...COLUMNS.map((name) => el('th', { attrs: { scope: 'col' } }, name)))),
    ui.body,
  );
  ui.body.addEventListener('keydown', onGridKey);
  const toolbar = el('div', { className: 'toolbar', attrs: { role: 'toolbar', 'aria-label': 'Actions on the selected rows' } }, ui.retryBatch, ui.retrySync, ui.deadLetter, ui.copy, ui.selection);
  replaceChildren(app, el('header', {}, ui.title, ui.subtitle), ui.readOnly, ui.chips, toolbar, ui.status, el('div', { className: 'table-wrap' }, table), ui.pager);
  renderToolbar();
}

function render(): void {
  const view = state.view;
  if (!view) return;
  app.removeAttribute('aria-busy');
  replaceChildren(ui.title, `Failures: ${view.job.name}`);
  replaceChildren(ui.subtitle, `Job ${view.job.id}${view.job.provider ? ` · ${view.job.provider}` : ''} · ${count(view.total, 'item')} ${view.filter.length > 0 ? 'in the chosen classes' : 'failed or in dead letter'}`);
  ui.readOnly.hidden = view.job.readOnlyReason === undefined;
  replaceChildren(ui.readOnly, view.job.readOnlyReason ? `Read-only: ${view.job.readOnlyReason}. Retrying and dead-lettering are off in this window.` : '');
  renderChips(view);
  renderRows();
  renderPager(view);
  renderToolbar();
}

function renderChips(view: Items): void {
  const active = new Set(view.filter);
  const chip = (label: string, pressed: boolean, onPress: () => void) => {
    const button = el('button', { className: 'chip', attrs: { type: 'button', 'aria-pressed': pressed ? 'true' : 'false' } }, label);
    button.onclick = onPress;
    return button;
  };
  const all = view.classes.reduce((sum, c) => sum + c.count, 0);
  replaceChildren(
    ui.chips,
    chip(`All (${integer(all)})`, active.size === 0, () => load([], 0)),
    ...view.classes.map((c) =>
      chip(`${words(c.name)} (${integer(c.count)})`, active.has(c.name), () => {
        const next = new Set(active);
        if (next.has(c.name)) next.delete(c.name);
        else next.add(c.name);
        load([...next], 0);
      }),
    ),
  );
}

function renderRows(): void {
  const view = state.view;
  if (!view) return;
  if (view.items.length === 0) {
    replaceChildren(ui.body, el('tr', {}, el('td', { className: 'empty', attrs: { colspan: COLUMNS.length + 1 } }, 'No failed or dead-letter items here.')));
  } else {
    replaceChildren(ui.body, ...view.items.map(row));
  }
  const onPage = view.items.filter((item) => state.selected.has(item.id)).length;
  const selectAll = ui.selectAll as VscodeCheckbox;
  selectAll.checked = onPage > 0 && onPage === view.items.length;
  selectAll.indeterminate = onPage > 0 && onPage < view.items.length;
  selectAll.disabled = view.items.length === 0;
}

function row(item: FailedItemView): HTMLElement {
  const selected = state.selected.has(item.id);
  const box = el('vscode-checkbox', { attrs: { 'aria-label': `Select ${item.id}`, tabindex: -1 } });
  box.checked = selected;
  box.onchange = () => toggle(item.id, box.checked);
  const line = el('button', { className: 'link', attrs: { type: 'button', tabindex: -1, title: `Open the source file at line ${item.line}` } }, String(item.line));
  line.onclick = () => host.post({ type: 'openLine', line: item.line });
  const open = el('button', { className: 'link', attrs: { type: 'button', tabindex: -1, title: `Open ${item.id}: its request, each attempt's error, its source line` } }, item.id);
  open.onclick = () => host.post({ type: 'openItem', id: item.id });
  const tr = el(
    'tr',
    {
      className: selected ? 'selected' : '',
      attrs: { role: 'row', tabindex: item.id === state.focusId ? 0 : -1, 'aria-selected': selected ? 'true' : 'false', 'data-id': item.id },
    },
    el('td', { className: 'select', attrs: { role: 'gridcell' } }, box),
    cell('ID', 'mono', open),
    cell('Line', 'num', line),
    cell('State', '', item.state === 'dead_letter' ? 'dead letter' : item.state),
    cell('Class', '', item.failureClass ? words(item.failureClass) : '—'),
    cell('Code', 'mono', item.code ?? ''),
    cell('Message', 'message', item.message ?? ''),
    // The first batch is try 1; the two batch retries and the one sync call follow it.
    cell('Tries', 'num', String(item.strike + 1)),
    el('td', { className: 'preview', attrs: { role: 'gridcell', title: item.preview, 'data-label': 'Input' } }, item.preview),
  );
  tr.addEventListener('focus', () => {
    state.focusId = item.id;
  });
  return tr;
}

function onGridKey(event: KeyboardEvent): void {
  const rows = [...ui.body.querySelectorAll<HTMLTableRowElement>('tr[data-id]')];
  // Only keys pressed on a row itself: a focused checkbox or link handles its own keys.
  const current = event.target;
  const index = rows.findIndex((r) => r === current);
  if (index < 0) return;
  const id = rows[index]?.dataset['id'];
  const item = state.view?.items.find((i) => i.id === id);
  let next = index;
  switch (event.key) {
    case 'ArrowDown':
      next = Math.min(index + 1, rows.length - 1);
      break;
    case 'ArrowUp':
      next = Math.max(index - 1, 0);
      break;
    case 'Home':
      next = 0;
      break;
    case 'End':
      next = rows.length - 1;
      break;
    case ' ':
      if (id !== undefined) toggle(id, !state.selected.has(id));
      event.preventDefault();
      return;
    case 'Enter':
      if (item) host.post({ type: 'openLine', line: item.line });
      event.preventDefault();
      return;
    default:
      return;
  }
  event.preventDefault();
  moveFocus(rows, next);
}

function moveFocus(rows: HTMLTableRowElement[], index: number): void {
  const target = rows[index];
  if (!target) return;
  for (const r of rows) r.tabIndex = r === target ? 0 : -1;
  state.focusId = target.dataset['id'];
  target.focus();
}

function toggle(id: string, on: boolean): void {
  if (on) state.selected.add(id);
  else state.selected.delete(id);
  const focused = state.focusId;
  renderRows();
  renderToolbar();
  // Re-rendering replaced the rows: put focus back where the keyboard left it.
  if (focused !== undefined && document.activeElement === document.body) {
    ui.body.querySelector<HTMLElement>(`tr[tabindex="0"]`)?.focus();
  }
}

function renderPager(view: Items): void {
  const previous = el('vscode-button', { attrs: { secondary: true } }, 'Previous');
  previous.disabled = view.page <= 0;
  previous.onclick = () => load(view.filter, view.page - 1);
  const next = el('vscode-button', { attrs: { secondary: true } }, 'Next');
  next.disabled = view.page >= view.pageCount - 1;
  next.onclick = () => load(view.filter, view.page + 1);
  replaceChildren(ui.pager, previous, el('span', { className: 'page' }, `Page ${view.page + 1} of ${view.pageCount}`), next);
}

function renderToolbar(): void {
  const count = state.selected.size;
  const readOnly = state.view?.job.readOnlyReason !== undefined;
  const busy = state.pending !== undefined;
  ui.retryBatch.disabled = count === 0 || readOnly || busy;
  ui.retrySync.disabled = count === 0 || readOnly || busy;
  ui.deadLetter.disabled = count === 0 || readOnly || busy;
  ui.copy.disabled = count === 0;
  replaceChildren(ui.selection, count === 0 ? 'Select rows to act on them.' : `${integer(count)} selected`);
}

function load(classes: string[], page: number): void {
  host.post({ type: 'load', classes, page: Math.max(0, page) });
}

function act(message: Extract<FailureInspectorToHost, { requestId: string }>): void {
  if (message.ids.length === 0 || state.pending !== undefined) return;
  state.pending = message.requestId;
  ui.status.className = 'status';
  replaceChildren(ui.status, 'Working…');
  renderToolbar();
  host.post(message);
}

function selectedIds(): string[] {
  return (state.view?.items ?? []).filter((item) => state.selected.has(item.id)).map((item) => item.id);
}

/** Tab-separated, one row per line; tabs and newlines inside a field become spaces. */
function selectedAsText(): string {
  const clean = (value: string | number | null) => String(value ?? '').replace(/[\t\r\n]+/g, ' ');
  const rows = (state.view?.items ?? []).filter((item) => state.selected.has(item.id));
  return [
    COLUMNS.join('\t'),
    ...rows.map((item) => [item.id, item.line, item.state, item.failureClass, item.code, item.message, item.strike, item.preview].map(clean).join('\t')),
  ].join('\n');
}
