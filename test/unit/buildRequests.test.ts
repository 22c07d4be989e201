// A requests cell's build: the dataset (CSV with quotes, newlines and a BOM, or JSONL) becomes one
// portable chat request per row, the same bytes every time, written whole or not at all; the
// lines it writes are valid requests for OpenAI and, converted, for Anthropic (the contract with
// the estimate and the submit flow); and each bad input is refused with the file and the row.
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { buildRequests, defaultRequestsPath } from '../../src/core/notebook/buildRequests';
import type { RequestsCell } from '../../src/core/notebook/cellSchemas';
import { missingPlaceholders, placeholdersOf, renderTemplate } from '../../src/core/notebook/promptTemplate';
import { estimateFiles } from '../../src/core/estimate';

const FIXTURES = path.resolve(__dirname, '../fixtures/notebook');

/** A fresh copy of the fixtures, so each test writes its requests files apart. */
function workspace(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'build-requests-'));
  cpSync(FIXTURES, dir, { recursive: true });
  return dir;
}

function cell(fields: Partial<RequestsCell> = {}): RequestsCell {
  return { kind: 'requests', dataset: 'tickets.csv', model: 'gpt-4o-mini', prompt: 'Classify {{ subject }}: {{body}}', ...fields };
}

function linesOf(file: string): Record<string, unknown>[] {
  return readFileSync(file, 'utf8').trimEnd().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('prompt templates', () => {
  it('replaces placeholders (spaces inside the braces allowed) and {{_row}}, inserting values as they are', () => {
    assert.equal(renderTemplate('{{a}}|{{ a }}|{{  b c  }}|{{_row}}', { a: '"x"\n{{b}}', 'b c': '\\' }, 7), '"x"\n{{b}}|"x"\n{{b}}|\\|7');
    assert.deepEqual(placeholdersOf('{{a}} {{ b }} {{a}} {{_row}}'), ['a', 'b', '_row']);
    assert.deepEqual(missingPlaceholders(['{{a}} {{_row}}', undefined, '{{zz}}'], ['a', 'b']), ['zz']);
  });
});

describe('buildRequests', () => {
  it('builds one portable chat request per CSV row (quotes, newlines, BOM), skipping a row whose placeholder is empty', async () => {
    const dir = workspace();
    const built = await buildRequests(cell({ system: 'Team {{team}}', max_tokens: 20, temperature: 0.2 }), { baseDir: dir });
    assert.equal(built.file, path.join(dir, 'tickets.requests.jsonl'));
    assert.equal(built.count, 4);
    assert.deepEqual(built.skipped, [{ row: 3, message: 'tickets.csv row 3: {{body}} is empty' }]);
    assert.equal(built.skippedCount, 1);
    assert.deepEqual(built.sample, [
      { id: 'row-1', text: 'Classify Refund: I was charged twice, please "fix" it' },
      { id: 'row-2', text: 'Classify Login: Cannot log in.\r\nTried twice.' },
      { id: 'row-4', text: 'Classify Crash: App crashes on start ünïcode 😀' },
    ]);
    const [first] = linesOf(built.file);
    assert.deepEqual(first, {
      custom_id: 'row-1',
      method: 'POST',
      url: '/v1/chat/completions',
      body: {
        model: 'gpt-4o-mini',
        messages: [
          { role: 'system', content: 'Team billing' },
          { role: 'user', content: 'Classify Refund: I was charged twice, please "fix" it' },
        ],
        max_completion_tokens: 20,
        temperature: 0.2,
      },
    });
    assert.deepEqual(readdirSync(dir).filter((name) => name.endsWith('.tmp')), [], 'no temporary file is left');
  });

  it('writes the same bytes and SHA-256 for the same dataset and cell', async () => {
    const dir = workspace();
    const first = await buildRequests(cell(), { baseDir: dir });
    const bytes = readFileSync(first.file);
    const second = await buildRequests(cell(), { baseDir: dir });
    assert.equal(second.sha256, first.sha256);
    assert.deepEqual(readFileSync(second.file), bytes);
    const changed = await buildRequests(cell({ prompt: 'Route {{body}}' }), { baseDir: dir });
    assert.notEqual(changed.sha256, first.sha256, 'a changed prompt changes the file');
  });

  it('reads JSONL objects, inserting non-text values as JSON, and skips a row without a field', async () => {
    const dir = workspace();
    const built = await buildRequests(cell({ dataset: 'tickets.jsonl', out: 'out/jsonl.requests.jsonl', id: '{{ticket}}', prompt: '{{body}} {{meta}} {{priority}}' }), { baseDir: dir });
    assert.equal(built.file, path.join(dir, 'out/jsonl.requests.jsonl'));
    assert.deepEqual(built.sample, [{ id: 'J-1', text: 'Charged twice {"plan":"pro"} 2' }]);
    assert.deepEqual(built.skipped, [
      { row: 2, message: 'tickets.jsonl row 2 (line 3): {{meta}} is empty' },
      { row: 3, message: 'tickets.jsonl row 3 (line 4): has no "body"' },
    ]);
  });

  it('stops after `limit` rows', async () => {
    const built = await buildRequests(cell({ limit: 2 }), { baseDir: workspace() });
    assert.equal(built.count, 2);
    assert.deepEqual(linesOf(built.file).map((line) => line['custom_id']), ['row-1', 'row-2']);
  });

  it('asks for a strict JSON schema answer when the cell has output_schema', async () => {
    const schema = { type: 'object', properties: { team: { type: 'string' } }, required: ['team'], additionalProperties: false };
    const built = await buildRequests(cell({ output_schema: schema }), { baseDir: workspace() });
    const body = linesOf(built.file)[0]?.['body'] as Record<string, unknown>;
    assert.deepEqual(body['response_format'], { type: 'json_schema', json_schema: { name: 'output', schema, strict: true } });
  });

  it('refuses a placeholder naming no column before writing anything, naming the columns', async () => {
    const dir = workspace();
    await assert.rejects(
      buildRequests(cell({ prompt: '{{sujbect}}' }), { baseDir: dir }),
      { message: 'tickets.csv: the templates use {{sujbect}}, which is not a column: the columns of tickets.csv are ticket, subject, body, team (and {{_row}}, the row number)' },
    );
    assert.equal(existsSync(path.join(dir, 'tickets.requests.jsonl')), false);
    assert.deepEqual(readdirSync(dir).filter((name) => name.endsWith('.tmp')), []);
  });

  it('refuses duplicate custom_ids, naming both rows, and leaves no requests file', async () => {
    const dir = workspace();
    await assert.rejects(buildRequests(cell({ id: '{{ticket}}' }), { baseDir: dir }), {
      message: 'tickets.csv row 5 has the custom_id "T-1", like tickets.csv row 1: ids must be unique (change `id`, e.g. add {{_row}})',
    });
    assert.equal(existsSync(path.join(dir, 'tickets.requests.jsonl')), false);
    assert.deepEqual(readdirSync(dir).filter((name) => name.endsWith('.tmp')), []);
  });

  it('keeps the previous requests file whole when a rebuild fails', async () => {
    const dir = workspace();
    const first = await buildRequests(cell(), { baseDir: dir });
    const bytes = readFileSync(first.file);
    await assert.rejects(buildRequests(cell({ id: '{{ticket}}' }), { baseDir: dir }));
    assert.deepEqual(readFileSync(first.file), bytes);
  });

  it('refuses bad dataset input with the file and the line', async () => {
    const dir = workspace();
    const cases: [string, RegExp][] = [
      ['bad-quote.csv', /^bad-quote\.csv line 3: Invalid Closing Quote/],
      ['not-object.jsonl', /^not-object\.jsonl line 2: each line of a dataset must be a JSON object/],
      ['bad-json.jsonl', /^bad-json\.jsonl line 2: not valid JSON/],
    ];
    for (const [dataset, message] of cases) {
      await assert.rejects(buildRequests(cell({ dataset, prompt: '{{body}}' }), { baseDir: dir }), (error: Error) => message.test(error.message), dataset);
    }
    writeFileSync(path.join(dir, 'twice.csv'), 'body,body\nx,y\n');
    await assert.rejects(buildRequests(cell({ dataset: 'twice.csv', prompt: '{{body}}' }), { baseDir: dir }), { message: 'twice.csv line 1: the header row names the column "body" twice' });
  });

  it('stops when cancelled, leaving no file', async () => {
    const dir = workspace();
    const controller = new AbortController();
    controller.abort();
    await assert.rejects(buildRequests(cell(), { baseDir: dir, signal: controller.signal }), { name: 'AbortError' });
    assert.equal(existsSync(path.join(dir, 'tickets.requests.jsonl')), false);
    assert.deepEqual(readdirSync(dir).filter((name) => name.endsWith('.tmp')), []);
  });

  it('streams a large CSV: every row, in order, with progress', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'build-requests-large-'));
    const rows = 30_000;
    const lines = ['n,text'];
    for (let n = 1; n <= rows; n++) lines.push(`${n},"text ""${n}"""`);
    writeFileSync(path.join(dir, 'large.csv'), `${lines.join('\n')}\n`);
    const progress: number[] = [];
    const built = await buildRequests(cell({ dataset: 'large.csv', id: 'n-{{n}}', prompt: '{{text}}' }), { baseDir: dir, onProgress: (read) => progress.push(read) });
    assert.equal(built.count, rows);
    assert.equal(progress.at(-1), rows);
    const written = linesOf(built.file);
    assert.equal(written.length, rows);
    assert.equal(written[rows - 1]?.['custom_id'], `n-${rows}`);
  });

  it('writes lines the estimate takes as valid for OpenAI, and for Anthropic through the portable conversion', async () => {
    const dir = workspace();
    const built = await buildRequests(cell({ system: 'Team {{team}}', max_tokens: 50 }), { baseDir: dir });
    for (const [provider, model] of [['openai', undefined], ['anthropic', 'claude-haiku-4-5']] as const) {
      const { report } = await estimateFiles([built.file], { provider, model, outputBuffer: 0.25 });
      assert.deepEqual(report.invalid, [], provider);
      assert.equal(report.totals.valid, built.count, provider);
    }
  });

  it('writes an output_schema OpenAI takes, and Anthropic refuses with the field named (not silently dropped)', async () => {
    const dir = workspace();
    const schema = { type: 'object', properties: { team: { type: 'string' } }, required: ['team'], additionalProperties: false };
    const built = await buildRequests(cell({ output_schema: schema }), { baseDir: dir });
    const openai = await estimateFiles([built.file], { provider: 'openai', outputBuffer: 0.25 });
    assert.deepEqual(openai.report.invalid, []);
    const anthropic = await estimateFiles([built.file], { provider: 'anthropic', model: 'claude-haiku-4-5', outputBuffer: 0.25 });
    assert.equal(anthropic.report.invalid.length, built.count);
    assert.match(anthropic.report.invalid[0]?.message ?? '', /^field "body\.response_format": Anthropic batches cannot take a JSON schema/);
  });

  it('puts the default requests file beside the dataset', () => {
    assert.equal(defaultRequestsPath('/data/tickets.csv'), '/data/tickets.requests.jsonl');
    assert.equal(defaultRequestsPath('/data/set.v2.jsonl'), '/data/set.v2.requests.jsonl');
  });
});
