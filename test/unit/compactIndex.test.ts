import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { IdIndex, TagTable, fnv1a } from '../../src/core/compactIndex';
import type { KeyStore } from '../../src/core/compactIndex';

/** Keys are numbers; the tag is deliberately weak (many keys share one) so that probing is exercised. */
class NumberKeys implements KeyStore<number> {
  readonly keys: number[] = [];
  keyEquals(entry: number, key: number): boolean {
    return this.keys[entry] === key;
  }
}

describe('TagTable', () => {
  it('finds every entry while it grows a little at a time, and nothing it was not given', () => {
    const store = new NumberKeys();
    const table = new TagTable(store, 4);
    const tagOf = (key: number) => key % 1009;
    for (let key = 0; key < 20_000; key++) {
      assert.equal(table.find(tagOf(key), key), -1, `key ${key} is new`);
      store.keys.push(key);
      table.insert(tagOf(key), key);
      // Every earlier key, checked often enough to land in the middle of each move (at 11, 22,
      // 45… 11,468 entries the table doubles and moves its old slots over the next inserts).
      if (key % 97 === 0 || (key > 11_468 && key < 11_600)) {
        for (let earlier = 0; earlier <= key; earlier += 13) assert.equal(table.find(tagOf(earlier), earlier), earlier);
      }
    }
    for (let key = 0; key < 20_000; key++) assert.equal(table.find(tagOf(key), key), key);
    assert.equal(table.find(tagOf(20_001), 20_001), -1);
  });
});

describe('IdIndex', () => {
  it('answers the first line of each id across its growth', () => {
    const index = new IdIndex();
    const bytes = (id: string) => new TextEncoder().encode(id);
    for (let n = 1; n <= 50_000; n++) {
      const id = bytes(`id-${n}`);
      assert.equal(index.firstLineOrAdd(id, 0, id.length, fnv1a(id, 0, id.length), n), 0);
    }
    for (const n of [1, 2, 777, 32_768, 50_000]) {
      const id = bytes(`id-${n}`);
      assert.equal(index.firstLine(id, 0, id.length, fnv1a(id, 0, id.length)), n);
      assert.equal(index.firstLineOrAdd(id, 0, id.length, fnv1a(id, 0, id.length), 99_999), n, 'a repeat is not added');
    }
    const unknown = bytes('id-50001');
    assert.equal(index.firstLine(unknown, 0, unknown.length, fnv1a(unknown, 0, unknown.length)), 0);
  });
});
