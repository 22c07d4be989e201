import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { forEachLine, newSummary, readBatches, streamSource } from '../../src/core/jsonlReader';
import type { LineBatch } from '../../src/core/jsonlReader';
import { seededRandom } from '../support/seededRandom';

async function* chunked(bytes: Uint8Array, random: () => number): AsyncGenerator<Uint8Array> {
  let at = 0;
  while (at < bytes.length) {
    const size = 1 + Math.floor(random() * 40);
    // A copy the reader must not keep: the source reuses nothing here, but it may in general.
    yield bytes.slice(at, at + size);
    at += size;
  }
}

describe('readBatches', () => {
  it('cuts any input into batches of whole lines that add up to the file, whatever the chunking', async () => {
    const random = seededRandom(3);
    for (let round = 0; round < 200; round++) {
      const lines = Array.from({ length: Math.floor(random() * 12) }, () => 'x'.repeat(Math.floor(random() * 30)) + (random() < 0.2 ? '\r' : ''));
      const bom = random() < 0.2;
      const text = lines.join('\n') + (random() < 0.5 && lines.length > 0 ? '\n' : '');
      const body = Buffer.from(text, 'utf8');
      const input = bom ? Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), body]) : body;
      const summary = newSummary();
      const batches: LineBatch[] = [];
      for await (const batch of readBatches(streamSource(chunked(input, random)), summary, 1 + Math.floor(random() * 24))) {
        batches.push({ bytes: batch.bytes.slice(), offset: batch.offset });
      }
      assert.equal(summary.bom, bom);
      assert.equal(summary.bytes, input.length);
      assert.deepEqual(Buffer.concat(batches.map((b) => b.bytes)), body);
      let offset = bom ? 3 : 0;
      const seen: string[] = [];
      for (const [index, batch] of batches.entries()) {
        assert.equal(batch.offset, offset);
        offset += batch.bytes.length;
        if (index < batches.length - 1) assert.equal(batch.bytes[batch.bytes.length - 1], 0x0a, 'only the last batch may end without a newline');
        forEachLine(batch.bytes, (_, start, end) => seen.push(Buffer.from(batch.bytes.subarray(start, end)).toString('utf8')));
      }
      const expected = text === '' ? [] : (text.endsWith('\n') ? text.slice(0, -1) : text).split('\n').map((line) => line.replace(/\r$/, ''));
      assert.deepEqual(seen, expected);
    }
  });
});
