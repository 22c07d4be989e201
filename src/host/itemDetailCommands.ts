// Opening one item's detail: "Open Item" on an item of the Jobs view (also its click), from a
// notebook output or the failure inspector with a job and item id, and "Find Item by Custom ID…",
// which asks for a job and then the id, checked against the index as it is typed (a primary-key
// lookup, so it stays instant at a million items).
import * as vscode from 'vscode';
import { CommandIds } from './commandIds';
import { pickJob } from './jobCommands';
import type { JobTarget } from './jobCommands';
import type { ItemNode } from './jobsTreeNodes';
import type { WorkspaceSession } from './workspaceSession';

export interface ItemDetailCommandDeps {
  readonly session: () => WorkspaceSession | undefined;
  readonly openItem: (jobId: string, itemId: string) => void;
}

/** Where an item is named: a Jobs view item, `{ jobId, itemId }`, or the two ids as arguments. */
type ItemTarget = ItemNode | { readonly jobId: string; readonly itemId: string };

export function registerItemDetailCommands(deps: ItemDetailCommandDeps): vscode.Disposable {
  return vscode.Disposable.from(
    vscode.commands.registerCommand(CommandIds.openItem, (target?: ItemTarget | string, itemId?: unknown) => {
      const named = itemOf(target, itemId);
      if (!named) {
        // Without an item (a keybinding, another extension): ask, as Find Item does.
        return vscode.commands.executeCommand(CommandIds.findItem);
      }
      deps.openItem(named.jobId, named.itemId);
      return undefined;
    }),
    vscode.commands.registerCommand(CommandIds.findItem, async (target?: JobTarget) => {
      const session = deps.session();
      if (!session) {
        void vscode.window.showInformationMessage('Open a trusted folder to see its LLM batch jobs.');
        return;
      }
      const job = await pickJob(session, target, 'Find an item in which job?');
      if (!job) return;
      const index = session.store.index;
      const itemId = await vscode.window.showInputBox({
        title: `Find an item of ${job.name} by its custom ID`,
        prompt: 'The custom_id (or key) the item has in the file.',
        placeHolder: 'e.g. review-007',
        ignoreFocusOut: true,
        validateInput: (value) => {
          const id = value.trim();
          if (id.length === 0) return undefined;
          return index.item(job.id, id) ? undefined : `No item “${id}” in ${job.name}.`;
        },
      });
      const id = itemId?.trim();
      if (!id) return;
      deps.openItem(job.id, id);
    }),
  );
}

function itemOf(target: ItemTarget | string | undefined, itemId: unknown): { jobId: string; itemId: string } | undefined {
  if (typeof target === 'string') return typeof itemId === 'string' ? { jobId: target, itemId } : undefined;
  if (!target) return undefined;
  if ('kind' in target) return target.kind === 'item' ? { jobId: target.item.jobId, itemId: target.item.id } : undefined;
  return typeof target.jobId === 'string' && typeof target.itemId === 'string' ? { jobId: target.jobId, itemId: target.itemId } : undefined;
}
