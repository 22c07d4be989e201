// The OpenAI/Azure wire mapping, branch by branch, on literal JSON shaped like the spec's samples
// (docs/PROVIDER_BATCH_APIS.md §1.3, §1.4, §1.7, §2.3).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { FailureClass, ItemOutcome } from '../../src/core/itemOutcome';
import { TAG_BATCH, TAG_JOB, classifyHttpFailure, outcomeFromSyncResponse, parseOpenAiResultLine, tagMetadata, toRemoteBatch } from '../../src/providers/openai/openaiMapping';

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

const chatBody = (content: string | null, extra: Record<string, unknown> = {}, message: Record<string, unknown> = {}): Record<string, unknown> => ({
  id: 'chatcmpl-abc',
  object: 'chat.completion',
  created: 1_711_471_533,
  model: 'gpt-4o-mini',
  choices: [{ index: 0, message: { role: 'assistant', content, refusal: null, ...message }, logprobs: null, finish_reason: 'stop', ...extra }],
  usage: { prompt_tokens: 22, completion_tokens: 7, total_tokens: 29, prompt_tokens_details: { cached_tokens: 0 } },
});

const successLine = (customId: string, body: unknown, status = 200): string =>
  line({ id: 'batch_req_1', custom_id: customId, response: { status_code: status, request_id: 'req_1', body }, error: null });

const errorBody = (message: string, type: string | null, code: string | null, param: string | null = null): Record<string, unknown> => ({
  error: { message, type, param, code },
});

describe('toRemoteBatch', () => {
  it('maps an OpenAI batch object: seconds → ms, counts, files, metadata', () => {
    const remote = toRemoteBatch({
      id: 'batch_abc123',
      object: 'batch',
      endpoint: '/v1/chat/completions',
      errors: null,
      input_file_id: 'file-abc123',
      completion_window: '24h',
      status: 'completed',
      output_file_id: 'file-cvaTdG',
      error_file_id: 'file-HOWS94',
      created_at: 1_711_471_533,
      in_progress_at: 1_711_471_538,
      expires_at: 1_711_557_933,
      finalizing_at: 1_711_493_133,
      completed_at: 1_711_493_163,
      failed_at: null,
      request_counts: { total: 100, completed: 95, failed: 5 },
      metadata: { customer_id: 'user_123456789', batch_description: 'Nightly eval job' },
    });
    assert.deepEqual(remote, {
      remoteId: 'batch_abc123',
      state: 'completed',
      rawStatus: 'completed',
      counts: { total: 100, completed: 95, failed: 5 },
      // Someone else's metadata carries none of our tags.
      tags: undefined,
      resultRefs: ['file-cvaTdG', 'file-HOWS94'],
      outputFileId: 'file-cvaTdG',
      errorFileId: 'file-HOWS94',
      inputRef: 'file-abc123',
      endpoint: '/v1/chat/completions',
      model: undefined,
      createdAt: 1_711_471_533_000,
      expiresAt: 1_711_557_933_000,
      errors: [],
    });
  });

  it('tolerates the Azure doc-sample variant: ISO strings, "Validating", "" ids, null counts, null metadata', () => {
    const remote = toRemoteBatch({
      id: 'batch_6caaf24d-54a5-46be-b1b7-518884fcbdde',
      object: 'batch',
      endpoint: null,
      errors: null,
      input_file_id: 'file-b4fa7277f3eb4722ac18b90f46102c3f',
      completion_window: '24h',
      status: 'Validating',
      output_file_id: '',
      error_file_id: '',
      created_at: '2024-07-19T17:13:57.2491382+00:00',
      expires_at: '2024-07-20T17:13:57.1918498+00:00',
      request_counts: { total: null, completed: null, failed: null },
      metadata: null,
    });
    assert.equal(remote.state, 'validating');
    assert.equal(remote.rawStatus, 'Validating');
    assert.equal(remote.outputFileId, undefined);
    assert.equal(remote.errorFileId, undefined);
    assert.deepEqual(remote.resultRefs, []);
    assert.deepEqual(remote.counts, { total: 0, completed: 0, failed: 0 });
    assert.equal(remote.tags, undefined);
    assert.equal(remote.createdAt, Date.UTC(2024, 6, 19, 17, 13, 57, 249));
    assert.equal(remote.expiresAt, Date.UTC(2024, 6, 20, 17, 13, 57, 191));
  });

  it('normalises capitalised and spelled-out statuses to the known states', () => {
    const cases: [string, string][] = [
      ['In_progress', 'in_progress'],
      ['InProgress', 'in_progress'],
      ['in progress', 'in_progress'],
      ['Finalizing', 'finalizing'],
      ['Completed', 'completed'],
      ['Failed', 'failed'],
      ['Expired', 'expired'],
      ['Cancelling', 'cancelling'],
      ['Canceling', 'cancelling'],
      ['Cancelled', 'cancelled'],
      ['Canceled', 'cancelled'],
    ];
    for (const [status, state] of cases) {
      const remote = toRemoteBatch({ id: 'b', status, created_at: 1 });
      assert.equal(remote.state, state, status);
      assert.equal(remote.rawStatus, status);
    }
  });

  it('reads a zone-less ISO time as UTC, numeric strings as seconds, and a missing expires_at as undefined', () => {
    assert.equal(toRemoteBatch({ id: 'b', status: 'completed', created_at: '2024-07-19T17:13:57' }).createdAt, Date.UTC(2024, 6, 19, 17, 13, 57));
    const remote = toRemoteBatch({ id: 'b', status: 'completed', created_at: '1711471533', expires_at: null });
    assert.equal(remote.createdAt, 1_711_471_533_000);
    assert.equal(remote.expiresAt, undefined);
  });

  it('treats null request_counts and null file ids as zero and undefined', () => {
    const remote = toRemoteBatch({ id: 'b', status: 'validating', created_at: 1, request_counts: null, output_file_id: null, error_file_id: null });
    assert.deepEqual(remote.counts, { total: 0, completed: 0, failed: 0 });
    assert.equal(remote.outputFileId, undefined);
    assert.equal(remote.errorFileId, undefined);
    assert.deepEqual(remote.resultRefs, []);
  });

  it('lists only the files a batch has among its result references, the error file alone too', () => {
    const remote = toRemoteBatch({ id: 'b', status: 'completed', created_at: 1, output_file_id: '', error_file_id: 'file-err' });
    assert.equal(remote.outputFileId, undefined);
    assert.equal(remote.errorFileId, 'file-err');
    assert.deepEqual(remote.resultRefs, ['file-err']);
  });

  it('keeps validation errors with their line numbers', () => {
    const remote = toRemoteBatch({
      id: 'batch_x',
      status: 'failed',
      created_at: 1_711_471_533,
      errors: {
        object: 'list',
        data: [
          { code: 'invalid_json_line', message: 'Line 2 is not valid JSON.', param: null, line: 2 },
          { code: 'token_limit_exceeded', message: 'Enqueued token limit reached for gpt-4o.', param: null, line: null },
          { code: 404, message: 'numeric code', line: '7' },
        ],
      },
    });
    assert.equal(remote.state, 'failed');
    assert.deepEqual(remote.errors, [
      { code: 'invalid_json_line', message: 'Line 2 is not valid JSON.', line: 2 },
      { code: 'token_limit_exceeded', message: 'Enqueued token limit reached for gpt-4o.', line: undefined },
      { code: '404', message: 'numeric code', line: 7 },
    ]);
  });

  it("keeps a failed batch's reason when errors.data is a single object (Azure 2024-10-21), or errors is one error", () => {
    const quota = { code: 'token_limit_exceeded', message: 'Enqueued token limit reached for gpt-4o-batch.', param: null, line: null };
    const single = toRemoteBatch({ id: 'batch_az', status: 'failed', created_at: 1_711_471_533, errors: { object: 'list', data: quota } });
    assert.deepEqual(single.errors, [{ code: 'token_limit_exceeded', message: 'Enqueued token limit reached for gpt-4o-batch.', line: undefined }]);
    const bare = toRemoteBatch({ id: 'batch_az', status: 'failed', created_at: 1_711_471_533, errors: { code: 'invalid_json_line', message: 'Line 3 is not JSON.', line: 3 } });
    assert.deepEqual(bare.errors, [{ code: 'invalid_json_line', message: 'Line 3 is not JSON.', line: 3 }]);
    assert.deepEqual(toRemoteBatch({ id: 'b', status: 'completed', created_at: 1, errors: { object: 'list', data: null } }).errors, []);
  });

  it('reads our tags back from the metadata they were written to, beside anyone else\'s keys', () => {
    const tags = { jobId: 'job-7', batchKey: 'job-7.s0.b2' };
    assert.deepEqual(tagMetadata(tags), { [TAG_JOB]: 'job-7', [TAG_BATCH]: 'job-7.s0.b2' });
    const metadata = { ...tagMetadata(tags), customer_id: 'user_1' };
    assert.deepEqual(toRemoteBatch({ id: 'b', status: 'completed', created_at: 1, metadata }).tags, tags);
  });

  it('has no tags unless both are there as strings (a batch half-tagged or tagged by hand is not ours)', () => {
    const tagsOf = (metadata: unknown): unknown => toRemoteBatch({ id: 'b', status: 'completed', created_at: 1, metadata }).tags;
    assert.equal(tagsOf({ [TAG_JOB]: 'job-7' }), undefined);
    assert.equal(tagsOf({ [TAG_BATCH]: 'job-7.s0.b2' }), undefined);
    assert.equal(tagsOf({ [TAG_JOB]: 'job-7', [TAG_BATCH]: 3 }), undefined);
    assert.equal(tagsOf({ [TAG_JOB]: null, [TAG_BATCH]: 'job-7.s0.b2' }), undefined);
    assert.equal(tagsOf(null), undefined);
    assert.equal(tagsOf(['job-7', 'job-7.s0.b2']), undefined);
  });

  it('throws on an unknown status, a missing id or an unusable created_at rather than guessing', () => {
    assert.throws(() => toRemoteBatch({ id: 'b', status: 'paused', created_at: 1 }), /unknown status "paused"/);
    assert.throws(() => toRemoteBatch({ id: 'b', created_at: 1 }), /unknown status/);
    assert.throws(() => toRemoteBatch({ status: 'completed', created_at: 1 }), /no id/);
    assert.throws(() => toRemoteBatch({ id: 'b', status: 'completed', created_at: 'yesterday' }), /created_at/);
    assert.throws(() => toRemoteBatch({ id: 'b', status: 'completed' }), /created_at/);
    assert.throws(() => toRemoteBatch(null), /not a JSON object/);
  });
});

describe('classifyHttpFailure', () => {
  it('routes statuses and codes onto the failure taxonomy', () => {
    const cases: [number | undefined, string | undefined, string | undefined, FailureClass][] = [
      [429, 'rate_limit_exceeded', 'requests', 'rate_limited'],
      [408, undefined, undefined, 'transient'],
      [409, undefined, undefined, 'transient'],
      [500, 'server_error', 'server_error', 'transient'],
      [503, undefined, undefined, 'transient'],
      [400, 'context_length_exceeded', 'invalid_request_error', 'invalid_request'],
      [404, 'model_not_found', 'invalid_request_error', 'invalid_request'],
      [401, 'invalid_api_key', 'invalid_request_error', 'invalid_request'],
      [400, 'content_policy_violation', 'invalid_request_error', 'content_policy'],
      [400, 'content_filter', undefined, 'content_policy'],
      [400, undefined, 'content_filter', 'content_policy'],
      [400, 'contentFilter', undefined, 'content_policy'],
      [400, 'ResponsibleAIPolicyViolation', undefined, 'content_policy'],
      [undefined, 'content_filter', undefined, 'content_policy'],
      [undefined, 'contentFilter', undefined, 'content_policy'],
      [undefined, 'batch_expired', undefined, 'expired'],
      [undefined, 'batch_cancelled', undefined, 'cancelled'],
      [undefined, 'request_timeout', undefined, 'transient'],
      [undefined, 'something_new', undefined, 'transient'],
      [undefined, undefined, undefined, 'transient'],
    ];
    for (const [status, code, type, expected] of cases) {
      assert.equal(classifyHttpFailure(status, code, type), expected, `${String(status)} ${String(code)} ${String(type)}`);
    }
  });
});

describe("classifyHttpFailure with Azure's innererror", () => {
  it('classifies a refusal named only by innererror.code ResponsibleAIPolicyViolation as content_policy', () => {
    assert.equal(classifyHttpFailure(400, 'invalid_request', undefined, 'ResponsibleAIPolicyViolation'), 'content_policy');
    assert.equal(classifyHttpFailure(undefined, 'invalid_request', undefined, 'ResponsibleAIPolicyViolation'), 'content_policy');
    assert.equal(classifyHttpFailure(400, 'invalid_request', undefined, 'SomethingElse'), 'invalid_request');
  });
});

describe('parseOpenAiResultLine', () => {
  it('maps a chat success line: content and prompt/completion usage', () => {
    const outcome = ok(parseOpenAiResultLine(successLine('request-2', chatBody('Hello! How can I help?'))));
    assert.deepEqual(outcome, { ok: true, customId: 'request-2', content: 'Hello! How can I help?', usage: { inputTokens: 22, outputTokens: 7 } });
  });

  it('maps an empty answer to ok with content ""', () => {
    assert.equal(ok(parseOpenAiResultLine(successLine('e', chatBody('')))).content, '');
  });

  it('maps a tool-calling answer (null content) to the JSON of its calls', () => {
    const toolCalls = [{ id: 'call_1', type: 'function', function: { name: 'lookup', arguments: '{"q":"x"}' } }];
    const outcome = ok(parseOpenAiResultLine(successLine('t', chatBody(null, { finish_reason: 'tool_calls' }, { tool_calls: toolCalls }))));
    assert.deepEqual(JSON.parse(outcome.content), toolCalls);
  });

  it('maps a refusal and a content_filter finish to content_policy, keeping usage', () => {
    const refused = failed(parseOpenAiResultLine(successLine('r', chatBody(null, {}, { refusal: "I'm sorry, I can't help with that." }))));
    assert.equal(refused.failureClass, 'content_policy');
    assert.equal(refused.code, 'refusal');
    assert.equal(refused.message, "I'm sorry, I can't help with that.");
    assert.equal(refused.httpStatus, 200);
    assert.deepEqual(refused.usage, { inputTokens: 22, outputTokens: 7 });

    const filtered = failed(
      parseOpenAiResultLine(
        successLine(
          'f',
          chatBody(null, { finish_reason: 'content_filter', content_filter_results: { hate: { filtered: true, severity: 'high' } } }),
        ),
      ),
    );
    assert.equal(filtered.failureClass, 'content_policy');
    assert.equal(filtered.code, 'content_filter');
  });

  it('maps a legacy completions choice by its text', () => {
    const body = { object: 'text_completion', choices: [{ index: 0, text: 'once upon', finish_reason: 'length' }], usage: { prompt_tokens: 3, completion_tokens: 2 } };
    assert.equal(ok(parseOpenAiResultLine(successLine('c', body))).content, 'once upon');
  });

  it('maps a Responses API body: output_text parts joined, input/output token usage', () => {
    const body = {
      id: 'resp_1',
      object: 'response',
      status: 'completed',
      output: [
        { id: 'rs_1', type: 'reasoning', summary: [] },
        {
          id: 'msg_1',
          type: 'message',
          status: 'completed',
          role: 'assistant',
          content: [
            { type: 'output_text', text: 'Hello, ', annotations: [] },
            { type: 'output_text', text: 'world.', annotations: [] },
          ],
        },
      ],
      usage: { input_tokens: 36, input_tokens_details: { cached_tokens: 0 }, output_tokens: 87, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: 123 },
    };
    assert.deepEqual(ok(parseOpenAiResultLine(successLine('resp', body))), { ok: true, customId: 'resp', content: 'Hello, world.', usage: { inputTokens: 36, outputTokens: 87 } });
  });

  it('maps Responses refusals, content-filter incompletes and failed responses', () => {
    const refusal = { object: 'response', status: 'completed', output: [{ type: 'message', role: 'assistant', content: [{ type: 'refusal', refusal: 'No.' }] }] };
    const r = failed(parseOpenAiResultLine(successLine('a', refusal)));
    assert.equal(r.failureClass, 'content_policy');
    assert.equal(r.message, 'No.');

    const incomplete = { object: 'response', status: 'incomplete', incomplete_details: { reason: 'content_filter' }, output: [] };
    assert.equal(failed(parseOpenAiResultLine(successLine('b', incomplete))).failureClass, 'content_policy');

    const failedResp = { object: 'response', status: 'failed', error: { code: 'server_error', message: 'boom' }, output: [] };
    const f = failed(parseOpenAiResultLine(successLine('c', failedResp)));
    assert.deepEqual([f.failureClass, f.code, f.message], ['transient', 'server_error', 'boom']);

    const limited = { object: 'response', status: 'failed', error: { code: 'rate_limit_exceeded', message: 'slow down' }, output: [] };
    assert.equal(failed(parseOpenAiResultLine(successLine('d', limited))).failureClass, 'rate_limited');
  });

  it('keeps a max_output_tokens incomplete response as a (partial) success', () => {
    const body = {
      object: 'response',
      status: 'incomplete',
      incomplete_details: { reason: 'max_output_tokens' },
      output: [{ type: 'message', content: [{ type: 'output_text', text: 'partial' }] }],
    };
    assert.equal(ok(parseOpenAiResultLine(successLine('p', body))).content, 'partial');
  });

  it('maps a function-call-only Responses answer to the JSON of its calls', () => {
    const call = { type: 'function_call', call_id: 'call_1', name: 'lookup', arguments: '{}' };
    const outcome = ok(parseOpenAiResultLine(successLine('fc', { object: 'response', status: 'completed', output: [call] })));
    assert.deepEqual(JSON.parse(outcome.content), [call]);
  });

  it('maps an embeddings body to the JSON of its data, with zero output tokens', () => {
    const data = [
      { object: 'embedding', index: 0, embedding: [0.0023064255, -0.009327292, 0.015797347] },
      { object: 'embedding', index: 1, embedding: [0.1, 0.2, 0.3] },
    ];
    const body = { object: 'list', data, model: 'text-embedding-3-small', usage: { prompt_tokens: 8, total_tokens: 8 } };
    const outcome = ok(parseOpenAiResultLine(successLine('emb', body)));
    assert.deepEqual(JSON.parse(outcome.content), data);
    assert.deepEqual(outcome.usage, { inputTokens: 8, outputTokens: 0 });
  });

  it('keeps an unknown body shape whole, as JSON', () => {
    const body = { id: 'modr-1', model: 'omni-moderation-latest', results: [{ flagged: false }] };
    assert.deepEqual(JSON.parse(ok(parseOpenAiResultLine(successLine('m', body))).content), body);
  });

  it('maps HTTP-level failures in the error file (error: null) by status and body.error', () => {
    const cases: [number, Record<string, unknown>, FailureClass, string | undefined][] = [
      [
        400,
        errorBody("This model's maximum context length is 128000 tokens.", 'invalid_request_error', 'context_length_exceeded', 'messages'),
        'invalid_request',
        'context_length_exceeded',
      ],
      [500, errorBody('The server had an error while processing your request.', 'server_error', 'server_error'), 'transient', 'server_error'],
      [429, errorBody('Rate limit reached for requests.', 'requests', 'rate_limit_exceeded'), 'rate_limited', 'rate_limit_exceeded'],
      [400, errorBody('Your request was rejected as a result of our safety system.', 'invalid_request_error', 'content_policy_violation'), 'content_policy', 'content_policy_violation'],
      [400, { error: { message: 'The response was filtered', type: null, param: 'prompt', code: 'content_filter', status: 400, innererror: { code: 'ResponsibleAIPolicyViolation' } } }, 'content_policy', 'content_filter'],
      [408, errorBody('Request timed out.', 'timeout', null), 'transient', undefined],
    ];
    for (const [status, body, failureClass, code] of cases) {
      const outcome = failed(parseOpenAiResultLine(successLine('x', body, status)));
      const err = body['error'] as { message: string };
      assert.deepEqual(outcome, { ok: false, customId: 'x', failureClass, code, message: err.message, httpStatus: status, usage: undefined }, `${status} ${String(code)}`);
    }
  });

  it("classifies Azure's content-filter codes in an error-file line as content_policy (contentFilter, innererror, top-level error)", () => {
    const camel = failed(parseOpenAiResultLine(successLine('a', errorBody('Your request was rejected by the content filter.', null, 'contentFilter'), 400)));
    assert.deepEqual([camel.failureClass, camel.code, camel.httpStatus], ['content_policy', 'contentFilter', 400]);
    const inner = { error: { message: 'The prompt was filtered.', type: null, param: 'prompt', code: 'invalid_request', innererror: { code: 'ResponsibleAIPolicyViolation' } } };
    const byInner = failed(parseOpenAiResultLine(successLine('b', inner, 400)));
    assert.deepEqual([byInner.failureClass, byInner.code], ['content_policy', 'invalid_request']);
    const top = failed(parseOpenAiResultLine(line({ id: 'batch_req_3', custom_id: 'c', response: null, error: { code: 'content_filter', message: 'Filtered.' } })));
    assert.deepEqual([top.failureClass, top.code, top.message], ['content_policy', 'content_filter', 'Filtered.']);
    const failedResponse = { object: 'response', status: 'failed', error: { code: 'contentFilter', message: 'Filtered.' }, output: [] };
    assert.equal(failed(parseOpenAiResultLine(successLine('d', failedResponse))).failureClass, 'content_policy');
  });

  it('falls back to "HTTP <status>" when a failed response has no error body', () => {
    const outcome = failed(parseOpenAiResultLine(successLine('x', null, 503)));
    assert.deepEqual([outcome.failureClass, outcome.message, outcome.httpStatus], ['transient', 'HTTP 503', 503]);
  });

  it('maps top-level errors (response: null) by code: expired, cancelled, request_timeout and unknown', () => {
    const top = (code: string, message: string): string => line({ id: 'batch_req_9', custom_id: 'item', response: null, error: { code, message } });
    const cases: [string, FailureClass][] = [
      ['batch_expired', 'expired'],
      ['batch_cancelled', 'cancelled'],
      ['request_timeout', 'transient'],
      ['internal_error', 'transient'],
    ];
    for (const [code, failureClass] of cases) {
      assert.deepEqual(failed(parseOpenAiResultLine(top(code, `msg ${code}`))), {
        ok: false,
        customId: 'item',
        failureClass,
        code,
        message: `msg ${code}`,
        httpStatus: undefined,
        usage: undefined,
      });
    }
  });

  it('treats a line with neither response nor error as a transient failure', () => {
    const outcome = failed(parseOpenAiResultLine(line({ id: 'batch_req_1', custom_id: 'ghost', response: null, error: null })));
    assert.equal(outcome.failureClass, 'transient');
    assert.equal(outcome.customId, 'ghost');
  });

  it('treats a 200 line without a body, or with no choices, as invalid_output', () => {
    assert.equal(failed(parseOpenAiResultLine(successLine('nb', null))).failureClass, 'invalid_output');
    const noChoices = failed(parseOpenAiResultLine(successLine('nc', { object: 'chat.completion', choices: [], usage: { prompt_tokens: 5, completion_tokens: 0 } })));
    assert.deepEqual([noChoices.failureClass, noChoices.code, noChoices.usage], ['invalid_output', 'no_choices', { inputTokens: 5, outputTokens: 0 }]);
  });

  it('returns undefined for lines that are not results', () => {
    for (const text of ['', '   ', 'not json', '{"custom_id": "cut', '[1,2]', '"str"', line({ id: 'x', response: null, error: null }), line({ custom_id: '', error: { code: 'x' } }), line({ custom_id: 5 })]) {
      assert.equal(parseOpenAiResultLine(text), undefined, text);
    }
  });

  it('accepts a CRLF line', () => {
    assert.equal(ok(parseOpenAiResultLine(`${successLine('crlf', chatBody('hi'))}\r`)).content, 'hi');
  });
});

describe('outcomeFromSyncResponse', () => {
  it('maps a sync chat completion and a sync response (with the SDK-added output_text)', () => {
    assert.deepEqual(outcomeFromSyncResponse('s1', chatBody('sync answer')), { ok: true, customId: 's1', content: 'sync answer', usage: { inputTokens: 22, outputTokens: 7 } });
    const response = {
      object: 'response',
      status: 'completed',
      output_text: 'ignored: rebuilt from output',
      output: [{ type: 'message', content: [{ type: 'output_text', text: 'from output' }] }],
      usage: { input_tokens: 1, output_tokens: 2 },
    };
    assert.deepEqual(outcomeFromSyncResponse('s2', response), { ok: true, customId: 's2', content: 'from output', usage: { inputTokens: 1, outputTokens: 2 } });
  });

  it('maps a refusal in a sync body to content_policy with status 200', () => {
    const outcome = failed(outcomeFromSyncResponse('s3', chatBody(null, {}, { refusal: 'Cannot.' })));
    assert.deepEqual([outcome.failureClass, outcome.httpStatus], ['content_policy', 200]);
  });

  it('maps a non-object body to invalid_output', () => {
    assert.equal(failed(outcomeFromSyncResponse('s4', 'text')).failureClass, 'invalid_output');
  });
});
