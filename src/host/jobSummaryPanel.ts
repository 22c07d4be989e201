// The job summary: one job's figures (progress, estimate vs actual, the savings, spend by
// attempt), its batches, and why it waits (the reason, the last problem, the endpoint, the remote
// ids, the next check), with "Show Log". Read from per-job totals and the job's batches only, and
// redrawn when the session says something changed.
import * as vscode from 'vscode';
import { readJobFigures, strikeName } from '../app/jobFigures';
import { figureLines, formatCount } from '../app/jobFiguresText';
import { formatDollars } from '../core/budget';
import { jobSummaryToHostSchema } from '../shared/protocol';
import type { JobSummaryToHost, JobSummaryToWebview } from '../shared/protocol';
import { CommandIds } from './commandIds';
import { pickJob } from './jobCommands';
import type { JobTarget } from './jobCommands';
import { whereaboutsOf } from './jobWhereabouts';
import { providerName, waitLines } from './jobsViewFormat';
import { PanelPerJob, errorText, onValidMessage, panelOptions, setPanelHtml } from './panelWebview';
import type { PanelDeps } from './panelWebview';
import type { WorkspaceSession } from './workspaceSession';

const VIEW_TYPE = 'llmBatch.jobSummary';
/** The poll loop fires onDidChange after every step; redraw at most this often. */
const REFRESH_DELAY_MS = 300;

/** Open summaries: a second "Show Summary" of a job reveals its panel. */
const openSummaries = new PanelPerJob<JobSummary>();

/** Opens the job's summary, or reveals the one already open. */
export function showJobSummary(deps: PanelDeps, jobId: string): void {
  const existing = openSummaries.get(deps.session, jobId);
  if (existing) {
    existing.reveal();
    return;
  }
  const job = deps.session.store.index.job(jobId);
  if (!job) {
    void vscode.window.showErrorMessage(`No job ${jobId} in this workspace.`);
    return;
  }
  openSummaries.add(deps.session, jobId, (forget) => new JobSummary(deps, jobId, job.name, forget));
}

class JobSummary {
  private readonly panel: vscode.WebviewPanel;
  private readonly disposables: vscode.Disposable[] = [];
  private ready = false;
  private disposed = false;
  private refreshTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly deps: PanelDeps,
    private readonly jobId: string,
    jobName: string,
    private readonly onDispose: () => void,
  ) {
    this.panel = vscode.window.createWebviewPanel(VIEW_TYPE, `Summary: ${jobName}`, vscode.ViewColumn.Active, panelOptions(deps.extensionUri));
    setPanelHtml(this.panel.webview, deps.extensionUri, 'jobSummary', 'Job summary');
    this.disposables.push(
      onValidMessage(this.panel.webview, jobSummaryToHostSchema, deps.log, 'job summary', (message) => this.handle(message)),
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

  private handle(message: JobSummaryToHost): void {
    switch (message.type) {
      case 'ready':
        this.ready = true;
        this.draw();
        return;
      case 'showLog':
        this.deps.log.show();
        return;
    }
  }

  private scheduleRefresh(): void {
    if (!this.ready || this.disposed || !this.panel.visible || this.refreshTimer) return;
    this.refreshTimer = setTimeout(() => {
      this.refreshTimer = undefined;
      this.draw();
    }, REFRESH_DELAY_MS);
  }

  private draw(): void {
    if (this.disposed || !this.ready) return;
    try {
      this.post(this.summary());
    } catch (error) {
      this.deps.log.error(`job summary of ${this.jobId}: ${errorText(error)}`);
    }
  }

  private summary(): JobSummaryToWebview {
    const session = this.deps.session;
    const index = session.store.index;
    const job = index.job(this.jobId);
    if (!job) {
      this.panel.title = 'Summary: job deleted';
      return { type: 'gone', jobId: this.jobId };
    }
    const figures = readJobFigures(index, job);
    const now = Date.now();
    return {
      type: 'summary',
      job: { id: job.id, name: job.name, provider: providerName(job.provider), model: job.model, state: job.blockedReason ?? job.status.replace(/_/g, ' '), sourceFile: job.sourceFile },
      final: figures.final,
      figures: [{ label: 'Progress', text: `${formatCount(figures.progress.done)} of ${formatCount(figures.progress.total)} items done` }, ...figureLines(figures)],
      strikes: figures.byStrike.map((row) => ({
        label: row.label,
        cost: formatDollars(row.cost),
        syncCost: formatDollars(row.syncCost),
        tokens: `${formatCount(row.tokensIn)} in, ${formatCount(row.tokensOut)} out`,
      })),
      batches: index.batches(job.id).map((batch) => ({
        key: batch.key,
        remoteId: batch.remoteId,
        attempt: strikeName(batch.strike),
        state: batch.state === 'intent' ? 'not sent yet' : batch.state.replace(/_/g, ' '),
        items: batch.itemCount,
      })),
      waits: waitLines(job, whereaboutsOf(session, job), now),
    };
  }

  private post(message: JobSummaryToWebview): void {
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

export interface JobSummaryCommandDeps {
  readonly session: () => WorkspaceSession | undefined;
  /** What a panel needs, once the session is open. */
  readonly panelDeps: () => PanelDeps | undefined;
  readonly log: vscode.LogOutputChannel;
}

/** "Show Job Summary" (a Jobs view node, a job id, or a job picked in the palette) and "Show Log". */
export function registerJobSummaryCommands(deps: JobSummaryCommandDeps): vscode.Disposable {
  return vscode.Disposable.from(
    vscode.commands.registerCommand(CommandIds.showJobSummary, async (target?: JobTarget) => {
      const job = await pickJob(deps.session(), target, 'Show the summary of which job?');
      const panelDeps = deps.panelDeps();
      if (job && panelDeps) showJobSummary(panelDeps, job.id);
    }),
    vscode.commands.registerCommand(CommandIds.showLog, () => deps.log.show()),
  );
}
