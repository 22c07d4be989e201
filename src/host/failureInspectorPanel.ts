// The failure inspector: one job's failed and dead-letter items, a page at a time, filterable by
// failure class, with the actions of the retry ladder a person may take by hand: retry as a new
// batch, retry one by one through the sync API, give up (dead letter), open the source line, copy.
import * as vscode from 'vscode';
import { formatDollars } from '../core/budget';
import { requestPreview } from '../core/requestPreview';
import { readItemLines } from '../engine/batchInputs';
import { failureInspectorToHostSchema } from '../shared/protocol';
import type { FailedItemView, FailureInspectorToHost, FailureInspectorToWebview } from '../shared/protocol';
import { failurePage } from './failurePage';
import { showItemDetail } from './itemDetailPanel';
import { providerName } from './jobsViewFormat';
import { PanelPerJob, errorText, onValidMessage, openFileAtLine, panelOptions, setPanelHtml } from './panelWebview';
import type { PanelDeps } from './panelWebview';
import { count } from '../shared/wording';
import { failureInspectorRestoreSchema } from '../shared/panelRestore';

const VIEW_TYPE = 'llmBatch.failureInspector';
/** The poll loop fires onDidChange after every step; redraw at most this often. */
const REFRESH_DELAY_MS = 300;

/** Open inspectors: a second "Inspect failures" on a job reveals its panel. */
const openInspectors = new PanelPerJob<FailureInspector>();

/** Opens the job's failure inspector, or reveals the one already open. */
export function showFailureInspector(deps: PanelDeps, jobId: string): void {
  const existing = openInspectors.get(deps.session, jobId);
  if (existing) {
    existing.reveal();
    return;
  }
  const job = deps.session.store.index.job(jobId);
  if (!job) {
    void vscode.window.showErrorMessage(`No job ${jobId} in this workspace.`);
    return;
  }
  openInspectors.add(deps.session, jobId, (forget) => new FailureInspector(deps, jobId, job.name, forget));
}

/** A failure inspector VS Code kept through a reload: the same job, classes and page, in its panel. */
export function restoreFailureInspector(deps: PanelDeps, panel: vscode.WebviewPanel, state: unknown): void {
  const restored = failureInspectorRestoreSchema.safeParse(state);
  const job = restored.success ? deps.session.store.index.job(restored.data.jobId) : undefined;
  if (!restored.success || !job) {
    // Nothing to show again (a job deleted since): close it rather than leave an empty panel.
    panel.dispose();
    return;
  }
  if (openInspectors.get(deps.session, job.id)) {
    panel.dispose();
    return;
  }
  const { filter, page } = restored.data;
  openInspectors.add(deps.session, job.id, (forget) => new FailureInspector(deps, job.id, job.name, forget, { panel, filter, page }));
}

export const FAILURE_INSPECTOR_VIEW_TYPE = VIEW_TYPE;

class FailureInspector {
  private readonly panel: vscode.WebviewPanel;
  private readonly disposables: vscode.Disposable[] = [];
  private filter: string[] = [];
  private page = 0;
  private ready = false;
  private refreshTimer: ReturnType<typeof setTimeout> | undefined;
  /** What the last page was drawn from: nothing to redraw while it has not moved. */
  private drawnFrom: { store: unknown; seq: number } | undefined;
  private loading: Promise<void> = Promise.resolve();
  private readonly running = new Set<AbortController>();
  private disposed = false;

  constructor(
    private readonly deps: PanelDeps,
    private readonly jobId: string,
    jobName: string,
    private readonly onDispose: () => void,
    restored?: { readonly panel: vscode.WebviewPanel; readonly filter: readonly string[]; readonly page: number },
  ) {
    this.panel = restored?.panel ?? vscode.window.createWebviewPanel(VIEW_TYPE, `Failures: ${jobName}`, vscode.ViewColumn.Active, panelOptions(deps.extensionUri));
    if (restored) {
      this.panel.title = `Failures: ${jobName}`;
      this.panel.webview.options = panelOptions(deps.extensionUri);
      this.filter = [...restored.filter];
      this.page = restored.page;
    }
    setPanelHtml(this.panel.webview, deps.extensionUri, 'failureInspector', 'Failure inspector');
    this.disposables.push(
      onValidMessage(this.panel.webview, failureInspectorToHostSchema, deps.log, 'failure inspector', (message) => this.handle(message)),
      deps.session.onDidChange(() => this.scheduleRefresh()),
      this.panel.onDidChangeViewState(() => {
        if (this.panel.visible) this.scheduleRefresh();
      }),
      this.panel.onDidDispose(() => this.dispose()),
    );
  }

  reveal(): void {
    this.panel.reveal();
  }

  private async handle(message: FailureInspectorToHost): Promise<void> {
    switch (message.type) {
      case 'ready':
        this.ready = true;
        this.drawnFrom = undefined;
        return this.load();
      case 'load':
        this.filter = message.classes;
        this.page = message.page;
        this.drawnFrom = undefined;
        return this.load();
      case 'retry':
        return message.mode === 'batch' ? this.retryAsBatch(message.ids, message.requestId) : this.retryBySync(message.ids, message.requestId);
      case 'deadLetter':
        return this.deadLetter(message.ids, message.requestId);
      case 'openLine':
        return this.openLine(message.line);
      case 'copy':
        await vscode.env.clipboard.writeText(message.text);
        void vscode.window.setStatusBarMessage('Copied the selected failures', 3_000);
        return;
      case 'openItem':
        showItemDetail(this.deps, this.jobId, message.id);
        return;
    }
  }

  private scheduleRefresh(): void {
    if (!this.ready || this.disposed || !this.panel.visible || this.refreshTimer) return;
    this.refreshTimer = setTimeout(() => {
      this.refreshTimer = undefined;
      void this.load();
    }, REFRESH_DELAY_MS);
  }

  /** Loads one at a time, in order: a burst of changes ends with the newest state drawn. */
  private load(): Promise<void> {
    this.loading = this.loading.then(() => this.draw()).catch((error: unknown) => this.deps.log.error(`failure inspector: ${errorText(error)}`));
    return this.loading;
  }

  private async draw(): Promise<void> {
    if (this.disposed || !this.ready) return;
    const store = this.deps.session.store;
    const from = { store, seq: store.index.lastSeq };
    if (this.drawnFrom && this.drawnFrom.store === from.store && this.drawnFrom.seq === from.seq) return;
    const job = store.index.job(this.jobId);
    if (!job) {
      this.panel.title = 'Failures: job deleted';
      return;
    }
    const page = failurePage(store.index, this.jobId, this.filter, this.page);
    this.page = page.page;
    const lines = await readItemLines(store, page.rows).catch((error: unknown) => {
      this.deps.log.warn(`failure inspector: cannot read the inputs of ${this.jobId}: ${errorText(error)}`);
      return new Map<string, Buffer>();
    });
    const items = page.rows.map((row): FailedItemView => {
      const bytes = lines.get(row.id);
      return {
        id: row.id,
        line: row.line,
        state: row.state,
        failureClass: row.failureClass,
        code: row.failureCode,
        message: row.failureMessage,
        strike: row.strike,
        preview: bytes ? requestPreview(bytes.toString('utf8')) : '',
      };
    });
    const readOnlyReason = this.deps.session.engine ? undefined : (this.deps.session.readOnlyReason ?? 'this window only follows the workspace');
    this.post({
      type: 'items',
      job: { id: job.id, name: job.name, provider: providerName(job.provider), ...(readOnlyReason === undefined ? {} : { readOnlyReason }) },
      items,
      page: page.page,
      pageCount: page.pageCount,
      total: page.total,
      classes: page.classes,
      filter: this.filter,
    });
    this.drawnFrom = from;
  }

  private async retryAsBatch(ids: readonly string[], requestId: string): Promise<void> {
    const service = this.deps.session.service;
    if (!service) return this.reply(requestId, false, this.readOnlyMessage());
    try {
      // The same check as any resubmission: the cost, against the budget, confirmed first.
      const retry = service.previewRetry(this.jobId, ids);
      if (retry.ids.length > 0) {
        if (!retry.budget.accepted) return this.reply(requestId, false, `Not resubmitted: ${retry.budget.message}`);
        const choice = await vscode.window.showInformationMessage(
          `Resubmit ${count(retry.ids.length, 'item')} as a new batch?`,
          { modal: true, detail: `At most ${formatDollars(retry.reservation)} at the batch price, reserved against your budget until it settles.` },
          'Resubmit',
        );
        if (choice !== 'Resubmit') return this.reply(requestId, false, 'Nothing was resubmitted.');
      }
      const retried = retry.ids.length === 0 ? [] : await service.retryFailed(this.jobId, retry.ids);
      if (retried.length > 0) this.deps.session.kick();
      this.deps.session.notifyChanged();
      const skipped = ids.length - retried.length;
      const message =
        retried.length === 0
          ? `None of the ${count(ids.length, 'selected item')} can be retried as a batch: their failures are deterministic (a new batch would fail the same way). Fix the source line, or retry via sync.`
          : `Queued ${count(retried.length, 'item')} in a new batch.${skipped > 0 ? ` ${skipped} not retryable as a batch (deterministic failure) were left as they are.` : ''}`;
      this.reply(requestId, retried.length > 0, message);
    } catch (error) {
      this.reply(requestId, false, `Retry failed: ${errorText(error)}`);
    }
  }

  private async retryBySync(ids: readonly string[], requestId: string): Promise<void> {
    const engine = this.deps.session.engine;
    if (!engine) return this.reply(requestId, false, this.readOnlyMessage());
    const abort = new AbortController();
    this.running.add(abort);
    try {
      const retried = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `Retrying ${count(ids.length, 'item')} one by one through the sync API`, cancellable: true },
        async (_progress, token) => {
          const cancelled = token.onCancellationRequested(() => abort.abort());
          try {
            return await engine.retryBySync(this.jobId, ids, abort.signal);
          } finally {
            cancelled.dispose();
          }
        },
      );
      this.deps.session.kick();
      this.deps.session.notifyChanged();
      const index = this.deps.session.store.index;
      const succeeded = retried.filter((id) => index.item(this.jobId, id)?.state === 'succeeded').length;
      this.reply(requestId, true, `Sent ${count(retried.length, 'item')} through the sync API: ${succeeded} succeeded, ${retried.length - succeeded} did not.`);
    } catch (error) {
      this.deps.session.notifyChanged();
      this.reply(requestId, false, abort.signal.aborted ? 'Sync retry cancelled; items already sent keep their new state.' : `Sync retry failed: ${errorText(error)}`);
    } finally {
      this.running.delete(abort);
    }
  }

  private async deadLetter(ids: readonly string[], requestId: string): Promise<void> {
    const engine = this.deps.session.engine;
    if (!engine) return this.reply(requestId, false, this.readOnlyMessage());
    const index = this.deps.session.store.index;
    const moving = ids.filter((id) => index.item(this.jobId, id)?.state === 'failed').length;
    try {
      await engine.moveToDeadLetter(this.jobId, ids);
      this.deps.session.notifyChanged();
      const already = ids.length - moving;
      this.reply(requestId, true, `Moved ${count(moving, 'item')} to dead letter.${already > 0 ? ` ${already} already there.` : ''}`);
    } catch (error) {
      this.reply(requestId, false, `Moving to dead letter failed: ${errorText(error)}`);
    }
  }

  private async openLine(line: number): Promise<void> {
    const job = this.deps.session.store.index.job(this.jobId);
    if (!job) return;
    try {
      await openFileAtLine(vscode.Uri.file(job.sourceFile), line);
    } catch (error) {
      void vscode.window.showErrorMessage(`Cannot open the source line ${line} of ${job.name}: ${errorText(error)}`);
    }
  }

  private readOnlyMessage(): string {
    return `Nothing changed: ${this.deps.session.readOnlyReason ?? 'this window only follows the workspace'}.`;
  }

  private reply(requestId: string, ok: boolean, message: string): void {
    this.post({ type: 'result', requestId, ok, message });
  }

  private post(message: FailureInspectorToWebview): void {
    if (this.disposed) return;
    void this.panel.webview.postMessage(message);
  }

  private dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    if (this.refreshTimer) clearTimeout(this.refreshTimer);
    for (const abort of this.running) abort.abort();
    for (const disposable of this.disposables.splice(0)) disposable.dispose();
    this.onDispose();
  }
}
