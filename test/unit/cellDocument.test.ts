// A code cell read as the editor shows it: every problem in plain words at the node it is about
// (0-based lines and columns, as diagnostics take them), the kind read cheaply while typing, and
// the completions of each kind.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cellKindOf, completionsFor, describeKey, parseCell } from '../../src/core/notebook/cellDocument';
import type { CellProblem } from '../../src/core/notebook/cellDocument';

/** [message, line, column, endLine, endColumn] */
type Expected = [string, number, number, number, number];

const flat = (problems: CellProblem[]): Expected[] => problems.map((p) => [p.message, p.line, p.column, p.endLine, p.endColumn]);

describe('parseCell', () => {
  it('reads a good cell of each kind', () => {
    assert.deepEqual(parseCell('kind: requests\ndataset: tickets.csv\nmodel: gpt-4o-mini\nprompt: |\n  Classify: {{body}}\n'), {
      ok: true,
      cell: { kind: 'requests', dataset: 'tickets.csv', model: 'gpt-4o-mini', prompt: 'Classify: {{body}}\n' },
    });
    assert.deepEqual(parseCell('kind: job\ntry: 5\nbudget: 1.5\n'), { ok: true, cell: { kind: 'job', try: 5, budget: 1.5, mode: 'batch' } });
    assert.deepEqual(parseCell('{"kind": "results", "states": ["failed"]}'), { ok: true, cell: { kind: 'results', states: ['failed'], limit: 20 } });
  });

  const bad: [string, string, Expected[]][] = [
    ['a value out of range', 'kind: job\ntry: 0\n', [['`try` must be a whole number from 1 to 100', 1, 5, 1, 6]]],
    ['a fraction where a whole number goes', 'kind: job\ntry: 2.5\n', [['`try` must be a whole number from 1 to 100', 1, 5, 1, 8]]],
    [
      'a misspelt key, with the likely one',
      'kind: requests\ndataset: a.csv\nmodel: m\nprompt: hi\ntempreature: 0.2\n',
      [['unknown key `tempreature`: did you mean `temperature`? allowed are kind, dataset, out, id, model, system, prompt, max_tokens, temperature, output_schema, limit', 4, 0, 4, 11]],
    ],
    ['an unknown key with no likely one', 'kind: job\nwhatever: 1\n', [['unknown key `whatever`: allowed are kind, input, name, provider, model, mode, budget, try, checks', 1, 0, 1, 8]]],
    ['an unknown nested key', 'kind: job\nchecks:\n  jsn: true\n', [['unknown key `jsn`: did you mean `json`? allowed are json, schema', 2, 2, 2, 5]]],
    ['a missing required field, at the kind', 'kind: requests\ndataset: a.csv\nprompt: hi\n', [['`model` is missing: it must be a model name (text)', 0, 0, 0, 4]]],
    ['an unknown kind', 'kind: jobs\n', [['`kind` must be requests, job or results', 0, 6, 0, 10]]],
    ['no kind', 'dataset: a.csv\n', [['`kind` is missing: start the cell with `kind: requests`, `kind: job` or `kind: results`', 0, 0, 0, 14]]],
    ['an empty value, at its key', 'kind: job\nbudget:\n', [['`budget` must be an amount in US dollars greater than 0', 1, 0, 1, 6]]],
    ['a value not in the list', 'kind: job\nprovider: openia\n', [['`provider` must be one of openai, azure, anthropic, gemini, vertex, bedrock', 1, 10, 1, 16]]],
    [
      'bad list elements, each at its element',
      'kind: results\nstates: [succeeded, bad]\ncolumns: [id, zz]\n',
      [
        ['`states` must be a list of states: queued, submitted, succeeded, failed, deduped, cached, dead_letter, cancelled', 1, 20, 1, 23],
        ['`columns` must be a list of columns: id, line, state, input, output, cost, failure', 2, 14, 2, 16],
      ],
    ],
    ['a wrong dataset type', 'kind: requests\ndataset: a.txt\nmodel: m\nprompt: p\n', [['`dataset` must be a path ending in .csv or .jsonl', 1, 9, 1, 14]]],
    ['a YAML syntax error', 'kind: job\nmode: @sync\n', [['YAML: Plain value cannot start with reserved character @', 1, 6, 1, 7]]],
    ['a duplicate key', 'kind: job\nkind: job\n', [['YAML: Map keys must be unique', 1, 0, 1, 1]]],
    ['a list, not a mapping', '- a\n', [['a code cell is a YAML mapping starting with `kind:` (requests, job or results)', 0, 0, 1, 0]]],
    ['an empty cell', '', [['a code cell is a YAML mapping starting with `kind:` (requests, job or results)', 0, 0, 0, 0]]],
  ];
  for (const [name, source, expected] of bad) {
    it(`points at ${name}`, () => {
      const parsed = parseCell(source);
      assert.equal(parsed.ok, false);
      if (!parsed.ok) assert.deepEqual(flat(parsed.problems), expected);
    });
  }
});

describe('cellKindOf', () => {
  it('reads the kind without parsing the cell, or nothing', () => {
    assert.equal(cellKindOf('kind: requests\nprompt: [unclosed'), 'requests');
    assert.equal(cellKindOf('# notes\nkind: "job" # the batch\n'), 'job');
    assert.equal(cellKindOf('budget: 1\nkind: results'), 'results');
    assert.equal(cellKindOf('kind: other\n'), undefined);
    assert.equal(cellKindOf('  kind: job\n'), undefined, 'a nested kind is not the cell\'s');
    assert.equal(cellKindOf(''), undefined);
  });
});

describe('completionsFor', () => {
  it('offers the kinds of cell when there is none yet', () => {
    const kinds = completionsFor(undefined);
    assert.deepEqual(kinds.map((c) => c.key), ['kind: requests', 'kind: job', 'kind: results']);
    for (const completion of kinds) assert.ok(completion.snippet?.startsWith(completion.key), completion.key);
  });

  it('offers the keys of a kind with their descriptions, and the choices of an enum', () => {
    const job = completionsFor('job');
    assert.deepEqual(job.map((c) => c.key), ['input', 'name', 'provider', 'model', 'mode', 'budget', 'try', 'checks']);
    for (const completion of job) assert.ok(completion.description.length > 10, completion.key);
    assert.equal(job.find((c) => c.key === 'mode')?.snippet, 'mode: ${1|batch,sync|}');
    assert.equal(completionsFor('results').find((c) => c.key === 'columns')?.snippet, 'columns: [${1|id,line,state,input,output,cost,failure|}]');
    assert.deepEqual(completionsFor('requests').map((c) => c.key), ['dataset', 'out', 'id', 'model', 'system', 'prompt', 'max_tokens', 'temperature', 'output_schema', 'limit']);
  });

  it('describes a key for hovers', () => {
    assert.match(describeKey('job', 'try') ?? '', /sync API/);
    assert.match(describeKey('requests', 'kind') ?? '', /^kind: requests: Builds/);
    assert.equal(describeKey('job', 'temperature'), undefined);
  });
});
