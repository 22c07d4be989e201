import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isBlank, newSummary, readLines } from '../../src/core/jsonlReader';

async function* chunksOf(...parts: (string | number[])[]): AsyncGenerator<Uint8Array> {
  for (const part of parts) yield typeof part === 'string' ? new TextEncoder().encode(part) : new Uint8Array(part);
}

async function collect(source: AsyncIterable<Uint8Array>) {
  const summary = newSummary();
  const lines = [];
  for await (const line of readLines(source, summary)) {
    lines.push({ number: line.number, offset: line.offset, text: Buffer.from(line.bytes).toString('latin1') });
  }
  return { lines, summary };
}

describe('readLines', () => {
  it('numbers lines from 1 and gives each its byte offset', async () => {
    const { lines, summary } = await collect(chunksOf('{"a":1}\n{"b":22}\n'));
    assert.deepEqual(lines, [
      { number: 1, offset: 0, text: '{"a":1}' },
      { number: 2, offset: 8, text: '{"b":22}' },
    ]);
    assert.equal(summary.bytes, 17);
    assert.equal(summary.lines, 2);
    assert.equal(summary.bom, false);
  });

  it('strips CRLF terminators but keeps offsets in file bytes', async () => {
    const { lines } = await collect(chunksOf('a\r\nbb\r\nc'));
    assert.deepEqual(lines, [
      { number: 1, offset: 0, text: 'a' },
      { number: 2, offset: 3, text: 'bb' },
      { number: 3, offset: 7, text: 'c' },
    ]);
  });

  it('yields a last line that has no newline', async () => {
    const { lines } = await collect(chunksOf('x\ny'));
    assert.deepEqual(lines.map((l) => l.text), ['x', 'y']);
  });

  it('reports and strips a UTF-8 byte-order mark', async () => {
    const { lines, summary } = await collect(chunksOf([0xef, 0xbb, 0xbf, 0x7b, 0x7d, 0x0a, 0x5b, 0x5d]));
    assert.equal(summary.bom, true);
    assert.deepEqual(lines, [
      { number: 1, offset: 3, text: '{}' },
      { number: 2, offset: 6, text: '[]' },
    ]);
  });

  it('joins a line split across many chunks, keeping its start offset', async () => {
    const { lines } = await collect(chunksOf('ab\ncd', 'ef', 'gh\nij'));
    assert.deepEqual(lines, [
      { number: 1, offset: 0, text: 'ab' },
      { number: 2, offset: 3, text: 'cdefgh' },
      { number: 3, offset: 10, text: 'ij' },
    ]);
  });

  it('handles a line of several megabytes arriving in small chunks', async () => {
    const big = 'x'.repeat(5_000_000);
    const parts: string[] = [];
    for (let i = 0; i < big.length; i += 65_536) parts.push(big.slice(i, i + 65_536));
    const { lines } = await collect(chunksOf('{}\n', ...parts, '\n{}'));
    assert.equal(lines.length, 3);
    assert.equal(lines[1]?.text.length, 5_000_000);
    assert.equal(lines[2]?.offset, 3 + 5_000_001);
  });

  it('keeps blank lines (the caller skips them) and yields nothing for an empty source', async () => {
    const { lines } = await collect(chunksOf('a\n\n  \nb\n'));
    assert.deepEqual(lines.map((l) => l.text), ['a', '', '  ', 'b']);
    const empty = await collect(chunksOf());
    assert.deepEqual(empty.lines, []);
    assert.equal(empty.summary.bytes, 0);
  });

  it('passes invalid UTF-8 through as bytes for the analysis to report', async () => {
    const { lines } = await collect(chunksOf([0x7b, 0xff, 0x7d, 0x0a]));
    assert.deepEqual([...Buffer.from(lines[0]?.text ?? '', 'latin1')], [0x7b, 0xff, 0x7d]);
  });
});

describe('isBlank', () => {
  it('is true only for spaces and tabs', () => {
    assert.equal(isBlank(new Uint8Array([])), true);
    assert.equal(isBlank(new Uint8Array([0x20, 0x09])), true);
    assert.equal(isBlank(new Uint8Array([0x20, 0x61])), false);
  });
});
