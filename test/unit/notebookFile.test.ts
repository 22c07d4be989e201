// The .llmbatch file: sources survive byte for byte, outputs are kept small, the text is stable
// and readable (the golden notebook below is what a reviewer sees in git), and a broken file is
// refused with the file, the line and what is wrong.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseNotebookFile, serializeNotebookFile } from '../../src/core/notebook/notebookFile';
import type { NotebookFileCell, NotebookFileData } from '../../src/core/notebook/notebookFile';
import { savedOutput } from '../../src/shared/notebookOutputs';
import type { CellOutput } from '../../src/shared/notebookOutputs';

const TRICKY_SOURCES: readonly [string, string][] = [
  ['empty', ''],
  ['one newline', '\n'],
  ['no trailing newline', 'kind: job'],
  ['one trailing newline', 'kind: job\n'],
  ['two trailing newlines', 'kind: job\n\n'],
  ['leading blank lines', '\n\nkind: job\n'],
  ['first line indented', '  indented\nnot\n'],
  ['indented after blank lines', '\n\n  indented after blank\n'],
  ['tabs', '\tkind: job\nprompt: "a\tb"\t\n'],
  ['unicode', 'prompt: é ünï 😀 中文\n'],
  ['document markers', 'kind: job\n---\n...\n'],
  ['comments', '# a comment\nkind: job # trailing\n'],
  ['a markdown heading', '# Classify support tickets\n\nSome *notes*.'],
  ['whitespace only', '   '],
  ['a whitespace-only last line', 'kind: job\n   '],
  ['a whitespace-only line', 'kind: job\n  \nmode: sync\n'],
  ['CRLF line ends', 'kind: job\r\nmode: sync\r\n'],
  ['quotes and braces', `prompt: "{{body}}" and '{{subject}}' {}\n`],
  ['a block indicator', '|\n>\n- a\n'],
  ['a very long line', `prompt: ${'word '.repeat(60)}\n`],
  ['control and separator characters', 'a\u0085b\u2028c\u007f\n'],
];

const requestsOutput: CellOutput = {
  kind: 'requests',
  file: 'tickets.requests.jsonl',
  count: 40,
  skipped: [{ row: 3, message: 'tickets.csv row 3: {{body}} is empty' }],
  sample: [
    { id: 'row-1', text: 'Classify: I was charged twice' },
    { id: 'row-2', text: 'Classify: Cannot log in' },
    { id: 'row-4', text: 'Classify: App crashes' },
  ],
};

const jobOutput: CellOutput = {
  kind: 'job',
  headline: 'Finished',
  notes: ['Attached to the job made from the same inputs.'],
  provider: 'openai',
  model: 'gpt-4o-mini',
  mode: 'batch',
  jobId: 'job-20250101-abc',
  runKey: 'k1',
  progress: { status: 'completed', counts: { succeeded: 39, failed: 1 }, total: 40, done: 40, spent: 0.0123, estimate: 0.02 },
  failures: [{ failureClass: 'rate_limit', count: 1, example: 'Too many requests' }],
  rows: [{ id: 'row-1', line: 1, state: 'succeeded', input: 'Classify: I was charged twice', output: 'billing', cost: 0.0003 }],
  final: true,
};

describe('the .llmbatch file', () => {
  it('round-trips every tricky source byte for byte, as markdown and as code', () => {
    const cells: NotebookFileCell[] = TRICKY_SOURCES.flatMap(([, source]) => [
      { kind: 'markdown' as const, source },
      { kind: 'code' as const, source },
    ]);
    const text = serializeNotebookFile({ cells });
    const back = parseNotebookFile(text, 'tricky.llmbatch');
    assert.equal(back.cells.length, cells.length);
    for (const [index, cell] of back.cells.entries()) {
      const [name] = TRICKY_SOURCES[Math.floor(index / 2)] ?? ['?'];
      assert.deepEqual(cell, cells[index], `${name} (${cells[index]?.kind})`);
    }
  });

  it('never folds a source, however long its lines', () => {
    const long = `prompt: ${'word '.repeat(60)}\n`;
    const text = serializeNotebookFile({ cells: [{ kind: 'code', source: long }] });
    assert.ok(text.includes(`      ${long}`), text);
  });

  it('keeps a source readable as a block literal, with the chomping indicator its trailing newlines need', () => {
    for (const [source, header] of [
      ['kind: job\n', '  - code: |\n'],
      ['kind: job', '  - code: |-\n'],
      ['kind: job\n\n', '  - code: |+\n'],
    ] as const) {
      const text = serializeNotebookFile({ cells: [{ kind: 'code', source }] });
      assert.ok(text.includes(`${header}      kind: job`), text);
    }
  });

  it('round-trips outputs as savedOutput keeps them: ids and figures, no rows', () => {
    const data: NotebookFileData = {
      cells: [
        { kind: 'code', source: 'kind: requests\n', output: requestsOutput },
        { kind: 'code', source: 'kind: job\n', output: jobOutput },
      ],
    };
    const back = parseNotebookFile(serializeNotebookFile(data), 'run.llmbatch');
    assert.deepEqual(back.cells.map((cell) => cell.output), [savedOutput(requestsOutput), savedOutput(jobOutput)]);
    // Serializing what was read gives the same bytes: a reopened, unchanged notebook is not dirty in git.
    assert.equal(serializeNotebookFile(back), serializeNotebookFile(data));
  });

  it('writes the same bytes for the same data', () => {
    const data: NotebookFileData = { cells: [{ kind: 'code', source: 'kind: job\n', output: jobOutput }] };
    assert.equal(serializeNotebookFile(data), serializeNotebookFile(structuredClone(data)));
  });

  it('matches the golden text of a small notebook (what git shows)', () => {
    const data: NotebookFileData = {
      cells: [
        { kind: 'markdown', source: '# Classify support tickets\n' },
        { kind: 'code', source: 'kind: requests\ndataset: tickets.csv\nmodel: gpt-4o-mini\nprompt: |\n  Classify: {{body}}\n', output: requestsOutput },
        { kind: 'code', source: 'kind: job\nbudget: 2', output: jobOutput },
        { kind: 'code', source: 'kind: results\n' },
      ],
    };
    const golden = [
      '# LLM Batch notebook: open it in VS Code with the LLM Batch Runner extension.',
      'llmbatch: 1',
      'cells:',
      '  - markdown: |',
      '      # Classify support tickets',
      '  - code: |',
      '      kind: requests',
      '      dataset: tickets.csv',
      '      model: gpt-4o-mini',
      '      prompt: |',
      '        Classify: {{body}}',
      '    output:',
      '      kind: requests',
      '      file: tickets.requests.jsonl',
      '      count: 40',
      '      skipped:',
      '        - row: 3',
      "          message: \"tickets.csv row 3: {{body}} is empty\"",
      '      sample:',
      '        - id: row-1',
      "          text: \"Classify: I was charged twice\"",
      '        - id: row-2',
      "          text: \"Classify: Cannot log in\"",
      '  - code: |-',
      '      kind: job',
      '      budget: 2',
      '    output:',
      '      kind: job',
      '      headline: Finished',
      '      notes:',
      '        - Attached to the job made from the same inputs.',
      '      provider: openai',
      '      model: gpt-4o-mini',
      '      mode: batch',
      '      jobId: job-20250101-abc',
      '      runKey: k1',
      '      progress:',
      '        status: completed',
      '        counts:',
      '          succeeded: 39',
      '          failed: 1',
      '        total: 40',
      '        done: 40',
      '        spent: 0.0123',
      '        estimate: 0.02',
      '      final: true',
      '  - code: |',
      '      kind: results',
      '',
    ].join('\n');
    assert.equal(serializeNotebookFile(data), golden);
  });

  it('reads empty or whitespace-only text as a new notebook with no cells', () => {
    for (const text of ['', '   \n\n', '\t\n']) assert.deepEqual(parseNotebookFile(text, 'new.llmbatch'), { cells: [] });
    assert.deepEqual(parseNotebookFile(serializeNotebookFile({ cells: [] }), 'new.llmbatch'), { cells: [] });
  });

  it('drops an invalid output without failing the file (the store has the truth)', () => {
    const text = ['llmbatch: 1', 'cells:', '  - code: |', '      kind: job', '    output:', '      kind: job', '      headline: 42', ''].join('\n');
    assert.deepEqual(parseNotebookFile(text, 'old.llmbatch'), { cells: [{ kind: 'code', source: 'kind: job\n' }] });
  });

  it('refuses a broken file with the file name, the line and what is wrong', () => {
    const cases: [string, string, RegExp][] = [
      ['a YAML syntax error', 'llmbatch: 1\ncells:\n  - code: |\n      kind: job\n   output: 1\n', /tickets\.llmbatch line 5: not valid YAML: Sequence item without - indicator/],
      ['a duplicate key', 'llmbatch: 1\ncells:\n  - code: a\n    code: b\n', /tickets\.llmbatch line 4: not valid YAML: Map keys must be unique/],
      ['not a mapping', '- code: x\n', /tickets\.llmbatch line 1: a notebook is a YAML mapping/],
      ['a newer format', '# header\nllmbatch: 2\ncells: []\n', /tickets\.llmbatch line 2: written in notebook format 2 by a newer LLM Batch Runner; this version reads format 1/],
      ['a version that is not a number', 'llmbatch: one\n', /tickets\.llmbatch line 1: `llmbatch` must be the format version/],
      ['cells that are not a list', 'llmbatch: 1\ncells: {}\n', /tickets\.llmbatch line 2: `cells` must be a list/],
      ['a cell neither markdown nor code', 'llmbatch: 1\ncells:\n  - markdown: a\n  - raw: |\n      x\n', /tickets\.llmbatch line 4: unknown key "raw" in a cell/],
      ['a cell with only an output', 'llmbatch: 1\ncells:\n  - markdown: a\n\n  - output: {}\n', /tickets\.llmbatch line 5: a cell that is neither markdown nor code/],
      ['a cell both markdown and code', 'llmbatch: 1\ncells:\n  - markdown: a\n    code: b\n', /tickets\.llmbatch line 3: a cell is either markdown or code, not both/],
      ['a cell that is a string', 'llmbatch: 1\ncells:\n  - markdown: a\n  - just text\n', /tickets\.llmbatch line 4: a cell is a mapping/],
      ['a source that is a list', 'llmbatch: 1\ncells:\n  - code:\n      - a\n', /tickets\.llmbatch line 4: the code cell's source must be text/],
    ];
    for (const [name, text, expected] of cases) {
      assert.throws(() => parseNotebookFile(text, 'tickets.llmbatch'), expected, name);
    }
  });
});
