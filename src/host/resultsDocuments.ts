// Results open read-only: "Open Results" shows `llm-batch-results:/<job>/results.jsonl`, served by
// a read-only file system over the job's exported file in `.llm-batch/`, so the editor cannot
// change (or save over) the workspace's own records, and the tab says whose results they are.
import { readFile, stat } from 'node:fs/promises';
import * as vscode from 'vscode';
import type { WorkspaceSession } from './workspaceSession';

export const RESULTS_SCHEME = 'llm-batch-results';

/** The read-only address of a job's results file (written by Open Results first). */
export function resultsUri(jobId: string): vscode.Uri {
  return vscode.Uri.from({ scheme: RESULTS_SCHEME, path: `/${jobId}/results.jsonl` });
}

export function registerResultsDocuments(session: () => WorkspaceSession | undefined): vscode.Disposable {
  const changed = new vscode.EventEmitter<vscode.FileChangeEvent[]>();
  const fileOf = (uri: vscode.Uri): string => {
    const current = session();
    const match = /^\/([^/]+)\/results\.jsonl$/.exec(uri.path);
    const jobId = match?.[1];
    // Only a job this workspace knows, and only its results file: the address names nothing else.
    if (!current || !jobId || !current.store.index.job(jobId)) throw vscode.FileSystemError.FileNotFound(uri);
    return current.store.resolve(`${current.store.jobDir(jobId)}/results.jsonl`);
  };
  const provider: vscode.FileSystemProvider = {
    onDidChangeFile: changed.event,
    watch: () => new vscode.Disposable(() => undefined),
    stat: async (uri) => {
      const info = await stat(fileOf(uri)).catch(() => {
        throw vscode.FileSystemError.FileNotFound(uri);
      });
      return { type: vscode.FileType.File, ctime: info.ctimeMs, mtime: info.mtimeMs, size: info.size, permissions: vscode.FilePermission.Readonly };
    },
    readFile: async (uri) => {
      try {
        return await readFile(fileOf(uri));
      } catch {
        throw vscode.FileSystemError.FileNotFound(uri);
      }
    },
    readDirectory: () => [],
    createDirectory: (uri) => refuse(uri),
    writeFile: (uri) => refuse(uri),
    delete: (uri) => refuse(uri),
    rename: (uri) => refuse(uri),
  };
  return vscode.Disposable.from(changed, vscode.workspace.registerFileSystemProvider(RESULTS_SCHEME, provider, { isReadonly: true, isCaseSensitive: true }));
}

function refuse(uri: vscode.Uri): never {
  throw vscode.FileSystemError.NoPermissions(uri);
}
