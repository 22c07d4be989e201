// The pure parts of the sync path: the answer kept as a batch result line, the provider's
// retry-after, and which statuses refuse our access rather than the item.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { accessKindOf, parseOpenAiResultLine, retryAfterMsOf, syncResultLine } from '../../src/providers/openai/openaiMapping';

describe('OpenAI sync mapping', () => {
  it('writes a sync answer as an output line that parses back to its content and usage', () => {
    const body = { object: 'chat.completion', choices: [{ message: { role: 'assistant', content: 'kept' } }], usage: { prompt_tokens: 3, completion_tokens: 1 } };
    const line = syncResultLine('item-1', 200, 'req_1', body);
    assert.deepEqual(JSON.parse(line), { id: 'batch_req_sync_req_1', custom_id: 'item-1', response: { status_code: 200, request_id: 'req_1', body }, error: null });
    assert.deepEqual(parseOpenAiResultLine(line), { ok: true, customId: 'item-1', content: 'kept', usage: { inputTokens: 3, outputTokens: 1 } });
    assert.ok(!line.includes('\n'), 'one line');
  });

  it('writes a sync error as an error line that classifies like the call did', () => {
    const line = syncResultLine('item-2', 500, null, { error: { message: 'boom', type: 'server_error', param: null, code: 'server_error' } });
    assert.deepEqual(parseOpenAiResultLine(line), {
      ok: false,
      customId: 'item-2',
      failureClass: 'transient',
      code: 'server_error',
      message: 'boom',
      httpStatus: 500,
      usage: undefined,
    });
  });

  it('reads retry-after-ms, retry-after in seconds and as an HTTP date', () => {
    const now = Date.parse('2026-12-01T10:00:00Z');
    assert.equal(retryAfterMsOf('250', '9', now), 250);
    assert.equal(retryAfterMsOf(null, '2', now), 2_000);
    assert.equal(retryAfterMsOf(undefined, 'Tue, 01 Dec 2026 10:00:30 GMT', now), 30_000);
    assert.equal(retryAfterMsOf(null, null, now), undefined);
    assert.equal(retryAfterMsOf(null, 'soon', now), undefined);
  });

  it('treats 401, 403 and 404 as our access, every other status as the item’s', () => {
    assert.deepEqual(
      [401, 403, 404, 400, 429, 500, undefined].map(accessKindOf),
      ['auth', 'permission', 'not_found', undefined, undefined, undefined, undefined],
    );
  });
});
