// "Import Remote Batches…": adopt batches started elsewhere (a script, the provider's console) as
// jobs the Jobs view tracks. The user picks the provider first, then the batches this workspace
// does not know yet; each one is reached and remembered with the user's settings for that
// provider (its region, bucket, project…), like a job submitted from here.
import * as vscode from 'vscode';
import { PROVIDER_IDS, PROVIDER_LIMITS } from '../core/providerLimits';
import type { ProviderId } from '../core/providerLimits';
import { importBatch, untrackedBatches } from '../engine/importBatch';
import type { RemoteBatch } from '../providers/batchProvider';
import { providerSetupProblem, userProviderSettings } from './settings';
import type { WorkspaceSession } from './workspaceSession';

export async function importRemoteBatches(session: WorkspaceSession, log: vscode.LogOutputChannel): Promise<void> {
  const picked = await vscode.window.showQuickPick(
    PROVIDER_IDS.map((id) => {
      const problem = providerSetupProblem(id);
      return { id, label: PROVIDER_LIMITS[id].displayName, ...(problem === undefined ? {} : { detail: problem }) };
    }),
    { title: 'Import remote batches from…' },
  );
  if (!picked) return;
  const providerId: ProviderId = picked.id;
  const name = PROVIDER_LIMITS[providerId].displayName;
  const settings = userProviderSettings(providerId);
  const jobIds: string[] = [];
  try {
    const provider = session.providerFor(providerId, settings);
    const found = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Listing ${name} batches this workspace does not track`, cancellable: true },
      (_progress, token) => untrackedBatches(session.store, provider, abortOn(token)),
    );
    if (found.length === 0) {
      void vscode.window.showInformationMessage(`No untracked ${name} batches to import.`);
      return;
    }
    const chosen = await vscode.window.showQuickPick(
      found.map((remote) => ({ label: remote.remoteId, description: batchDescription(remote), detail: new Date(remote.createdAt).toLocaleString(), remote })),
      { title: `Import which ${name} batches?`, canPickMany: true },
    );
    if (!chosen || chosen.length === 0) return;
    try {
      await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Importing ${name} batches`, cancellable: true }, async (progress, token) => {
        const signal = abortOn(token);
        for (const { remote } of chosen) {
          progress.report({ message: remote.remoteId, increment: 100 / chosen.length });
          jobIds.push(await importBatch(session.store, providerId, provider, remote, settings, signal));
          log.info(`imported ${name} batch ${remote.remoteId} as ${jobIds.at(-1) ?? ''}`);
        }
      });
    } finally {
      if (jobIds.length > 0) {
        session.kick();
        session.notifyChanged();
      }
    }
    void vscode.window.showInformationMessage(`Imported ${jobIds.length === 1 ? `1 batch as job ${jobIds[0]}` : `${jobIds.length} batches`}; the Jobs view tracks ${jobIds.length === 1 ? 'it' : 'them'} now.`);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    log.error(`import remote ${name} batches: ${message}`);
    const done = jobIds.length > 0 ? ` Already imported: ${jobIds.join(', ')}.` : '';
    void vscode.window.showErrorMessage(`Importing ${name} batches failed: ${message}.${done}`);
  }
}

/** "in_progress · 120 requests · gpt-4o-mini" */
function batchDescription(remote: RemoteBatch): string {
  return [remote.rawStatus, `${remote.counts.total} requests`, remote.model ?? remote.endpoint].filter((part) => part !== undefined && part !== '').join(' · ');
}

function abortOn(token: vscode.CancellationToken): AbortSignal {
  const abort = new AbortController();
  token.onCancellationRequested(() => abort.abort(new Error('cancelled by the user')));
  return abort.signal;
}
