// The Gemini / Vertex AI wire mapping, rule by rule, on literal JSON shaped like the spec's
// samples (docs/PROVIDER_BATCH_APIS.md §4.1, §4.2, §6).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { FailureClass, ItemOutcome } from '../../src/core/itemOutcome';
import {
  INLINE_RESULTS_REF,
  classifyStatus,
  displayNameOf,
  inlinedResultLines,
  int64Of,
  isCapacityRefusal,
  isInvalidApiKey,
  accessKindOfError,
  parseApiError,
  parseGoogleResultLine,
  parseVertexStatus,
  remoteFromBatchJob,
  remoteFromGeminiOperation,
  remoteStateOf,
  retryDelayMsOf,
  statusOfError,
  synthesizedFailureLine,
  syncErrorLine,
  syncParamsOf,
  syncSuccessLine,
  tagsOfDisplayName,
  usageOf,
} from '../../src/providers/google/googleMapping';

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

const response = (text: string, finishReason = 'STOP', usage: Record<string, unknown> = { promptTokenCount: 10, candidatesTokenCount: 4, totalTokenCount: 14 }): Record<string, unknown> => ({
  candidates: [{ content: { role: 'model', parts: [{ text }] }, finishReason, index: 0 }],
  usageMetadata: usage,
  modelVersion: 'gemini-2.0-flash',
  responseId: 'r1',
});

describe('display-name tags', () => {
  it('round-trips job id and batch key, even with colons and spaces', () => {
    for (const tags of [
      { jobId: 'job-1', batchKey: 'job-1.s0.b1' },
      { jobId: 'a:b', batchKey: 'c d:e' },
    ]) {
      assert.deepEqual(tagsOfDisplayName(displayNameOf(tags)), tags);
    }
  });

  it('reads no tags from someone else’s display name', () => {
    for (const name of ['genaiBatchJob_1711', 'llmb:', 'llmb:onlyone', 'llmb:a:b:c', 'llmb:%E0%A4%A:b', undefined, 42]) {
      assert.equal(tagsOfDisplayName(name), undefined, String(name));
    }
  });
});

describe('remoteStateOf', () => {
  const table: [string, string][] = [
    ['BATCH_STATE_PENDING', 'validating'],
    ['BATCH_STATE_RUNNING', 'in_progress'],
    ['BATCH_STATE_SUCCEEDED', 'completed'],
    ['BATCH_STATE_FAILED', 'failed'],
    ['BATCH_STATE_CANCELLED', 'cancelled'],
    ['BATCH_STATE_EXPIRED', 'expired'],
    ['JOB_STATE_QUEUED', 'validating'],
    ['JOB_STATE_PENDING', 'validating'],
    ['JOB_STATE_RUNNING', 'in_progress'],
    ['JOB_STATE_PAUSED', 'in_progress'],
    ['JOB_STATE_UPDATING', 'in_progress'],
    ['JOB_STATE_SUCCEEDED', 'completed'],
    ['JOB_STATE_PARTIALLY_SUCCEEDED', 'completed'],
    ['JOB_STATE_FAILED', 'failed'],
    ['JOB_STATE_CANCELLING', 'cancelling'],
    ['JOB_STATE_CANCELLED', 'cancelled'],
    ['JOB_STATE_EXPIRED', 'expired'],
    // Unknown states keep the batch polled rather than declared over.
    ['JOB_STATE_SOMETHING_NEW', 'in_progress'],
    ['JOB_STATE_UNSPECIFIED', 'in_progress'],
  ];
  for (const [raw, state] of table) it(`${raw} → ${state}`, () => assert.equal(remoteStateOf(raw), state));
});

describe('int64Of', () => {
  it('reads int64 strings, numbers, and absent fields as 0', () => {
    assert.equal(int64Of('12'), 12);
    assert.equal(int64Of(3), 3);
    assert.equal(int64Of(undefined), 0);
    assert.equal(int64Of('x'), 0);
    assert.equal(int64Of(-1), 0);
  });
});

describe('remoteFromGeminiOperation', () => {
  const op = {
    name: 'batches/abc',
    metadata: {
      '@type': 'type.googleapis.com/google.ai.generativelanguage.v1main.GenerateContentBatch',
      model: 'models/gemini-2.0-flash',
      displayName: displayNameOf({ jobId: 'j1', batchKey: 'j1.s0.b1' }),
      inputConfig: { fileName: 'files/in123' },
      state: 'BATCH_STATE_SUCCEEDED',
      createTime: '2026-11-26T10:00:00.123456Z',
      endTime: '2026-11-26T10:05:00Z',
      batchStats: { requestCount: '3', successfulRequestCount: '2', failedRequestCount: '1' },
      output: { responsesFile: 'files/batch-abc' },
    },
    done: true,
  };

  it('reads string counts, tags, the result file, the input and the model', () => {
    const remote = remoteFromGeminiOperation(op);
    assert.equal(remote.remoteId, 'batches/abc');
    assert.equal(remote.state, 'completed');
    assert.equal(remote.rawStatus, 'BATCH_STATE_SUCCEEDED');
    assert.deepEqual(remote.counts, { total: 3, completed: 2, failed: 1 });
    assert.deepEqual(remote.tags, { jobId: 'j1', batchKey: 'j1.s0.b1' });
    assert.deepEqual(remote.resultRefs, ['files/batch-abc']);
    assert.equal(remote.inputRef, 'files/in123');
    assert.equal(remote.model, 'gemini-2.0-flash');
    assert.equal(remote.createdAt, Date.parse('2026-11-26T10:00:00.123Z'));
    assert.deepEqual(remote.errors, []);
  });

  it('reads counts left out (proto3 zeros) as 0, and inline results as the inline ref', () => {
    const remote = remoteFromGeminiOperation({
      ...op,
      metadata: { ...op.metadata, batchStats: { requestCount: '2', pendingRequestCount: '2' }, output: { inlinedResponses: { inlinedResponses: [] } }, inputConfig: undefined },
    });
    assert.deepEqual(remote.counts, { total: 2, completed: 0, failed: 0 });
    assert.deepEqual(remote.resultRefs, [INLINE_RESULTS_REF]);
    assert.equal(remote.inputRef, undefined);
  });

  it('names the error of a failed batch by its status', () => {
    const remote = remoteFromGeminiOperation({ ...op, metadata: { ...op.metadata, state: 'BATCH_STATE_FAILED', output: undefined }, error: { code: 3, message: 'bad file' } });
    assert.equal(remote.state, 'failed');
    assert.deepEqual(remote.errors, [{ code: 'INVALID_ARGUMENT', message: 'bad file', line: undefined }]);
    assert.deepEqual(remote.resultRefs, []);
  });

  it('refuses an operation with no name or no createTime', () => {
    assert.throws(() => remoteFromGeminiOperation({ metadata: op.metadata }), /without a name/);
    assert.throws(() => remoteFromGeminiOperation({ name: 'batches/x', metadata: { state: 'BATCH_STATE_RUNNING' } }), /createTime/);
  });
});

describe('remoteFromBatchJob', () => {
  it('maps the SDK’s Vertex job: completionStats strings, output directory, GCS input, bare model', () => {
    const remote = remoteFromBatchJob({
      name: 'projects/p/locations/us-central1/batchPredictionJobs/123',
      displayName: displayNameOf({ jobId: 'j', batchKey: 'k' }),
      state: 'JOB_STATE_SUCCEEDED',
      createTime: '2026-11-26T10:00:00Z',
      model: 'publishers/google/models/gemini-2.0-flash',
      src: { format: 'jsonl', gcsUri: ['gs://b/llm-batch/j/k.jsonl'] },
      dest: { format: 'jsonl', gcsUri: 'gs://b/llm-batch/j/k.out/' },
      outputInfo: { gcsOutputDirectory: 'gs://b/llm-batch/j/k.out/prediction-model-2026' },
      completionStats: { successfulCount: '5', failedCount: '1', incompleteCount: '2' },
    });
    assert.equal(remote.state, 'completed');
    assert.deepEqual(remote.counts, { total: 8, completed: 5, failed: 1 });
    assert.deepEqual(remote.resultRefs, ['gs://b/llm-batch/j/k.out/prediction-model-2026']);
    assert.equal(remote.inputRef, 'gs://b/llm-batch/j/k.jsonl');
    assert.equal(remote.model, 'gemini-2.0-flash');
    assert.deepEqual(remote.tags, { jobId: 'j', batchKey: 'k' });
  });

  it('takes the total from the caller when the answer has no counts (a Gemini create)', () => {
    const remote = remoteFromBatchJob({ name: 'batches/x', state: 'JOB_STATE_PENDING', createTime: '2026-11-26T10:00:00Z', model: 'models/gemini-2.0-flash' }, 7);
    assert.deepEqual(remote.counts, { total: 7, completed: 0, failed: 0 });
    assert.equal(remote.state, 'validating');
  });
});

describe('errors', () => {
  it('statusOfError reads status names, rpc codes and HTTP codes', () => {
    assert.deepEqual(statusOfError({ code: 429, status: 'RESOURCE_EXHAUSTED' }), { status: 'RESOURCE_EXHAUSTED', httpStatus: 429 });
    assert.deepEqual(statusOfError({ code: 8 }), { status: 'RESOURCE_EXHAUSTED', httpStatus: 429 });
    assert.deepEqual(statusOfError({ code: 1 }), { status: 'CANCELLED', httpStatus: 499 });
    assert.deepEqual(statusOfError({ code: 500 }), { status: 'INTERNAL', httpStatus: 500 });
    assert.deepEqual(statusOfError({ code: 400 }), { status: 'INVALID_ARGUMENT', httpStatus: 400 });
    assert.deepEqual(statusOfError({}), { status: 'UNKNOWN', httpStatus: 500 });
  });

  const classes: [string, number | undefined, FailureClass][] = [
    ['RESOURCE_EXHAUSTED', 429, 'rate_limited'],
    ['INVALID_ARGUMENT', 400, 'invalid_request'],
    ['FAILED_PRECONDITION', 400, 'invalid_request'],
    ['NOT_FOUND', 404, 'invalid_request'],
    ['INTERNAL', 500, 'transient'],
    ['UNAVAILABLE', 503, 'transient'],
    ['DEADLINE_EXCEEDED', 504, 'transient'],
    // A line "cancelled" inside a SUCCEEDED batch is the provider's hiccup, not the user's cancel.
    ['CANCELLED', 499, 'transient'],
    ['SOMETHING_NEW', 418, 'invalid_request'],
    ['SOMETHING_NEW', 502, 'transient'],
  ];
  for (const [status, http, cls] of classes) it(`classifyStatus(${status}, ${http}) → ${cls}`, () => assert.equal(classifyStatus(status, http), cls));

  it('parseApiError reads the SDK’s ApiError message (the JSON body) and falls back on plain text', () => {
    const parsed = parseApiError(JSON.stringify({ error: { code: 429, message: 'slow down', status: 'RESOURCE_EXHAUSTED', details: [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '1.5s' }] } }), 429);
    assert.equal(parsed.status, 'RESOURCE_EXHAUSTED');
    assert.equal(parsed.message, 'slow down');
    assert.equal(retryDelayMsOf(parsed.details), 1500);
    assert.deepEqual(parseApiError('<html>bad gateway</html>', 502), { httpStatus: 502, status: 'UNAVAILABLE', message: '<html>bad gateway</html>', details: [] });
  });

  it('retryDelayMsOf: absent → undefined; a Duration object too', () => {
    assert.equal(retryDelayMsOf([]), undefined);
    assert.equal(retryDelayMsOf([{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: { seconds: '2', nanos: 500_000_000 } }]), 2500);
  });

  it('a wrong Gemini key (400 API_KEY_INVALID) is an access problem, like 401; 403 is permission; 404 only for sync', () => {
    const wrongKey = parseApiError(
      JSON.stringify({ error: { code: 400, message: 'API key not valid. Please pass a valid API key.', status: 'INVALID_ARGUMENT', details: [{ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'API_KEY_INVALID' }] } }),
      400,
    );
    assert.equal(isInvalidApiKey(wrongKey), true);
    assert.equal(accessKindOfError(wrongKey, false), 'auth');
    assert.equal(accessKindOfError(parseApiError('{"error":{"code":401,"message":"x","status":"UNAUTHENTICATED"}}', 401), false), 'auth');
    assert.equal(accessKindOfError(parseApiError('{"error":{"code":403,"message":"x","status":"PERMISSION_DENIED"}}', 403), false), 'permission');
    const notFound = parseApiError('{"error":{"code":404,"message":"models/x is not found","status":"NOT_FOUND"}}', 404);
    assert.equal(accessKindOfError(notFound, true), 'not_found');
    assert.equal(accessKindOfError(notFound, false), undefined);
    assert.equal(accessKindOfError(parseApiError('{"error":{"code":400,"message":"bad field","status":"INVALID_ARGUMENT"}}', 400), true), undefined);
  });

  it('isCapacityRefusal: a 429 naming the enqueued-token or batch quota, not any 429', () => {
    const refusal = (message: string, details: unknown[] = []): boolean =>
      isCapacityRefusal(parseApiError(JSON.stringify({ error: { code: 429, message, status: 'RESOURCE_EXHAUSTED', details } }), 429));
    assert.equal(refusal('Resource has been exhausted: the batch enqueued tokens for model m would exceed the limit'), true);
    assert.equal(refusal('Quota exceeded.', [{ '@type': 'type.googleapis.com/google.rpc.QuotaFailure', violations: [{ quotaMetric: 'generativelanguage.googleapis.com/batch_enqueued_tokens' }] }]), true);
    assert.equal(refusal('Resource has been exhausted (e.g. check quota).'), false);
    assert.equal(isCapacityRefusal(parseApiError('{"error":{"code":400,"message":"enqueued tokens","status":"INVALID_ARGUMENT"}}', 400)), false);
  });
});

describe('usageOf', () => {
  it('adds thoughts to output, tool-use prompt to input, and reports cached tokens', () => {
    assert.deepEqual(usageOf({ promptTokenCount: 100, candidatesTokenCount: 20, thoughtsTokenCount: 30, cachedContentTokenCount: 60, toolUsePromptTokenCount: 5 }), {
      inputTokens: 105,
      outputTokens: 50,
      cacheReadTokens: 60,
    });
    assert.deepEqual(usageOf({ promptTokenCount: 3 }), { inputTokens: 3, outputTokens: 0 });
    assert.equal(usageOf(undefined), undefined);
  });
});

describe('parseGoogleResultLine', () => {
  it('Gemini success: text from the parts (thoughts left out), usage, finish reason', () => {
    const outcome = ok(
      parseGoogleResultLine(
        line({
          key: 'a',
          response: { ...response('x'), candidates: [{ content: { role: 'model', parts: [{ text: 'thinking…', thought: true }, { text: 'Hello ' }, { text: 'world' }] }, finishReason: 'MAX_TOKENS' }] },
        }),
      ),
    );
    assert.equal(outcome.customId, 'a');
    assert.equal(outcome.content, 'Hello world');
    assert.equal(outcome.finishReason, 'length');
    assert.deepEqual(outcome.usage, { inputTokens: 10, outputTokens: 4 });
  });

  it('an empty answer is still a success with content ""', () => {
    const outcome = ok(parseGoogleResultLine(line({ key: 'e', response: { candidates: [{ content: { role: 'model', parts: [] }, finishReason: 'STOP' }], usageMetadata: { promptTokenCount: 2 } } })));
    assert.equal(outcome.content, '');
  });

  it('a blocked prompt and a safety stop are content_policy failures', () => {
    const blocked = failed(parseGoogleResultLine(line({ key: 'b', response: { promptFeedback: { blockReason: 'SAFETY' }, usageMetadata: { promptTokenCount: 4 } } })));
    assert.equal(blocked.failureClass, 'content_policy');
    assert.equal(blocked.code, 'SAFETY');
    assert.deepEqual(blocked.usage, { inputTokens: 4, outputTokens: 0 });
    for (const reason of ['SAFETY', 'PROHIBITED_CONTENT', 'BLOCKLIST']) {
      assert.equal(failed(parseGoogleResultLine(line({ key: 's', response: response('', reason) }))).failureClass, 'content_policy', reason);
    }
  });

  it('Gemini error lines carry rpc codes: 8 → rate_limited, 3 → invalid_request, 13 → transient, 1 in a batch → transient', () => {
    const table: [number, FailureClass, number][] = [
      [8, 'rate_limited', 429],
      [3, 'invalid_request', 400],
      [13, 'transient', 500],
      [1, 'transient', 499],
    ];
    for (const [code, cls, http] of table) {
      const outcome = failed(parseGoogleResultLine(line({ key: 'k', error: { code, message: 'm' } })));
      assert.equal(outcome.failureClass, cls, `rpc ${code}`);
      assert.equal(outcome.httpStatus, http, `rpc ${code}`);
      assert.equal(outcome.message, 'm');
    }
  });

  it('kept sync errors carry HTTP codes and status names', () => {
    const outcome = failed(parseGoogleResultLine(syncErrorLine('k', parseApiError('{"error":{"code":429,"message":"slow","status":"RESOURCE_EXHAUSTED"}}', 429))));
    assert.equal(outcome.failureClass, 'rate_limited');
    assert.equal(outcome.code, 'RESOURCE_EXHAUSTED');
    assert.equal(outcome.httpStatus, 429);
  });

  it('Vertex lines: an empty status with a response is a success; a status string is a failure read from its JSON', () => {
    const good = ok(parseGoogleResultLine(line({ key: 'v', request: { contents: [] }, status: '', response: response('hi'), processed_time: '2026-11-26T10:00:00Z' })));
    assert.equal(good.content, 'hi');
    const bad = failed(
      parseGoogleResultLine(line({ key: 'w', request: {}, status: 'Bad Request: {"error": {"code": 400, "message": "Please use a valid role: user, model.", "status": "INVALID_ARGUMENT"}}' })),
    );
    assert.equal(bad.failureClass, 'invalid_request');
    assert.equal(bad.message, 'Please use a valid role: user, model.');
    assert.equal(bad.httpStatus, 400);
    const phraseOnly = failed(parseGoogleResultLine(line({ key: 'x', status: 'Too Many Requests' })));
    assert.equal(phraseOnly.failureClass, 'rate_limited');
  });

  it('synthesized lines: a cancelled batch’s item is cancelled, an expired one expired, a failed batch passes its status on', () => {
    assert.equal(failed(parseGoogleResultLine(synthesizedFailureLine('a', 'batch_cancelled', 'cancelled', 'CANCELLED'))).failureClass, 'cancelled');
    assert.equal(failed(parseGoogleResultLine(synthesizedFailureLine('a', 'batch_expired', 'expired', 'DEADLINE_EXCEEDED'))).failureClass, 'expired');
    assert.equal(failed(parseGoogleResultLine(synthesizedFailureLine('a', 'batch_failed', 'bad', 'INVALID_ARGUMENT'))).failureClass, 'invalid_request');
    assert.equal(failed(parseGoogleResultLine(synthesizedFailureLine('a', 'batch_failed', 'down', 'INTERNAL'))).failureClass, 'transient');
  });

  it('lines without a key or outcome are not results', () => {
    for (const text of ['not json', '[]', line({ response: response('x') }), line({ key: 'a' }), line({ key: 'a', request: {} })]) {
      assert.equal(parseGoogleResultLine(text), undefined, text);
    }
  });

  it('a kept sync answer reads back with the same id and text', () => {
    const kept = syncSuccessLine('s1', { sdkHttpResponse: { headers: { a: 'b' } }, ...response('fine') });
    assert.equal(JSON.parse(kept).response.sdkHttpResponse, undefined);
    assert.equal(ok(parseGoogleResultLine(kept)).content, 'fine');
  });
});

describe('parseVertexStatus', () => {
  it('reads the phrase when there is no JSON', () => {
    assert.deepEqual(parseVertexStatus('Internal Server Error'), { status: 'INTERNAL', httpStatus: 500, message: 'Internal Server Error' });
    assert.equal(parseVertexStatus('something odd').status, 'UNKNOWN');
  });
});

describe('inlinedResultLines', () => {
  it('writes inline responses as lines keyed by metadata.key and drops the unkeyed (never by position)', () => {
    const lines = inlinedResultLines({
      inlinedResponses: [
        { response: response('one'), metadata: { key: 'a' } },
        { error: { code: 3, message: 'bad' }, metadata: { key: 'b' } },
        { response: response('orphan') },
      ],
    });
    assert.equal(lines.length, 2);
    assert.equal(ok(parseGoogleResultLine(lines[0] ?? '')).customId, 'a');
    assert.equal(failed(parseGoogleResultLine(lines[1] ?? '')).customId, 'b');
  });
});

describe('syncParamsOf', () => {
  it('flattens generationConfig and lifts systemInstruction, safetySettings and tools into config', () => {
    const params = syncParamsOf({
      contents: [{ role: 'user', parts: [{ text: 'hi' }] }],
      systemInstruction: { parts: [{ text: 'be brief' }] },
      generationConfig: { temperature: 0, maxOutputTokens: 10, responseMimeType: 'application/json' },
      safetySettings: [{ category: 'HARM_CATEGORY_HARASSMENT', threshold: 'BLOCK_NONE' }],
      somethingElse: 1,
    });
    assert.deepEqual(params.contents, [{ role: 'user', parts: [{ text: 'hi' }] }]);
    assert.deepEqual(params.config, {
      temperature: 0,
      maxOutputTokens: 10,
      responseMimeType: 'application/json',
      systemInstruction: { parts: [{ text: 'be brief' }] },
      safetySettings: [{ category: 'HARM_CATEGORY_HARASSMENT', threshold: 'BLOCK_NONE' }],
    });
    assert.deepEqual(params.dropped, ['somethingElse']);
  });
});
