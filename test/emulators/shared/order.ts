// The order in which an emulated batch runs its items, which is also its results' order:
// shuffled by default, because no provider promises input order (match on ids, never position).

import { seededRandom } from '../../support/seededRandom';

/** FNV-1a: a tiny stable hash to seed the output shuffle from the batch id. */
function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/**
 * Processing order, which is also output-file order. Shuffled by default (spec §6: output order does
 * not match input order), seeded by the batch id so a re-download is byte-identical. A
 * shuffle that happens to be the identity is rotated, so "not input order" holds for every n ≥ 2.
 */
export function processingOrder(n: number, seed: string, ordered: boolean): Uint32Array {
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  if (ordered || n < 2) return order;
  const rng = seededRandom(fnv1a(seed));
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    const tmp = order[i] ?? 0;
    order[i] = order[j] ?? 0;
    order[j] = tmp;
  }
  if (order.every((v, i) => v === i)) order.set([...order.subarray(1), 0]);
  return order;
}

