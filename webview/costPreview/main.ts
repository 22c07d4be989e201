// The cost preview page: what a submission of the chosen files would send and cost, with the
// provider and model pickers, and "Confirm & submit" / "Cancel". It only shows and asks; the host
// estimates and submits. Every file name, model name and message is rendered as text (el()).
import '../common/zodJitless';
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-checkbox/index.js';
import '@vscode-elements/elements/dist/vscode-option/index.js';
import '@vscode-elements/elements/dist/vscode-progress-bar/index.js';
import '@vscode-elements/elements/dist/vscode-single-select/index.js';
import type { VscodeButton } from '@vscode-elements/elements/dist/vscode-button/index.js';
import type { VscodeCheckbox } from '@vscode-elements/elements/dist/vscode-checkbox/index.js';
import type { VscodeSingleSelect } from '@vscode-elements/elements/dist/vscode-single-select/index.js';
import type { EstimateReport } from '../../src/shared/estimateReport';
import { standingBlockers } from '../../src/shared/blockers';
import type { Blocker } from '../../src/shared/blockers';
import { costPreviewToWebviewSchema } from '../../src/shared/protocol';
import type { CostPreviewToHost, CostPreviewToWebview, SubmitProvider } from '../../src/shared/protocol';
import { el, replaceChildren } from '../common/el';
import { count } from '../../src/shared/wording';
import type { CostPreviewRestore } from '../../src/shared/panelRestore';
import type { Child } from '../common/el';
import { baseName, bytes, dollars, integer, saving } from '../common/format';
import { connectToHost } from '../common/vscodeApi';

type Init = Extract<CostPreviewToWebview, { type: 'init' }>;
type Estimate = Extract<CostPreviewToWebview, { type: 'estimate' }>;
type Phase = 'waiting' | 'estimating' | 'estimated' | 'error' | 'submitting' | 'submitted';

/** The model picker's entry for "each line keeps the model it names". */
const FILE_MODEL = '';

const state: {
  init: Init | undefined;
  phase: Phase;
  progress: { done: number; total: number } | undefined;
  estimate: Estimate | undefined;
  error: string | undefined;
  skipInvalid: boolean;
  models: string[];
} = { init: undefined, phase: 'waiting', progress: undefined, estimate: undefined, error: undefined, skipInvalid: false, models: [] };

const app = document.getElementById('app') ?? document.body;
const ui = {
  provider: el('vscode-single-select', { attrs: { id: 'provider', label: 'Provider' } }),
  model: el('vscode-single-select', { attrs: { id: 'model', label: 'Model', combobox: true, creatable: true } }),
  status: el('section', { className: 'status', attrs: { 'aria-live': 'polite', 'aria-label': 'Estimate status' } }),
  report: el('div', { className: 'report' }),
  blockers: el('section', { className: 'blockers', attrs: { 'aria-label': 'What blocks submission' } }),
  skip: el('vscode-checkbox', { attrs: { id: 'skip-invalid' } }),
  confirm: el('vscode-button', { attrs: { id: 'confirm' } }, 'Confirm & submit'),
  cancel: el('vscode-button', { attrs: { id: 'cancel', secondary: true } }, 'Cancel'),
  readOnly: el('p', { className: 'notice', attrs: { role: 'note', hidden: true } }),
  prices: el('p', { className: 'hint prices', attrs: { 'aria-live': 'polite' } }),
};

const host = connectToHost<typeof costPreviewToWebviewSchema, CostPreviewToHost>(costPreviewToWebviewSchema, onMessage);

function onMessage(message: CostPreviewToWebview): void {
  switch (message.type) {
    case 'init':
      state.init = message;
      saveRestore(message.provider, message.model);
      if (state.phase === 'waiting') state.phase = 'estimating';
      buildPage(message);
      break;
    case 'progress':
      state.phase = 'estimating';
      state.progress = { done: message.done, total: message.total };
      break;
    case 'estimate':
      state.phase = 'estimated';
      state.estimate = message;
      state.error = undefined;
      setModelOptions(message.models);
      renderReport();
      break;
    case 'error':
      // A refusal at confirm leaves the estimate standing; a failed estimate has none.
      state.phase = state.estimate ? 'estimated' : 'error';
      state.error = message.message;
      break;
    case 'submitting':
      state.phase = 'submitting';
      break;
    case 'submitted':
      state.phase = 'submitted';
      break;
  }
  renderStatus();
  renderActions();
}

// ---- page skeleton (built once per init, so focus and picker state survive updates) -------

function buildPage(init: Init): void {
  const files = init.files;
  const heading = el(
    'header',
    {},
    el('h1', {}, 'Cost preview'),
    el(
      'p',
      { className: 'files' },
      files.length === 1 ? 'File: ' : `${files.length} files, each submitted as its own job: `,
      ...files.flatMap((file, index) => [index > 0 ? ', ' : '', el('span', { className: 'file', attrs: { title: file } }, baseName(file))]),
    ),
  );

  replaceChildren(ui.provider, ...init.providers.map((p) => el('vscode-option', { attrs: { value: p.id, selected: p.id === init.provider } }, p.label)));
  // Another provider names its models otherwise: start from the file's own, and its list comes with the estimate.
  ui.provider.onchange = () => {
    setModelOptions(state.models, FILE_MODEL);
    requestEstimate(FILE_MODEL);
  };
  setModelOptions(state.models, init.model);
  ui.model.onchange = () => {
    if ((ui.model as VscodeSingleSelect).value) return requestEstimate();
    // Enter on a typed name that matches no option selects nothing (the combobox only creates one
    // from its "Add …" entry): the name typed is the model, as the hint promises — never a blank
    // field while the file's models stay priced.
    const typed = typedModel();
    setModelOptions(state.models, typed || FILE_MODEL);
    requestEstimate(typed || FILE_MODEL);
  };

  const pickers = el(
    'section',
    { className: 'pickers', attrs: { 'aria-label': 'Provider and model' } },
    el('label', { className: 'picker' }, el('span', { className: 'picker-label' }, 'Provider'), ui.provider),
    el('label', { className: 'picker' }, el('span', { className: 'picker-label' }, 'Model'), ui.model),
    el('p', { className: 'hint' }, 'Changing either estimates again. Type a model name to price the whole file with it.'),
    ui.prices,
  );

  ui.skip.onchange = () => {
    state.skipInvalid = (ui.skip as VscodeCheckbox).checked;
    renderActions();
  };
  ui.confirm.onclick = () => {
    if ((ui.confirm as VscodeButton).disabled) return;
    host.post({ type: 'confirm', skipInvalid: state.skipInvalid });
  };
  ui.cancel.onclick = () => host.post({ type: 'dismiss' });

  if (init.readOnlyReason) {
    ui.readOnly.hidden = false;
    replaceChildren(ui.readOnly, `Submitting is off: ${init.readOnlyReason}`);
  }

  const footer = el('footer', { className: 'actions' }, ui.skip, el('div', { className: 'buttons' }, ui.confirm, ui.cancel), ui.readOnly);
  replaceChildren(app, heading, pickers, ui.status, ui.report, ui.blockers, footer);
  app.removeAttribute('aria-busy');
  renderReport();
}

function setModelOptions(models: readonly string[], selected?: string): void {
  const current = selected ?? (ui.model as VscodeSingleSelect).value ?? FILE_MODEL;
  const known = new Set(models);
  const same = models.length === state.models.length && models.every((m, i) => m === state.models[i]);
  if (same && ui.model.childElementCount > 0 && selected === undefined) return;
  state.models = [...models];
  // `selected` on the option, not `.value` on the select: the select learns its options on
  // slotchange, after this returns, and would drop a value set now.
  const option = (value: string, label: string, description?: string) =>
    el('vscode-option', { attrs: { value, description, selected: value === current } }, label);
  const options = [option(FILE_MODEL, 'As in the file', 'Each line keeps the model it names')];
  for (const model of models) options.push(option(model, model));
  // A typed-in model stays in the list once it has been estimated.
  if (current && !known.has(current)) options.push(option(current, current));
  replaceChildren(ui.model, ...options);
}

/** Kept by VS Code through a reload: the preview comes back on the same files, provider and model, and estimates again. */
function saveRestore(provider: string, model: string | undefined): void {
  if (!state.init) return;
  const restore: CostPreviewRestore = { files: [...state.init.files], provider, ...(model === undefined ? {} : { model }) };
  host.setState(restore);
}

/** The text in the model combobox's input (its shadow root's), trimmed. */
function typedModel(): string {
  return (ui.model.shadowRoot?.querySelector('input')?.value ?? '').trim();
}

/** `chosenModel`: the model just picked, for when the select has not taken its new options yet. */
function requestEstimate(chosenModel?: string): void {
  const provider = (ui.provider as VscodeSingleSelect).value as SubmitProvider;
  const model = (chosenModel ?? (ui.model as VscodeSingleSelect).value ?? '').trim();
  state.phase = 'estimating';
  state.progress = undefined;
  state.error = undefined;
  state.estimate = undefined;
  host.post(model === FILE_MODEL ? { type: 'estimate', provider } : { type: 'estimate', provider, model });
  saveRestore(provider, model === FILE_MODEL ? undefined : model);
  renderStatus();
  renderReport();
  renderActions();
}

// ---- status: progress, errors, the submission ---------------------------------------------

function renderStatus(): void {
  switch (state.phase) {
    case 'waiting':
    case 'estimating': {
      const { done = 0, total = 0 } = state.progress ?? {};
      const percent = total > 0 ? Math.floor((done / total) * 100) : 0;
      const bar = el('vscode-progress-bar', { attrs: { 'aria-label': 'Estimate progress' } });
      if (total > 0) bar.value = percent;
      else bar.indeterminate = true;
      const cancel = el('vscode-button', { attrs: { secondary: true } }, 'Cancel estimate');
      cancel.onclick = () => host.post({ type: 'cancelEstimate' });
      replaceChildren(ui.status, bar, el('p', {}, total > 0 ? `Estimating… ${percent}% (${bytes(done)} of ${bytes(total)})` : 'Estimating…'), cancel);
      return;
    }
    case 'error': {
      const again = el('vscode-button', {}, 'Estimate again');
      again.onclick = () => requestEstimate();
      replaceChildren(ui.status, el('p', { className: 'error', attrs: { role: 'alert' } }, state.error ?? ''), again);
      return;
    }
    case 'estimated':
      replaceChildren(ui.status, state.error ? el('p', { className: 'error', attrs: { role: 'alert' } }, state.error) : null);
      return;
    case 'submitting':
      replaceChildren(ui.status, el('vscode-progress-bar', { attrs: { indeterminate: true, 'aria-label': 'Submitting' } }), el('p', {}, 'Submitting…'));
      return;
    case 'submitted':
      replaceChildren(ui.status, el('p', {}, 'Submitted. The Jobs view tracks it from here.'));
      return;
  }
}

function renderActions(): void {
  const estimate = state.estimate;
  const invalid = estimate?.report.totals.invalid ?? 0;
  ui.skip.hidden = invalid === 0;
  replaceChildren(ui.skip, `Skip the ${count(invalid, 'invalid line')} and submit the rest`);
  const blocking = standingBlockers(estimate?.blockers ?? [], { skipInvalid: state.skipInvalid });
  const canSubmit = state.phase === 'estimated' && estimate !== undefined && blocking.length === 0 && !state.init?.readOnlyReason;
  (ui.confirm as VscodeButton).disabled = !canSubmit;
  (ui.cancel as VscodeButton).disabled = state.phase === 'submitting' || state.phase === 'submitted';
  (ui.skip as VscodeCheckbox).disabled = state.phase === 'submitting' || state.phase === 'submitted';
  (ui.provider as VscodeSingleSelect).disabled = state.phase === 'submitting' || state.phase === 'submitted';
  (ui.model as VscodeSingleSelect).disabled = state.phase === 'submitting' || state.phase === 'submitted';
  renderBlockers(estimate?.blockers ?? []);
}

function renderBlockers(blockers: readonly Blocker[]): void {
  if (blockers.length === 0) {
    replaceChildren(ui.blockers);
    return;
  }
  replaceChildren(
    ui.blockers,
    // With every blocker lifted (the invalid lines skipped), Confirm is on: the heading must not say otherwise.
    el('h2', {}, standingBlockers(blockers, { skipInvalid: state.skipInvalid }).length > 0 ? 'Cannot submit yet' : 'Left out when you submit'),
    el(
      'ul',
      {},
      ...blockers.map((b) => {
        const lifted = state.skipInvalid && b.kind === 'invalid_lines';
        return el('li', { className: lifted ? 'lifted' : '' }, b.message, lifted ? ' (skipped)' : '', ...blockerActions(b));
      }),
    ),
  );
}

/**
 * What the user can do about a blocker right here: a missing key is set without leaving the
 * preview; a missing region or bucket (or a cloud that signs in without keys) opens the settings.
 */
function blockerActions(blocker: Blocker): HTMLElement[] {
  if (blocker.kind !== 'no_credentials') return [];
  const button = el('vscode-button', { attrs: { secondary: true } }, state.estimate?.credentialsFix === 'settings' ? 'Open Settings' : 'Set API Key');
  button.onclick = () => host.post({ type: 'setApiKey' });
  return [button];
}

// ---- the report --------------------------------------------------------------------------

function renderReport(): void {
  const estimate = state.estimate;
  if (!estimate) {
    replaceChildren(ui.report);
    return;
  }
  const { report, budget } = estimate;
  const t = report.totals;
  renderPrices(estimate.modelPrices ?? []);
  const several = report.files.length > 1;
  const cost = t.cost;

  const sent = section(
    'What would be sent',
    facts(
      ...(estimate.destination ? [['Sent to', estimate.destination] as [string, string]] : []),
      ['Requests', `${integer(t.items)} (${integer(t.valid)} valid)`],
      ['Invalid lines', integer(t.invalid), t.invalid > 0 ? invalidList(report, several) : null],
      ['Duplicates removed', integer(t.duplicates), t.duplicates > 0 ? duplicateList(report, several) : null],
      ['Cache hits (already answered, not paid again)', integer(t.cached)],
      [`Batches within ${providerNames(report)}'s limits`, integer(t.chunks), t.chunks > 0 ? chunkList(report, several) : null],
    ),
  );
  const tokens = section(
    'Tokens',
    facts(
      ['Input', `${integer(t.inputTokens)} ${t.inputTokensExact ? '(exact)' : '(approximate)'}`],
      ['Output', `${integer(t.outputTokensExpected)} expected, at most ${integer(t.outputTokensMax)}`],
    ),
  );
  const costs = section(
    'Cost',
    el(
      'table',
      { className: 'costs' },
      el('thead', {}, el('tr', {}, el('th', { attrs: { scope: 'col' } }, 'Sent as'), el('th', { attrs: { scope: 'col' } }, 'Cost'), el('th', { attrs: { scope: 'col' } }, 'Saving vs sync'))),
      el(
        'tbody',
        {},
        costRow('Sync API, every line', cost.sync, cost.sync),
        costRow('Batch, every line', cost.batch, cost.sync),
        costRow('Batch after dedup and cache (what you pay)', cost.batchAfterDedup, cost.sync, true),
      ),
    ),
    cost.complete ? null : el('p', { className: 'warning' }, 'Incomplete: some models have no known price (below), so these sums leave them out.'),
    facts(
      ['Reserved against the budget (every request at its output limit)', dollars(cost.batchAfterDedupMax)],
      ['Budget left', budgetText(budget)],
      ['Prices', `${report.price.source} ${report.price.version}, ${report.price.date}`],
    ),
    report.price.unpricedModels.length > 0 ? messageList('Models without a price', report.price.unpricedModels.map((m) => m.message)) : null,
  );
  const problems = report.problems.length > 0 ? section('Problems', messageList(null, report.problems.map((p) => located(p, several)))) : null;
  const notes = report.notes.length > 0 ? section('Notes', messageList(null, report.notes.map((n) => located(n, several)))) : null;
  const perFile = estimate.fileCosts && estimate.fileCosts.length > 1 ? section('Each file (its own job)', fileCostTable(estimate.fileCosts)) : null;
  replaceChildren(ui.report, sent, tokens, costs, perFile, problems, notes);
}

/** Beside the model picker: what each model costs per million tokens, sync and batch. */
function renderPrices(prices: readonly { model: string; input: number; output: number; batchInput: number; batchOutput: number }[]): void {
  replaceChildren(
    ui.prices,
    ...prices.map((p) => el('span', { className: 'price' }, `${p.model}: ${dollars(p.input)} in, ${dollars(p.output)} out per 1M tokens (batch ${dollars(p.batchInput)}, ${dollars(p.batchOutput)})`)),
  );
}

function fileCostTable(files: readonly { file: string; items: number; expected: number; max: number }[]): HTMLElement {
  const head = el('tr', {}, ...['File', 'Requests', 'Cost', 'At most'].map((name) => el('th', { attrs: { scope: 'col' } }, name)));
  const rows = files.map((f) => el('tr', {}, el('td', { className: 'file', attrs: { title: f.file } }, baseName(f.file)), el('td', {}, integer(f.items)), el('td', {}, dollars(f.expected)), el('td', {}, dollars(f.max))));
  return el('table', { className: 'costs' }, el('thead', {}, head), el('tbody', {}, ...rows));
}

function section(title: string, ...content: Child[]): HTMLElement {
  return el('section', { className: 'card' }, el('h2', {}, title), ...content);
}

function facts(...rows: [string, string, Child?][]): HTMLElement {
  return el('dl', { className: 'facts' }, ...rows.flatMap(([term, value, more]) => [el('dt', {}, term), el('dd', {}, value, more ?? null)]));
}

function costRow(label: string, amount: number, baseline: number, strong = false): HTMLElement {
  return el(
    'tr',
    { className: strong ? 'strong' : '' },
    el('th', { attrs: { scope: 'row' } }, label),
    el('td', { className: 'num' }, dollars(amount)),
    el('td', { className: 'num' }, amount === baseline ? '—' : saving(baseline, amount)),
  );
}

function budgetText(budget: Estimate['budget']): string {
  if (!budget.accepted) return budget.message ?? 'Over the budget.';
  const parts: string[] = [];
  if (budget.remainingToday !== undefined) parts.push(`${dollars(budget.remainingToday)} today`);
  if (budget.remainingThisMonth !== undefined) parts.push(`${dollars(budget.remainingThisMonth)} this month`);
  return parts.length > 0 ? `${parts.join(', ')} after this submission` : 'No budget caps set (llmBatch.budget.daily / .monthly).';
}

function providerNames(report: EstimateReport): string {
  const names = new Set(report.chunks.map((c) => providerLabel(c.provider)));
  return names.size === 0 ? 'the provider' : [...names].join(', ');
}

/** A provider's display name, as the host listed it. */
function providerLabel(id: string): string {
  return state.init?.providers.find((p) => p.id === id)?.label ?? id;
}

function located(entry: { file: string; message: string }, several: boolean): string {
  return several ? `${baseName(entry.file)}: ${entry.message}` : entry.message;
}

function more(shown: number, total: number): Child {
  return total > shown ? el('li', { className: 'more' }, `…and ${integer(total - shown)} more`) : null;
}

/** Each invalid line is a button that opens the file at that line. */
function invalidList(report: EstimateReport, several: boolean): HTMLElement {
  return el(
    'details',
    { attrs: { open: report.invalid.length <= 10 } },
    el('summary', {}, 'Show the invalid lines'),
    el(
      'ul',
      { className: 'lines' },
      ...report.invalid.map(({ file, line, message }) => {
        const link = el('button', { className: 'link', attrs: { type: 'button', title: `Open ${file} at line ${line}` } }, `${several ? `${baseName(file)}:` : 'line '}${line}`);
        link.onclick = () => host.post({ type: 'openLine', file, line });
        return el('li', {}, link, ' ', el('span', {}, message));
      }),
      more(report.invalid.length, report.totals.invalid),
    ),
  );
}

function duplicateList(report: EstimateReport, several: boolean): HTMLElement {
  return el(
    'details',
    {},
    el('summary', {}, 'Show the duplicates'),
    el(
      'ul',
      { className: 'lines' },
      ...report.duplicates.map(({ file, line, of }) => el('li', {}, `${several ? `${baseName(file)}: ` : ''}line ${line} repeats line ${of}`)),
      more(report.duplicates.length, report.totals.duplicates),
    ),
  );
}

function chunkList(report: EstimateReport, several: boolean): HTMLElement {
  return el(
    'details',
    {},
    el('summary', {}, 'Show the batches'),
    el(
      'ul',
      { className: 'lines' },
      ...report.chunks.map((c) => el('li', {}, `${several ? `${baseName(c.file)}: ` : ''}${providerLabel(c.provider)} · ${c.model} · ${integer(c.requests)} requests · ${bytes(c.bytes)}`)),
      more(report.chunks.length, report.totals.chunks),
    ),
  );
}

function messageList(title: string | null, messages: readonly string[]): HTMLElement {
  return el('div', {}, title ? el('h3', {}, title) : null, el('ul', {}, ...messages.map((m) => el('li', {}, m))));
}
