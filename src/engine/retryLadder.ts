// The retry ladder, as a pure decision over failed items: strike 1 and 2 failures with a
// retryable class go into a new batch, strike 3 is one sync call each, and what fails that goes
// to dead letter with its reason. Deterministic failures skip the ladder: the same 400 again is
// money for nothing. Cancelled work is not retried unless the user asks.
import { RETRYABLE } from '../core/itemOutcome';
import type { FailureClass } from '../core/itemOutcome';
import type { ItemRow } from '../store/stateIndex';

export interface LadderDecision {
  readonly deadLetter: readonly string[];
  readonly cancelled: readonly string[];
  /** Items for a new batch at strike + 1, grouped by that strike (1 → 2). */
  readonly nextBatch: readonly ItemRow[];
  /** Items for one sync call each (strike 3). */
  readonly sync: readonly ItemRow[];
}

export const MAX_BATCH_STRIKES = 2;

export function routeFailures(failed: readonly ItemRow[], cancelRequested: boolean): LadderDecision {
  const deadLetter: string[] = [];
  const cancelled: string[] = [];
  const nextBatch: ItemRow[] = [];
  const sync: ItemRow[] = [];
  for (const item of failed) {
    const failureClass = (item.failureClass ?? 'transient') as FailureClass;
    if (cancelRequested || failureClass === 'cancelled') cancelled.push(item.id);
    else if (!RETRYABLE.has(failureClass)) deadLetter.push(item.id);
    else if (item.strike < MAX_BATCH_STRIKES) nextBatch.push(item);
    else if (item.strike === MAX_BATCH_STRIKES) sync.push(item);
    else deadLetter.push(item.id);
  }
  return { deadLetter, cancelled, nextBatch, sync };
}
