// The budget gate: before anything is uploaded, the submission's upper-bound cost is reserved
// against the daily and monthly caps. Pure: spend so far comes from the store's ledger.

export interface BudgetCaps {
  /** Dollars per calendar day (UTC); undefined means no cap. */
  readonly daily?: number | undefined;
  readonly monthly?: number | undefined;
}

export interface SpendSoFar {
  /** Settled actual cost plus open reservations, today and this month. */
  readonly today: number;
  readonly thisMonth: number;
}

export type BudgetDecision =
  | { readonly accepted: true; readonly remainingToday: number | undefined; readonly remainingThisMonth: number | undefined }
  | { readonly accepted: false; readonly message: string; readonly cap: 'daily' | 'monthly'; readonly overBy: number };

/**
 * Accepts when the reservation fits under every cap, and refuses with the numbers otherwise:
 * the message names the cap, what is already spent or reserved, the request and the shortfall.
 */
export function checkBudget(caps: BudgetCaps, spent: SpendSoFar, reservation: number): BudgetDecision {
  const checks = [
    { cap: 'daily' as const, limit: caps.daily, used: spent.today, period: 'today' },
    { cap: 'monthly' as const, limit: caps.monthly, used: spent.thisMonth, period: 'this month' },
  ];
  for (const { cap, limit, used, period } of checks) {
    if (limit === undefined) continue;
    const after = used + reservation;
    if (after > limit) {
      const overBy = after - limit;
      return {
        accepted: false,
        cap,
        overBy,
        message:
          `Refused: this submission may cost up to ${formatDollars(reservation)}, and ${formatDollars(used)} is already spent or reserved ${period}; ` +
          `that would pass the ${cap} budget of ${formatDollars(limit)} by ${formatDollars(overBy)}.`,
      };
    }
  }
  return {
    accepted: true,
    remainingToday: caps.daily === undefined ? undefined : caps.daily - spent.today - reservation,
    remainingThisMonth: caps.monthly === undefined ? undefined : caps.monthly - spent.thisMonth - reservation,
  };
}

/** Dollars with cents, and more precision below a dollar and below a cent, where batch costs often sit. */
export function formatDollars(amount: number): string {
  const size = Math.abs(amount);
  const digits = size >= 1 || amount === 0 ? 2 : size >= 0.01 ? 4 : 6;
  return `$${amount.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })}`;
}
