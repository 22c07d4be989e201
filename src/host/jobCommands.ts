// The Jobs view's actions: cancel, resubmit failed, open and export results, inspect failures,
// reveal an item's source line, delete a job. Each acts through the session's engine and store.
import { createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import * as vscode from 'vscode';
import type { ProviderId } from '../core/providerLimits';
import { FINAL_JOB_STATES } from '../engine/engine';
import { csvHeader, csvRow, exportResults } from '../engine/exportResults';
import { resultParserFor } from '../providers/resultParsers';
import { CommandIds } from './commandIds';
import { JobNode } from './jobsTreeNodes';
import type { ItemNode, JobsTreeNode, LoadMoreNode } from './jobsTreeNodes';
import type { JobsTreeProvider } from './jobsTreeProvider';
import type { WorkspaceSession } from './workspaceSession';

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
      async (node?: JobsTreeNode) => {
        const session = writable();
        const job = jobOf(node);
        if (!session?.engine || !job) return;
        await session.engine.cancel(job.job.id);
        session.kick();
        session.notifyChanged();
        void vscode.window.showInformationMessage(`Cancelling ${job.job.name}: work already finished is kept.`);
      },
    ],
    [
      CommandIds.resubmitFailed,
      async (node?: JobsTreeNode) => {
        const session = writable();
        const job = jobOf(node);
        if (!session?.engine || !job) return;
        const ids = await session.engine.retryFailed(job.job.id);
        session.kick();
        session.notifyChanged();
        void vscode.window.showInformationMessage(ids.length === 0 ? 'Nothing to resubmit: no failed items with a retryable failure.' : `Resubmitted ${ids.length} failed item(s) of ${job.job.name} as a new batch.`);
      },
    ],
    [
      CommandIds.inspectFailures,
      (node?: JobsTreeNode) => {
        const job = jobOf(node);
        deps.log.info(`inspect failures: ${job?.job.id ?? '(no job selected)'}`);
        if (job) deps.inspectFailures(job.job.id);
      },
    ],
    [
      CommandIds.openResults,
      async (node?: JobsTreeNode) => {
        const session = deps.session();
        const job = jobOf(node);
        if (!session || !job) return;
        const file = path.join(session.store.root, 'jobs', job.job.id, 'results.jsonl');
        await writeResults(session, job, file, 'jsonl');
        await vscode.window.showTextDocument(vscode.Uri.file(file), { preview: false });
      },
    ],
    [
      CommandIds.exportResults,
      async (node?: JobsTreeNode) => {
        const session = deps.session();
        const job = jobOf(node);
        if (!session || !job) return;
        const format = await vscode.window.showQuickPick(
          [
            { label: 'JSONL', format: 'jsonl' as const },
            { label: 'CSV', format: 'csv' as const },
          ],
          { title: `Export results of ${job.job.name}` },
        );
        if (!format) return;
        const target = await vscode.window.showSaveDialog({
          defaultUri: vscode.Uri.file(path.join(path.dirname(job.job.sourceFile), `${job.job.name.replace(/\.jsonl$/, '')}.results.${format.format}`)),
          filters: format.format === 'csv' ? { CSV: ['csv'] } : { 'JSON Lines': ['jsonl'] },
        });
        if (!target) return;
        const count = await writeResults(session, job, target.fsPath, format.format);
        void vscode.window.showInformationMessage(`Exported ${count} results to ${vscode.workspace.asRelativePath(target)}.`);
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
      async (node?: JobsTreeNode) => {
        const session = writable();
        const job = jobOf(node);
        if (!session || !job) return;
        const open = session.store.index.batches(job.job.id).filter((b) => !b.collected && b.remoteId !== null);
        if (!FINAL_JOB_STATES.has(job.job.status) && open.length > 0) {
          void vscode.window.showWarningMessage(`${job.job.name} still has ${open.length} batch(es) running at the provider. Cancel the job first; nothing was deleted.`);
          return;
        }
        const choice = await vscode.window.showWarningMessage(
          `Delete ${job.job.name} from this workspace?`,
          { modal: true, detail: 'Its local records and downloaded results are removed. Batches and files at the provider are not deleted.' },
          'Delete',
        );
        if (choice !== 'Delete') return;
        await session.store.commit([{ type: 'job.deleted', jobId: job.job.id }]);
        await rm(path.join(session.store.root, 'jobs', job.job.id), { recursive: true, force: true });
        session.notifyChanged();
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

function jobOf(node: JobsTreeNode | undefined): JobNode | undefined {
  let current: JobsTreeNode | undefined = node;
  while (current && !(current instanceof JobNode)) current = current.parent;
  return current;
}

/** Streams every result to `file`, so a million-item job never sits in memory as one string. */
async function writeResults(session: WorkspaceSession, job: JobNode, file: string, format: 'jsonl' | 'csv'): Promise<number> {
  const parse = resultParserFor(job.job.provider as ProviderId);
  await mkdir(path.dirname(file), { recursive: true });
  const out = createWriteStream(file);
  const write = async (text: string) => {
    if (!out.write(text)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
  };
  let count = 0;
  try {
    if (format === 'csv') await write(csvHeader());
    for await (const record of exportResults(session.store, job.job.id, parse)) {
      await write(format === 'csv' ? csvRow(record) : `${JSON.stringify(record)}\n`);
      count++;
    }
  } finally {
    await new Promise<void>((resolve) => out.end(() => resolve()));
  }
  return count;
}
