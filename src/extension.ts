// Composition root: build what the features share, register each feature, and hand every
// Disposable to VS Code. Features live in src/host/, one file each.
import * as vscode from 'vscode';
import { ApiKeys } from './host/apiKeys';
import { registerEstimateCommand } from './host/estimateCommand';
import { InvalidLineDiagnostics } from './host/invalidLineDiagnostics';
import { registerJobsFeature } from './host/jobsFeature';

export function activate(context: vscode.ExtensionContext): void {
  const log = vscode.window.createOutputChannel('LLM Batch Runner', { log: true });
  try {
    const keys = new ApiKeys(context.secrets);
    const invalidLines = new InvalidLineDiagnostics();
    context.subscriptions.push(log, invalidLines, registerEstimateCommand(invalidLines), registerJobsFeature(context, keys, log, invalidLines));
  } catch (error) {
    log.error(`activation failed: ${error instanceof Error ? error.message : String(error)}`);
    void vscode.window.showErrorMessage(`LLM Batch Runner failed to start: ${error instanceof Error ? error.message : String(error)}`);
  }
}

export function deactivate(): void {
  // Everything is released through context.subscriptions (the session snapshots on dispose).
}
