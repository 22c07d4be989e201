import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { invalidLinesByFile } from '../../src/host/invalidLinesByFile';
import type { EstimateReport } from '../../src/shared/estimateReport';

type Files = EstimateReport['files'];
const files = (...names: string[]): Files => names.map((file) => ({ file }) as Files[number]);

describe('invalid lines for the Problems panel', () => {
  it('groups the invalid lines by file, in line order', () => {
    const result = invalidLinesByFile({
      files: files('/w/a.jsonl', '/w/b.jsonl'),
      invalid: [
        { file: '/w/b.jsonl', line: 9, message: 'not JSON' },
        { file: '/w/a.jsonl', line: 3, message: 'unknown url' },
        { file: '/w/b.jsonl', line: 2, message: 'duplicate custom_id' },
      ],
    });
    assert.deepEqual(result, [
      { file: '/w/a.jsonl', lines: [{ line: 3, message: 'unknown url' }], omitted: 0 },
      { file: '/w/b.jsonl', lines: [{ line: 2, message: 'duplicate custom_id' }, { line: 9, message: 'not JSON' }], omitted: 0 },
    ]);
  });

  it('lists a clean file with no lines, so an earlier estimate’s problems are cleared', () => {
    assert.deepEqual(invalidLinesByFile({ files: files('/w/clean.jsonl'), invalid: [] }), [{ file: '/w/clean.jsonl', lines: [], omitted: 0 }]);
  });

  it('keeps at most the limit per file and counts the rest', () => {
    const invalid = Array.from({ length: 25 }, (_, i) => ({ file: '/w/big.jsonl', line: i + 1, message: `bad ${i + 1}` }));
    invalid.push({ file: '/w/small.jsonl', line: 4, message: 'bad' });
    const [big, small] = invalidLinesByFile({ files: files('/w/big.jsonl', '/w/small.jsonl'), invalid }, 10);
    assert.equal(big?.lines.length, 10);
    assert.equal(big?.omitted, 15);
    assert.deepEqual(big?.lines.map((l) => l.line), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 'the first lines of the file are kept');
    assert.deepEqual(small, { file: '/w/small.jsonl', lines: [{ line: 4, message: 'bad' }], omitted: 0 }, 'another file has its own limit');
  });
});
