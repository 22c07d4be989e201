// The cost preview: estimates the chosen JSONL files (each becomes its own job) through the submit
// service, shows what a submission would send and cost against the budget, and submits only on
// "Confirm & submit". Nothing is written and nothing is spent until then; Cancel closes it with no
// trace. The service refuses a file changed since its estimate; the panel then estimates again.
// Each estimate's invalid lines are also listed in the Problems panel.
import { existsSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import * as vscode from 'vscode';
import { checkBudget } from '../core/budget';
import type { BudgetDecision } from '../core/budget';
import { mergeEstimateReports } from '../core/mergeEstimateReports';
import { PROVIDER_LIMITS } from '../core/providerLimits';
import { createOffThreadAnalyzer } from '../core/workerLineAnalyzer';
import type { SubmitPreview } from '../app/jobService';
import { SubmitRefused } from '../engine/submitRefused';
import { providerEntry } from '../providers/registry';
import { blockerText, standingBlockers } from '../shared/blockers';
import type { Blocker } from '../shared/blockers';
import type { EstimateReport } from '../shared/estimateReport';
import { costPreviewToHostSchema, SUBMIT_PROVIDERS } from '../shared/protocol';
import type { BudgetView, CostPreviewToHost, CostPreviewToWebview, SubmitProvider } from '../shared/protocol';
import { errorText, onValidMessage, openFileAtLine, panelOptions, setPanelHtml } from './panelWebview';
import type { PanelDeps } from './panelWebview';
import { CommandIds } from './commandIds';
import type { InvalidLineDiagnostics } from './invalidLineDiagnostics';
import { budgetCaps, defaultProvider, failureAlertRate, outputBuffer, providerSetupProblem, userProviderSettings } from './settings';
import { count } from '../shared/wording';
import { costPreviewRestoreSchema } from '../shared/panelRestore';
import { createPricer } from '../core/pricing';

const VIEW_TYPE = 'llmBatch.costPreview';
/** Progress messages at most this often: a fast estimate reports thousands of times a second. */
const PROGRESS_INTERVAL_MS = 100;
/** Invalid lines, duplicates and chunks listed in the panel; the totals still count them all. */
const LIST_LIMIT = 500;

export interface CostPreviewDeps extends PanelDeps {
  readonly invalidLines: InvalidLineDiagnostics;
}

interface FileSnapshot {
  readonly uri: vscode.Uri;
  readonly size: number;
  readonly mtimeMs: number;
}

interface PreparedFile {
  readonly file: FileSnapshot;
  readonly preview: SubmitPreview;
  submitted: boolean;
}

interface Estimated {
  readonly files: PreparedFile[];
  readonly message: Extract<CostPreviewToWebview, { type: 'estimate' }>;
}

/** Opens a new cost preview for `files` (one panel per invocation). */
export function showCostPreview(deps: CostPreviewDeps, files: vscode.Uri[]): void {
  if (files.length === 0) return;
  new CostPreview(deps, files);
}

/**
 * A cost preview VS Code kept through a reload: the same files, provider and model, estimated
 * again (nothing was or is submitted without Confirm). Files gone since are left out.
 */
export function restoreCostPreview(deps: CostPreviewDeps, panel: vscode.WebviewPanel, state: unknown): void {
  const restored = costPreviewRestoreSchema.safeParse(state);
  const files = restored.success ? restored.data.files.filter((file) => existsSync(file)).map((file) => vscode.Uri.file(file)) : [];
  if (!restored.success || files.length === 0) {
    panel.dispose();
    return;
  }
  const provider = restored.data.provider;
  new CostPreview(deps, files, { panel, provider: provider !== undefined && isSubmitProvider(provider) ? provider : undefined, model: restored.data.model });
}

export const COST_PREVIEW_VIEW_TYPE = VIEW_TYPE;

class CostPreview {
  private readonly panel: vscode.WebviewPanel;
  private readonly disposables: vscode.Disposable[] = [];
  private provider: SubmitProvider;
  private model: string | undefined;
  /** Models the files name for each provider (from its first estimate without an override). */
  private readonly fileModels = new Map<SubmitProvider, string[]>();
  private running: AbortController | undefined;
  private generation = 0;
  private estimated: Estimated | undefined;
  private lastError: string | undefined;
  private submitting = false;
  private disposed = false;

  constructor(
    private readonly deps: CostPreviewDeps,
    private readonly files: readonly vscode.Uri[],
    restored?: { readonly panel: vscode.WebviewPanel; readonly provider: SubmitProvider | undefined; readonly model: string | undefined },
  ) {
    const provider = restored?.provider ?? defaultProvider();
    this.provider = isSubmitProvider(provider) ? provider : 'openai';
    this.model = restored?.model;
    const names = files.map((uri) => vscode.workspace.asRelativePath(uri, false));
    const title = `Cost preview: ${names.length === 1 ? names[0] : `${names[0]} + ${names.length - 1} more`}`;
    this.panel = restored?.panel ?? vscode.window.createWebviewPanel(VIEW_TYPE, title, vscode.ViewColumn.Active, panelOptions(deps.extensionUri));
    if (restored) {
      this.panel.title = title;
      this.panel.webview.options = panelOptions(deps.extensionUri);
    }
    setPanelHtml(this.panel.webview, deps.extensionUri, 'costPreview', 'Cost preview');
    this.disposables.push(
      onValidMessage(this.panel.webview, costPreviewToHostSchema, deps.log, 'cost preview', (message) => this.handle(message)),
      this.panel.onDidDispose(() => this.dispose()),
      // A region, bucket or key set while the preview is open lifts its blocker: estimate again.
      vscode.workspace.onDidChangeConfiguration((event) => {
        if (!event.affectsConfiguration(`llmBatch.${this.provider}`) || this.submitting) return;
        void this.deps.session.reloadProviders().then(() => this.estimate());
      }),
    );
  }

  private async handle(message: CostPreviewToHost): Promise<void> {
    switch (message.type) {
      case 'ready':
        return this.onReady();
      case 'estimate':
        this.provider = message.provider;
        this.model = message.model;
        return this.estimate();
      case 'cancelEstimate':
        this.cancelEstimate();
        return;
      case 'confirm':
        return this.confirm(message.skipInvalid);
      case 'dismiss':
        this.cancelEstimate();
        this.panel.dispose();
        return;
      case 'openLine':
        return this.openLine(message.file, message.line);
      case 'setApiKey':
        return this.fixCredentials();
    }
  }

  /** First load, or the webview came back after being hidden: send what is known, or start. */
  private async onReady(): Promise<void> {
    const readOnlyReason = this.deps.session.engine ? undefined : readOnlyText(this.deps.session.readOnlyReason);
    this.post({
      type: 'init',
      files: this.files.map((uri) => uri.fsPath),
      providers: SUBMIT_PROVIDERS.map((id) => ({ id, label: PROVIDER_LIMITS[id].displayName })),
      provider: this.provider,
      ...(this.model === undefined ? {} : { model: this.model }),
      ...(readOnlyReason === undefined ? {} : { readOnlyReason }),
    });
    if (this.estimated) this.post(this.estimated.message);
    else if (this.lastError !== undefined) this.post({ type: 'error', message: this.lastError });
    else if (!this.running) await this.estimate();
    if (this.submitting) this.post({ type: 'submitting' });
  }

  private cancelEstimate(): void {
    if (!this.running) return;
    this.running.abort();
    this.running = undefined;
    this.generation++;
    this.lastError = 'Estimate cancelled. Nothing was submitted.';
    this.post({ type: 'error', message: this.lastError });
  }

  private async estimate(): Promise<void> {
    if (this.submitting) return;
    this.running?.abort();
    const abort = new AbortController();
    this.running = abort;
    const generation = ++this.generation;
    this.estimated = undefined;
    this.lastError = undefined;
    const current = () => generation === this.generation && !this.disposed;
    const provider = this.provider;
    try {
      const snapshots = await Promise.all(this.files.map(snapshot));
      const total = snapshots.reduce((sum, file) => sum + file.size, 0);
      let before = 0;
      let lastPost = 0;
      const progress = (done: number, force = false) => {
        const now = Date.now();
        if (!current() || (!force && now - lastPost < PROGRESS_INTERVAL_MS)) return;
        lastPost = now;
        this.post({ type: 'progress', done: Math.min(done, total), total });
      };
      progress(0, true);
      const prepared: PreparedFile[] = [];
      const service = this.deps.session.service;
      if (!service) throw new Error(readOnlyText(this.deps.session.readOnlyReason));
      for (const file of snapshots) {
        // Lines are analysed on workers, never on this thread: it is the window's.
        const analyzer = createOffThreadAnalyzer({ provider, model: this.model, outputBuffer: outputBuffer() });
        try {
          const preview = await service.preview({
            file: file.uri.fsPath,
            provider,
            // Where its batches go (an Azure resource, a Bedrock region and bucket…): the job remembers them.
            providerSettings: userProviderSettings(provider),
            model: this.model,
            outputBuffer: outputBuffer(),
            failureAlertRate: failureAlertRate(),
            analyzer,
            signal: abort.signal,
            onProgress: (done) => progress(before + done),
          });
          prepared.push({ file, preview, submitted: false });
        } finally {
          await analyzer.close();
        }
        before += file.size;
      }
      progress(total, true);
      if (!current()) return;
      const reports = prepared.map((p) => p.preview.prepared.estimate.report);
      for (const report of reports) this.deps.invalidLines.show(report);
      if (this.model === undefined && !this.fileModels.has(provider)) this.fileModels.set(provider, modelsIn(reports));
      this.estimated = { files: prepared, message: this.estimateMessage(prepared) };
      this.post(this.estimated.message);
    } catch (error) {
      if (!current() || abort.signal.aborted) return;
      this.lastError = `The estimate failed: ${errorText(error)}`;
      this.deps.log.warn(`cost preview: ${this.lastError}`);
      this.post({ type: 'error', message: this.lastError });
    } finally {
      if (this.running === abort) this.running = undefined;
    }
  }

  private estimateMessage(prepared: readonly PreparedFile[]): Extract<CostPreviewToWebview, { type: 'estimate' }> {
    const several = prepared.length > 1;
    const report = limitLists(mergeEstimateReports(prepared.map((p) => p.preview.prepared.estimate.report)), LIST_LIMIT);
    const budget = this.combinedBudget(prepared);
    const blockers: Blocker[] = [];
    for (const { file, preview } of prepared) {
      // Each file's own budget check is superseded by the combined one below.
      const own = preview.blockers.filter((b) => b.kind !== 'budget');
      const name = vscode.workspace.asRelativePath(file.uri, false);
      blockers.push(...own.map((b) => (several ? { ...b, message: `${name}: ${b.message}` } : b)));
    }
    if (!budget.accepted) blockers.push({ kind: 'budget', message: budget.message });
    return {
      type: 'estimate',
      report,
      budget: budgetView(budget),
      blockers: uniqueBlockers(blockers),
      models: this.fileModels.get(this.provider) ?? modelsIn(prepared.map((p) => p.preview.prepared.estimate.report)),
      credentialsFix: this.credentialsFix(),
      destination: this.deps.session.destinationOf(this.provider),
      ...(several
        ? {
            fileCosts: prepared.map(({ file, preview }) => ({
              file: file.uri.fsPath,
              items: preview.prepared.estimate.report.totals.valid,
              expected: preview.prepared.expected,
              max: preview.prepared.reservation,
            })),
          }
        : {}),
      modelPrices: pricesPerMillion(this.provider, [...new Set([...modelsIn(prepared.map((p) => p.preview.prepared.estimate.report)), ...(this.model ? [this.model] : [])])]),
    };
  }

  /** A provider that takes a key and has its settings is missing the key; anything else is set in the settings. */
  private credentialsFix(): 'apiKey' | 'settings' {
    return providerEntry(this.provider).usesApiKey && providerSetupProblem(this.provider) === undefined ? 'apiKey' : 'settings';
  }

  /** The missing-credentials blocker's button: this provider's key prompt, or its settings. */
  private async fixCredentials(): Promise<void> {
    if (this.credentialsFix() === 'settings') {
      // The configuration listener estimates again once a setting changes.
      await vscode.commands.executeCommand('workbench.action.openSettings', `llmBatch.${this.provider}`);
      return;
    }
    await vscode.commands.executeCommand(CommandIds.setApiKey, this.provider);
    await this.deps.session.reloadProviders();
    return this.estimate();
  }

  /** Every file's reservation together against the caps, with the spend as it stands now. */
  private combinedBudget(prepared: readonly PreparedFile[]): BudgetDecision {
    const reservation = prepared
      .filter((p) => !p.submitted)
      .reduce((sum, p) => sum + p.preview.prepared.reservation, 0);
    return checkBudget(budgetCaps(), this.deps.session.store.index.spendSoFar(), reservation);
  }

  private async confirm(skipInvalid: boolean): Promise<void> {
    if (this.submitting) return;
    const estimated = this.estimated;
    const service = this.deps.session.service;
    if (!service) return this.postError(`Not submitted: ${readOnlyText(this.deps.session.readOnlyReason)}`);
    if (!estimated || this.running) return this.postError('Not submitted: the estimate has not finished.');
    const pending = estimated.files.filter((p) => !p.submitted);
    const remaining = standingBlockers(estimated.message.blockers, { skipInvalid });
    if (remaining.length > 0) return this.postError(`Not submitted: ${blockerText(remaining)}`);
    // Spend may have moved since the preview (another window, a CLI): check the caps again.
    const budget = this.combinedBudget(estimated.files);
    if (!budget.accepted) return this.postError(budget.message);

    this.submitting = true;
    this.post({ type: 'submitting' });
    const jobIds: string[] = [];
    const notSubmitted: string[] = [];
    const names = pending.map((p) => vscode.workspace.asRelativePath(p.file.uri, false));
    try {
      await vscode.window.withProgress(
        // One file: its name in the title. Several: a count in the title, each name as it goes.
        { location: vscode.ProgressLocation.Notification, title: `Submitting ${pending.length === 1 ? (names[0] ?? '') : count(pending.length, 'file')}`, cancellable: false },
        async (progress) => {
          for (const [index, entry] of pending.entries()) {
            if (pending.length > 1) progress.report({ message: names[index] ?? '' });
            const outcome = await service.submit(entry.preview, { skipInvalid });
            // Marked at once: a failure on a later file must not submit this one twice.
            entry.submitted = true;
            jobIds.push(outcome.jobId);
            if (!outcome.submitted) notSubmitted.push(`${outcome.jobId}: ${outcome.reason}`);
            progress.report({ increment: 100 / pending.length });
          }
        },
      );
    } catch (error) {
      this.submitting = false;
      if (error instanceof SubmitRefused && error.blockers.some((b) => b.kind === 'file_changed')) {
        this.post({ type: 'error', message: `${error.message} Estimating again.` });
        return this.estimate();
      }
      const done = jobIds.length > 0 ? ` Already submitted: ${jobIds.join(', ')}; confirming again submits only the rest.` : '';
      this.deps.log.error(`cost preview: submission failed: ${errorText(error)}`);
      return this.postError(`${error instanceof SubmitRefused ? error.message : `Submission failed: ${errorText(error)}`}.${done}`);
    } finally {
      if (jobIds.length > 0) {
        this.deps.session.kick();
        this.deps.session.notifyChanged();
      }
    }
    if (notSubmitted.length > 0) {
      this.submitting = false;
      this.deps.log.warn(`cost preview: not submitted: ${notSubmitted.join('; ')}`);
      return this.postError(`Not submitted: ${notSubmitted.join('; ')}. Fix it, then “Resume Job” in the Jobs view (or cancel the job).`);
    }
    this.deps.log.info(`submitted ${jobIds.join(', ')} from ${names.join(', ')}`);
    this.post({ type: 'submitted', jobIds });
    void vscode.window.showInformationMessage(`Submitted ${jobIds.length === 1 ? `job ${jobIds[0]}` : `${jobIds.length} jobs`}; the Jobs view tracks ${jobIds.length === 1 ? 'it' : 'them'} now.`);
    this.panel.dispose();
  }

  private async openLine(file: string, line: number): Promise<void> {
    // Only the files this panel estimated: the webview does not get to name any path it likes.
    const uri = this.files.find((candidate) => candidate.fsPath === file);
    if (!uri) {
      this.deps.log.warn(`cost preview: refused to open a file it did not estimate: ${file.slice(0, 200)}`);
      return;
    }
    try {
      await openFileAtLine(uri, line);
    } catch (error) {
      void vscode.window.showErrorMessage(`Cannot open ${vscode.workspace.asRelativePath(uri, false)} at line ${line}: ${errorText(error)}`);
    }
  }

  private postError(message: string): void {
    this.post({ type: 'error', message });
  }

  private post(message: CostPreviewToWebview): void {
    if (this.disposed) return;
    void this.panel.webview.postMessage(message);
  }

  private dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.running?.abort();
    this.running = undefined;
    for (const disposable of this.disposables.splice(0)) disposable.dispose();
  }
}

async function snapshot(uri: vscode.Uri): Promise<FileSnapshot> {
  const info = await stat(uri.fsPath);
  return { uri, size: info.size, mtimeMs: info.mtimeMs };
}

/** Each model's price per million tokens, sync and batch; models without a known price are left out. */
function pricesPerMillion(provider: SubmitProvider, models: readonly string[]): { model: string; input: number; output: number; batchInput: number; batchOutput: number }[] {
  const pricer = createPricer();
  return models.slice(0, 50).flatMap((model) => {
    const input = pricer.price(provider, model, 1_000_000, 0);
    const output = pricer.price(provider, model, 0, 1_000_000);
    return input && output ? [{ model, input: input.sync, output: output.sync, batchInput: input.batch, batchOutput: output.batch }] : [];
  });
}

function isSubmitProvider(value: string): value is SubmitProvider {
  return (SUBMIT_PROVIDERS as readonly string[]).includes(value);
}

function modelsIn(reports: readonly EstimateReport[]): string[] {
  const models = new Set<string>();
  for (const report of reports) for (const file of report.files) for (const { model } of file.models) if (model) models.add(model);
  return [...models].sort();
}

function budgetView(decision: BudgetDecision): BudgetView {
  if (!decision.accepted) return { accepted: false, message: decision.message };
  return {
    accepted: true,
    ...(decision.remainingToday === undefined ? {} : { remainingToday: decision.remainingToday }),
    ...(decision.remainingThisMonth === undefined ? {} : { remainingThisMonth: decision.remainingThisMonth }),
  };
}

/** The report with its long lists cut to `limit` entries each; the totals keep the real counts. */
export function limitLists(report: EstimateReport, limit: number): EstimateReport {
  return {
    ...report,
    invalid: report.invalid.slice(0, limit),
    duplicates: report.duplicates.slice(0, limit),
    chunks: report.chunks.slice(0, limit),
    problems: report.problems.slice(0, limit),
    notes: report.notes.slice(0, limit),
  };
}

/** One line per distinct reason: a missing key is the same blocker for every file. */
function uniqueBlockers(blockers: readonly Blocker[]): Blocker[] {
  const seen = new Set<string>();
  return blockers.filter((b) => !seen.has(`${b.kind}\n${b.message}`) && seen.add(`${b.kind}\n${b.message}`));
}

function readOnlyText(reason: string | undefined): string {
  return `this window only follows the workspace's jobs (${reason ?? 'another writer holds the lock'}); submit from the window or CLI that holds it.`;
}
