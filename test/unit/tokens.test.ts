import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { countTokens as libraryCountO200k } from 'gpt-tokenizer/encoding/o200k_base';
import { countTokens as libraryCountCl100k } from 'gpt-tokenizer/encoding/cl100k_base';
import { O200K_TOKEN_SPLIT_REGEX } from 'gpt-tokenizer/encodingParams/constants';
import {
  APPROX_TOKENS_PER_MESSAGE,
  DEFAULT_MAX_OUTPUT_TOKENS,
  DEFAULT_OUTPUT_BUFFER,
  IMAGE_TOKEN_ESTIMATE,
  asciiSplitRegex,
  countInputTokens,
  countTextTokens,
  expectedOutputTokens,
  openAiEncodingForModel,
  outputTokenBound,
} from '../../src/core/tokens';
import type { OpenAiEncodingName } from '../../src/core/tokens';
import { seededRandom } from '../support/seededRandom';

const CHAT = '/v1/chat/completions';

// The OpenAI cookbook's example (How_to_count_tokens_with_tiktoken, section 6), whose totals it
// checks against the API: 129 prompt tokens on gpt-3.5-turbo / gpt-4, 124 on gpt-4o / gpt-4o-mini.
const COOKBOOK_MESSAGES = [
  { role: 'system', content: 'You are a helpful, pattern-following assistant that translates corporate jargon into plain English.' },
  { role: 'system', name: 'example_user', content: 'New synergies will help drive top-line growth.' },
  { role: 'system', name: 'example_assistant', content: 'Things working well together will increase revenue.' },
  { role: 'system', name: 'example_user', content: "Let's circle back when we have more bandwidth to touch base on opportunities for increased leverage." },
  { role: 'system', name: 'example_assistant', content: "Let's talk later when we're less busy about how to do better." },
  { role: 'user', content: "This late pivot means we don't have time to boil the ocean for the client deliverable." },
];

// Section 7 of the same notebook: 101 prompt tokens on gpt-4o / gpt-4o-mini, 105 on gpt-4 / gpt-3.5-turbo.
const COOKBOOK_TOOLS = [
  {
    type: 'function',
    function: {
      name: 'get_current_weather',
      description: 'Get the current weather in a given location',
      parameters: {
        type: 'object',
        properties: {
          location: { type: 'string', description: 'The city and state, e.g. San Francisco, CA' },
          unit: { type: 'string', description: 'The unit of temperature to return', enum: ['celsius', 'fahrenheit'] },
        },
        required: ['location'],
      },
    },
  },
];
const COOKBOOK_TOOL_MESSAGES = [
  { role: 'system', content: 'You are a helpful assistant that can answer to questions about the weather.' },
  { role: 'user', content: "What's the weather like in San Francisco?" },
];

// Pieces chosen to exercise every branch of the split regexes and the safe-cut logic: contractions,
// case changes, digit runs, punctuation runs with newlines and slashes, whitespace runs, accented
// and CJK letters, curly quotes, combining marks and astral emoji.
const FUZZ_PIECES = [
  'the', 'The', 'THE', 'quick', 'Brown', 'fOX', "don't", "it's", "WE'LL", "they're", "I'm", "you've", "he'd",
  ' ', ' ', ' ', '  ', '   ', '\n', '\n\n', '\r\n', '\t', ' \n ',
  '0', '7', '42', '1234567', '3.14', '2 + 2 = 4',
  '.', ',', '!', '?', '...', '--', '/', '//', '.\n/', '{"a": 1}', '<|endoftext|>', '(x)', '#', '$10',
  'é', 'café', 'naïve', 'über', '’', '“quoted”', '—', '日本語', 'お誕生日', '😀', 'e\u0301', 'Ω', 'ß',
];

function fuzzText(random: () => number, length: number): string {
  let text = '';
  while (text.length < length) text += FUZZ_PIECES[Math.floor(random() * FUZZ_PIECES.length)] ?? '';
  return text;
}

const LIBRARY_OPTIONS = { disallowedSpecial: new Set<string>() };
const libraryCount: Record<OpenAiEncodingName, (text: string) => number> = {
  o200k_base: (text) => libraryCountO200k(text, LIBRARY_OPTIONS),
  cl100k_base: (text) => libraryCountCl100k(text, LIBRARY_OPTIONS),
};

describe('countTextTokens', () => {
  it('counts "hello world" as 2 tokens in both encodings', () => {
    assert.equal(countTextTokens('o200k_base', 'hello world'), 2);
    assert.equal(countTextTokens('cl100k_base', 'hello world'), 2);
  });

  it('matches the cookbook examples for each encoding', () => {
    assert.equal(countTextTokens('o200k_base', 'tiktoken is great!'), 6);
    assert.equal(countTextTokens('cl100k_base', 'antidisestablishmentarianism'), 6);
    assert.equal(countTextTokens('o200k_base', 'antidisestablishmentarianism'), 6);
    assert.equal(countTextTokens('cl100k_base', '2 + 2 = 4'), 7);
    assert.equal(countTextTokens('o200k_base', '2 + 2 = 4'), 7);
    assert.equal(countTextTokens('cl100k_base', 'お誕生日おめでとう'), 9);
    assert.equal(countTextTokens('o200k_base', 'お誕生日おめでとう'), 8);
  });

  it('counts the empty string as 0', () => {
    assert.equal(countTextTokens('o200k_base', ''), 0);
  });

  it('treats special-token text as ordinary text instead of throwing', () => {
    assert.equal(countTextTokens('o200k_base', 'a <|endoftext|> b'), libraryCount.o200k_base('a <|endoftext|> b'));
    assert.ok(countTextTokens('o200k_base', '<|endoftext|>') > 1);
  });

  for (const encoding of ['o200k_base', 'cl100k_base'] as const) {
    it(`agrees with gpt-tokenizer's countTokens on random mixed text (${encoding})`, () => {
      const random = seededRandom(encoding === 'o200k_base' ? 1 : 2);
      for (let i = 0; i < 400; i++) {
        const text = fuzzText(random, 5 + Math.floor(random() * 600));
        assert.equal(countTextTokens(encoding, text), libraryCount[encoding](text), `text: ${JSON.stringify(text)}`);
      }
    });

    it(`gives the same count for a long string seen twice (${encoding}, string cache)`, () => {
      const text = fuzzText(seededRandom(3), 2_000);
      const first = countTextTokens(encoding, text);
      assert.equal(first, libraryCount[encoding](text));
      assert.equal(countTextTokens(encoding, `${text}`), first);
    });
  }

  it('agrees with gpt-tokenizer on pure ASCII prose and on text with one curly quote', () => {
    const prose = 'It was the best of times, it was the worst of times. We\'ll see what they\'re doing at 10:30 tomorrow; 2024 numbers: 1234567.\n\nNew paragraph   with  spaces.\n';
    assert.equal(countTextTokens('o200k_base', prose), libraryCount.o200k_base(prose));
    const curly = prose.replace("We'll", 'We’ll');
    assert.equal(countTextTokens('o200k_base', curly), libraryCount.o200k_base(curly));
    assert.equal(countTextTokens('cl100k_base', curly), libraryCount.cl100k_base(curly));
  });
});

describe('asciiSplitRegex', () => {
  it('rewrites Unicode property escapes into ASCII classes and drops the u flag', () => {
    const ascii = asciiSplitRegex(O200K_TOKEN_SPLIT_REGEX);
    assert.ok(ascii !== null);
    assert.equal(ascii.source.includes('\\p{'), false);
    assert.equal(ascii.flags, 'g');
    assert.deepEqual("Hello, World! It's 2024.".match(ascii), "Hello, World! It's 2024.".match(O200K_TOKEN_SPLIT_REGEX));
  });

  it('wraps a property escape used outside a class in brackets', () => {
    assert.equal(asciiSplitRegex(/\p{L}+|\p{N}{1,3}/gu)?.source, '[A-Za-z]+|[0-9]{1,3}');
  });

  it('gives up on properties it does not know', () => {
    assert.equal(asciiSplitRegex(/\p{Sc}/gu), null);
    assert.equal(asciiSplitRegex(/\P{L}/gu), null);
  });
});

describe('openAiEncodingForModel', () => {
  const cases: readonly [string, OpenAiEncodingName, boolean][] = [
    ['gpt-4o', 'o200k_base', true],
    ['gpt-4o-mini-2024-07-18', 'o200k_base', true],
    ['chatgpt-4o-latest', 'o200k_base', true],
    ['gpt-4.1-nano', 'o200k_base', true],
    ['gpt-4.5-preview', 'o200k_base', true],
    ['gpt-5', 'o200k_base', true],
    ['gpt-5-mini-2025-08-07', 'o200k_base', true],
    ['o1', 'o200k_base', true],
    ['o3-mini', 'o200k_base', true],
    ['o4-mini-2025-04-16', 'o200k_base', true],
    ['gpt-oss-120b', 'o200k_base', true],
    ['ft:gpt-4o-mini-2024-07-18:acme::abc123', 'o200k_base', true],
    ['GPT-4O', 'o200k_base', true],
    ['gpt-4', 'cl100k_base', true],
    ['gpt-4-0613', 'cl100k_base', true],
    ['gpt-4-turbo', 'cl100k_base', true],
    ['gpt-3.5-turbo', 'cl100k_base', true],
    ['gpt-35-turbo', 'cl100k_base', true],
    ['text-embedding-3-small', 'cl100k_base', true],
    ['text-embedding-ada-002', 'cl100k_base', true],
    ['my-gpt4o-deploy', 'o200k_base', false],
    ['o10-custom', 'o200k_base', false],
    ['gpt-40', 'o200k_base', false],
  ];
  for (const [model, encoding, known] of cases) {
    it(`${model} → ${encoding}${known ? '' : ' (guess)'}`, () => {
      assert.deepEqual(openAiEncodingForModel(model), { encoding, known });
    });
  }
});

describe('countInputTokens: openai', () => {
  it('reproduces the cookbook chat totals (129 on cl100k models, 124 on o200k models)', () => {
    for (const [model, expected] of [['gpt-4', 129], ['gpt-3.5-turbo', 129], ['gpt-4o', 124], ['gpt-4o-mini', 124]] as const) {
      const count = countInputTokens('openai', model, { url: CHAT, body: { model, messages: COOKBOOK_MESSAGES } });
      assert.deepEqual(count, { tokens: expected, exact: true }, model);
    }
  });

  it('reproduces the cookbook totals with function tools (101 on gpt-4o, 105 on gpt-4)', () => {
    const body = { messages: COOKBOOK_TOOL_MESSAGES, tools: COOKBOOK_TOOLS };
    assert.deepEqual(countInputTokens('openai', 'gpt-4o', { url: CHAT, body }), { tokens: 101, exact: true });
    assert.deepEqual(countInputTokens('openai', 'gpt-4o-mini', { url: CHAT, body }), { tokens: 101, exact: true });
    assert.deepEqual(countInputTokens('openai', 'gpt-4', { url: CHAT, body }), { tokens: 105, exact: true });
  });

  it('counts an unknown deployment name with o200k_base but marks it inexact', () => {
    const count = countInputTokens('openai', 'my-gpt4o-deploy', { url: CHAT, body: { messages: COOKBOOK_MESSAGES } });
    assert.deepEqual(count, { tokens: 124, exact: false });
  });

  it('goes by the body shape when the url is missing', () => {
    assert.deepEqual(countInputTokens('openai', 'gpt-4o', { messages: COOKBOOK_MESSAGES }), { tokens: 124, exact: true });
  });

  it('counts one user message as 3 framing + 1 role + content + 3 priming', () => {
    const count = countInputTokens('openai', 'gpt-4o', { url: CHAT, body: { messages: [{ role: 'user', content: 'hello world' }] } });
    assert.deepEqual(count, { tokens: 3 + 1 + 2 + 3, exact: true });
  });

  it('counts text parts of content arrays exactly and estimates images', () => {
    const text = countInputTokens('openai', 'gpt-4o', {
      url: CHAT,
      body: { messages: [{ role: 'user', content: [{ type: 'text', text: 'hello world' }] }] },
    });
    assert.deepEqual(text, { tokens: 9, exact: true });
    const image = countInputTokens('openai', 'gpt-4o', {
      url: CHAT,
      body: {
        messages: [
          { role: 'user', content: [{ type: 'text', text: 'hello world' }, { type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA' } }] },
        ],
      },
    });
    assert.deepEqual(image, { tokens: 9 + IMAGE_TOKEN_ESTIMATE.openai, exact: false });
    const low = countInputTokens('openai', 'gpt-4o', {
      url: CHAT,
      body: { messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'https://x/y.png', detail: 'low' } }] }] },
    });
    assert.deepEqual(low, { tokens: 3 + 1 + 85 + 3, exact: false });
  });

  it('counts a Responses API body: instructions as a system message, input as a user message', () => {
    // "Be brief." is 3 tokens ("Be", " brief", "."); "system", "user" 1 each; "hello world" 2.
    const count = countInputTokens('openai', 'gpt-4o', { url: '/v1/responses', body: { instructions: 'Be brief.', input: 'hello world' } });
    assert.deepEqual(count, { tokens: 3 + 1 + 3 + (3 + 1 + 2) + 3, exact: true });
  });

  it('counts Responses API message items without their type marker', () => {
    const count = countInputTokens('openai', 'gpt-4o', {
      url: '/v1/responses',
      body: { input: [{ type: 'message', role: 'user', content: [{ type: 'input_text', text: 'hello world' }] }] },
    });
    assert.deepEqual(count, { tokens: 3 + 1 + 2 + 3, exact: true });
  });

  it('counts embeddings input with no framing: a string, strings, or token arrays', () => {
    const url = '/v1/embeddings';
    assert.deepEqual(countInputTokens('openai', 'text-embedding-3-small', { url, body: { input: 'hello world' } }), { tokens: 2, exact: true });
    assert.deepEqual(countInputTokens('openai', 'text-embedding-3-small', { url, body: { input: ['hello world', 'hello world'] } }), {
      tokens: 4,
      exact: true,
    });
    assert.deepEqual(countInputTokens('openai', 'text-embedding-3-small', { url, body: { input: [15339, 1917, 0] } }), { tokens: 3, exact: true });
    assert.deepEqual(countInputTokens('openai', 'text-embedding-3-small', { url, body: { input: [[1, 2], [3]] } }), { tokens: 3, exact: true });
  });

  it('adds structured-output schemas and marks the count inexact', () => {
    const plain = countInputTokens('openai', 'gpt-4o', { url: CHAT, body: { messages: [{ role: 'user', content: 'hello world' }] } });
    const withSchema = countInputTokens('openai', 'gpt-4o', {
      url: CHAT,
      body: {
        messages: [{ role: 'user', content: 'hello world' }],
        response_format: { type: 'json_schema', json_schema: { name: 'x', schema: { type: 'object' } } },
      },
    });
    assert.equal(withSchema.exact, false);
    assert.ok(withSchema.tokens > plain.tokens);
  });

  it('survives malformed but valid JSON shapes without throwing', () => {
    assert.deepEqual(countInputTokens('openai', 'gpt-4o', { url: CHAT, body: {} }), { tokens: 3, exact: false });
    assert.deepEqual(countInputTokens('openai', 'gpt-4o', { url: CHAT, body: { messages: 'nope' } }), { tokens: 3, exact: false });
    for (const request of [null, 42, 'text', [], [1, 2], { url: CHAT, body: null }, { url: CHAT, body: { messages: [null, 5, []] } }]) {
      const count = countInputTokens('openai', 'gpt-4o', request);
      assert.equal(typeof count.tokens, 'number');
      assert.ok(Number.isFinite(count.tokens) && count.tokens >= 0);
      assert.equal(count.exact, false, JSON.stringify(request));
    }
  });
});

describe('countInputTokens: approximations', () => {
  it('anthropic: characters / 3.5, 4 per message and 3 for the reply', () => {
    const count = countInputTokens('anthropic', 'claude-sonnet-4-5', {
      model: 'claude-sonnet-4-5',
      max_tokens: 100,
      system: 'x'.repeat(35),
      messages: [{ role: 'user', content: 'y'.repeat(70) }],
    });
    // ceil(105 / 3.5) = 30, + 1 message × 4, + 3.
    assert.deepEqual(count, { tokens: 30 + APPROX_TOKENS_PER_MESSAGE + 3, exact: false });
  });

  it('anthropic: text blocks, system blocks, tool definitions and an image estimate', () => {
    const tools = [{ name: 'f', description: 'd', input_schema: { type: 'object' } }];
    const toolChars = JSON.stringify(tools).length;
    const count = countInputTokens('anthropic', 'claude-3-5-haiku-latest', {
      system: [{ type: 'text', text: 's'.repeat(14) }],
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 't'.repeat(14) },
            { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'A'.repeat(5_000) } },
          ],
        },
      ],
      tools,
    });
    assert.deepEqual(count, {
      tokens: Math.ceil((28 + toolChars) / 3.5) + IMAGE_TOKEN_ESTIMATE.anthropic + APPROX_TOKENS_PER_MESSAGE + 3,
      exact: false,
    });
  });

  it('anthropic: missing messages count the reply priming only', () => {
    assert.deepEqual(countInputTokens('anthropic', 'claude-3-haiku', {}), { tokens: 3, exact: false });
    assert.deepEqual(countInputTokens('anthropic', 'claude-3-haiku', null), { tokens: 3, exact: false });
  });

  it('gemini: characters / 4 over contents and systemInstruction, 4 per content', () => {
    const count = countInputTokens('gemini', 'gemini-2.5-flash', {
      contents: [{ role: 'user', parts: [{ text: 'a'.repeat(40) }] }],
      systemInstruction: { parts: [{ text: 'b'.repeat(40) }] },
      generationConfig: { maxOutputTokens: 100 },
    });
    assert.deepEqual(count, { tokens: 20 + APPROX_TOKENS_PER_MESSAGE, exact: false });
  });

  it('gemini: inline images cost their estimate, not their base64 length; snake_case works', () => {
    const count = countInputTokens('gemini', 'gemini-2.5-flash', {
      contents: [{ role: 'user', parts: [{ text: 'a'.repeat(40) }, { inline_data: { mime_type: 'image/jpeg', data: 'B'.repeat(100_000) } }] }],
    });
    assert.deepEqual(count, { tokens: 10 + IMAGE_TOKEN_ESTIMATE.gemini + APPROX_TOKENS_PER_MESSAGE, exact: false });
  });

  it('bedrock: a Claude body uses the Claude ratio', () => {
    const count = countInputTokens('bedrock', 'anthropic.claude-3-haiku-20240307-v1:0', {
      anthropic_version: 'bedrock-2023-05-31',
      max_tokens: 100,
      messages: [{ role: 'user', content: [{ type: 'text', text: 'z'.repeat(70) }] }],
    });
    assert.deepEqual(count, { tokens: 20 + APPROX_TOKENS_PER_MESSAGE + 3, exact: false });
  });

  it('bedrock: Converse / Nova messages with system blocks use 4 characters per token', () => {
    const count = countInputTokens('bedrock', 'amazon.nova-lite-v1:0', {
      messages: [{ role: 'user', content: [{ text: 'q'.repeat(40) }] }],
      system: [{ text: 's'.repeat(40) }],
      inferenceConfig: { maxTokens: 50 },
    });
    assert.deepEqual(count, { tokens: 20 + APPROX_TOKENS_PER_MESSAGE + 3, exact: false });
  });

  it('bedrock: Titan inputText and Llama prompt, and any other shape by its string leaves', () => {
    assert.deepEqual(countInputTokens('bedrock', 'amazon.titan-text-express-v1', { inputText: 'w'.repeat(40) }), { tokens: 10, exact: false });
    assert.deepEqual(countInputTokens('bedrock', 'meta.llama3-1-8b-instruct-v1:0', { prompt: 'p'.repeat(41), max_gen_len: 9 }), {
      tokens: 11,
      exact: false,
    });
    assert.deepEqual(countInputTokens('bedrock', 'some.model', { foo: { bar: ['x'.repeat(40)] } }), { tokens: 10, exact: false });
  });
});

describe('outputTokenBound', () => {
  it('openai: max_completion_tokens, then max_tokens, then max_output_tokens', () => {
    assert.deepEqual(outputTokenBound('openai', { url: CHAT, body: { max_completion_tokens: 300, max_tokens: 100 } }), {
      max: 300,
      field: 'max_completion_tokens',
      fromDefault: false,
    });
    assert.deepEqual(outputTokenBound('openai', { url: CHAT, body: { max_tokens: 100 } }), { max: 100, field: 'max_tokens', fromDefault: false });
    assert.deepEqual(outputTokenBound('openai', { url: '/v1/responses', body: { max_output_tokens: 77 } }), {
      max: 77,
      field: 'max_output_tokens',
      fromDefault: false,
    });
  });

  it('openai: the stated default when absent or unusable', () => {
    assert.equal(DEFAULT_MAX_OUTPUT_TOKENS.openai, 16_384);
    assert.deepEqual(outputTokenBound('openai', { url: CHAT, body: {} }), { max: 16_384, field: 'max_completion_tokens', fromDefault: true });
    assert.deepEqual(outputTokenBound('openai', { url: '/v1/responses', body: {} }), { max: 16_384, field: 'max_output_tokens', fromDefault: true });
    for (const bad of ['100', -5, 0, 1.5, null]) {
      assert.equal(outputTokenBound('openai', { url: CHAT, body: { max_tokens: bad } }).fromDefault, true, String(bad));
    }
  });

  it('openai: embeddings have no output, with or without the url', () => {
    assert.deepEqual(outputTokenBound('openai', { url: '/v1/embeddings', body: { input: 'x' } }), { max: 0, field: 'none (embeddings)', fromDefault: false });
    assert.equal(outputTokenBound('openai', { model: 'text-embedding-3-small', input: 'x' }).max, 0);
  });

  it('openai: accepts a bare body', () => {
    assert.deepEqual(outputTokenBound('openai', { model: 'gpt-4o', messages: [], max_completion_tokens: 42 }), {
      max: 42,
      field: 'max_completion_tokens',
      fromDefault: false,
    });
  });

  it('anthropic: max_tokens, default 4096', () => {
    assert.deepEqual(outputTokenBound('anthropic', { max_tokens: 1024 }), { max: 1024, field: 'max_tokens', fromDefault: false });
    assert.deepEqual(outputTokenBound('anthropic', {}), { max: 4_096, field: 'max_tokens', fromDefault: true });
  });

  it('gemini: generationConfig.maxOutputTokens (or snake_case), default 65536', () => {
    assert.deepEqual(outputTokenBound('gemini', { generationConfig: { maxOutputTokens: 512 } }), {
      max: 512,
      field: 'generationConfig.maxOutputTokens',
      fromDefault: false,
    });
    assert.deepEqual(outputTokenBound('gemini', { generation_config: { max_output_tokens: 64 } }), {
      max: 64,
      field: 'generation_config.max_output_tokens',
      fromDefault: false,
    });
    assert.deepEqual(outputTokenBound('gemini', { contents: [] }), { max: 65_536, field: 'generationConfig.maxOutputTokens', fromDefault: true });
  });

  it('bedrock: each model family field, default 4096', () => {
    const cases: readonly [unknown, number, string][] = [
      [{ max_tokens: 10 }, 10, 'max_tokens'],
      [{ inferenceConfig: { maxTokens: 20 } }, 20, 'inferenceConfig.maxTokens'],
      [{ inferenceConfig: { max_new_tokens: 30 } }, 30, 'inferenceConfig.max_new_tokens'],
      [{ textGenerationConfig: { maxTokenCount: 40 } }, 40, 'textGenerationConfig.maxTokenCount'],
      [{ max_gen_len: 50 }, 50, 'max_gen_len'],
      [{ max_completion_tokens: 60 }, 60, 'max_completion_tokens'],
    ];
    for (const [request, max, field] of cases) {
      assert.deepEqual(outputTokenBound('bedrock', request), { max, field, fromDefault: false });
    }
    assert.deepEqual(outputTokenBound('bedrock', { messages: [] }), { max: 4_096, field: 'max_tokens', fromDefault: true });
  });

  it('never throws on odd requests', () => {
    for (const format of ['openai', 'anthropic', 'gemini', 'bedrock'] as const) {
      for (const request of [null, 'x', 7, [], { generationConfig: 'x' }]) {
        assert.equal(outputTokenBound(format, request).fromDefault, true);
      }
    }
  });
});

describe('expectedOutputTokens', () => {
  it('is min(bound, 256) plus the buffer, rounded up, never above the bound', () => {
    assert.equal(DEFAULT_OUTPUT_BUFFER, 0.25);
    assert.equal(expectedOutputTokens(1_000, 0.25), 320); // 256 × 1.25
    assert.equal(expectedOutputTokens(300, 0.1), 282); // ceil(256 × 1.1 = 281.6)
    assert.equal(expectedOutputTokens(256, 0), 256);
    assert.equal(expectedOutputTokens(200, 0.25), 200); // 250 would pass the bound
    assert.equal(expectedOutputTokens(100, 0.25), 100);
    assert.equal(expectedOutputTokens(16_384, 0.25), 320);
  });

  it('handles zero bounds and unusable buffers', () => {
    assert.equal(expectedOutputTokens(0, 0.25), 0);
    assert.equal(expectedOutputTokens(-3, 0.25), 0);
    assert.equal(expectedOutputTokens(1_000, -1), 256);
    assert.equal(expectedOutputTokens(1_000, Number.NaN), 256);
  });
});
