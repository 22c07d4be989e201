// The notebook runner's wiring: the `.llmbatch` serializer, the controller, the cells' schema
// features (validation, completion, hover), the renderer's buttons, and the two commands.
import * as vscode from 'vscode';
import { NOTEBOOK_RENDERER_ID, NOTEBOOK_TYPE, rendererToHostSchema } from '../../shared/notebookOutputs';
import type { RendererToHost } from '../../shared/notebookOutputs';
import { CommandIds } from '../commandIds';
import type { WorkspaceSession } from '../workspaceSession';
import { registerCellLanguageFeatures } from './cellLanguageFeatures';
import { NotebookJobFollower } from './jobFollower';
import { NotebookRunner } from './notebookController';
import { registerNotebookSerializer } from './notebookSerializer';
import { starterNotebook } from './starterNotebook';

export interface NotebookFeatureDeps {
  readonly session: () => Promise<WorkspaceSession | undefined>;
  readonly log: vscode.LogOutputChannel;
}

export function registerNotebookFeature(deps: NotebookFeatureDeps): vscode.Disposable {
  const messaging = vscode.notebooks.createRendererMessaging(NOTEBOOK_RENDERER_ID);
  const holder: { runner?: NotebookRunner } = {};
  const follower = new NotebookJobFollower({ session: deps.session, messaging, log: deps.log, persist: (cells, output) => holder.runner?.persistJobOutput(cells, output) ?? Promise.resolve() });
  const runner = new NotebookRunner({ ...deps, follow: (jobId) => follower.watch(jobId) });
  holder.runner = runner;
  return vscode.Disposable.from(
    registerNotebookSerializer(),
    runner,
    follower,
    registerCellLanguageFeatures(),
    messaging.onDidReceiveMessage(({ message }) => {
      const parsed = rendererToHostSchema.safeParse(message);
      if (!parsed.success) {
        deps.log.warn('notebook output: ignored a message that is not one of its buttons');
        return;
      }
      void onRendererAction(parsed.data, follower).catch((error: unknown) => {
        void vscode.window.showErrorMessage(`LLM Batch: ${error instanceof Error ? error.message : String(error)}`);
      });
    }),
    vscode.commands.registerCommand(CommandIds.tryNotebookCell, async (cell?: vscode.NotebookCell) => {
      const target = cell ?? activeCell();
      if (!target) {
        void vscode.window.showInformationMessage('Select a job cell of an LLM Batch notebook to try its sample items.');
        return;
      }
      await runner.tryCell(target);
    }),
    vscode.commands.registerCommand(CommandIds.newNotebook, async () => {
      const notebook = await vscode.workspace.openNotebookDocument(NOTEBOOK_TYPE, starterNotebook());
      await vscode.window.showNotebookDocument(notebook);
    }),
  );
}

/** A button in a cell's output: job actions go through the Jobs view's commands (which confirm what spends or stops). */
async function onRendererAction(action: RendererToHost, follower: NotebookJobFollower): Promise<void> {
  switch (action.type) {
    case 'watchJob':
      follower.watch(action.jobId);
      return;
    case 'cancelJob':
      await vscode.commands.executeCommand(CommandIds.cancelJob, action.jobId);
      follower.watch(action.jobId);
      return;
    case 'resubmitFailed':
      await vscode.commands.executeCommand(CommandIds.resubmitFailed, action.jobId);
      follower.watch(action.jobId);
      return;
    case 'exportResults':
      await vscode.commands.executeCommand(CommandIds.exportResults, action.jobId, action.format);
      return;
    case 'revealJob':
      await vscode.commands.executeCommand(CommandIds.showJob, action.jobId);
      return;
    case 'inspectFailures':
      await vscode.commands.executeCommand(CommandIds.inspectFailures, action.jobId);
      return;
    case 'openItem':
      await vscode.commands.executeCommand(CommandIds.openItem, { jobId: action.jobId, itemId: action.itemId });
      return;
  }
}

function activeCell(): vscode.NotebookCell | undefined {
  const editor = vscode.window.activeNotebookEditor;
  if (!editor || editor.notebook.notebookType !== NOTEBOOK_TYPE) return undefined;
  const index = editor.selections[0]?.start;
  return index === undefined ? undefined : editor.notebook.cellAt(index);
}
