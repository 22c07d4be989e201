// The Bedrock wire mapping, branch by branch, on literal JSON shaped like the spec's samples
// (docs/PROVIDER_BATCH_APIS.md §5.1–§5.6): names and tokens, job states, result lines and the
// answer text of every model family.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { FailureClass, ItemOutcome, Usage } from '../../src/core/itemOutcome';
import type { BatchTags, RemoteState } from '../../src/providers/batchProvider';
import {
  JOB_NAME_MAX,
  JOB_NAME_PATTERN,
  accessKindOf,
  classifyErrorCode,
  clientRequestTokenFor,
  errorResultLine,
  headerTokenCounts,
  isBelowMinimumRecords,
  isHashedJobName,
  jobIdOfArn,
  jobNameFor,
  missingRecordLine,
  outcomeFromModelOutput,
  outputPrefixKey,
  parseBedrockResultLine,
  parseS3Uri,
  resultFolderUri,
  retryAfterMsOf,
  stagingKey,
  stateOf,
  syncResultLine,
  tagsFromAwsTags,
  tagsFromJobName,
  toRemoteBatch,
} from '../../src/providers/bedrock/bedrockMapping';

const ARN = 'arn:aws:bedrock:us-east-1:123456789012:model-invocation-job/abc123def456';
const TAGS: BatchTags = { jobId: 'job-20261126-101500-a1b2c3', batchKey: 'job-20261126-101500-a1b2c3.s0.b1' };

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

describe('job names and idempotency tokens', () => {
  const cases: { name: string; tags: BatchTags }[] = [
    { name: 'the engine’s first batch', tags: TAGS },
    { name: 'a retry batch', tags: { jobId: 'job-20261126-101500-a1b2c3', batchKey: 'job-20261126-101500-a1b2c3.s2.r14' } },
    { name: 'an imported job (underscores)', tags: { jobId: 'job-import-arn_aws_x-9f3a', batchKey: 'job-import-arn_aws_x-9f3a.s0.b1' } },
    { name: 'a key that does not start with the job id', tags: { jobId: 'j1', batchKey: 'other+key' } },
    { name: 'non-ASCII', tags: { jobId: 'jöb', batchKey: 'jöb.s0.b1' } },
  ];
  for (const { name, tags } of cases) {
    it(`round-trips the tags through the job name: ${name}`, () => {
      const jobName = jobNameFor(tags);
      assert.ok(jobName.length <= JOB_NAME_MAX, `${jobName} is ${jobName.length} long`);
      assert.match(jobName, JOB_NAME_PATTERN);
      assert.deepEqual(tagsFromJobName(jobName), tags);
    });
  }

  it('names the engine’s batch readably', () => {
    assert.equal(jobNameFor(TAGS), 'llmb-job-20261126-101500-a1b2c3+..s0.b1');
  });

  it('a pair too long for 63 characters gets a hashed name whose tags are read from the job’s tags', () => {
    const long: BatchTags = { jobId: `job-import-${'x'.repeat(60)}`, batchKey: `job-import-${'x'.repeat(60)}.s0.b1` };
    const name = jobNameFor(long);
    assert.ok(isHashedJobName(name));
    assert.equal(name.length, JOB_NAME_MAX);
    assert.match(name, JOB_NAME_PATTERN);
    assert.equal(tagsFromJobName(name), undefined);
    assert.notEqual(jobNameFor({ ...long, batchKey: `${long.jobId}.s0.b2` }), name);
    assert.deepEqual(tagsFromAwsTags([{ key: 'llmb_job', value: long.jobId }, { key: 'llmb_batch', value: long.batchKey }]), long);
    assert.equal(tagsFromAwsTags([{ key: 'llmb_job', value: long.jobId }]), undefined);
  });

  for (const foreign of ['my-batch-job', 'llmb-', 'llmb-abc', 'llmb-a+ZZ+.b', 'llmb-a+.', 'llmbh-0123']) {
    it(`reads no tags from someone else's name "${foreign}"`, () => assert.equal(tagsFromJobName(foreign), undefined));
  }

  it('the clientRequestToken is deterministic per submission, distinct per batch, within its pattern', () => {
    const token = clientRequestTokenFor(TAGS);
    assert.equal(token, clientRequestTokenFor({ ...TAGS }));
    assert.notEqual(token, clientRequestTokenFor({ ...TAGS, batchKey: `${TAGS.jobId}.s0.b2` }));
    assert.match(token, /^[a-zA-Z0-9]{1,256}(-*[a-zA-Z0-9]){0,256}$/);
    assert.equal(token.length, 64);
  });
});

describe('S3 locations', () => {
  it('stages, outputs and finds results where spec §5.3 says', () => {
    assert.equal(stagingKey(TAGS), 'llm-batch/job-20261126-101500-a1b2c3/job-20261126-101500-a1b2c3.s0.b1.jsonl');
    assert.equal(outputPrefixKey(TAGS), 'llm-batch/job-20261126-101500-a1b2c3/job-20261126-101500-a1b2c3.s0.b1.out/');
    assert.equal(jobIdOfArn(ARN), 'abc123def456');
    assert.equal(resultFolderUri('s3://b/out/', ARN), 's3://b/out/abc123def456/');
    assert.equal(resultFolderUri('s3://b/out', ARN), 's3://b/out/abc123def456/');
    assert.deepEqual(parseS3Uri('s3://bucket/a/b.jsonl'), { bucket: 'bucket', key: 'a/b.jsonl' });
    assert.deepEqual(parseS3Uri('s3://bucket'), { bucket: 'bucket', key: '' });
    assert.equal(parseS3Uri('https://bucket/a'), undefined);
  });
});

describe('job states', () => {
  const table: [string, RemoteState][] = [
    ['Submitted', 'validating'],
    ['Validating', 'validating'],
    ['Scheduled', 'validating'],
    ['InProgress', 'in_progress'],
    ['Completed', 'completed'],
    ['PartiallyCompleted', 'completed'],
    ['Failed', 'failed'],
    ['Stopping', 'cancelling'],
    ['Stopped', 'cancelled'],
    ['Expired', 'expired'],
  ];
  for (const [raw, state] of table) it(`${raw} → ${state}`, () => assert.equal(stateOf(raw), state));
  it('an unknown status has no state', () => assert.equal(stateOf('Paused'), undefined));
});

const job = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  jobArn: ARN,
  jobName: jobNameFor(TAGS),
  modelId: 'anthropic.claude-3-haiku-20240307-v1:0',
  clientRequestToken: clientRequestTokenFor(TAGS),
  roleArn: 'arn:aws:iam::123456789012:role/r',
  status: 'Completed',
  submitTime: new Date('2026-11-26T10:15:00.000Z'),
  jobExpirationTime: new Date('2026-11-27T10:15:00.000Z'),
  inputDataConfig: { s3InputDataConfig: { s3Uri: 's3://b/llm-batch/j/k.jsonl', s3InputFormat: 'JSONL' } },
  outputDataConfig: { s3OutputDataConfig: { s3Uri: 's3://b/llm-batch/j/k.out/' } },
  modelInvocationType: 'Converse',
  totalRecordCount: 120,
  processedRecordCount: 120,
  successRecordCount: 117,
  errorRecordCount: 3,
  ...extra,
});

describe('toRemoteBatch', () => {
  it('maps a GetModelInvocationJob answer (SDK Dates): ARN, counts, tags from the name, result folder, input', () => {
    const remote = toRemoteBatch(job());
    assert.deepEqual(remote, {
      remoteId: ARN,
      state: 'completed',
      rawStatus: 'Completed',
      counts: { total: 120, completed: 117, failed: 3 },
      tags: TAGS,
      resultRefs: ['s3://b/llm-batch/j/k.out/abc123def456/'],
      inputRef: 's3://b/llm-batch/j/k.jsonl',
      endpoint: 'Converse',
      model: 'anthropic.claude-3-haiku-20240307-v1:0',
      createdAt: Date.parse('2026-11-26T10:15:00.000Z'),
      expiresAt: Date.parse('2026-11-27T10:15:00.000Z'),
      errors: [],
    });
  });

  it('reads RFC 3339 strings too, and has no counts or results before validation', () => {
    const remote = toRemoteBatch(job({ status: 'Submitted', submitTime: '2026-11-26T10:15:00Z', totalRecordCount: undefined, successRecordCount: undefined, errorRecordCount: undefined, modelInvocationType: undefined }));
    assert.equal(remote.createdAt, Date.parse('2026-11-26T10:15:00Z'));
    assert.deepEqual(remote.counts, { total: 0, completed: 0, failed: 0 });
    assert.deepEqual(remote.resultRefs, []);
    assert.equal(remote.endpoint, 'InvokeModel');
  });

  it('a failed job carries its message as a ValidationException (below the minimum record count)', () => {
    const message = `Batch job ${ARN} contains less records (3) than the required minimum of: 100`;
    const remote = toRemoteBatch(job({ status: 'Failed', message, totalRecordCount: undefined }));
    assert.equal(remote.state, 'failed');
    assert.deepEqual(remote.errors, [{ code: 'ValidationException', message, line: undefined }]);
    assert.deepEqual(remote.resultRefs, []);
    assert.ok(isBelowMinimumRecords(message));
    assert.equal(isBelowMinimumRecords('The job failed: internal error.'), false);
    assert.equal(toRemoteBatch(job({ status: 'Failed', message: 'An internal error occurred.' })).errors[0]?.code, 'JobFailed');
  });

  it('a job named like ours with another token (someone else’s) has no tags; a given tag set wins', () => {
    assert.equal(toRemoteBatch(job({ clientRequestToken: '6f1c1f5e-uuid' })).tags, undefined);
    assert.equal(toRemoteBatch(job({ jobName: 'my-own-job' })).tags, undefined);
    const given = { jobId: 'j', batchKey: 'k' };
    assert.deepEqual(toRemoteBatch(job({ jobName: 'llmbh-abc' }), given).tags, given);
  });

  it('Stopped, Expired and PartiallyCompleted jobs point at their results', () => {
    for (const status of ['Stopped', 'Expired', 'PartiallyCompleted']) assert.equal(toRemoteBatch(job({ status })).resultRefs.length, 1, status);
  });

  it('throws on an unknown status, a missing ARN or submit time rather than guess', () => {
    assert.throws(() => toRemoteBatch(job({ status: 'Paused' })), /unknown status "Paused"/);
    assert.throws(() => toRemoteBatch(job({ jobArn: undefined })), /no jobArn/);
    assert.throws(() => toRemoteBatch(job({ submitTime: 'soon' })), /no valid submitTime/);
  });
});

describe('classifyErrorCode and accessKindOf', () => {
  const table: [unknown, string, FailureClass][] = [
    [429, '', 'rate_limited'],
    [500, '', 'transient'],
    [503, '', 'transient'],
    [408, 'Model has timed out', 'transient'],
    [424, '', 'transient'],
    [400, 'Malformed input request', 'invalid_request'],
    ['400', '', 'invalid_request'],
    [400, 'The request was blocked by the content filter', 'content_policy'],
    [400, 'Blocked by guardrail', 'content_policy'],
    ['ThrottlingException', '', 'rate_limited'],
    ['ModelNotReadyException', '', 'rate_limited'],
    ['ServiceUnavailableException', '', 'transient'],
    ['ModelTimeoutException', '', 'transient'],
    ['ValidationException', 'Input is too long', 'invalid_request'],
    ['JobExpired', '', 'expired'],
    ['JobStopped', '', 'cancelled'],
    ['RecordMissing', '', 'transient'],
    ['SomethingNew', '', 'transient'],
    [undefined, '', 'transient'],
  ];
  for (const [code, message, expected] of table) it(`${JSON.stringify(code)} ${message} → ${expected}`, () => assert.equal(classifyErrorCode(code, message), expected));

  const access: [string | undefined, number | undefined, string, string | undefined][] = [
    ['UnrecognizedClientException', 403, '', 'auth'],
    ['InvalidAccessKeyId', 403, '', 'auth'],
    ['ExpiredTokenException', 403, '', 'auth'],
    ['AccessDeniedException', 403, '', 'permission'],
    ['AccessDenied', 403, '', 'permission'],
    ['ResourceNotFoundException', 404, '', 'not_found'],
    ['ValidationException', 400, 'The provided model identifier is invalid.', 'not_found'],
    ['ValidationException', 400, 'Malformed input request', undefined],
    ['ThrottlingException', 429, '', undefined],
    [undefined, 401, '', 'auth'],
    ['Forbidden', 403, '', 'permission'],
  ];
  for (const [name, status, message, expected] of access) it(`access: ${name ?? '-'} ${status ?? ''} → ${expected ?? 'none'}`, () => assert.equal(accessKindOf(name, status, message), expected));
});

describe('outcomeFromModelOutput: the text of every model family', () => {
  const table: { name: string; output: unknown; content: string; usage: Usage | undefined }[] = [
    {
      name: 'Anthropic Messages (InvokeModel)',
      output: { id: 'msg_1', type: 'message', role: 'assistant', content: [{ type: 'text', text: 'Hello' }, { type: 'text', text: ' there' }], stop_reason: 'end_turn', usage: { input_tokens: 12, output_tokens: 3 } },
      content: 'Hello there',
      usage: { inputTokens: 12, outputTokens: 3 },
    },
    {
      name: 'Anthropic with prompt caching: cached tokens added to the input',
      output: { type: 'message', content: [{ type: 'text', text: 'x' }], stop_reason: 'end_turn', usage: { input_tokens: 10, output_tokens: 2, cache_read_input_tokens: 100, cache_creation_input_tokens: 50 } },
      content: 'x',
      usage: { inputTokens: 160, outputTokens: 2, cacheReadTokens: 100, cacheWriteTokens: 50 },
    },
    {
      name: 'Anthropic tool use: the calls are the answer',
      output: { type: 'message', content: [{ type: 'tool_use', id: 't1', name: 'f', input: { a: 1 } }], stop_reason: 'tool_use', usage: { input_tokens: 1, output_tokens: 1 } },
      content: JSON.stringify([{ type: 'tool_use', id: 't1', name: 'f', input: { a: 1 } }]),
      usage: { inputTokens: 1, outputTokens: 1 },
    },
    {
      name: 'Converse',
      output: { output: { message: { role: 'assistant', content: [{ text: 'Hi' }] } }, stopReason: 'end_turn', usage: { inputTokens: 5, outputTokens: 1, totalTokens: 6 }, metrics: { latencyMs: 9 } },
      content: 'Hi',
      usage: { inputTokens: 5, outputTokens: 1 },
    },
    {
      name: 'Converse with cache reads and writes',
      output: { output: { message: { role: 'assistant', content: [{ text: 'Hi' }] } }, stopReason: 'end_turn', usage: { inputTokens: 5, outputTokens: 1, cacheReadInputTokens: 40, cacheWriteInputTokens: 0 } },
      content: 'Hi',
      usage: { inputTokens: 45, outputTokens: 1, cacheReadTokens: 40, cacheWriteTokens: 0 },
    },
    { name: 'an empty Converse answer is still a success', output: { output: { message: { role: 'assistant', content: [{ text: '' }] } }, stopReason: 'end_turn' }, content: '', usage: undefined },
    {
      name: 'Titan Text',
      output: { inputTextTokenCount: 4, results: [{ tokenCount: 7, outputText: 'Titan says hi', completionReason: 'FINISH' }] },
      content: 'Titan says hi',
      usage: { inputTokens: 4, outputTokens: 7 },
    },
    { name: 'Llama', output: { generation: 'Llama says hi', prompt_token_count: 9, generation_token_count: 4, stop_reason: 'stop' }, content: 'Llama says hi', usage: { inputTokens: 9, outputTokens: 4 } },
    { name: 'Mistral outputs[]', output: { outputs: [{ text: 'Mistral', stop_reason: 'stop' }] }, content: 'Mistral', usage: undefined },
    { name: 'Cohere generations[]', output: { generations: [{ text: 'Cohere' }] }, content: 'Cohere', usage: undefined },
    {
      name: 'OpenAI-compatible choices (gpt-oss on Bedrock)',
      output: { choices: [{ index: 0, message: { role: 'assistant', content: 'oss' }, finish_reason: 'stop' }], usage: { prompt_tokens: 3, completion_tokens: 1 } },
      content: 'oss',
      usage: { inputTokens: 3, outputTokens: 1 },
    },
    { name: 'a bare outputText', output: { outputText: 'plain' }, content: 'plain', usage: undefined },
    { name: 'Claude v2 text completion', output: { completion: ' Hi', stop_reason: 'stop_sequence' }, content: ' Hi', usage: undefined },
    { name: 'an unknown shape is kept whole', output: { embedding: [0.1, 0.2] }, content: JSON.stringify({ embedding: [0.1, 0.2] }), usage: undefined },
  ];
  for (const { name, output, content, usage } of table) {
    it(name, () => {
      const outcome = ok(outcomeFromModelOutput('r1', output));
      assert.equal(outcome.customId, 'r1');
      assert.equal(outcome.content, content);
      assert.deepEqual(outcome.usage, usage);
    });
  }

  const refusals: { name: string; output: unknown; code: string }[] = [
    { name: 'Anthropic refusal', output: { type: 'message', content: [], stop_reason: 'refusal', usage: { input_tokens: 3, output_tokens: 0 } }, code: 'refusal' },
    { name: 'Converse content filter', output: { output: { message: { role: 'assistant', content: [] } }, stopReason: 'content_filtered' }, code: 'content_filtered' },
    { name: 'Converse guardrail', output: { output: { message: { role: 'assistant', content: [{ text: 'Sorry' }] } }, stopReason: 'guardrail_intervened' }, code: 'guardrail_intervened' },
    { name: 'InvokeModel guardrail action', output: { 'amazon-bedrock-guardrailAction': 'INTERVENED', content: [] }, code: 'guardrail_intervened' },
    { name: 'Titan content filter', output: { inputTextTokenCount: 2, results: [{ tokenCount: 0, outputText: '', completionReason: 'CONTENT_FILTERED' }] }, code: 'content_filtered' },
  ];
  for (const { name, output, code } of refusals) {
    it(`${name} → content_policy`, () => {
      const outcome = failed(outcomeFromModelOutput('r1', output));
      assert.equal(outcome.failureClass, 'content_policy');
      assert.equal(outcome.code, code);
    });
  }

  it('a model output that is not an object is invalid output; a string is the answer', () => {
    assert.equal(failed(outcomeFromModelOutput('r1', null)).failureClass, 'invalid_output');
    assert.equal(ok(outcomeFromModelOutput('r1', 'raw text')).content, 'raw text');
  });
});

describe('parseBedrockResultLine', () => {
  const modelInput = { anthropic_version: 'bedrock-2023-05-31', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] };

  it('a success line: the model output by recordId', () => {
    const outcome = ok(parseBedrockResultLine(JSON.stringify({ recordId: 'CALL0000001', modelInput, modelOutput: { type: 'message', content: [{ type: 'text', text: 'Hey' }], stop_reason: 'end_turn', usage: { input_tokens: 2, output_tokens: 1 } } })));
    assert.deepEqual(outcome, { ok: true, customId: 'CALL0000001', content: 'Hey', usage: { inputTokens: 2, outputTokens: 1 } });
  });

  const errors: [unknown, string, FailureClass, number | undefined][] = [
    [429, 'Too many requests', 'rate_limited', 429],
    [500, 'Internal error', 'transient', 500],
    [400, 'Malformed input request', 'invalid_request', 400],
    [400, 'The content was blocked by the guardrail', 'content_policy', 400],
    ['ThrottlingException', 'slow down', 'rate_limited', undefined],
  ];
  for (const [errorCode, errorMessage, failureClass, httpStatus] of errors) {
    it(`an error line ${JSON.stringify(errorCode)} → ${failureClass}`, () => {
      const outcome = failed(parseBedrockResultLine(JSON.stringify({ recordId: 'r9', modelInput, error: { errorCode, errorMessage } })));
      assert.deepEqual(outcome, { ok: false, customId: 'r9', failureClass, code: String(errorCode), message: errorMessage, httpStatus, usage: undefined });
    });
  }

  const missing: [string, FailureClass][] = [
    ['PartiallyCompleted', 'expired'],
    ['Expired', 'expired'],
    ['Stopped', 'cancelled'],
    ['Completed', 'transient'],
  ];
  for (const [status, failureClass] of missing) {
    it(`a record missing from a ${status} job's output → ${failureClass}`, () => {
      const outcome = failed(parseBedrockResultLine(missingRecordLine('r5', status)));
      assert.equal(outcome.customId, 'r5');
      assert.equal(outcome.failureClass, failureClass);
    });
  }

  it('a line with neither output nor error is a transient failure', () => {
    assert.equal(failed(parseBedrockResultLine(JSON.stringify({ recordId: 'r1', modelInput }))).failureClass, 'transient');
  });

  for (const [name, text] of [
    ['blank', '   '],
    ['not JSON', '{"recordId": "r1", "modelOut'],
    ['the manifest', JSON.stringify({ totalRecordCount: 3, processedRecordCount: 3, successRecordCount: 3, errorRecordCount: 0 })],
    ['an array', '[1,2]'],
    ['an empty recordId', JSON.stringify({ recordId: '', modelOutput: {} })],
  ] as const) {
    it(`is not a result: ${name}`, () => assert.equal(parseBedrockResultLine(text), undefined));
  }

  it('sync answers read back to the same outcome, header counts included when the body has none', () => {
    const llama = { generation: 'hi' };
    const line = syncResultLine('r1', { prompt: 'p' }, llama, { inputTokens: 4, outputTokens: 2 });
    assert.deepEqual(parseBedrockResultLine(line), { ok: true, customId: 'r1', content: 'hi', usage: { inputTokens: 4, outputTokens: 2 } });
    const converse = { output: { message: { role: 'assistant', content: [{ text: 'ok' }] } }, stopReason: 'end_turn', usage: { inputTokens: 1, outputTokens: 1 } };
    assert.deepEqual(parseBedrockResultLine(syncResultLine('r2', {}, converse)), outcomeFromModelOutput('r2', converse));
    const error = failed(parseBedrockResultLine(errorResultLine('r3', {}, 429, 'Too many requests')));
    assert.equal(error.failureClass, 'rate_limited');
    assert.equal(error.httpStatus, 429);
  });
});

describe('headers', () => {
  it('retry-after in seconds or as an HTTP date, x-amz-retry-after in ms', () => {
    const now = Date.parse('2026-11-26T10:00:00Z');
    assert.equal(retryAfterMsOf({ 'retry-after': '2' }, now), 2000);
    assert.equal(retryAfterMsOf({ 'x-amz-retry-after': '1500' }, now), 1500);
    assert.equal(retryAfterMsOf({ 'retry-after': 'Thu, 26 Nov 2026 10:00:05 GMT' }, now), 5000);
    assert.equal(retryAfterMsOf({}, now), undefined);
    assert.equal(retryAfterMsOf(undefined, now), undefined);
  });

  it('InvokeModel token counts from x-amzn-bedrock-*-token-count', () => {
    assert.deepEqual(headerTokenCounts({ 'x-amzn-bedrock-input-token-count': '12', 'x-amzn-bedrock-output-token-count': '3' }), { inputTokens: 12, outputTokens: 3 });
    assert.equal(headerTokenCounts({ 'x-amzn-bedrock-input-token-count': '12' }), undefined);
  });
});
