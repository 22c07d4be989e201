// The item detail page's words and texts: plain labels for each attempt (no internal terms), texts
// clipped for the page but copied whole, the errors copied one attempt a line, and a view that
// always passes the protocol's own schema (the page drops anything that does not).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ItemAttempt, ItemDetail } from '../../src/app/itemDetail';
import { itemDetailCopyText, itemDetailView, rungName } from '../../src/host/itemDetailView';
import { ITEM_DETAIL_ATTEMPTS_SHOWN, ITEM_DETAIL_TEXT_LIMIT, itemDetailViewSchema } from '../../src/shared/protocol';
import type { ItemRow } from '../../src/store/stateIndex';

const row: ItemRow = {
  jobId: 'job-1',
  id: 'review-007',
  line: 7,
  hash: 'h',
  model: 'gpt-4o-mini',
  state: 'dead_letter',
  strike: 3,
  batchKey: 'sync',
  inputFile: 'jobs/job-1/job-1.s0.m1.input.jsonl',
  inputOffset: 0,
  inputLength: 10,
  twin: null,
  failureClass: 'transient',
  failureCode: 'server_error',
  failureMessage: 'boom',
  tokensIn: 12,
  tokensOut: 0,
  cost: 0.001,
  estimatedCost: 0.0004,
  estimatedMax: 0.0009,
  resultFile: null,
  resultOffset: null,
  resultLength: null,
};

function failedAttempt(strike: number, remoteId: string | null): ItemAttempt {
  return {
    strike,
    via: remoteId ? 'batch' : 'sync',
    batchKey: remoteId ? `job-1.s${strike}.m1` : null,
    remoteId,
    outcome: 'failed',
    failureClass: 'rate_limited',
    code: 'server_error',
    message: `failed at ${strike}`,
    tokensIn: 3,
    tokensOut: 0,
    cost: 0,
    at: '2026-01-01T00:00:00.000Z',
    rawResult: `{"error":"${strike}"}`,
  };
}

function detail(overrides: Partial<ItemDetail> = {}): ItemDetail {
  return {
    job: { id: 'job-1', name: 'reviews.jsonl', provider: 'openai', endpoint: '/v1/chat/completions', sourceFile: '/w/reviews.jsonl', createdAt: '2026-01-01T00:00:00.000Z' },
    item: row,
    source: { file: '/w/reviews.jsonl', line: 7, text: '{"custom_id":"review-007"}', problem: undefined, changedSinceSubmit: false },
    request: '{"custom_id":"review-007"}',
    requestNote: undefined,
    answer: undefined,
    attempts: [failedAttempt(0, 'batch_a'), failedAttempt(1, 'batch_b'), failedAttempt(2, 'batch_c'), failedAttempt(3, null)],
    batches: [{ key: 'job-1.s0.m1', strike: 0, remoteId: 'batch_a', state: 'completed' }],
    deadLetter: { at: '2026-01-01T00:01:00.000Z', reason: undefined },
    duplicateOf: undefined,
    cachedFrom: undefined,
    historyProblem: undefined,
    ...overrides,
  };
}

describe('item detail view', () => {
  it('names each rung of the retry ladder in words, never as a strike', () => {
    assert.deepEqual([0, 1, 2, 3].map(rungName), ['first batch', 'retry batch 1', 'retry batch 2', 'one-by-one call']);
    const view = itemDetailView(detail());
    assert.deepEqual(
      view.attempts.map((a) => a.label),
      ['Attempt 1 · first batch', 'Attempt 2 · retry batch 1', 'Attempt 3 · retry batch 2', 'Attempt 4 · one-by-one call'],
    );
    const words = JSON.stringify(view);
    assert.doesNotMatch(words, /strike|rate_limited|dead_letter/i, 'no internal terms or snake_case classes on the page');
    assert.equal(view.attempts[0]?.failure, 'rate limited');
    assert.equal(view.item.state, 'Dead letter (given up)');
    assert.equal(view.job.provider, 'OpenAI');
  });

  it('says where the calls went: the base URL before the API path the job recorded', () => {
    assert.equal(itemDetailView(detail(), 'https://gateway.example/v1').job.endpoint, 'https://gateway.example/v1 (/v1/chat/completions)');
    assert.equal(itemDetailView(detail()).job.endpoint, '/v1/chat/completions');
  });

  it('clips a long request for the page but copies it whole', () => {
    const long = `{"custom_id":"x","pad":"${'a'.repeat(ITEM_DETAIL_TEXT_LIMIT + 50)}"}`;
    const d = detail({ request: long });
    const view = itemDetailView(d);
    assert.equal(view.request.text?.truncated, true);
    assert.equal(view.request.text?.text.length, ITEM_DETAIL_TEXT_LIMIT);
    assert.equal(view.request.text?.length, long.length);
    assert.equal(itemDetailCopyText(d, 'request'), long);
    assert.equal(itemDetailViewSchema.safeParse(view).success, true, 'the clipped view passes the page’s schema');
  });

  it('copies the errors one attempt a line, each with its batch, then why it was given up', () => {
    const text = itemDetailCopyText(detail({ deadLetter: { at: 'x', reason: 'the process stopped during this item’s sync call' } }), 'errors');
    assert.deepEqual(text?.split('\n'), [
      'Attempt 1 · first batch (batch_a): failed — rate limited [server_error] failed at 0',
      'Attempt 2 · retry batch 1 (batch_b): failed — rate limited [server_error] failed at 1',
      'Attempt 3 · retry batch 2 (batch_c): failed — rate limited [server_error] failed at 2',
      'Attempt 4 · one-by-one call: failed — rate limited [server_error] failed at 3',
      'Given up (dead letter): the process stopped during this item’s sync call',
    ]);
  });

  it('has nothing to copy for a section the item lacks', () => {
    const succeeded = detail({ attempts: [{ ...failedAttempt(0, 'batch_a'), outcome: 'succeeded', failureClass: null, code: null, message: null }], deadLetter: undefined });
    assert.equal(itemDetailCopyText(succeeded, 'errors'), undefined);
    assert.equal(itemDetailCopyText(succeeded, 'answer'), undefined);
    assert.equal(itemDetailCopyText(detail({ request: undefined, requestNote: 'Not sent' }), 'request'), undefined);
  });

  it('copies the answer’s content, or its raw line when it has no text', () => {
    const raw = '{"custom_id":"review-007","response":{}}';
    assert.equal(itemDetailCopyText(detail({ answer: { content: 'positive', raw, from: 'own' } }), 'answer'), 'positive');
    assert.equal(itemDetailCopyText(detail({ answer: { content: undefined, raw, from: 'own' } }), 'answer'), raw);
    assert.equal(itemDetailCopyText(detail({ answer: { content: 'positive', raw, from: 'own' } }), 'rawAnswer'), raw);
  });

  it('shows the latest attempts when there are very many, numbered as they happened', () => {
    const many = Array.from({ length: ITEM_DETAIL_ATTEMPTS_SHOWN + 5 }, () => failedAttempt(3, null));
    const view = itemDetailView(detail({ attempts: many }));
    assert.equal(view.attempts.length, ITEM_DETAIL_ATTEMPTS_SHOWN);
    assert.equal(view.earlierAttempts, 5);
    assert.equal(view.attempts[0]?.label, 'Attempt 6 · one-by-one call');
    assert.equal(itemDetailViewSchema.safeParse(view).success, true);
  });
});
