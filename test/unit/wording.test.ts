import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { count } from '../../src/shared/wording';

describe('count', () => {
  it('says one thing in the singular, any other number in the plural, with separators', () => {
    assert.equal(count(1, 'item'), '1 item');
    assert.equal(count(0, 'item'), '0 items');
    assert.equal(count(1234567, 'item'), '1,234,567 items');
    assert.equal(count(2, 'batch', 'batches'), '2 batches');
  });
});
