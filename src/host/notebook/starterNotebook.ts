// What "New LLM Batch Notebook" opens: a note on how it works and one cell of each kind, ready to
// edit (the dataset path is the only thing a user must change).
import * as vscode from 'vscode';
import { CELL_LANGUAGE } from './notebookSerializer';

const INTRO = `# A batch run

1. **requests** builds a JSONL of requests from a CSV or JSONL dataset and a prompt (\`{{column}}\` placeholders).
2. **job** shows the cost, tries a few items first if you ask (\`try: 5\`), then submits at the batch price and follows the job.
3. **results** reads the answers, filtered and exported as you like.

Running an unchanged job cell again shows its job: nothing is submitted twice.`;

const REQUESTS = `kind: requests
dataset: data.csv
model: gpt-4o-mini
system: You are a careful assistant.
prompt: |
  {{text}}
max_tokens: 100
`;

const JOB = `kind: job
try: 5
`;

const RESULTS = `kind: results
limit: 20
`;

export function starterNotebook(): vscode.NotebookData {
  const code = (source: string) => new vscode.NotebookCellData(vscode.NotebookCellKind.Code, source, CELL_LANGUAGE);
  return new vscode.NotebookData([new vscode.NotebookCellData(vscode.NotebookCellKind.Markup, INTRO, 'markdown'), code(REQUESTS), code(JOB), code(RESULTS)]);
}
