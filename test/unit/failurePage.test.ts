import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { failurePage } from '../../src/host/failurePage';
import type { ItemRow } from '../../src/store/stateIndex';
import type { ItemState } from '../../src/store/storeEvents';
import { itemRow } from '../support/itemRow';

function row(line: number, state: ItemState, failureClass: string | null): ItemRow {
  return itemRow(line, { jobId: 'job', state, failureClass, strike: 1 });
}

/** The index's items() as the store implements it: by line, after a line, of some states, limited. */
function fakeIndex(rows: ItemRow[]) {
  let queries = 0;
  return {
    get queries() {
      return queries;
    },
    items(_jobId: string, options: { states?: readonly ItemState[]; limit?: number; afterLine?: number } = {}): ItemRow[] {
      queries++;
      const matching = rows.filter((r) => r.line > (options.afterLine ?? 0) && (!options.states || options.states.includes(r.state)));
      return options.limit === undefined ? matching : matching.slice(0, options.limit);
    },
  };
}

// 250 failures over 500 lines: even lines failed; every fifth of those is dead letter; classes rotate.
const CLASSES = ['transient', 'rate_limited', null] as const;
const rows = Array.from({ length: 500 }, (_, i) => {
  const line = i + 1;
  if (line % 2 === 1) return row(line, 'succeeded', null);
  const n = line / 2;
  return row(line, n % 5 === 0 ? 'dead_letter' : 'failed', CLASSES[n % 3] ?? null);
});

describe('failurePage', () => {
  it('pages every failure by source line and counts each class', () => {
    const index = fakeIndex(rows);
    const first = failurePage(index, 'job', [], 0, 7);
    assert.equal(first.total, 250);
    assert.equal(first.pageCount, 3);
    assert.equal(first.rows.length, 100);
    assert.equal(first.rows[0]?.line, 2);
    assert.deepEqual(first.classes, [
      { name: 'rate_limited', count: 84 },
      { name: 'transient', count: 83 },
      { name: 'unclassified', count: 83 },
    ]);
    const last = failurePage(index, 'job', [], 2, 7);
    assert.equal(last.rows.length, 50);
    assert.equal(last.rows.at(-1)?.line, 500);
  });

  it('filters by class, keeping the unfiltered counts for the chips', () => {
    const page = failurePage(fakeIndex(rows), 'job', ['transient', 'unclassified'], 0);
    assert.equal(page.total, 166);
    assert.equal(page.pageCount, 2);
    assert.ok(page.rows.every((r) => r.failureClass !== 'rate_limited'));
    assert.equal(page.classes.length, 3);
  });

  it('shows the last page when the one asked for is past the end', () => {
    const page = failurePage(fakeIndex(rows), 'job', ['rate_limited'], 9, 13);
    assert.equal(page.page, 0);
    assert.equal(page.rows.length, 84);
    const full = failurePage(fakeIndex(rows), 'job', [], 5);
    assert.equal(full.page, 2);
    assert.equal(full.rows.length, 50);
    assert.equal(full.rows[0]?.line, 402);
  });

  it('says one empty page when nothing failed', () => {
    const page = failurePage(fakeIndex([row(1, 'succeeded', null)]), 'job', [], 0);
    assert.deepEqual({ rows: page.rows, page: page.page, pageCount: page.pageCount, total: page.total, classes: page.classes }, { rows: [], page: 0, pageCount: 1, total: 0, classes: [] });
  });
});
