// Notifications when a job finishes or passes its failure threshold, each with the actions
// that follow naturally from it.
import * as vscode from 'vscode';
import { CommandIds } from './commandIds';
import type { JobTransition } from './workspaceSession';
import { JobNode } from './jobsTreeNodes';
import type { WorkspaceSession } from './workspaceSession';

export function notifyOnTransitions(session: WorkspaceSession): vscode.Disposable {
  return session.onDidTransition(({ job, previous }: JobTransition) => {
    const node = new JobNode(job, session.store.index.countsByState(job.id), session.store.index.actualCost(job.id), Date.now());
    if (job.alert && job.alert !== previous?.alert) {
      void vscode.window.showWarningMessage(job.alert, 'Inspect Failures', 'Show Job').then((choice) => {
        if (choice === 'Inspect Failures') void vscode.commands.executeCommand(CommandIds.inspectFailures, node);
        if (choice === 'Show Job') void vscode.commands.executeCommand(CommandIds.showJob, job.id);
      });
    }
    if (job.status !== previous?.status && (job.status === 'completed' || job.status === 'completed_with_failures' || job.status === 'cancelled')) {
      const counts = node.counts;
      const failed = (counts.dead_letter ?? 0) + (counts.cancelled ?? 0);
      const message =
        job.status === 'completed'
          ? `${job.name} completed: ${counts.succeeded ?? 0} succeeded.`
          : job.status === 'cancelled'
            ? `${job.name} was cancelled.`
            : `${job.name} finished: ${counts.succeeded ?? 0} succeeded, ${failed} failed for good.`;
      const actions = failed > 0 ? ['Open Results', 'Inspect Failures', 'Show Job'] : ['Open Results', 'Show Job'];
      void vscode.window.showInformationMessage(message, ...actions).then((choice) => {
        if (choice === 'Show Job') void vscode.commands.executeCommand(CommandIds.showJob, job.id);
        if (choice === 'Open Results') void vscode.commands.executeCommand(CommandIds.openResults, node);
        if (choice === 'Inspect Failures') void vscode.commands.executeCommand(CommandIds.inspectFailures, node);
      });
    }
  });
}
