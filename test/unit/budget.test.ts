import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkBudget, formatDollars } from '../../src/core/budget';

describe('checkBudget', () => {
  it('accepts a reservation under both caps and says what is left', () => {
    const decision = checkBudget({ daily: 10, monthly: 100 }, { today: 4, thisMonth: 50 }, 5);
    assert.deepEqual(decision, { accepted: true, remainingToday: 1, remainingThisMonth: 45 });
  });

  it('accepts a reservation that lands exactly on the cap', () => {
    assert.equal(checkBudget({ daily: 10 }, { today: 4, thisMonth: 4 }, 6).accepted, true);
  });

  it('refuses over the daily cap with the numbers', () => {
    const decision = checkBudget({ daily: 10, monthly: 100 }, { today: 8, thisMonth: 8 }, 3.5);
    assert.deepEqual(decision, {
      accepted: false,
      cap: 'daily',
      overBy: 1.5,
      message:
        'Refused: this submission may cost up to $3.50, and $8.00 is already spent or reserved today; that would pass the daily budget of $10.00 by $1.50.',
    });
  });

  it('refuses over the monthly cap when the daily one has room', () => {
    const decision = checkBudget({ daily: 50, monthly: 100 }, { today: 0, thisMonth: 99 }, 2);
    assert.equal(decision.accepted, false);
    assert.equal(decision.accepted ? undefined : decision.cap, 'monthly');
    assert.equal(decision.accepted ? undefined : decision.overBy, 1);
  });

  it('has no limit when no cap is set', () => {
    assert.deepEqual(checkBudget({}, { today: 1e6, thisMonth: 1e6 }, 1e6), {
      accepted: true,
      remainingToday: undefined,
      remainingThisMonth: undefined,
    });
  });
});

describe('formatDollars', () => {
  it('shows cents, four places below a dollar and six below a cent', () => {
    assert.equal(formatDollars(1234.5), '$1,234.50');
    assert.equal(formatDollars(0.01234), '$0.0123');
    assert.equal(formatDollars(0), '$0.00');
    assert.equal(formatDollars(0.0000123), '$0.000012');
  });
});
