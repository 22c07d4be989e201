// The bad-input corpus: every file in test/fixtures/bad/ with the exact messages and lines the
// estimate must report. A new rule gets a fixture and a row here.
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { estimateFiles } from '../../src/core/estimate';
import type { LineAnalyzer } from '../../src/core/lineAnalyzer';
import { createWorkerAnalyzer } from '../../src/core/workerLineAnalyzer';
import type { ProviderId } from '../../src/core/providerLimits';

const dir = path.resolve(__dirname, '../fixtures/bad');

interface Expectation {
  readonly provider?: ProviderId;
  readonly model?: string;
  /** [line, message] for every invalid line, in order. */
  readonly invalid?: readonly (readonly [number, string])[];
  readonly problems?: readonly string[];
  readonly notes?: readonly string[];
}

const OPENAI_FORMAT = 'OpenAI batch (custom_id, method, url, body)';
const ANTHROPIC_CHARS = 'has characters Anthropic rejects (allowed: letters, digits, "_" and "-")';
const TOO_DEEP = 'nested more than 1,000 levels deep (objects and arrays inside each other)';
const WHOLE = 'must be a whole number of 1 or more, got';
const INFINITE = 'Infinity (the number in the file is too large to represent)';
const TWICE = 'appears twice in one object; JSON readers differ on which value they keep, so remove one';
const NO_STREAM = 'a batch request cannot stream; remove it or set it to false';

const corpus: Readonly<Record<string, Expectation>> = {
  'malformed-json.jsonl': { invalid: [[2, 'malformed JSON: Expected double-quoted property name in JSON at position 36']] },
  'trailing-comma.jsonl': { invalid: [[2, 'malformed JSON: Expected double-quoted property name in JSON at position 117']] },
  'truncated-last-line.jsonl': { invalid: [[2, 'malformed JSON: Unterminated string in JSON at position 32']] },
  'crlf-with-bad-line.jsonl': { invalid: [[3, "malformed JSON: Expected property name or '}' in JSON at position 1"]] },
  'invalid-utf8.jsonl': { invalid: [[2, 'not valid UTF-8 at byte 147 of the line']] },
  'line-is-array.jsonl': { invalid: [[2, 'each line must be a JSON object, this one is an array']] },
  'line-is-string.jsonl': { invalid: [[1, 'each line must be a JSON object, this one is a string']] },
  'line-is-null.jsonl': { invalid: [[2, 'each line must be a JSON object, this one is null']] },
  'unknown-format.jsonl': {
    invalid: [
      [
        1,
        'unrecognized line format: expected OpenAI batch (custom_id, method, url, body), Anthropic (custom_id, params), Gemini (key, request), Bedrock (recordId, modelInput)',
      ],
    ],
  },
  'missing-custom-id.jsonl': { invalid: [[2, 'missing field "custom_id"']] },
  'empty-custom-id.jsonl': { invalid: [[1, 'field "custom_id": must not be empty']] },
  'custom-id-number.jsonl': { invalid: [[1, 'field "custom_id": expected string, received number']] },
  'duplicate-custom-id.jsonl': { invalid: [[3, 'duplicate custom_id "a" (first used on line 1)']] },
  'method-get.jsonl': { invalid: [[1, 'field "method": must be "POST", got "GET"']] },
  'missing-method.jsonl': { invalid: [[1, 'missing field "method"']] },
  'url-not-an-endpoint.jsonl': {
    invalid: [[1, 'field "url": "/v1/chat" is not a batch endpoint (expected one of /v1/chat/completions, /v1/responses, /v1/embeddings, /v1/completions, /v1/moderations)']],
  },
  'url-differs.jsonl': {
    invalid: [[3, 'field "url": "/v1/embeddings" differs from "/v1/chat/completions" on line 1; one batch file targets one endpoint']],
  },
  'missing-body.jsonl': { invalid: [[1, 'missing field "body"']] },
  'body-not-object.jsonl': { invalid: [[1, 'field "body": expected object, received string']] },
  'missing-model.jsonl': { invalid: [[2, 'missing model: set field "body.model" or pass --model']] },
  'mixed-formats.jsonl': {
    invalid: [[2, `line is in Anthropic (custom_id, params) format, but line 1 is in ${OPENAI_FORMAT} format; one file holds one format`]],
  },
  'anthropic-id-characters.jsonl': {
    invalid: [
      [1, `field "custom_id": "row 1" ${ANTHROPIC_CHARS}`],
      [2, `field "custom_id": "row.2" ${ANTHROPIC_CHARS}`],
    ],
  },
  'anthropic-id-too-long.jsonl': { invalid: [[1, 'field "custom_id": 65 characters; Anthropic allows at most 64']] },
  'anthropic-missing-max-tokens.jsonl': { invalid: [[1, 'missing field "params.max_tokens"']] },
  'anthropic-empty-messages.jsonl': { invalid: [[1, 'field "params.messages": must be a non-empty list of messages']] },
  'anthropic-zero-max-tokens.jsonl': { invalid: [[1, 'field "params.max_tokens": must be 1 or more']] },
  'gemini-missing-key.jsonl': { invalid: [[1, 'missing field "key"']] },
  'gemini-no-model.jsonl': { invalid: [[1, 'missing model: set field "request.model" or pass --model']] },
  'gemini-empty-contents.jsonl': { invalid: [[1, 'field "request.contents": must be a non-empty list of contents']] },
  'gemini-duplicate-key.jsonl': {
    invalid: [[2, 'duplicate key "k1" (first used on line 1)']],
    notes: ['input tokens for Google Gemini are a calibrated approximation (its tokenizer is not public)'],
  },
  'bedrock-missing-record-id.jsonl': { invalid: [[1, 'missing field "recordId"']] },
  'bedrock-model-input-not-object.jsonl': { invalid: [[1, 'field "modelInput": expected object, received string']] },
  'bedrock-too-few-records.jsonl': {
    model: 'anthropic.claude-3-5-haiku-20241022-v1:0',
    problems: ['AWS Bedrock needs at least 100 requests per batch; model anthropic.claude-3-5-haiku-20241022-v1:0 has 3 after removing duplicates'],
    notes: ['input tokens for AWS Bedrock are a calibrated approximation (its tokenizer is not public)'],
  },
  'empty-file.jsonl': { problems: ['the file has no requests'] },
  'only-blank-lines.jsonl': { problems: ['the file has no requests'] },
  'bom-openai.jsonl': {
    notes: ['the file starts with a UTF-8 byte-order mark; it is stripped before upload (Azure rejects a BOM with a misleading error about deployment names)'],
  },
  // 10,000 objects inside the body, 10,000 arrays inside a message, and the bare
  // `{"a":` ×10,000: each one invalid line, while the lines around them stay valid.
  'nested-too-deep.jsonl': {
    invalid: [
      [2, TOO_DEEP],
      [3, TOO_DEEP],
      [5, TOO_DEEP],
    ],
  },
  'openai-bad-max-tokens.jsonl': {
    invalid: [
      [1, `field "body.max_tokens": ${WHOLE} -5`],
      [2, `field "body.max_completion_tokens": ${WHOLE} 0`],
      [3, `field "body.max_completion_tokens": ${WHOLE} 0.5`],
      [4, `field "body.max_tokens": ${WHOLE} ${INFINITE}`],
      [5, `field "body.max_completion_tokens": ${WHOLE} "100" (a string)`],
    ],
  },
  'responses-bad-max-output-tokens.jsonl': {
    invalid: [
      [1, `field "body.max_output_tokens": ${WHOLE} 0.5`],
      [2, `field "body.max_output_tokens": ${WHOLE} ${INFINITE}`],
    ],
  },
  'anthropic-bad-max-tokens.jsonl': {
    invalid: [
      [1, 'field "params.max_tokens": must be 1 or more'],
      [2, 'field "params.max_tokens": must be a whole number'],
      [3, 'field "params.max_tokens": expected number, received Infinity'],
    ],
  },
  'gemini-bad-max-output-tokens.jsonl': {
    invalid: [
      [1, `field "request.generationConfig.maxOutputTokens": ${WHOLE} -5`],
      [2, `field "request.generationConfig.maxOutputTokens": ${WHOLE} 0`],
      [3, `field "request.generation_config.max_output_tokens": ${WHOLE} ${INFINITE}`],
    ],
    // Line 4 writes the number as a string, which Gemini's protobuf JSON reads as a number.
    notes: ['input tokens for Google Gemini are a calibrated approximation (its tokenizer is not public)'],
  },
  'bedrock-bad-max-tokens.jsonl': {
    invalid: [
      [1, `field "modelInput.max_tokens": ${WHOLE} 0.5`],
      [2, `field "modelInput.inferenceConfig.maxTokens": ${WHOLE} -5`],
      [3, `field "modelInput.textGenerationConfig.maxTokenCount": ${WHOLE} 0`],
      [4, `field "modelInput.max_gen_len": ${WHOLE} ${INFINITE}`],
    ],
  },
  // Line 4 holds a repeated key and an escaped quote before a colon inside a string: not keys.
  'duplicate-key-in-line.jsonl': {
    invalid: [
      [1, `field "custom_id" ${TWICE}`],
      [2, `field "body.messages.1.content" ${TWICE}`],
      [3, `field "body.model" ${TWICE}`],
    ],
  },
  'stream-true.jsonl': { invalid: [[1, `field "body.stream": ${NO_STREAM}`]] },
  'anthropic-stream-true.jsonl': { invalid: [[1, `field "params.stream": ${NO_STREAM}`]] },
  'embeddings-too-many-inputs.jsonl': { invalid: [[1, 'field "body.input": 2,049 inputs; OpenAI takes at most 2,048 per embeddings request']] },
  // An OpenAI chat line for Anthropic is converted (a portable request); this one cannot be, as
  // it sets no max tokens, which Anthropic requires.
  'provider-mismatch.jsonl': {
    provider: 'anthropic',
    invalid: [[1, 'field "body.max_completion_tokens": Anthropic needs max_tokens; set max_completion_tokens (or max_tokens)']],
  },
  // Only OpenAI-shaped lines convert: a native line of another provider stays refused.
  'anthropic-line-for-openai.jsonl': {
    provider: 'openai',
    invalid: [[1, `line is in Anthropic (custom_id, params) format, but OpenAI expects ${OPENAI_FORMAT}`]],
  },
};

describe('bad-input corpus', () => {
  it('has at least 30 files, each with an expectation', () => {
    const files = readdirSync(dir).filter((f) => f.endsWith('.jsonl')).sort();
    assert.ok(files.length >= 30, `only ${files.length} fixtures`);
    assert.deepEqual(files, Object.keys(corpus).sort());
  });

  for (const [name, expected] of Object.entries(corpus)) {
    it(name, async () => {
      await assertReport(name, expected);
    });
  }
});

// The same files on a worker thread, which has a stack of its own: a line that overflows it
// (nesting, above all) must be refused there exactly as on the main thread. One worker serves
// every file estimated with the default options (a worker's options are fixed when it starts).
describe('bad-input corpus on a worker thread', () => {
  const worker = createWorkerAnalyzer({ outputBuffer: 0.25 }, 1, { shareCallingThread: false });
  after(() => worker.close());

  for (const [name, expected] of Object.entries(corpus)) {
    if (expected.provider !== undefined || expected.model !== undefined) continue;
    it(name, async () => {
      await assertReport(name, expected, worker);
    });
  }
});

async function assertReport(name: string, expected: Expectation, analyzer?: LineAnalyzer): Promise<void> {
  const file = path.join(dir, name);
  const { report } = await estimateFiles([file], { provider: expected.provider, model: expected.model, outputBuffer: 0.25, analyzer });
  assert.deepEqual(
    report.invalid.map((e) => [e.line, e.message]),
    expected.invalid ?? [],
  );
  assert.ok(report.invalid.every((e) => e.file === file), 'every message names its file');
  assert.deepEqual(
    report.problems.map((p) => p.message),
    expected.problems ?? [],
  );
  assert.deepEqual(
    report.notes.map((n) => n.message),
    expected.notes ?? [],
  );
  assert.equal(report.totals.items, report.totals.valid + report.totals.invalid);
}
