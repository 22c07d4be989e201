// The status-bar item: batches running and spend today; a click opens the Jobs view. Shown only
// while a batch runs or something was spent (or reserved) today: an idle "0 batches · $0.00" is noise.
import * as vscode from 'vscode';
import { formatDollars } from '../core/budget';
import type { WorkspaceSession } from './workspaceSession';

export function createStatusBar(session: () => WorkspaceSession | undefined, onDidChange: vscode.Event<void>): vscode.Disposable {
  const item = vscode.window.createStatusBarItem('llmBatch.status', vscode.StatusBarAlignment.Left, 10);
  item.name = 'LLM Batch Runner';
  item.command = 'workbench.view.extension.llmBatch';
  const update = () => {
    const current = session();
    if (!current) {
      item.hide();
      return;
    }
    const index = current.store.index;
    const running = index
      .jobs()
      .flatMap((job) => index.batches(job.id))
      .filter((batch) => batch.remoteId !== null && !batch.collected).length;
    const today = index.spendSince(new Date().toISOString().slice(0, 10));
    if (running === 0 && today <= 0) {
      item.hide();
      return;
    }
    item.text = `${running > 0 ? '$(sync~spin)' : '$(layers)'} ${running} batch${running === 1 ? '' : 'es'} · ${formatDollars(today)} today${current.readOnly ? ' (read-only)' : ''}`;
    item.tooltip = current.readOnly ? `LLM Batch Runner follows this workspace read-only: ${current.readOnlyReason ?? ''}` : 'LLM Batch Runner: running batches and spend today (reserved or settled). Click to open the Jobs view.';
    item.show();
  };
  update();
  return vscode.Disposable.from(item, onDidChange(update));
}
