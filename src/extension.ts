// Composition root: build what the features share, register each feature, and hand every
// Disposable to VS Code. Features live in src/host/, one file each.
import type * as vscode from 'vscode';
import { registerEstimateCommand } from './host/estimateCommand';

export function activate(context: vscode.ExtensionContext): void {
  context.subscriptions.push(registerEstimateCommand());
}

export function deactivate(): void {
  // Everything is released through context.subscriptions.
}
