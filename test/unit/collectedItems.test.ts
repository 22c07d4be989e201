import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { CollectedItems } from '../../src/engine/collectedItems';
import type { CollectedItem } from '../../src/engine/collectedItems';

const hashOf = (n: number) => new Uint8Array(createHash('sha256').update(String(n)).digest());

function itemFor(line: number, overrides: Partial<CollectedItem> = {}): CollectedItem {
  return {
    line,
    id: `req-${line}`,
    model: line % 2 === 0 ? 'gpt-4o-mini' : 'gpt-4o',
    hash: hashOf(line),
    estimatedCost: line / 1000,
    estimatedMax: line / 100,
    inputTokens: line * 3,
    outputTokens: line * 2,
    duplicateOf: undefined,
    cached: undefined,
    ...overrides,
  };
}

describe('CollectedItems', () => {
  it('gives back every item as it was added, across pages', () => {
    const items = new CollectedItems();
    const added: CollectedItem[] = [];
    // Past one page (65,536 items), with gaps in the line numbers (blank and invalid lines).
    for (let n = 1; n <= 70_000; n++) {
      const line = n * 2 + 1;
      const item = itemFor(line, {
        duplicateOf: n % 7 === 0 ? line - 2 : undefined,
        cached: n % 11 === 0 ? { file: `results-${n % 3}.jsonl`, offset: n * 10, length: 9 } : undefined,
      });
      items.add(item);
      added.push(item);
    }
    assert.equal(items.length, added.length);
    for (const index of [0, 1, 6, 10, 65_535, 65_536, 69_999]) {
      const expected = added[index];
      assert.ok(expected);
      assert.deepEqual({ ...items.item(index), hash: [...items.item(index).hash] }, { ...expected, hash: [...expected.hash] });
      assert.equal(items.hashHex(index), Buffer.from(expected.hash).toString('hex'));
      assert.equal(items.indexOfLine(expected.line), index);
    }
    assert.equal(items.indexOfLine(2), -1, 'a line that holds no item');
    assert.equal(items.indexOfLine(10_000_000), -1);
  });

  it('keeps ids byte for byte, lone surrogates and all', () => {
    const items = new CollectedItems();
    const ids = ['plain', 'émoji 😀 ok', 'lone \ud800 high', 'lone \udc00 low', '', 'x'.repeat(100_000)];
    ids.forEach((id, index) => items.add(itemFor(index + 1, { id })));
    assert.deepEqual(
      ids.map((_, index) => items.item(index).id),
      ids,
    );
  });

  it('adds up only what is sent: duplicates and cached items are not paid', () => {
    const items = new CollectedItems();
    items.add(itemFor(1));
    items.add(itemFor(2, { duplicateOf: 1 }));
    items.add(itemFor(3, { cached: { file: 'r.jsonl', offset: 0, length: 5 } }));
    items.add(itemFor(4));
    assert.deepEqual(items.sent, { inputTokens: 3 + 12, outputTokens: 2 + 8, estimatedCost: 0.001 + 0.004, estimatedMax: 0.01 + 0.04 });
  });
});
