// Invalid lines in the Problems panel: each estimate (the cost preview, "Estimate Cost of JSONL
// File") replaces the problems of the files it read, so a file found clean loses its old ones;
// a deleted file (or folder) loses them too. The mapping itself is in invalidLinesByFile.ts.
import path from 'node:path';
import * as vscode from 'vscode';
import type { EstimateReport } from '../shared/estimateReport';
import { invalidLinesByFile } from './invalidLinesByFile';

const SOURCE = 'LLM Batch';
/** The rest of the line, whatever its length: the editor clamps a range to the line it marks. */
const LINE_END = Number.MAX_SAFE_INTEGER;

export class InvalidLineDiagnostics implements vscode.Disposable {
  private readonly collection = vscode.languages.createDiagnosticCollection('llmBatch');
  /** fsPaths that have problems listed, to find them again when a folder is deleted. */
  private readonly listed = new Set<string>();
  private readonly subscriptions: vscode.Disposable[];

  constructor() {
    // Deletes only; the Explorer's own deletes also arrive through onDidDeleteFiles, and a
    // file outside the workspace is seen only there.
    const watcher = vscode.workspace.createFileSystemWatcher('**/*', true, true, false);
    this.subscriptions = [
      this.collection,
      watcher,
      watcher.onDidDelete((uri) => this.forget(uri)),
      vscode.workspace.onDidDeleteFiles((event) => {
        for (const uri of event.files) this.forget(uri);
      }),
    ];
  }

  /** Lists the report's invalid lines under each file it estimated; clears the files found clean. */
  show(report: Pick<EstimateReport, 'files' | 'invalid'>): void {
    for (const { file, lines, omitted } of invalidLinesByFile(report)) {
      const uri = vscode.Uri.file(file);
      if (lines.length === 0) {
        this.collection.delete(uri);
        this.listed.delete(uri.fsPath);
        continue;
      }
      const diagnostics = lines.map(({ line, message }) => {
        const diagnostic = new vscode.Diagnostic(new vscode.Range(line - 1, 0, line - 1, LINE_END), message, vscode.DiagnosticSeverity.Error);
        diagnostic.source = SOURCE;
        return diagnostic;
      });
      if (omitted > 0) {
        const first = lines[0]?.line ?? 1;
        const more = new vscode.Diagnostic(
          new vscode.Range(first - 1, 0, first - 1, LINE_END),
          `${omitted.toLocaleString('en-US')} more invalid line${omitted === 1 ? '' : 's'} not listed here; the cost preview counts them all.`,
          vscode.DiagnosticSeverity.Information,
        );
        more.source = SOURCE;
        diagnostics.push(more);
      }
      this.collection.set(uri, diagnostics);
      this.listed.add(uri.fsPath);
    }
  }

  private forget(deleted: vscode.Uri): void {
    if (deleted.scheme !== 'file' || this.listed.size === 0) return;
    const folder = deleted.fsPath + path.sep;
    for (const file of [...this.listed]) {
      if (file !== deleted.fsPath && !file.startsWith(folder)) continue;
      this.collection.delete(vscode.Uri.file(file));
      this.listed.delete(file);
    }
  }

  dispose(): void {
    for (const subscription of this.subscriptions.splice(0)) subscription.dispose();
    this.listed.clear();
  }
}
