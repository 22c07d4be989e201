// The retry ladder's pure decisions: which rung a failure goes to, how retry batches are planned,
// how long each wait is, and what a whole-batch capacity refusal is.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PROVIDER_LIMITS } from '../../src/core/providerLimits';
import { capacityBackoffMs, capacityRefusalOf, capacityWaitReason, waitHintMs } from '../../src/engine/capacityRefusal';
import { planRetryChunks } from '../../src/engine/retryBatches';
import { byNextStrike, ladderWaitMs, routeFailures, strikeLabel } from '../../src/engine/retryLadder';
import type { RemoteBatch } from '../../src/providers/batchProvider';
import type { ItemRow } from '../../src/store/stateIndex';
import { itemRow } from '../support/itemRow';

let nextLine = 0;
function item(overrides: Partial<ItemRow>): ItemRow {
  return itemRow(++nextLine, overrides);
}

function failedBatch(overrides: Partial<RemoteBatch>): RemoteBatch {
  return {
    remoteId: 'batch_1',
    state: 'failed',
    rawStatus: 'failed',
    counts: { total: 0, completed: 0, failed: 0 },
    tags: undefined,
    resultRefs: [],
    inputRef: 'file_1',
    endpoint: '/v1/chat/completions',
    model: undefined,
    createdAt: 0,
    expiresAt: undefined,
    errors: [],
    ...overrides,
  };
}

const QUOTA_MESSAGE =
  'Enqueued token limit reached for gpt-4o-mini in organization org-emulator. Limit: 90,000 enqueued tokens. Please try again once some in_progress batches have been completed.';

describe('retry ladder', () => {
  it('the first batch is not a strike: two retry batches, then one sync call, then dead letter', () => {
    const first = item({ strike: 0 });
    const second = item({ strike: 1 });
    const third = item({ strike: 2 });
    const synced = item({ strike: 3 });
    const decision = routeFailures([first, second, third, synced], false);
    assert.deepEqual(
      byNextStrike(decision.nextBatch).map(([strike, items]) => [strike, items.map((i) => i.id)]),
      [
        [1, [first.id]],
        [2, [second.id]],
      ],
    );
    assert.deepEqual(
      decision.sync.map((i) => i.id),
      [third.id],
    );
    assert.deepEqual(decision.deadLetter, [synced.id]);
  });

  it('sends deterministic failures straight to dead letter and cancelled ones to cancelled', () => {
    const bad = item({ failureClass: 'invalid_request' });
    const refused = item({ failureClass: 'content_policy' });
    const stopped = item({ failureClass: 'cancelled' });
    const decision = routeFailures([bad, refused, stopped], false);
    assert.deepEqual(decision.deadLetter, [bad.id, refused.id]);
    assert.deepEqual(decision.cancelled, [stopped.id]);
    assert.deepEqual(routeFailures([item({})], true).cancelled.length, 1, 'a cancelled job retries nothing');
  });

  it('waits retryWaitsMs[0] before strike 1 and retryWaitsMs[1] before strike 2 and the sync calls', () => {
    const waits = [60_000, 300_000] as const;
    assert.deepEqual(
      [1, 2, 3].map((strike) => ladderWaitMs(strike, waits)),
      [60_000, 300_000, 300_000],
    );
  });

  it('labels strikes for the views', () => {
    assert.deepEqual(
      [0, 1, 2, 3].map(strikeLabel),
      ['first batch', 'strike 1', 'strike 2', 'strike 3 (sync)'],
    );
  });
});

describe('retry batches are planned like the first submission', () => {
  it('puts each model in its own batch where the provider requires it', () => {
    const items = [item({ model: 'gpt-4o-mini' }), item({ model: 'gpt-4o' }), item({ model: 'gpt-4o-mini' }), item({ model: 'gpt-4o' })];
    const chunks = planRetryChunks('openai', items);
    assert.deepEqual(
      chunks.map((chunk) => [...new Set(chunk.map((i) => i.model))]),
      [['gpt-4o-mini'], ['gpt-4o']],
    );
    assert.deepEqual(
      chunks.map((chunk) => chunk.map((i) => i.id)),
      [
        [items[0]?.id, items[2]?.id],
        [items[1]?.id, items[3]?.id],
      ],
    );
  });

  it('mixes models where the provider allows it', () => {
    assert.equal(planRetryChunks('anthropic', [item({ model: 'a' }), item({ model: 'b' })]).length, 1);
  });

  it('splits past the request and byte limits', () => {
    const small = { ...PROVIDER_LIMITS.openai, maxRequests: 2, maxBytes: 1_000 };
    assert.deepEqual(
      planRetryChunks('openai', [item({}), item({}), item({}), item({}), item({})], small).map((chunk) => chunk.length),
      [2, 2, 1],
    );
    // 400-byte lines (+ newline): two fit in 1,000 bytes, a third would not.
    const wide = { ...PROVIDER_LIMITS.openai, maxBytes: 1_000 };
    assert.deepEqual(
      planRetryChunks('openai', [item({ inputLength: 400 }), item({ inputLength: 400 }), item({ inputLength: 400 })], wide).map((chunk) => chunk.length),
      [2, 1],
    );
  });

  it('refuses an item whose request bytes were never recorded rather than send an empty line', () => {
    assert.throws(() => planRetryChunks('openai', [item({ inputFile: null })]), /has no recorded request to send again/);
  });
});

describe('capacity refusals', () => {
  it('recognises a whole-batch token_limit_exceeded with no line, and reads what the message says', () => {
    const refusal = capacityRefusalOf(failedBatch({ errors: [{ code: 'token_limit_exceeded', message: QUOTA_MESSAGE, line: undefined }] }));
    assert.ok(refusal);
    assert.equal(refusal.code, 'token_limit_exceeded');
    assert.equal(refusal.waitsForRunningBatches, true);
    assert.equal(refusal.hintMs, undefined);
    const azure = capacityRefusalOf(
      failedBatch({
        errors: [
          {
            code: 'token_limit_exceeded',
            message: "The number of enqueued tokens has surpassed the configured limit of 90K for the deployment 'gpt-4o'. Please either increase the limit or try again once the current jobs have finished.",
            line: undefined,
          },
        ],
      }),
    );
    assert.equal(azure?.waitsForRunningBatches, true);
  });

  it('is not a capacity refusal when a line is named, another code comes with it, or items ran', () => {
    assert.equal(capacityRefusalOf(failedBatch({ errors: [{ code: 'token_limit_exceeded', message: 'x', line: 3 }] })), undefined);
    assert.equal(
      capacityRefusalOf(
        failedBatch({
          errors: [
            { code: 'token_limit_exceeded', message: 'x', line: undefined },
            { code: 'invalid_json_line', message: 'y', line: undefined },
          ],
        }),
      ),
      undefined,
    );
    assert.equal(capacityRefusalOf(failedBatch({ errors: [{ code: 'model_mismatch', message: 'x', line: undefined }] })), undefined);
    assert.equal(capacityRefusalOf(failedBatch({ resultRefs: ['file_e'], errors: [{ code: 'token_limit_exceeded', message: 'x', line: undefined }] })), undefined);
    assert.equal(capacityRefusalOf(failedBatch({ state: 'completed', errors: [{ code: 'token_limit_exceeded', message: 'x', line: undefined }] })), undefined);
  });

  it('backs off from the first ladder wait, doubling, capped, and never shorter than the provider asks', () => {
    assert.deepEqual(
      [1, 2, 3, 6, 7, 20].map((n) => capacityBackoffMs(n, 60_000)),
      [60_000, 120_000, 240_000, 1_920_000, 1_920_000, 1_920_000],
    );
    assert.equal(capacityBackoffMs(1, 60_000, waitHintMs('Please try again in 5 minutes.')), 300_000);
    assert.equal(waitHintMs('retry after 20 seconds'), 20_000);
    assert.equal(waitHintMs('try again in 1.5s'), 1_500);
    assert.equal(waitHintMs(QUOTA_MESSAGE), undefined);
  });

  it('says why the job waits, with the provider’s words and when it sends again', () => {
    const refusal = capacityRefusalOf(failedBatch({ errors: [{ code: 'token_limit_exceeded', message: QUOTA_MESSAGE, line: undefined }] }));
    assert.ok(refusal);
    const reason = capacityWaitReason(refusal, { batchKey: 'job-1.s0.b2', items: 40, refusals: 2, resendAt: Date.parse('2026-12-01T10:00:00.000Z'), runningBatches: 1 });
    assert.equal(
      reason,
      `Waiting for provider capacity: batch job-1.s0.b2 (40 items) was refused as a whole (refused 2 times in a row): token_limit_exceeded: ${QUOTA_MESSAGE} ` +
        'The quota frees up as running batches finish; this job has 1 running. No strike is counted; the same items are sent again after 2026-12-01T10:00:00Z.',
    );
  });
});
