// The retry ladder, as pure decisions. The first batch is not a strike (its items are at strike
// 0). A retryable failure climbs one rung at a time: strike 1 is a new batch of only the failed
// items, strike 2 another one, strike 3 one sync call each, and what fails that goes to dead
// letter with its reason. Deterministic failures skip the ladder: the same 400 again is money for
// nothing. Cancelled work is not retried unless the user asks.
//
// Workspaces written before this numbering have their first batch at strike 1 (the strike comes
// from the batch's intent, see stateIndex `batch.intent`): those jobs keep the one retry batch
// they were started with, since strike 1 → 2 → sync is the same climb from one rung higher.
import { RETRYABLE } from '../core/itemOutcome';
import type { FailureClass } from '../core/itemOutcome';
import type { ItemRow } from '../store/stateIndex';

/** The first submission of an item (and a manual resubmission): not a strike. */
export const FIRST_BATCH_STRIKE = 0;
/** The last strike that is a batch; the one after it is the sync call. */
export const MAX_BATCH_STRIKES = 2;
export const SYNC_STRIKE = MAX_BATCH_STRIKES + 1;

export interface LadderDecision {
  readonly deadLetter: readonly string[];
  readonly cancelled: readonly string[];
  /** Items for a new batch, each at its strike + 1 (see `byNextStrike`). */
  readonly nextBatch: readonly ItemRow[];
  /** Items for one sync call each (strike 3). */
  readonly sync: readonly ItemRow[];
  /** Items cancelled by a cancel the user has since withdrawn (resume): sent again at their strike. */
  readonly resubmit: readonly ItemRow[];
}

/**
 * `resumed`: the user resumed the job after cancelling it, so an item a late cancel stopped is sent
 * again; without a resume a cancelled item stays cancelled (it may have been cancelled at the
 * provider, which is the user's word too).
 */
export function routeFailures(failed: readonly ItemRow[], cancelRequested: boolean, resumed = false): LadderDecision {
  const deadLetter: string[] = [];
  const cancelled: string[] = [];
  const nextBatch: ItemRow[] = [];
  const sync: ItemRow[] = [];
  const resubmit: ItemRow[] = [];
  for (const item of failed) {
    const failureClass = (item.failureClass ?? 'transient') as FailureClass;
    if (!cancelRequested && resumed && failureClass === 'cancelled') resubmit.push(item);
    else if (cancelRequested || failureClass === 'cancelled') cancelled.push(item.id);
    else if (!RETRYABLE.has(failureClass)) deadLetter.push(item.id);
    else if (item.strike < MAX_BATCH_STRIKES) nextBatch.push(item);
    else if (item.strike === MAX_BATCH_STRIKES) sync.push(item);
    else deadLetter.push(item.id);
  }
  return { deadLetter, cancelled, nextBatch, sync, resubmit };
}

/** The items of `nextBatch` grouped by the strike their new batch will be (1 or 2), lowest first. */
export function byNextStrike(items: readonly ItemRow[]): [strike: number, items: ItemRow[]][] {
  const groups = new Map<number, ItemRow[]>();
  for (const item of items) {
    const strike = item.strike + 1;
    const group = groups.get(strike) ?? [];
    group.push(item);
    groups.set(strike, group);
  }
  return [...groups.entries()].sort(([a], [b]) => a - b);
}

/**
 * How long the ladder pauses before a strike: retryWaitsMs[0] (60 s) before strike 1's batch,
 * retryWaitsMs[1] (300 s) before strike 2's batch and again before the strike-3 sync calls, so a
 * provider that failed twice has had the longer pause before it is paid full price.
 */
export function ladderWaitMs(strike: number, retryWaitsMs: readonly [number, number]): number {
  return strike <= 1 ? retryWaitsMs[0] : retryWaitsMs[1];
}

/** "first batch", "strike 1", … for views and messages. */
export function strikeLabel(strike: number): string {
  return strike <= FIRST_BATCH_STRIKE ? 'first batch' : strike >= SYNC_STRIKE ? `strike ${strike} (sync)` : `strike ${strike}`;
}
