// Following a notebook's jobs without a running cell: the outputs on screen that show an
// unfinished job ask for it (`watchJob`), and each time the session says something moved, the
// job as it stands now is pushed to them through the renderer messaging channel. No cell stays
// running while a batch takes hours (a running cell keeps a notebook from closing, and would
// stop following when it closes); a reopened notebook shows its job go on. When the job ends,
// the cells that show it get its final output written, so the file records the outcome.
import * as vscode from 'vscode';
import { jobOutputNow } from '../../app/notebook/jobCellRunner';
import { resultParserFor } from '../../providers/resultParsers';
import { NOTEBOOK_TYPE } from '../../shared/notebookOutputs';
import type { HostToRenderer, JobOutput } from '../../shared/notebookOutputs';
import type { WorkspaceSession } from '../workspaceSession';
import { cellOutputOf } from './notebookSerializer';

export interface JobFollowerDeps {
  readonly session: () => Promise<WorkspaceSession | undefined>;
  readonly messaging: vscode.NotebookRendererMessaging;
  /** Writes a finished job's output into the cells that show it. */
  readonly persist: (cells: readonly vscode.NotebookCell[], output: JobOutput) => Promise<void>;
  readonly log: vscode.LogOutputChannel;
}

export class NotebookJobFollower implements vscode.Disposable {
  private readonly watched = new Set<string>();
  /** What each job's outputs were last sent, to send only what changed. */
  private readonly lastSent = new Map<string, string>();
  private subscription: vscode.Disposable | undefined;
  private pushing: Promise<void> = Promise.resolve();

  constructor(private readonly deps: JobFollowerDeps) {}

  /** Keeps the outputs that show `jobId` up to date until it ends (sending its state now). */
  watch(jobId: string): void {
    this.watched.add(jobId);
    this.lastSent.delete(jobId);
    this.schedule();
  }

  private schedule(): void {
    this.pushing = this.pushing.then(() => this.pushAll()).catch((error: unknown) => this.deps.log.warn(`notebook: following jobs failed: ${String(error)}`));
  }

  private async pushAll(): Promise<void> {
    const session = await this.deps.session();
    if (!session) return;
    this.subscription ??= session.onDidChange(() => this.schedule());
    for (const jobId of [...this.watched]) {
      const cells = cellsShowing(jobId);
      const base = cells.map((cell) => cellOutputOf(cell.outputs)).find((output): output is JobOutput => output?.kind === 'job');
      if (!base) {
        // No open notebook shows it any more: nothing to keep up to date.
        this.watched.delete(jobId);
        continue;
      }
      const output = await jobOutputNow(session.store, resultParserFor, jobId, base);
      const sent = JSON.stringify(output);
      if (this.lastSent.get(jobId) === sent) continue;
      this.lastSent.set(jobId, sent);
      const message: HostToRenderer = { type: 'jobOutput', output };
      await this.deps.messaging.postMessage(message);
      if (output.final) {
        this.watched.delete(jobId);
        await this.deps.persist(cells, output);
      }
    }
  }

  dispose(): void {
    this.watched.clear();
    this.subscription?.dispose();
  }
}

/** The cells of open `.llmbatch` notebooks whose output shows `jobId`. */
export function cellsShowing(jobId: string): vscode.NotebookCell[] {
  return vscode.workspace.notebookDocuments
    .filter((notebook) => notebook.notebookType === NOTEBOOK_TYPE && !notebook.isClosed)
    .flatMap((notebook) => notebook.getCells())
    .filter((cell) => {
      const output = cellOutputOf(cell.outputs);
      return output?.kind === 'job' && output.jobId === jobId;
    });
}
