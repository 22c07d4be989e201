// One page of a job's failures for the failure inspector, with the count of every failure class.
// Kept apart from the panel (no `vscode` here) so it is tested in plain Node.
import { INSPECTOR_PAGE_SIZE, UNCLASSIFIED } from '../shared/protocol';
import type { ItemRow, StateIndex } from '../store/stateIndex';
import type { ItemState } from '../store/storeEvents';

const FAILED_STATES: readonly ItemState[] = ['failed', 'dead_letter'];
/** Rows read per query while counting classes: bounded memory, few round trips. */
const SCAN_CHUNK = 2_000;

export interface FailurePage {
  readonly rows: ItemRow[];
  /** The page shown: the one asked for, or the last one when that is past the end. */
  readonly page: number;
  readonly pageCount: number;
  /** Items matching the filter. */
  readonly total: number;
  /** Every class among the failures (unfiltered), most frequent first. */
  readonly classes: { name: string; count: number }[];
}

/**
 * One page of a job's failed and dead-letter items among the chosen classes, with every class's
 * count. The index pages by source line, not by class, so this walks the failures once in
 * chunks (memory stays at a chunk plus a page) and clamps a page past the end to the last one.
 */
export function failurePage(index: Pick<StateIndex, 'items'>, jobId: string, filter: readonly string[], page: number, scanChunk = SCAN_CHUNK): FailurePage {
  const wanted = new Set(filter);
  const counts = new Map<string, number>();
  let rows: ItemRow[] = [];
  let lastFull: ItemRow[] = [];
  let matched = 0;
  const start = page * INSPECTOR_PAGE_SIZE;
  let afterLine = 0;
  for (;;) {
    const chunk = index.items(jobId, { states: FAILED_STATES, limit: scanChunk, afterLine });
    for (const row of chunk) {
      const name = row.failureClass ?? UNCLASSIFIED;
      counts.set(name, (counts.get(name) ?? 0) + 1);
      if (wanted.size > 0 && !wanted.has(name)) continue;
      if (matched % INSPECTOR_PAGE_SIZE === 0 && matched < start) lastFull = [];
      if (matched >= start && matched < start + INSPECTOR_PAGE_SIZE) rows.push(row);
      else if (matched < start) lastFull.push(row);
      matched++;
    }
    const last = chunk.at(-1);
    if (chunk.length < scanChunk || !last) break;
    afterLine = last.line;
  }
  const pageCount = Math.max(1, Math.ceil(matched / INSPECTOR_PAGE_SIZE));
  let current = page;
  if (rows.length === 0 && matched > 0 && page > 0) {
    // The page asked for is past the end (items left after a retry): show the last one.
    current = pageCount - 1;
    rows = lastFull;
  }
  const classes = [...counts].map(([name, count]) => ({ name, count })).sort((a, b) => b.count - a.count || a.name.localeCompare(b.name));
  return { rows, page: current, pageCount, total: matched, classes };
}
