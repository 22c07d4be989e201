// `llm-batch estimate` as a user runs it: a child process, its stdout and its exit code.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, it } from 'node:test';
import { estimateReportSchema } from '../../src/shared/estimateReport';

const root = path.resolve(__dirname, '../..');

function cli(...args: string[]) {
  const result = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { cwd: root, encoding: 'utf8' });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

const dollars = (text: string, label: string) => {
  const match = new RegExp(`^  ${label}\\s+\\$([\\d,.]+)`, 'm').exec(text);
  assert.ok(match, `no "${label}" row in:\n${text}`);
  return Number(match[1]?.replace(/,/g, ''));
};

describe('llm-batch estimate', () => {
  it('prints the three costs for a valid OpenAI file and exits 0; --json has the same numbers', () => {
    const table = cli('estimate', 'examples/classify-reviews.jsonl');
    assert.equal(table.code, 0, table.stderr);
    const json = cli('estimate', 'examples/classify-reviews.jsonl', '--json');
    assert.equal(json.code, 0);
    const report = estimateReportSchema.parse(JSON.parse(json.stdout));
    const { cost } = report.totals;
    assert.ok(cost.sync > 0 && cost.batch < cost.sync && cost.batchAfterDedup < cost.batch);
    // The table rounds to 6 places below a cent; compare at that precision.
    assert.equal(dollars(table.stdout, 'sync API'), Number(cost.sync.toFixed(6)));
    assert.equal(dollars(table.stdout, 'batch'), Number(cost.batch.toFixed(6)));
    assert.equal(dollars(table.stdout, 'batch after dedup'), Number(cost.batchAfterDedup.toFixed(6)));
    assert.match(table.stdout, /examples\/classify-reviews\.jsonl\s+openai\s+openai\s+200\s+200\s+0\s+32\s+1/);
    assert.match(table.stdout, /Prices: @pydantic\/genai-prices \d+\.\d+\.\d+ \(data of \d{4}-\d{2}-\d{2}\)/);
  });

  it('names each bad line with file:line and exits 1, still printing the report', () => {
    const result = cli('estimate', 'examples/with-bad-lines.jsonl');
    assert.equal(result.code, 1);
    assert.match(result.stdout, /^Invalid lines \(3\)$/m);
    assert.match(result.stdout, /^ {2}examples\/with-bad-lines\.jsonl:3: malformed JSON: /m);
    assert.match(result.stdout, /^ {2}examples\/with-bad-lines\.jsonl:6: duplicate custom_id "review-002" \(first used on line 2\)$/m);
    assert.match(result.stdout, /^ {2}examples\/with-bad-lines\.jsonl:8: field "method": must be "POST", got "GET"$/m);
    assert.match(result.stdout, /sync API/);
    const json = cli('estimate', 'examples/with-bad-lines.jsonl', '--json');
    assert.equal(json.code, 1);
    const report = estimateReportSchema.parse(JSON.parse(json.stdout));
    assert.deepEqual(
      report.invalid.map((e) => e.line),
      [3, 6, 8],
    );
    assert.equal(report.totals.items, 11);
    assert.equal(report.totals.valid + report.totals.invalid, report.totals.items);
  });

  it('exits 2 on usage errors', () => {
    for (const args of [[], ['estimate'], ['estimate', 'no-such-file.jsonl'], ['estimate', '--bogus', 'examples/classify-reviews.jsonl'], ['estimate', '--provider', 'nope', 'examples/classify-reviews.jsonl'], ['frobnicate']]) {
      const result = cli(...args);
      assert.equal(result.code, 2, `llm-batch ${args.join(' ')}`);
      assert.match(result.stdout + result.stderr, /Usage: llm-batch/);
    }
  });

  it('accepts --workspace like every other command (the help says every command takes it)', () => {
    const plain = cli('estimate', 'examples/classify-reviews.jsonl', '--json');
    const result = cli('estimate', 'examples/classify-reviews.jsonl', '--workspace', root, '--json');
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(estimateReportSchema.parse(JSON.parse(result.stdout)).totals, estimateReportSchema.parse(JSON.parse(plain.stdout)).totals);
  });

  it('prints nothing on stderr when stderr is not a terminal', () => {
    const result = cli('estimate', 'examples/classify-reviews.jsonl', '--workers', '2');
    assert.equal(result.code, 0);
    assert.equal(result.stderr, '');
  });
});
