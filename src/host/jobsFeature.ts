// Everything that needs the workspace's job state: it opens the session once the folder is
// trusted (resuming any unfinished polling), and wires the Jobs view, the status bar,
// notifications, the job commands, the panels and the notebook runner to it.
import { copyFile, stat } from 'node:fs/promises';
import path from 'node:path';
import * as vscode from 'vscode';
import { isProviderId } from '../core/providerLimits';
import type { ApiKeys } from './apiKeys';
import { CommandIds } from './commandIds';
import { COST_PREVIEW_VIEW_TYPE, restoreCostPreview, showCostPreview } from './costPreviewPanel';
import { FAILURE_INSPECTOR_VIEW_TYPE, restoreFailureInspector, showFailureInspector } from './failureInspectorPanel';
import { registerItemDetailCommands } from './itemDetailCommands';
import { showItemDetail } from './itemDetailPanel';
import type { InvalidLineDiagnostics } from './invalidLineDiagnostics';
import { pickJob, registerJobCommands } from './jobCommands';
import { registerJobSummaryCommands } from './jobSummaryPanel';
import { registerNotebookFeature } from './notebook/notebookFeature';
import { notifyOnTransitions } from './jobNotifications';
import { JobNode } from './jobsTreeNodes';
import { JobsTreeProvider } from './jobsTreeProvider';
import { registerResultsDocuments } from './resultsDocuments';
import { createStatusBar } from './statusBar';
import { WorkspaceSession } from './workspaceSession';

export function registerJobsFeature(context: vscode.ExtensionContext, keys: ApiKeys, log: vscode.LogOutputChannel, invalidLines: InvalidLineDiagnostics): vscode.Disposable {
  const tree = new JobsTreeProvider();
  const sessionChanged = new vscode.EventEmitter<void>();
  let session: WorkspaceSession | undefined;
  let sessionSubscriptions: vscode.Disposable | undefined;
  const current = () => session;
  const panelDeps = () => (session ? { extensionUri: context.extensionUri, session, log } : undefined);

  // One opening at a time: activation and the command that caused it both ask for the session,
  // and a second open would find this very window holding the lock.
  let opening: Promise<void> | undefined;
  const open = (): Promise<void> => (opening ??= openOnce().finally(() => (opening = undefined)));
  const openOnce = async () => {
    const folder = vscode.workspace.workspaceFolders?.[0];
    if (!folder || folder.uri.scheme !== 'file' || !vscode.workspace.isTrusted || session) return;
    try {
      session = await WorkspaceSession.open(folder.uri.fsPath, keys, log);
      sessionSubscriptions = vscode.Disposable.from(session, notifyOnTransitions(session), session.onDidChange(() => sessionChanged.fire()));
      tree.setSession(session);
      void vscode.commands.executeCommand('setContext', 'llmBatch.hasJobs', session.store.index.jobs().length > 0);
      session.onDidChange(() => void vscode.commands.executeCommand('setContext', 'llmBatch.hasJobs', (session?.store.index.jobs().length ?? 0) > 0));
      sessionChanged.fire();
      log.info(`opened the workspace's job state (${session.store.index.jobs().length} jobs${session.readOnly ? ', read-only' : ''})`);
      if (session.readOnly) log.info('this window follows the workspace read-only');
    } catch (error) {
      log.error(`could not open the workspace's job state: ${error instanceof Error ? error.message : String(error)}`);
      void vscode.window.showErrorMessage(`LLM Batch Runner could not open this workspace's job state: ${error instanceof Error ? error.message : String(error)}`);
    }
  };
  void open();

  const view = vscode.window.createTreeView('llmBatch.jobs', { treeDataProvider: tree, showCollapseAll: true });
  const inspect = (jobId: string) => {
    const deps = panelDeps();
    if (deps) showFailureInspector(deps, jobId);
  };

  return vscode.Disposable.from(
    view,
    tree,
    sessionChanged,
    { dispose: () => sessionSubscriptions?.dispose() },
    vscode.workspace.onDidGrantWorkspaceTrust(() => void open()),
    createStatusBar(current, sessionChanged.event),
    registerResultsDocuments(current),
    registerJobCommands({ session: current, tree, inspectFailures: inspect, log }),
    registerJobSummaryCommands({ session: current, panelDeps, log }),
    registerItemDetailCommands({
      session: current,
      openItem: (jobId, itemId) => {
        const deps = panelDeps();
        if (deps) showItemDetail(deps, jobId, itemId);
      },
    }),
    registerNotebookFeature({
      session: async () => {
        await open();
        return session;
      },
      log,
    }),
    // Panels open when the window reloaded come back as they were (their webviews saved what they need).
    vscode.window.registerWebviewPanelSerializer(COST_PREVIEW_VIEW_TYPE, {
      deserializeWebviewPanel: async (panel, state) => {
        await open();
        const deps = panelDeps();
        if (deps) restoreCostPreview({ ...deps, invalidLines }, panel, state);
        else panel.dispose();
      },
    }),
    vscode.window.registerWebviewPanelSerializer(FAILURE_INSPECTOR_VIEW_TYPE, {
      deserializeWebviewPanel: async (panel, state) => {
        await open();
        const deps = panelDeps();
        if (deps) restoreFailureInspector(deps, panel, state);
        else panel.dispose();
      },
    }),
    // "Show Job" in notifications and notebook outputs: the Jobs view, with the job selected.
    vscode.commands.registerCommand(CommandIds.showJob, async (jobId?: unknown) => {
      const job = await pickJob(session, typeof jobId === 'string' ? jobId : undefined, 'Show which job?');
      await vscode.commands.executeCommand('llmBatch.jobs.focus');
      const index = session?.store.index;
      if (!job || !index) return;
      const node = new JobNode(job, index.countsByState(job.id), index.actualCost(job.id), Date.now());
      await view.reveal(node, { select: true, focus: true, expand: true });
    }),
    vscode.commands.registerCommand(CommandIds.submitFile, async (clicked?: vscode.Uri, selected?: vscode.Uri[]) => {
      if (!vscode.workspace.isTrusted) {
        void vscode.window.showWarningMessage('Submitting batches is disabled until you trust this workspace.');
        return;
      }
      await open();
      const deps = panelDeps();
      if (!deps) {
        void vscode.window.showInformationMessage('Open a folder to submit LLM batch jobs.');
        return;
      }
      const files = selected && selected.length > 0 ? selected : clicked ? [clicked] : await pickJsonl();
      if (files.length > 0) showCostPreview({ ...deps, invalidLines }, files);
    }),
    // The cost preview names the provider whose key is missing; the palette and the view ask.
    vscode.commands.registerCommand(CommandIds.setApiKey, async (provider?: unknown) => {
      const named = typeof provider === 'string' && isProviderId(provider) ? provider : undefined;
      if (await keys.prompt(named)) void vscode.window.showInformationMessage('API key saved in VS Code’s secret storage.');
    }),
    vscode.commands.registerCommand(CommandIds.openSample, async () => {
      const folder = vscode.workspace.workspaceFolders?.[0];
      if (!folder) {
        void vscode.window.showInformationMessage('Open a folder first: the sample is written into it.');
        return;
      }
      const target = path.join(folder.uri.fsPath, 'llm-batch-sample.jsonl');
      if (!(await stat(target).catch(() => undefined))) await copyFile(vscode.Uri.joinPath(context.extensionUri, 'media', 'sample-batch.jsonl').fsPath, target);
      await vscode.window.showTextDocument(vscode.Uri.file(target));
    }),
  );
}

async function pickJsonl(): Promise<vscode.Uri[]> {
  const active = vscode.window.activeTextEditor?.document.uri;
  if (active?.path.endsWith('.jsonl')) return [active];
  return (await vscode.window.showOpenDialog({ canSelectMany: true, filters: { 'JSON Lines': ['jsonl'] }, openLabel: 'Submit as LLM Batch' })) ?? [];
}
