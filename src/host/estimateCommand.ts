// "Estimate Cost of JSONL File": runs the core estimate on the chosen files with a cancellable
// progress notification and shows the readable report in an output channel, its invalid lines in
// the Problems panel.
import * as vscode from 'vscode';
import { estimateFiles } from '../core/estimate';
import { formatEstimateReport } from '../core/formatEstimateReport';
import { DEFAULT_OUTPUT_BUFFER } from '../core/tokens';
import { CommandIds } from './commandIds';
import type { InvalidLineDiagnostics } from './invalidLineDiagnostics';

export function registerEstimateCommand(invalidLines: InvalidLineDiagnostics): vscode.Disposable {
  const output = vscode.window.createOutputChannel('LLM Batch Runner: Estimate');
  const command = vscode.commands.registerCommand(CommandIds.estimateFile, async (clicked?: vscode.Uri, selected?: vscode.Uri[]) => {
    const files = await pickFiles(clicked, selected);
    if (files.length === 0) return;
    const names = files.map((uri) => vscode.workspace.asRelativePath(uri));
    await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Estimating ${names.join(', ')}`, cancellable: true },
      async (progress, token) => {
        const abort = new AbortController();
        const cancelled = token.onCancellationRequested(() => abort.abort());
        let reported = 0;
        try {
          const { report } = await estimateFiles(
            files.map((uri) => uri.fsPath),
            {
              outputBuffer: DEFAULT_OUTPUT_BUFFER,
              // Lines are analysed on workers: this thread is the window's.
              offThread: true,
              signal: abort.signal,
              onProgress: (done, total) => {
                const percent = total === 0 ? 100 : (done / total) * 100;
                progress.report({ increment: percent - reported });
                reported = percent;
              },
            },
          );
          invalidLines.show(report);
          output.clear();
          output.append(formatEstimateReport(report));
          output.show(true);
        } catch (error) {
          if (abort.signal.aborted) return;
          void vscode.window.showErrorMessage(`Estimate failed: ${error instanceof Error ? error.message : String(error)}`);
        } finally {
          cancelled.dispose();
        }
      },
    );
  });
  return vscode.Disposable.from(command, output);
}

async function pickFiles(clicked: vscode.Uri | undefined, selected: vscode.Uri[] | undefined): Promise<vscode.Uri[]> {
  if (selected && selected.length > 0) return selected;
  if (clicked) return [clicked];
  const active = vscode.window.activeTextEditor?.document.uri;
  if (active?.path.endsWith('.jsonl')) return [active];
  return (await vscode.window.showOpenDialog({ canSelectMany: true, filters: { 'JSON Lines': ['jsonl'] } })) ?? [];
}
