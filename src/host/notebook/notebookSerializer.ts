// Reads and writes `.llmbatch` files: YAML a person can review in git (src/core/notebook/notebookFile).
// Code cells are YAML documents; each keeps only a small summary of its last output (job id and
// figures, never rows), which the controller refreshes from the store when the notebook opens.
import * as vscode from 'vscode';
import { parseNotebookFile, serializeNotebookFile } from '../../core/notebook/notebookFile';
import type { NotebookFileCell } from '../../core/notebook/notebookFile';
import { CELL_OUTPUT_MIME, cellOutputSchema, NOTEBOOK_TYPE } from '../../shared/notebookOutputs';
import type { CellOutput } from '../../shared/notebookOutputs';

export const CELL_LANGUAGE = 'yaml';

export class LlmBatchNotebookSerializer implements vscode.NotebookSerializer {
  deserializeNotebook(content: Uint8Array): vscode.NotebookData {
    const data = parseNotebookFile(new TextDecoder().decode(content), 'this notebook');
    return new vscode.NotebookData(
      data.cells.map((cell) => {
        const kind = cell.kind === 'markdown' ? vscode.NotebookCellKind.Markup : vscode.NotebookCellKind.Code;
        const cellData = new vscode.NotebookCellData(kind, cell.source, cell.kind === 'markdown' ? 'markdown' : CELL_LANGUAGE);
        if (cell.output) cellData.outputs = [outputOf(cell.output)];
        return cellData;
      }),
    );
  }

  serializeNotebook(data: vscode.NotebookData): Uint8Array {
    const cells = data.cells.map((cell): NotebookFileCell => {
      const output = cellOutputOf(cell.outputs ?? []);
      return { kind: cell.kind === vscode.NotebookCellKind.Markup ? 'markdown' : 'code', source: cell.value, ...(output ? { output } : {}) };
    });
    return new TextEncoder().encode(serializeNotebookFile({ cells }));
  }
}

export function registerNotebookSerializer(): vscode.Disposable {
  return vscode.workspace.registerNotebookSerializer(NOTEBOOK_TYPE, new LlmBatchNotebookSerializer(), { transientOutputs: false });
}

export function outputOf(output: CellOutput): vscode.NotebookCellOutput {
  return new vscode.NotebookCellOutput([vscode.NotebookCellOutputItem.json(output, CELL_OUTPUT_MIME)]);
}

/** The cell's output as we wrote it, if it has one (an error or other output is not kept). */
export function cellOutputOf(outputs: readonly vscode.NotebookCellOutput[]): CellOutput | undefined {
  for (const output of outputs) {
    for (const item of output.items) {
      if (item.mime !== CELL_OUTPUT_MIME) continue;
      try {
        const parsed = cellOutputSchema.safeParse(JSON.parse(new TextDecoder().decode(item.data)));
        if (parsed.success) return parsed.data;
      } catch {
        // Not ours after all: nothing to keep.
      }
    }
  }
  return undefined;
}
