// What every webview panel shares on the host side: the options that fence it in (scripts on,
// resources only from dist/ and media/), the HTML shell with a fresh nonce, and a typed,
// validated message channel that drops and logs whatever does not parse.
import * as vscode from 'vscode';
import type { z } from 'zod';
import { parseMessage } from '../shared/protocol';
import type { WorkspaceSession } from './workspaceSession';
import { newNonce, webviewShellHtml } from './webviewHtml';

/** What a panel needs from the extension. */
export interface PanelDeps {
  readonly extensionUri: vscode.Uri;
  readonly session: WorkspaceSession;
  readonly log: vscode.LogOutputChannel;
}

/** The bundles under webview/<name>/main.ts. */
export type WebviewBundle = 'costPreview' | 'failureInspector' | 'itemDetail' | 'jobSummary';

/**
 * One panel per job in a session: opening a job's panel again reveals it. Keyed by the session
 * (not a module-wide map) so a new session starts empty.
 */
export class PanelPerJob<P extends { reveal(): void }> {
  private readonly bySession = new WeakMap<WorkspaceSession, Map<string, P>>();

  /** The job's open panel, if any. */
  get(session: WorkspaceSession, jobId: string): P | undefined {
    return this.bySession.get(session)?.get(jobId);
  }

  /** Keeps the panel `create` makes until it calls `forget` (when it is disposed). */
  add(session: WorkspaceSession, jobId: string, create: (forget: () => void) => P): void {
    let byJob = this.bySession.get(session);
    if (!byJob) {
      byJob = new Map();
      this.bySession.set(session, byJob);
    }
    const jobs = byJob;
    jobs.set(jobId, create(() => jobs.delete(jobId)));
  }
}

export function panelOptions(extensionUri: vscode.Uri): vscode.WebviewPanelOptions & vscode.WebviewOptions {
  return {
    enableScripts: true,
    enableCommandUris: false,
    localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'dist'), vscode.Uri.joinPath(extensionUri, 'media')],
    // The host keeps the state; a panel that was hidden says `ready` again and is sent it anew.
    retainContextWhenHidden: false,
  };
}

export function setPanelHtml(webview: vscode.Webview, extensionUri: vscode.Uri, bundle: WebviewBundle, title: string): void {
  webview.html = webviewShellHtml({
    cspSource: webview.cspSource,
    nonce: newNonce(),
    scriptUri: webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'dist', 'webview', bundle, 'main.js')).toString(),
    styleUri: webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'media', 'webview.css')).toString(),
    title,
  });
}

/** Calls `handle` with each message that parses; logs and drops the rest. */
export function onValidMessage<S extends z.ZodType>(
  webview: vscode.Webview,
  schema: S,
  log: vscode.LogOutputChannel,
  panelName: string,
  handle: (message: z.infer<S>) => void | Promise<void>,
): vscode.Disposable {
  return webview.onDidReceiveMessage((data: unknown) => {
    const message = parseMessage(schema, data, (problem) => log.warn(`${panelName}: ${problem}`));
    if (message === undefined) return;
    Promise.resolve()
      .then(() => handle(message))
      .catch((error: unknown) => log.error(`${panelName}: handling ${String((message as { type?: unknown }).type)} failed: ${errorText(error)}`));
  });
}

/** Opens a file with one line selected (1-based), beside nothing: in the active editor group. */
export async function openFileAtLine(file: vscode.Uri, line: number): Promise<void> {
  const document = await vscode.workspace.openTextDocument(file);
  const index = Math.min(Math.max(line - 1, 0), Math.max(document.lineCount - 1, 0));
  const range = document.lineAt(index).range;
  await vscode.window.showTextDocument(document, { selection: new vscode.Selection(range.start, range.end), preview: true });
}

export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
