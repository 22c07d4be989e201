// The Jobs view's actions: cancel, resume, resubmit failed, open and export results, inspect
// failures, reveal an item's source line, delete a job, import remote batches. Money moves only through the submit
// service, after a confirmation that names the cost; commands take a node or a job id.
import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import * as vscode from 'vscode';
import { formatDollars } from '../core/budget';
import type { ProviderId } from '../core/providerLimits';
import { deleteJob, deleteJobBlocker } from '../engine/deleteJob';
import { csvHeader, csvRow, exportResults } from '../engine/exportResults';
import { resultParserFor } from '../providers/resultParsers';
import { CommandIds } from './commandIds';
import { importRemoteBatches } from './importRemoteBatches';
import { resultsUri } from './resultsDocuments';
import { JobNode } from './jobsTreeNodes';
import type { ItemNode, JobsTreeNode, LoadMoreNode } from './jobsTreeNodes';
import type { JobsTreeProvider } from './jobsTreeProvider';
import type { JobRow } from '../store/stateIndex';
import type { WorkspaceSession } from './workspaceSession';
import { count } from '../shared/wording';

export interface JobCommandDeps {
  readonly session: () => WorkspaceSession | undefined;
  readonly tree: JobsTreeProvider;
  readonly inspectFailures: (jobId: string) => void;
  readonly log: vscode.LogOutputChannel;
}

export function registerJobCommands(deps: JobCommandDeps): vscode.Disposable {
  const writable = (): WorkspaceSession | undefined => {
    const session = deps.session();
    if (!session) {
      void vscode.window.showInformationMessage('Open a trusted folder to submit and track LLM batch jobs.');
      return undefined;
    }
    if (!session.engine) {
      void vscode.window.showWarningMessage(`This window follows the jobs read-only: ${session.readOnlyReason ?? 'another process is writing'}`);
      return undefined;
    }
    return session;
  };

  const commands: [string, (...args: never[]) => unknown][] = [
    [CommandIds.refresh, () => deps.tree.refresh()],
    [CommandIds.loadMore, (node: LoadMoreNode) => deps.tree.loadMore(node)],
    [
      CommandIds.cancelJob,
      async (target?: JobTarget) => {
        const session = writable();
        const job = await pickJob(session, target, 'Cancel which job?');
        if (!session?.service || !job) return;
        const choice = await vscode.window.showWarningMessage(
          `Cancel ${job.name}?`,
          { modal: true, detail: 'Batches still running at the provider are asked to stop. Work already finished is kept, and “Resume Job” submits the cancelled items again later.' },
          'Cancel Job',
        );
        if (choice !== 'Cancel Job') return;
        await runAction(deps, session, `Cancelling ${job.name}`, (signal) => session.service?.cancel(job.id, signal));
        void vscode.window.showInformationMessage(`Cancelling ${job.name}: work already finished is kept.`);
      },
    ],
    [
      CommandIds.resumeJob,
      async (target?: JobTarget) => {
        const session = writable();
        const job = await pickJob(session, target, 'Resume which job?');
        if (!session?.service || !job) return;
        const outcome = await runAction(deps, session, `Resuming ${job.name}`, (signal) => session.service?.resume(job.id, signal));
        if (!outcome) return;
        if (outcome.submitted) void vscode.window.showInformationMessage(`Resumed ${job.name}.`);
        else void vscode.window.showWarningMessage(`${job.name} was not submitted: ${outcome.reason}`);
      },
    ],
    [
      CommandIds.resubmitFailed,
      async (target?: JobTarget) => {
        const session = writable();
        const job = await pickJob(session, target, 'Resubmit the failed items of which job?');
        if (!session?.service || !job) return;
        const retry = session.service.previewRetry(job.id);
        if (retry.ids.length === 0) {
          void vscode.window.showInformationMessage('Nothing to resubmit: no failed items with a retryable failure.');
          return;
        }
        if (!retry.budget.accepted) {
          void vscode.window.showWarningMessage(`Not resubmitted: ${retry.budget.message}`);
          return;
        }
        const choice = await vscode.window.showInformationMessage(
          `Resubmit ${count(retry.ids.length, 'failed item')} of ${job.name}?`,
          { modal: true, detail: `At most ${formatDollars(retry.reservation)} at the batch price, reserved against your budget until it settles.` },
          'Resubmit',
        );
        if (choice !== 'Resubmit') return;
        const ids = await runAction(deps, session, `Resubmitting failed items of ${job.name}`, (signal) => session.service?.retryFailed(job.id, retry.ids, signal));
        if (ids) void vscode.window.showInformationMessage(`Resubmitted ${count(ids.length, 'failed item')} of ${job.name}.`);
      },
    ],
    [
      CommandIds.inspectFailures,
      async (target?: JobTarget) => {
        const job = await pickJob(deps.session(), target, 'Inspect the failures of which job?');
        deps.log.info(`inspect failures: ${job?.id ?? '(no job chosen)'}`);
        if (job) deps.inspectFailures(job.id);
      },
    ],
    [
      CommandIds.openResults,
      async (target?: JobTarget) => {
        const session = deps.session();
        const job = await pickJob(session, target, 'Open the results of which job?');
        if (!session || !job) return;
        const file = session.store.resolve(`${session.store.jobDir(job.id)}/results.jsonl`);
        await writeResults(session, job, file, 'jsonl');
        // Read-only: the workspace's own records are not for editing.
        await vscode.window.showTextDocument(resultsUri(job.id), { preview: false });
      },
    ],
    [
      CommandIds.exportResults,
      // A notebook's output names the job and the format.
      async (target?: JobTarget, chosen?: 'jsonl' | 'csv') => {
        const session = deps.session();
        const job = await pickJob(session, target, 'Export the results of which job?');
        if (!session || !job) return;
        const format = chosen
          ? { format: chosen }
          : await vscode.window.showQuickPick(
              [
                { label: 'JSONL', format: 'jsonl' as const },
                { label: 'CSV', format: 'csv' as const },
              ],
              { title: `Export results of ${job.name}` },
            );
        if (!format) return;
        const saveTo = await vscode.window.showSaveDialog({
          defaultUri: vscode.Uri.file(path.join(path.dirname(job.sourceFile), `${job.name.replace(/\.jsonl$/, '')}.results.${format.format}`)),
          filters: format.format === 'csv' ? { CSV: ['csv'] } : { 'JSON Lines': ['jsonl'] },
        });
        if (!saveTo) return;
        const count = await writeResults(session, job, saveTo.fsPath, format.format);
        void vscode.window.showInformationMessage(`Exported ${count} results to ${vscode.workspace.asRelativePath(saveTo)}.`);
      },
    ],
    [
      CommandIds.revealSourceLine,
      async (node?: ItemNode) => {
        if (!node || node.kind !== 'item') return;
        const job = node.parent.parent.parent.job;
        await revealLine(job.sourceFile, node.item.line);
      },
    ],
    [
      CommandIds.deleteJob,
      async (target?: JobTarget) => {
        const session = writable();
        const job = session && (await pickJob(session, target, 'Delete which job?'));
        if (!session || !job) return;
        const blocker = deleteJobBlocker(session.store, job.id);
        if (blocker !== undefined) {
          void vscode.window.showWarningMessage(blocker);
          return;
        }
        const choice = await vscode.window.showWarningMessage(
          `Delete ${job.name} from this workspace?`,
          { modal: true, detail: 'Its local records and downloaded results are removed. Batches and files at the provider are not deleted.' },
          'Delete',
        );
        if (choice !== 'Delete') return;
        try {
          await deleteJob(session.store, job.id);
        } catch (error) {
          void vscode.window.showErrorMessage(error instanceof Error ? error.message : String(error));
        }
        session.notifyChanged();
      },
    ],
    [
      // A remote batch's id (to look it up at the provider) or an item's custom id.
      CommandIds.copyId,
      async (node?: JobsTreeNode) => {
        const id = node?.kind === 'batch' ? (node.batch?.remoteId ?? undefined) : node?.kind === 'item' ? node.item.id : undefined;
        if (id === undefined) return;
        await vscode.env.clipboard.writeText(id);
        void vscode.window.setStatusBarMessage(`Copied ${id}`, 3_000);
      },
    ],
    [
      CommandIds.importBatches,
      async () => {
        const session = writable();
        if (session) await importRemoteBatches(session, deps.log);
      },
    ],
  ];
  return vscode.Disposable.from(...commands.map(([id, handler]) => vscode.commands.registerCommand(id, handler as (...args: unknown[]) => unknown)));
}

export async function revealLine(file: string, line: number): Promise<void> {
  const document = await vscode.workspace.openTextDocument(vscode.Uri.file(file));
  const position = new vscode.Position(Math.max(0, line - 1), 0);
  await vscode.window.showTextDocument(document, { selection: new vscode.Range(position, document.lineAt(position.line).range.end) });
}

/** A command's target: a node of the Jobs view, or a job id (the palette, notifications, notebook outputs). */
export type JobTarget = JobsTreeNode | string;

/** The job a command acts on: the node's or the id's, or one the user picks. */
export async function pickJob(session: WorkspaceSession | undefined, target: JobTarget | undefined, title: string): Promise<JobRow | undefined> {
  if (!session) return undefined;
  if (typeof target === 'string') {
    const job = session.store.index.job(target);
    if (!job) void vscode.window.showWarningMessage(`No job ${target} in this workspace.`);
    return job;
  }
  const node = jobOf(target);
  if (node) return session.store.index.job(node.job.id) ?? node.job;
  const jobs = session.store.index.jobs();
  if (jobs.length === 0) {
    void vscode.window.showInformationMessage('No jobs yet: submit a JSONL file first.');
    return undefined;
  }
  const picked = await vscode.window.showQuickPick(
    jobs.map((job) => ({ label: job.name, description: job.blockedReason ?? job.status.replace(/_/g, ' '), detail: job.id, job })),
    { title },
  );
  return picked?.job;
}

/** Runs a service action with progress and a job-named error; undefined when it failed. */
async function runAction<T>(deps: JobCommandDeps, session: WorkspaceSession, title: string, action: (signal: AbortSignal) => Promise<T> | undefined): Promise<T | undefined> {
  try {
    return await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title, cancellable: true }, (_progress, token) => {
      const abort = new AbortController();
      token.onCancellationRequested(() => abort.abort(new Error('cancelled by the user')));
      return Promise.resolve(action(abort.signal));
    });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    deps.log.error(`${title}: ${message}`);
    void vscode.window.showErrorMessage(`${title} failed: ${message}`);
    return undefined;
  } finally {
    session.kick();
    session.notifyChanged();
  }
}

function jobOf(node: JobsTreeNode | undefined): JobNode | undefined {
  let current: JobsTreeNode | undefined = node;
  while (current && !(current instanceof JobNode)) current = current.parent;
  return current;
}

/** Streams every result to `file`, so a million-item job never sits in memory as one string. */
async function writeResults(session: WorkspaceSession, job: JobRow, file: string, format: 'jsonl' | 'csv'): Promise<number> {
  const parse = resultParserFor(job.provider as ProviderId);
  await mkdir(path.dirname(file), { recursive: true });
  const out = createWriteStream(file);
  const write = async (text: string) => {
    if (!out.write(text)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
  };
  let count = 0;
  try {
    if (format === 'csv') await write(csvHeader());
    for await (const record of exportResults(session.store, job.id, parse)) {
      await write(format === 'csv' ? csvRow(record) : `${JSON.stringify(record)}\n`);
      count++;
    }
  } finally {
    await new Promise<void>((resolve) => out.end(() => resolve()));
  }
  return count;
}
