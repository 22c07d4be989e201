// Runs `.llmbatch` cells in VS Code through src/app/notebook/runCell (a requests cell builds a
// JSONL, a job cell goes through the submit service, a results cell waits for its job and reads
// its results), in order, with execution order and errors in the output. A job cell's run ends
// once its job is submitted (or found unchanged): the job is then followed by the NotebookJobFollower,
// without a running cell, so a notebook closes while its batch runs and shows it go on when
// reopened. Interrupting a cell stops what the cell does, never the job.
import path from 'node:path';
import * as vscode from 'vscode';
import type { JobCellPorts } from '../../app/notebook/jobCellRunner';
import { cellSucceeded, InvalidCell, runNotebookCell } from '../../app/notebook/runCell';
import { resultParserFor } from '../../providers/resultParsers';
import { NOTEBOOK_TYPE } from '../../shared/notebookOutputs';
import type { CellOutput, JobOutput } from '../../shared/notebookOutputs';
import { defaultProvider, failureAlertRate, outputBuffer, userProviderSettings } from '../settings';
import type { WorkspaceSession } from '../workspaceSession';
import { cellOutputOf, outputOf } from './notebookSerializer';

export interface NotebookControllerDeps {
  /** The workspace's session, opened if it is not yet (undefined: no trusted folder). */
  readonly session: () => Promise<WorkspaceSession | undefined>;
  readonly log: vscode.LogOutputChannel;
  /** Follows a submitted job's outputs from here on (see jobFollower). */
  readonly follow: (jobId: string) => void;
}

/** A following with nothing new waits at most this long before looking again. */
const FOLLOW_POLL_MS = 2_000;

export class NotebookRunner implements vscode.Disposable {
  private readonly controller: vscode.NotebookController;
  private order = 0;
  /** Cells running now (one execution each): how to stop it, and when it has ended. */
  private readonly running = new Map<vscode.NotebookCell, { readonly abort: AbortController; readonly ended: Promise<void> }>();
  private readonly disposables: vscode.Disposable[] = [];
  /**
   * Each cell's latest output as this runner showed it: the next cell of a Run All reads it at
   * once, before VS Code has handed the edit back into `cell.outputs`.
   */
  private readonly shown = new WeakMap<vscode.NotebookCell, CellOutput>();

  constructor(private readonly deps: NotebookControllerDeps) {
    this.controller = vscode.notebooks.createNotebookController('llm-batch-runner', NOTEBOOK_TYPE, 'LLM Batch Runner');
    this.controller.supportedLanguages = ['yaml'];
    this.controller.supportsExecutionOrder = true;
    this.controller.description = 'Builds, prices, tries and submits batch jobs';
    this.controller.executeHandler = (cells) => this.executeInOrder(cells);
    this.disposables.push(
      this.controller,
      // Once VS Code holds what was last shown (or the user cleared the outputs), the cell's outputs are the truth again.
      vscode.workspace.onDidChangeNotebookDocument((event) => {
        for (const change of event.cellChanges) {
          if (!change.outputs) continue;
          const now = cellOutputOf(change.outputs);
          const shown = this.shown.get(change.cell);
          if (now === undefined || JSON.stringify(now) === JSON.stringify(shown)) this.shown.delete(change.cell);
        }
      }),
    );
  }

  /** Runs only the try of a job cell (the cell's "Try Sample Items" action). */
  async tryCell(cell: vscode.NotebookCell): Promise<void> {
    await this.execute(cell, 'try');
  }

  /** A cell's output: as this runner last showed it, else as the notebook has it. */
  private outputOf(cell: vscode.NotebookCell): CellOutput | undefined {
    return this.shown.get(cell) ?? cellOutputOf(cell.outputs);
  }

  /**
   * Writes a finished job's output into the cells that show it, keeping each cell's execution
   * order and times (a short execution: outputs change only through one). A cell running now is
   * left to its own run.
   */
  async persistJobOutput(cells: readonly vscode.NotebookCell[], output: JobOutput): Promise<void> {
    for (const cell of cells) {
      if (this.running.has(cell) || cell.notebook.isClosed) continue;
      const summary = cell.executionSummary;
      const execution = this.controller.createNotebookCellExecution(cell);
      execution.executionOrder = summary?.executionOrder;
      execution.start(summary?.timing?.startTime ?? Date.now());
      try {
        this.shown.set(cell, output);
        await execution.replaceOutput(outputOf(output));
      } finally {
        execution.end(summary?.success ?? true, summary?.timing?.endTime ?? Date.now());
      }
    }
  }

  private async executeInOrder(cells: readonly vscode.NotebookCell[]): Promise<void> {
    for (const cell of cells) {
      // "Run All" stops at the first cell that did not succeed: later cells depend on earlier ones.
      if (!(await this.execute(cell))) return;
    }
  }

  private async execute(cell: vscode.NotebookCell, only?: 'try'): Promise<boolean> {
    // A cell has one execution at a time: one still running is stopped first.
    const before = this.running.get(cell);
    if (before) {
      before.abort.abort();
      await before.ended;
    }
    const execution = this.controller.createNotebookCellExecution(cell);
    execution.executionOrder = ++this.order;
    const abort = new AbortController();
    const ended = this.track(cell, abort);
    execution.token.onCancellationRequested(() => abort.abort());
    execution.start(Date.now());
    let success = false;
    try {
      success = await this.run(cell, execution, abort.signal, only);
    } catch (error) {
      if (abort.signal.aborted) {
        success = false;
      } else {
        this.deps.log.warn(`notebook cell ${cell.index + 1}: ${errorText(error)}`);
        await execution.replaceOutput(errorOutput(error));
      }
    } finally {
      execution.end(success, Date.now());
      ended.done();
    }
    return success;
  }

  /** Records a cell's execution as running until `done()` is called. */
  private track(cell: vscode.NotebookCell, abort: AbortController): { done(): void } {
    let resolve: () => void = () => undefined;
    const ended = new Promise<void>((done) => {
      resolve = done;
    });
    const entry = { abort, ended };
    this.running.set(cell, entry);
    return {
      done: () => {
        if (this.running.get(cell) === entry) this.running.delete(cell);
        resolve();
      },
    };
  }

  private async run(cell: vscode.NotebookCell, execution: vscode.NotebookCellExecution, signal: AbortSignal, only: 'try' | undefined): Promise<boolean> {
    let shownLast: Thenable<void> = Promise.resolve();
    const show = (output: CellOutput) => {
      this.shown.set(cell, output);
      shownLast = execution.replaceOutput(outputOf(output));
    };
    const above = cell.notebook
      .getCells()
      .slice(0, cell.index)
      .map((previous) => ({
        source: previous.kind === vscode.NotebookCellKind.Code ? previous.document.getText() : undefined,
        output: this.outputOf(previous),
      }));
    // A job cell returns once its job is submitted or found: the follower shows it from there.
    const run = { source: cell.document.getText(), baseDir: notebookDir(cell.notebook), above, previous: this.outputOf(cell), only, follow: false, signal };
    try {
      const output = await runNotebookCell(await this.ports(show), run);
      // The cell's output is in place before its run ends (the next cell may read it).
      await shownLast;
      if (output.kind === 'job' && output.jobId !== undefined && !output.final) this.deps.follow(output.jobId);
      return cellSucceeded(output);
    } catch (error) {
      if (!(error instanceof InvalidCell)) throw error;
      await execution.replaceOutput(errorOutput(error));
      return false;
    }
  }

  private async ports(show: (output: CellOutput) => void): Promise<JobCellPorts> {
    const session = await this.requireSession();
    const service = session.service;
    if (!service) throw new Error(`This window only follows the workspace's jobs (${session.readOnlyReason ?? 'another process holds it'}); run the cell in the window or CLI that holds it.`);
    const notebookSettings = vscode.workspace.getConfiguration('llmBatch.notebook');
    return {
      service,
      parserFor: resultParserFor,
      settingsFor: userProviderSettings,
      defaults: {
        provider: defaultProvider(),
        outputBuffer: outputBuffer(),
        failureAlertRate: failureAlertRate(),
        confirmAbove: notebookSettings.get<number>('confirmAbove', 0),
        trySize: notebookSettings.get<number>('trySize', 5),
      },
      confirm: async (question, detail, action) => (await vscode.window.showWarningMessage(question, { modal: true, detail }, action)) === action,
      show,
      changed: (signal) => nextChange(session, signal),
      kick: () => {
        session.kick();
        session.notifyChanged();
      },
    };
  }

  private async requireSession(): Promise<WorkspaceSession> {
    const session = await this.deps.session();
    if (!session) throw new Error('Open a trusted folder to run LLM batch notebooks: jobs are kept in the folder.');
    return session;
  }

  dispose(): void {
    for (const { abort } of this.running.values()) abort.abort();
    this.running.clear();
    for (const disposable of this.disposables.splice(0)) disposable.dispose();
  }
}

/** Resolves when the session says something moved, after FOLLOW_POLL_MS, or when `signal` aborts. */
function nextChange(session: WorkspaceSession, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      subscription.dispose();
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, FOLLOW_POLL_MS);
    const subscription = session.onDidChange(done);
    signal.addEventListener('abort', done, { once: true });
  });
}

function notebookDir(notebook: vscode.NotebookDocument): string {
  if (notebook.uri.scheme === 'file') return path.dirname(notebook.uri.fsPath);
  // An untitled notebook: paths are relative to the first workspace folder.
  const folder = vscode.workspace.workspaceFolders?.[0];
  if (!folder) throw new Error('Save the notebook in a folder first: its paths are relative to it.');
  return folder.uri.fsPath;
}

function errorOutput(error: unknown): vscode.NotebookCellOutput {
  const failure = error instanceof Error ? error : new Error(String(error));
  // The message only: a stack trace says nothing to the user.
  return new vscode.NotebookCellOutput([vscode.NotebookCellOutputItem.error({ name: 'Error', message: failure.message })]);
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

