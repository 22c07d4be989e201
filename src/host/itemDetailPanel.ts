// The item detail: one item of a job, read-only — its source line, the exact request sent, the
// answer or each attempt's error, tokens and cost against the estimate, the remote batches it
// went through. One panel per window, re-aimed at each item opened (clicking through items of
// the Jobs view does not pile up tabs); searchable with the find widget; "Copy" goes through the
// host, which holds each section's whole text.
import * as vscode from 'vscode';
import { itemDetail } from '../app/itemDetail';
import type { ItemDetail } from '../app/itemDetail';
import { isProviderId } from '../core/providerLimits';
import type { ProviderId } from '../core/providerLimits';
import { resultParserFor } from '../providers/resultParsers';
import { itemDetailToHostSchema } from '../shared/protocol';
import type { ItemDetailSection, ItemDetailToHost, ItemDetailToWebview } from '../shared/protocol';
import { itemDetailCopyText, itemDetailTitle, itemDetailView } from './itemDetailView';
import { jobEndpoint } from './jobsViewFormat';
import { errorText, onValidMessage, openFileAtLine, panelOptions, setPanelHtml } from './panelWebview';
import type { PanelDeps } from './panelWebview';
import { endpointFor } from './settings';
import type { WorkspaceSession } from './workspaceSession';

const VIEW_TYPE = 'llmBatch.itemDetail';
/** The poll loop fires onDidChange after every step; look again at most this often. */
const REFRESH_DELAY_MS = 300;

const SECTION_NAMES: Readonly<Record<ItemDetailSection, string>> = {
  source: 'source line',
  request: 'request',
  answer: 'answer',
  rawAnswer: 'raw result line',
  errors: 'errors',
};

/** The open panel of each session (a new session starts without one). */
const openPanels = new WeakMap<WorkspaceSession, ItemDetailPanel>();

/** Shows the item's detail in the window's item panel, opening it if needed. */
export function showItemDetail(deps: PanelDeps, jobId: string, itemId: string): void {
  const job = deps.session.store.index.job(jobId);
  if (!job) {
    void vscode.window.showErrorMessage(`No job ${jobId} in this workspace.`);
    return;
  }
  if (!deps.session.store.index.item(jobId, itemId)) {
    void vscode.window.showErrorMessage(`No item “${itemId}” in ${job.name} (${jobId}).`);
    return;
  }
  const existing = openPanels.get(deps.session);
  if (existing) {
    existing.show(jobId, itemId, job.name);
    return;
  }
  const session = deps.session;
  openPanels.set(session, new ItemDetailPanel(deps, jobId, itemId, job.name, () => openPanels.delete(session)));
}

class ItemDetailPanel {
  private readonly panel: vscode.WebviewPanel;
  private readonly disposables: vscode.Disposable[] = [];
  private ready = false;
  private disposed = false;
  private refreshTimer: ReturnType<typeof setTimeout> | undefined;
  private loading: Promise<void> = Promise.resolve();
  /** The detail last drawn: what Copy and Open Source Line act on. */
  private detail: ItemDetail | undefined;
  /** The item's row as last drawn: a poll that did not change it needs no new read of its history. */
  private drawnRow: string | undefined;

  constructor(
    private readonly deps: PanelDeps,
    private jobId: string,
    private itemId: string,
    jobName: string,
    private readonly onDispose: () => void,
  ) {
    this.panel = vscode.window.createWebviewPanel(VIEW_TYPE, itemDetailTitle(jobName, itemId), vscode.ViewColumn.Active, {
      ...panelOptions(deps.extensionUri),
      enableFindWidget: true,
    });
    setPanelHtml(this.panel.webview, deps.extensionUri, 'itemDetail', 'Item detail');
    this.disposables.push(
      onValidMessage(this.panel.webview, itemDetailToHostSchema, deps.log, 'item detail', (message) => this.handle(message)),
      deps.session.onDidChange(() => this.scheduleRefresh()),
      this.panel.onDidChangeViewState(() => {
        if (this.panel.visible) this.scheduleRefresh();
      }),
      this.panel.onDidDispose(() => this.dispose()),
    );
  }

  show(jobId: string, itemId: string, jobName: string): void {
    const changed = jobId !== this.jobId || itemId !== this.itemId;
    this.jobId = jobId;
    this.itemId = itemId;
    this.panel.title = itemDetailTitle(jobName, itemId);
    this.panel.reveal();
    if (changed) {
      this.drawnRow = undefined;
      this.detail = undefined;
      void this.load();
    }
  }

  private async handle(message: ItemDetailToHost): Promise<void> {
    switch (message.type) {
      case 'ready':
        this.ready = true;
        this.drawnRow = undefined;
        return this.load();
      case 'openSourceLine':
        return this.openSourceLine();
      case 'copy':
        return this.copy(message.section);
      case 'openItem':
        showItemDetail(this.deps, this.jobId, message.itemId);
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

  /** One load at a time, in order: a burst of changes ends with the newest state drawn. */
  private load(): Promise<void> {
    this.loading = this.loading.then(() => this.draw()).catch((error: unknown) => this.deps.log.error(`item detail: ${errorText(error)}`));
    return this.loading;
  }

  private async draw(): Promise<void> {
    if (this.disposed || !this.ready) return;
    const { jobId, itemId } = this;
    const store = this.deps.session.store;
    const job = store.index.job(jobId);
    const row = store.index.item(jobId, itemId);
    if (!job || !row) {
      this.detail = undefined;
      this.drawnRow = undefined;
      this.post({ type: 'missing', message: job ? `The item “${itemId}” is no longer in ${job.name}.` : `The job ${jobId} was deleted from this workspace.` });
      return;
    }
    const rowText = JSON.stringify(row);
    if (rowText === this.drawnRow) return;
    const detail = await itemDetail(store, jobId, itemId, { parse: resultParserFor(job.provider as ProviderId) });
    // Aimed at another item while this one was read: that one's load follows.
    if (this.disposed || jobId !== this.jobId || itemId !== this.itemId) return;
    if (!detail) return;
    this.detail = detail;
    this.drawnRow = rowText;
    const sentTo = jobEndpoint(job, isProviderId(job.provider) ? endpointFor(job.provider).baseUrl : undefined);
    this.post({ type: 'detail', detail: itemDetailView(detail, sentTo) });
  }

  private async openSourceLine(): Promise<void> {
    const detail = this.detail;
    if (!detail) return;
    try {
      await openFileAtLine(vscode.Uri.file(detail.source.file), detail.source.line);
    } catch (error) {
      void vscode.window.showErrorMessage(`Cannot open line ${detail.source.line} of ${detail.source.file} (item ${detail.item.id} of ${detail.job.name}): ${errorText(error)}`);
    }
  }

  private async copy(section: ItemDetailSection): Promise<void> {
    const detail = this.detail;
    const text = detail ? itemDetailCopyText(detail, section) : undefined;
    if (!detail || text === undefined) {
      this.post({ type: 'status', ok: false, message: `Nothing to copy: this item has no ${SECTION_NAMES[section]}.` });
      return;
    }
    await vscode.env.clipboard.writeText(text);
    this.post({ type: 'status', ok: true, message: `Copied the ${SECTION_NAMES[section]} of ${detail.item.id}.` });
  }

  private post(message: ItemDetailToWebview): void {
    if (this.disposed) return;
    void this.panel.webview.postMessage(message);
  }

  private dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    if (this.refreshTimer) clearTimeout(this.refreshTimer);
    for (const disposable of this.disposables.splice(0)) disposable.dispose();
    this.onDispose();
  }
}
