// The Anthropic Message Batches wire mapping, branch by branch, on literal JSON shaped like the
// spec's samples (docs/PROVIDER_BATCH_APIS.md §3.3, §3.4, §3.5, §3.7).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { FailureClass, ItemOutcome } from '../../src/core/itemOutcome';
import type { RemoteBatch } from '../../src/providers/batchProvider';
import {
  FIND_SKEW_MS,
  classifyError,
  couldBeCreated,
  decideCreated,
  parseAnthropicResultLine,
  retryAfterMsOf,
  sameIds,
  syncErrorLine,
  syncSuccessLine,
  toRemoteBatch,
} from '../../src/providers/anthropic/anthropicMapping';

const line = (v: unknown): string => JSON.stringify(v);

function ok(outcome: ItemOutcome | undefined): Extract<ItemOutcome, { ok: true }> {
  assert.ok(outcome, 'expected an outcome');
  assert.equal(outcome.ok, true, `expected success, got ${JSON.stringify(outcome)}`);
  return outcome as Extract<ItemOutcome, { ok: true }>;
}

function failed(outcome: ItemOutcome | undefined): Extract<ItemOutcome, { ok: false }> {
  assert.ok(outcome, 'expected an outcome');
  assert.equal(outcome.ok, false, `expected failure, got ${JSON.stringify(outcome)}`);
  return outcome as Extract<ItemOutcome, { ok: false }>;
}

const counts = (c: Partial<Record<'processing' | 'succeeded' | 'errored' | 'canceled' | 'expired', number>>): Record<string, number> => ({
  processing: 0,
  succeeded: 0,
  errored: 0,
  canceled: 0,
  expired: 0,
  ...c,
});

const batch = (overrides: Record<string, unknown> = {}): Record<string, unknown> => ({
  id: 'msgbatch_013Zva2CMHLNnXjNJJKqJ2EF',
  type: 'message_batch',
  processing_status: 'in_progress',
  request_counts: counts({ processing: 100 }),
  created_at: '2024-08-20T18:37:24.100435Z',
  expires_at: '2024-08-21T18:37:24.100435Z',
  ended_at: null,
  cancel_initiated_at: null,
  archived_at: null,
  results_url: null,
  ...overrides,
});

const message = (content: unknown[], usage: Record<string, unknown> = { input_tokens: 10, output_tokens: 5 }, stopReason = 'end_turn'): Record<string, unknown> => ({
  id: 'msg_1',
  type: 'message',
  role: 'assistant',
  model: 'claude-sonnet-4-5',
  content,
  stop_reason: stopReason,
  stop_sequence: null,
  usage,
});

describe('toRemoteBatch', () => {
  it('maps an in-progress batch: RFC 3339 → ms, total from the five counts, nothing completed yet', () => {
    const remote = toRemoteBatch(batch());
    assert.equal(remote.remoteId, 'msgbatch_013Zva2CMHLNnXjNJJKqJ2EF');
    assert.equal(remote.state, 'in_progress');
    assert.equal(remote.rawStatus, 'in_progress');
    assert.deepEqual(remote.counts, { total: 100, completed: 0, failed: 0 });
    assert.equal(remote.createdAt, Date.parse('2024-08-20T18:37:24.100Z'));
    assert.equal(remote.expiresAt, Date.parse('2024-08-21T18:37:24.100Z'));
    assert.deepEqual(remote.resultRefs, []);
    assert.equal(remote.tags, undefined);
    assert.equal(remote.inputRef, undefined);
    assert.deepEqual(remote.errors, []);
  });

  const states: [string, Record<string, unknown>, RemoteBatch['state']][] = [
    ['canceling', { processing_status: 'canceling', cancel_initiated_at: '2024-08-20T18:40:00Z' }, 'cancelling'],
    ['ended', { processing_status: 'ended', request_counts: counts({ succeeded: 90, errored: 6, expired: 4 }) }, 'completed'],
    ['ended after a cancel', { processing_status: 'ended', cancel_initiated_at: '2024-08-20T18:40:00Z', request_counts: counts({ succeeded: 3, canceled: 97 }) }, 'cancelled'],
    ['ended after a cancel that interrupted nothing', { processing_status: 'ended', cancel_initiated_at: '2024-08-20T18:40:00Z', request_counts: counts({ succeeded: 100 }) }, 'cancelled'],
    ['ended, every request expired', { processing_status: 'ended', request_counts: counts({ expired: 100 }) }, 'expired'],
    ['ended, some requests expired', { processing_status: 'ended', request_counts: counts({ succeeded: 1, expired: 99 }) }, 'completed'],
  ];
  for (const [name, overrides, state] of states) {
    it(`state: ${name} → ${state}`, () => assert.equal(toRemoteBatch(batch(overrides)).state, state));
  }

  it('an ended batch: completed = succeeded, failed = errored + canceled + expired, results_url as the one ref', () => {
    const url = 'https://api.anthropic.com/v1/messages/batches/msgbatch_1/results';
    const remote = toRemoteBatch(batch({ processing_status: 'ended', request_counts: counts({ succeeded: 90, errored: 5, canceled: 2, expired: 3 }), results_url: url }));
    assert.deepEqual(remote.counts, { total: 100, completed: 90, failed: 10 });
    assert.deepEqual(remote.resultRefs, [url]);
  });

  it('an archived batch says its results are gone', () => {
    const remote = toRemoteBatch(batch({ processing_status: 'ended', archived_at: '2024-09-18T18:37:24Z' }));
    assert.equal(remote.errors[0]?.code, 'archived');
  });

  const broken: [string, unknown][] = [
    ['not an object', 'msgbatch_1'],
    ['no id', batch({ id: '' })],
    ['an unknown processing_status', batch({ processing_status: 'queued' })],
    ['no created_at', batch({ created_at: null })],
    ['unix seconds instead of RFC 3339', batch({ created_at: 1_724_179_044 })],
  ];
  for (const [name, wire] of broken) {
    it(`throws on ${name} instead of guessing a state`, () => assert.throws(() => toRemoteBatch(wire)));
  }
});

describe('parseAnthropicResultLine', () => {
  it('succeeded: the text blocks joined in order, tool blocks skipped', () => {
    const outcome = ok(parseAnthropicResultLine(line({ custom_id: 'a', result: { type: 'succeeded', message: message([{ type: 'text', text: 'Hel' }, { type: 'tool_use', id: 't', name: 'x', input: {} }, { type: 'text', text: 'lo' }]) } })));
    assert.equal(outcome.customId, 'a');
    assert.equal(outcome.content, 'Hello');
    assert.deepEqual(outcome.usage, { inputTokens: 10, outputTokens: 5, cacheReadTokens: 0, cacheWriteTokens: 0 });
  });

  it('succeeded: input counts every token once, cache reads and writes named', () => {
    const usage = { input_tokens: 3, output_tokens: 7, cache_creation_input_tokens: 1200, cache_read_input_tokens: 800, service_tier: 'batch' };
    const outcome = ok(parseAnthropicResultLine(line({ custom_id: 'a', result: { type: 'succeeded', message: message([{ type: 'text', text: 'x' }], usage) } })));
    assert.deepEqual(outcome.usage, { inputTokens: 2003, outputTokens: 7, cacheReadTokens: 800, cacheWriteTokens: 1200 });
  });

  it('succeeded with no text is still ok, with empty content (the engine judges it)', () => {
    assert.equal(ok(parseAnthropicResultLine(line({ custom_id: 'a', result: { type: 'succeeded', message: message([]) } }))).content, '');
  });

  it('succeeded with stop_reason "refusal" is a content_policy failure that keeps its usage', () => {
    const outcome = failed(parseAnthropicResultLine(line({ custom_id: 'a', result: { type: 'succeeded', message: message([], { input_tokens: 9, output_tokens: 0 }, 'refusal') } })));
    assert.equal(outcome.failureClass, 'content_policy');
    assert.equal(outcome.code, 'refusal');
    assert.equal(outcome.usage?.inputTokens, 9);
  });

  const errored: [string, string, FailureClass][] = [
    ['invalid_request_error', 'prompt is too long: 250000 tokens > 200000 maximum', 'invalid_request'],
    ['rate_limit_error', 'Number of request tokens has exceeded your per-minute rate limit', 'rate_limited'],
    ['overloaded_error', 'Overloaded', 'transient'],
    ['api_error', 'Internal server error', 'transient'],
    ['timeout_error', 'Request timed out', 'transient'],
    ['not_found_error', 'model: claude-nope', 'invalid_request'],
    ['permission_error', 'not allowed', 'invalid_request'],
    ['billing_error', 'credit balance too low', 'invalid_request'],
    ['some_future_error', 'new', 'transient'],
  ];
  for (const [type, text, failureClass] of errored) {
    it(`errored ${type} → ${failureClass}`, () => {
      const outcome = failed(parseAnthropicResultLine(line({ custom_id: 'a', result: { type: 'errored', error: { type: 'error', error: { type, message: text }, request_id: 'req_1' } } })));
      assert.equal(outcome.failureClass, failureClass);
      assert.equal(outcome.code, type);
      assert.equal(outcome.message, text);
      assert.equal(outcome.httpStatus, undefined);
    });
  }

  it('errored: details.error_code is the code when given', () => {
    const error = { type: 'error', error: { type: 'invalid_request_error', message: 'bad', details: { error_code: 'request_body_encoding_invalid' } } };
    assert.equal(failed(parseAnthropicResultLine(line({ custom_id: 'a', result: { type: 'errored', error } }))).code, 'request_body_encoding_invalid');
  });

  it('canceled → cancelled, expired → expired', () => {
    assert.equal(failed(parseAnthropicResultLine(line({ custom_id: 'a', result: { type: 'canceled' } }))).failureClass, 'cancelled');
    assert.equal(failed(parseAnthropicResultLine(line({ custom_id: 'a', result: { type: 'expired' } }))).failureClass, 'expired');
  });

  const notResults: [string, string][] = [
    ['a blank line', ''],
    ['not JSON', '{"custom_id":"a","result":{"type":"succ'],
    ['no custom_id', line({ result: { type: 'expired' } })],
    ['an unknown result type', line({ custom_id: 'a', result: { type: 'pending' } })],
    ['an OpenAI line', line({ id: 'batch_req_1', custom_id: 'a', response: { status_code: 200, body: {} }, error: null })],
  ];
  for (const [name, text] of notResults) {
    it(`${name} is not a result`, () => assert.equal(parseAnthropicResultLine(text), undefined));
  }
});

describe('sync result lines read back', () => {
  it('a sync Message reads back as the same success', () => {
    const outcome = ok(parseAnthropicResultLine(syncSuccessLine('item-1', message([{ type: 'text', text: 'hi' }], { input_tokens: 4, output_tokens: 1, cache_read_input_tokens: 2 }))));
    assert.equal(outcome.customId, 'item-1');
    assert.equal(outcome.content, 'hi');
    assert.deepEqual(outcome.usage, { inputTokens: 6, outputTokens: 1, cacheReadTokens: 2, cacheWriteTokens: 0 });
  });

  const statuses: [number, string, FailureClass][] = [
    [429, 'rate_limit_error', 'rate_limited'],
    [529, 'overloaded_error', 'transient'],
    [500, 'api_error', 'transient'],
    [400, 'invalid_request_error', 'invalid_request'],
    [413, 'request_too_large', 'invalid_request'],
  ];
  for (const [status, type, failureClass] of statuses) {
    it(`a sync ${status} ${type} reads back as ${failureClass}, with its HTTP status`, () => {
      const outcome = failed(parseAnthropicResultLine(syncErrorLine('item-1', status, { type, message: 'm' }, 'req_9')));
      assert.equal(outcome.failureClass, failureClass);
      assert.equal(outcome.httpStatus, status);
      assert.equal(outcome.code, type);
    });
  }
});

describe('classifyError by HTTP status when there is no type', () => {
  const cases: [number | undefined, FailureClass][] = [
    [429, 'rate_limited'],
    [500, 'transient'],
    [503, 'transient'],
    [408, 'transient'],
    [409, 'transient'],
    [400, 'invalid_request'],
    [422, 'invalid_request'],
    [undefined, 'transient'],
  ];
  for (const [status, failureClass] of cases) it(`${String(status)} → ${failureClass}`, () => assert.equal(classifyError(undefined, status), failureClass));
});

describe('retryAfterMsOf', () => {
  const now = Date.parse('2026-01-01T00:00:00Z');
  it('prefers retry-after-ms', () => assert.equal(retryAfterMsOf('250', '3', now), 250));
  it('falls back to retry-after seconds', () => assert.equal(retryAfterMsOf(null, '3', now), 3000));
  it('reads an HTTP date', () => assert.equal(retryAfterMsOf(undefined, 'Thu, 01 Jan 2026 00:00:05 GMT', now), 5000));
  it('nothing when neither says', () => assert.equal(retryAfterMsOf(null, null, now), undefined));
});

describe('finding the batch a lost create made', () => {
  const since = Date.parse('2026-01-01T12:00:00Z');
  const remote = (id: string, createdAt: number, total: number, state: RemoteBatch['state'] = 'in_progress'): RemoteBatch =>
    toRemoteBatch(batch({ id, created_at: new Date(createdAt).toISOString(), processing_status: state === 'in_progress' ? 'in_progress' : 'ended', request_counts: counts(state === 'in_progress' ? { processing: total } : { succeeded: total }) }));

  it('could be it: the same size, made no earlier than the skew before the attempt', () => {
    assert.equal(couldBeCreated(remote('a', since + 5_000, 10), 10, since), true);
    assert.equal(couldBeCreated(remote('a', since - FIND_SKEW_MS, 10), 10, since), true);
    assert.equal(couldBeCreated(remote('a', since - FIND_SKEW_MS - 1, 10), 10, since), false);
    assert.equal(couldBeCreated(remote('a', since + 5_000, 11), 10, since), false);
  });

  const a = remote('msgbatch_a', since + 1_000, 10);
  const b = remote('msgbatch_b', since + 2_000, 10);
  const cases: [string, Parameters<typeof decideCreated>[0], string][] = [
    ['no candidate → none', [], 'none'],
    ['one candidate → found', [{ remote: a, ids: 'unknown' }], 'found:msgbatch_a'],
    ['one candidate whose ids differ → none', [{ remote: a, ids: 'mismatch' }], 'none'],
    ['two in progress → ambiguous, never a guess', [{ remote: a, ids: 'unknown' }, { remote: b, ids: 'unknown' }], 'ambiguous:msgbatch_a,msgbatch_b'],
    ['one whose ids match beside one in progress → the verified one', [{ remote: a, ids: 'match' }, { remote: b, ids: 'unknown' }], 'found:msgbatch_a'],
    ['one whose ids differ beside one in progress → the other', [{ remote: a, ids: 'mismatch' }, { remote: b, ids: 'unknown' }], 'found:msgbatch_b'],
    ['two whose ids both match → ambiguous', [{ remote: a, ids: 'match' }, { remote: b, ids: 'match' }], 'ambiguous:msgbatch_a,msgbatch_b'],
  ];
  for (const [name, candidates, expected] of cases) {
    it(name, () => {
      const found = decideCreated(candidates);
      const text = found.kind === 'found' ? `found:${found.remote.remoteId}` : found.kind === 'ambiguous' ? `ambiguous:${found.candidates.join(',')}` : 'none';
      assert.equal(text, expected);
    });
  }

  it('sameIds: the same set, each once', () => {
    const input = new Set(['a', 'b', 'c']);
    assert.equal(sameIds(input, ['c', 'a', 'b']), true);
    assert.equal(sameIds(input, ['a', 'b']), false);
    assert.equal(sameIds(input, ['a', 'b', 'b']), false);
    assert.equal(sameIds(input, ['a', 'b', 'd']), false);
  });
});
