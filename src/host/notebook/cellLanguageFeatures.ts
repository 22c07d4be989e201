// Editing help in the code cells of `.llmbatch` notebooks: problems as you type (parseCell, a
// little after the last keystroke), completion of the keys a cell's kind takes (or of `kind:`
// itself), and each key's description on hover. All the knowledge is in src/core/notebook; this
// file only hands it to VS Code.
import * as vscode from 'vscode';
import { cellKindOf, completionsFor, describeKey, parseCell } from '../../core/notebook/cellDocument';
import { NOTEBOOK_TYPE } from '../../shared/notebookOutputs';

const CELL_SCHEME = 'vscode-notebook-cell';
const DEBOUNCE_MS = 200;
const SELECTOR: vscode.DocumentSelector = { notebookType: NOTEBOOK_TYPE, language: 'yaml' };

export function registerCellLanguageFeatures(): vscode.Disposable {
  const diagnostics = vscode.languages.createDiagnosticCollection('llmBatch.notebook');
  const pending = new Map<string, ReturnType<typeof setTimeout>>();

  const check = (document: vscode.TextDocument): void => {
    if (!isCodeCellOfOurs(document)) return;
    const parsed = parseCell(document.getText());
    diagnostics.set(document.uri, parsed.ok ? [] : parsed.problems.map((problem) => {
      const range = new vscode.Range(problem.line, problem.column, problem.endLine, problem.endColumn);
      const diagnostic = new vscode.Diagnostic(document.validateRange(range), problem.message, vscode.DiagnosticSeverity.Error);
      diagnostic.source = 'LLM Batch';
      return diagnostic;
    }));
  };
  const checkSoon = (document: vscode.TextDocument): void => {
    if (!isCodeCellOfOurs(document)) return;
    const key = document.uri.toString();
    clearTimeout(pending.get(key));
    pending.set(key, setTimeout(() => {
      pending.delete(key);
      check(document);
    }, DEBOUNCE_MS));
  };
  const forget = (document: vscode.TextDocument): void => {
    const key = document.uri.toString();
    clearTimeout(pending.get(key));
    pending.delete(key);
    diagnostics.delete(document.uri);
  };

  const completions = vscode.languages.registerCompletionItemProvider(SELECTOR, {
    provideCompletionItems(document, position) {
      // Keys go at the start of a top-level line; values and nested keys are the schema's business.
      const before = document.lineAt(position.line).text.slice(0, position.character);
      if (!/^[A-Za-z_]*$/.test(before)) return undefined;
      const kind = cellKindOf(document.getText());
      const present = new Set(document.getText().split('\n').map((line) => /^([A-Za-z_]+)\s*:/.exec(line)?.[1]));
      return completionsFor(kind)
        .filter((completion) => kind === undefined || !present.has(completion.key))
        .map((completion) => {
          const item = new vscode.CompletionItem(completion.key, vscode.CompletionItemKind.Property);
          item.documentation = new vscode.MarkdownString(completion.description);
          item.insertText = new vscode.SnippetString(completion.snippet ?? `${completion.key}: `);
          item.range = new vscode.Range(position.line, 0, position.line, position.character);
          return item;
        });
    },
  });

  const hovers = vscode.languages.registerHoverProvider(SELECTOR, {
    provideHover(document, position) {
      const match = /^([A-Za-z_]+)\s*:/.exec(document.lineAt(position.line).text);
      const key = match?.[1];
      if (key === undefined || position.character > key.length) return undefined;
      const description = describeKey(cellKindOf(document.getText()), key);
      return description === undefined ? undefined : new vscode.Hover(new vscode.MarkdownString(description), new vscode.Range(position.line, 0, position.line, key.length));
    },
  });

  const checkNotebook = (notebook: vscode.NotebookDocument): void => {
    for (const cell of notebook.getCells()) check(cell.document);
  };
  vscode.workspace.notebookDocuments.forEach(checkNotebook);

  return vscode.Disposable.from(
    diagnostics,
    completions,
    hovers,
    // A cell's document may open before its notebook is listed: check both ways.
    vscode.workspace.onDidOpenNotebookDocument(checkNotebook),
    vscode.workspace.onDidOpenTextDocument(check),
    vscode.workspace.onDidChangeTextDocument((event) => checkSoon(event.document)),
    // A cell whose language or kind changes is closed (and reopened): no stale problems stay.
    vscode.workspace.onDidCloseTextDocument(forget),
    new vscode.Disposable(() => {
      for (const timer of pending.values()) clearTimeout(timer);
      pending.clear();
    }),
  );
}

/** A YAML code cell of an LLM Batch notebook (found through the open notebooks, as cells have their own scheme). */
function isCodeCellOfOurs(document: vscode.TextDocument): boolean {
  if (document.uri.scheme !== CELL_SCHEME || document.languageId !== 'yaml') return false;
  const key = document.uri.toString();
  return vscode.workspace.notebookDocuments.some(
    (notebook) => notebook.notebookType === NOTEBOOK_TYPE && notebook.getCells().some((cell) => cell.kind === vscode.NotebookCellKind.Code && cell.document.uri.toString() === key),
  );
}
