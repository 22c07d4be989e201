// The portable request: an OpenAI chat batch line converted for each provider, field by field,
// every refusal with its message; the finish-reason table; and nativeLineBytes, the bytes a job
// writes for a line.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { finishReasonOf } from '../../src/core/portable/finishReason';
import type { FinishReason } from '../../src/core/portable/finishReason';
import { nativeLineBytes } from '../../src/core/portable/nativeLine';
import { convertPortableLine } from '../../src/core/portable/portableRequest';
import { bedrockInvocationType } from '../../src/core/portable/toBedrock';
import type { ProviderId } from '../../src/core/providerLimits';

const PNG = 'data:image/png;base64,iVBORw0KGgo=';

/** A portable chat line; `body` fields are merged over a minimal valid body. */
function chatLine(body: Record<string, unknown> = {}, line: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    custom_id: 'item-1',
    method: 'POST',
    url: '/v1/chat/completions',
    body: { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hi' }], max_completion_tokens: 50, ...body },
    ...line,
  };
}

/** A body using every field that converts everywhere. */
const FULL_BODY = {
  messages: [
    { role: 'system', content: 'Be brief.' },
    { role: 'user', content: 'Name a colour.' },
    { role: 'assistant', content: [{ type: 'text', text: 'Red.' }] },
    { role: 'user', content: [{ type: 'text', text: 'Another?' }] },
  ],
  max_completion_tokens: 20,
  stop: ['\n\n', 'END'],
};

function converted(line: Record<string, unknown>, provider: ProviderId, options?: Parameters<typeof convertPortableLine>[2]): Record<string, unknown> {
  const result = convertPortableLine(line, provider, options);
  if ('problems' in result) assert.fail(`expected a line, got problems: ${result.problems.join('; ')}`);
  return result.line;
}

function problems(line: Record<string, unknown>, provider: ProviderId, options?: Parameters<typeof convertPortableLine>[2]): string[] {
  const result = convertPortableLine(line, provider, options);
  if (!('problems' in result)) assert.fail(`expected problems, got ${JSON.stringify(result.line)}`);
  return result.problems;
}

describe('convertPortableLine: OpenAI and Azure take the line as written', () => {
  for (const provider of ['openai', 'azure'] as const) {
    it(`${provider}: the same line, even with fields other providers refuse`, () => {
      const line = chatLine({ temperature: 0.2, tools: [{ type: 'function' }] });
      assert.equal(converted(line, provider), line);
    });
  }
});

describe('convertPortableLine → Anthropic', () => {
  it('maps system, turns, max tokens and stop; a string stays a string, parts become text blocks', () => {
    assert.deepEqual(converted(chatLine(FULL_BODY), 'anthropic', { model: 'claude-haiku-4-5' }), {
      custom_id: 'item-1',
      params: {
        model: 'claude-haiku-4-5',
        max_tokens: 20,
        system: 'Be brief.',
        messages: [
          { role: 'user', content: 'Name a colour.' },
          { role: 'assistant', content: [{ type: 'text', text: 'Red.' }] },
          { role: 'user', content: [{ type: 'text', text: 'Another?' }] },
        ],
        stop_sequences: ['\n\n', 'END'],
      },
    });
  });

  it('takes max_tokens when max_completion_tokens is absent, a single stop string, and the line model without --model', () => {
    const body = { max_completion_tokens: undefined, max_tokens: 7, stop: 'END', model: 'claude-haiku-4-5' };
    assert.deepEqual(converted(chatLine(body), 'anthropic'), {
      custom_id: 'item-1',
      params: { model: 'claude-haiku-4-5', max_tokens: 7, messages: [{ role: 'user', content: 'Hi' }], stop_sequences: ['END'] },
    });
  });

  it('keeps several system and developer messages apart as text blocks', () => {
    const messages = [
      { role: 'system', content: 'One.' },
      { role: 'developer', content: [{ type: 'text', text: 'Two.' }] },
      { role: 'user', content: 'Hi' },
    ];
    const params = converted(chatLine({ messages }), 'anthropic')['params'] as Record<string, unknown>;
    assert.deepEqual(params['system'], [
      { type: 'text', text: 'One.' },
      { type: 'text', text: 'Two.' },
    ]);
  });

  it('maps a base64 image to an image block and a web address to a url source', () => {
    const content = [
      { type: 'text', text: 'What is this?' },
      { type: 'image_url', image_url: { url: PNG } },
      { type: 'image_url', image_url: { url: 'https://example.com/a.jpg', detail: 'low' } },
    ];
    const params = converted(chatLine({ messages: [{ role: 'user', content }] }), 'anthropic')['params'] as Record<string, unknown>;
    assert.deepEqual(params['messages'], [
      {
        role: 'user',
        content: [
          { type: 'text', text: 'What is this?' },
          { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBORw0KGgo=' } },
          { type: 'image', source: { type: 'url', url: 'https://example.com/a.jpg' } },
        ],
      },
    ]);
  });

  const refusals: readonly (readonly [string, Record<string, unknown>, string])[] = [
    ['temperature', { temperature: 0.2 }, `field "body.temperature": Anthropic's current API no longer takes temperature; remove it`],
    ['top_p', { top_p: 0.9 }, `field "body.top_p": Anthropic's current API no longer takes top_p; remove it`],
    [
      'a JSON schema response format',
      { response_format: { type: 'json_schema', json_schema: { name: 'x', schema: { type: 'object' } } } },
      'field "body.response_format": Anthropic batches cannot take a JSON schema response format; remove it and describe the JSON in the prompt',
    ],
    [
      'JSON mode',
      { response_format: { type: 'json_object' } },
      'field "body.response_format": Anthropic batches have no JSON mode (json_object); remove it and ask for JSON in the prompt',
    ],
    ['a seed', { seed: 7 }, 'field "body.seed": Anthropic does not take a seed; remove it'],
    ['presence_penalty', { presence_penalty: 0.5 }, 'field "body.presence_penalty": Anthropic does not take presence_penalty; remove it'],
    ['frequency_penalty', { frequency_penalty: 0.5 }, 'field "body.frequency_penalty": Anthropic does not take frequency_penalty; remove it'],
    ['no max tokens', { max_completion_tokens: undefined }, 'field "body.max_completion_tokens": Anthropic needs max_tokens; set max_completion_tokens (or max_tokens)'],
    [
      'a BMP image',
      { messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'data:image/bmp;base64,Qk0=' } }] }] },
      'field "body.messages.0.content.0.image_url.url": Anthropic takes JPEG, PNG, GIF or WebP images, not image/bmp',
    ],
    [
      'an image that is neither base64 nor a web address',
      { messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'gs://bucket/a.png' } }] }] },
      'field "body.messages.0.content.0.image_url.url": Anthropic takes an image here only as a base64 data: URL or an http(s) address',
    ],
  ];
  for (const [what, body, message] of refusals) {
    it(`refuses ${what}`, () => {
      assert.deepEqual(problems(chatLine(body), 'anthropic'), [message]);
    });
  }

  it('lists every problem of a line, not only the first', () => {
    assert.deepEqual(problems(chatLine({ temperature: 1, top_p: 0.5, max_completion_tokens: undefined }), 'anthropic'), [
      `field "body.temperature": Anthropic's current API no longer takes temperature; remove it`,
      `field "body.top_p": Anthropic's current API no longer takes top_p; remove it`,
      'field "body.max_completion_tokens": Anthropic needs max_tokens; set max_completion_tokens (or max_tokens)',
    ]);
  });
});

describe('convertPortableLine: refusals every converting provider shares', () => {
  const shared: readonly (readonly [string, Record<string, unknown>, Record<string, unknown>, string])[] = [
    ['an embeddings line', { input: 'x' }, { url: '/v1/embeddings' }, 'field "url": Anthropic cannot send /v1/embeddings lines; only chat completions (/v1/chat/completions) convert'],
    ['a Responses line', {}, { url: '/v1/responses' }, 'field "url": Anthropic cannot send /v1/responses lines; only chat completions (/v1/chat/completions) convert'],
    ['a GET', {}, { method: 'GET' }, 'field "method": must be "POST", got "GET"'],
    ['no model', { model: undefined }, {}, 'field "body.model": missing; Anthropic needs a model: set it or pass --model'],
    ['an empty custom_id', {}, { custom_id: '' }, `field "custom_id": must be a non-empty string to become Anthropic's item id`],
    ['tools', { tools: [{ type: 'function', function: { name: 'f' } }] }, {}, 'field "body.tools": is not converted for Anthropic (only messages, max tokens, temperature, top_p, stop, response_format, seed and penalties are); remove it'],
    ['stream', { stream: true }, {}, 'field "body.stream": a batch request cannot stream; remove it or set it to false'],
    ['several answers', { n: 2 }, {}, 'field "body.n": Anthropic batches return one answer per request; remove it or set it to 1'],
    [
      'a tool message',
      { messages: [{ role: 'user', content: 'Hi' }, { role: 'tool', content: '42', tool_call_id: 'c' }] },
      {},
      'field "body.messages.1.tool_call_id": is not converted for Anthropic (a message converts its role and content only); remove it',
    ],
    [
      'a named message',
      { messages: [{ role: 'user', name: 'ann', content: 'Hi' }] },
      {},
      'field "body.messages.0.name": is not converted for Anthropic (a message converts its role and content only); remove it',
    ],
    [
      'a system message after the first turn',
      { messages: [{ role: 'user', content: 'Hi' }, { role: 'system', content: 'Late.' }] },
      {},
      'field "body.messages.1.role": a system message after the conversation started; Anthropic takes the system prompt only before the first user message',
    ],
    ['system messages only', { messages: [{ role: 'system', content: 'Alone.' }] }, {}, 'field "body.messages": holds no user message; Anthropic needs at least one'],
    ['an audio part', { messages: [{ role: 'user', content: [{ type: 'input_audio', input_audio: {} }] }] }, {}, 'field "body.messages.0.content.0": "input_audio" parts are not converted for Anthropic here (text parts are, and image_url parts)'],
    ['an assistant without text', { messages: [{ role: 'user', content: 'Hi' }, { role: 'assistant', content: null }] }, {}, 'field "body.messages.1.content": missing; Anthropic needs the text of every message'],
    ['temperature out of range', { temperature: 3 }, {}, 'field "body.temperature": must be a number from 0 to 2, got 3'],
    ['a stop that is not text', { stop: [1] }, {}, 'field "body.stop": must be a string or a list of strings'],
  ];
  for (const [what, body, line, message] of shared) {
    it(`refuses ${what}`, () => {
      // The first problem is the one the line is about; temperature out of range also trips Anthropic's own rule.
      assert.equal(problems(chatLine(body, line), 'anthropic')[0], message);
      // The same refusal names each provider.
      const forGemini = problems(chatLine(body, line), 'gemini')[0];
      assert.equal(forGemini, message.replaceAll('Anthropic', 'Google Gemini'));
    });
  }

  it('treats null fields and neutral values (n: 1, stream: false) as absent', () => {
    const line = chatLine({ temperature: null, n: 1, stream: false, logprobs: false, user: null });
    assert.deepEqual(converted(line, 'anthropic'), converted(chatLine(), 'anthropic'));
  });
});

describe('convertPortableLine → Gemini and Vertex', () => {
  it('maps roles, system instruction and every generation setting', () => {
    const body = { ...FULL_BODY, temperature: 0.3, top_p: 0.8, seed: 11, presence_penalty: 0.1, frequency_penalty: 0.2 };
    assert.deepEqual(converted(chatLine(body), 'gemini', { model: 'gemini-2.5-flash' }), {
      key: 'item-1',
      request: {
        model: 'gemini-2.5-flash',
        contents: [
          { role: 'user', parts: [{ text: 'Name a colour.' }] },
          { role: 'model', parts: [{ text: 'Red.' }] },
          { role: 'user', parts: [{ text: 'Another?' }] },
        ],
        systemInstruction: { parts: [{ text: 'Be brief.' }] },
        generationConfig: { maxOutputTokens: 20, temperature: 0.3, topP: 0.8, stopSequences: ['\n\n', 'END'], seed: 11, presencePenalty: 0.1, frequencyPenalty: 0.2 },
      },
    });
  });

  it('JSON mode asks for application/json', () => {
    const request = converted(chatLine({ response_format: { type: 'json_object' } }), 'gemini')['request'] as Record<string, unknown>;
    assert.deepEqual(request['generationConfig'], { maxOutputTokens: 50, responseMimeType: 'application/json' });
  });

  it('a JSON schema goes as responseJsonSchema, as written', () => {
    const schema = { type: 'object', properties: { colour: { type: 'string' } }, required: ['colour'], additionalProperties: false };
    const body = { response_format: { type: 'json_schema', json_schema: { name: 'colour', strict: true, schema } } };
    const request = converted(chatLine(body), 'gemini')['request'] as Record<string, unknown>;
    assert.deepEqual(request['generationConfig'], { maxOutputTokens: 50, responseMimeType: 'application/json', responseJsonSchema: schema });
  });

  it('a text response format and no settings leave no generationConfig', () => {
    const request = converted(chatLine({ max_completion_tokens: undefined, response_format: { type: 'text' } }), 'gemini')['request'] as Record<string, unknown>;
    assert.deepEqual(request, { model: 'gpt-4o-mini', contents: [{ role: 'user', parts: [{ text: 'Hi' }] }] });
  });

  it('a base64 image becomes inlineData; a web address is refused', () => {
    const content = [{ type: 'text', text: 'What?' }, { type: 'image_url', image_url: { url: PNG } }];
    const request = converted(chatLine({ messages: [{ role: 'user', content }] }), 'gemini')['request'] as Record<string, unknown>;
    assert.deepEqual(request['contents'], [{ role: 'user', parts: [{ text: 'What?' }, { inlineData: { mimeType: 'image/png', data: 'iVBORw0KGgo=' } }] }]);
    const web = [{ type: 'image_url', image_url: { url: 'https://example.com/a.png' } }];
    assert.deepEqual(problems(chatLine({ messages: [{ role: 'user', content: web }] }), 'gemini'), [
      'field "body.messages.0.content.0.image_url.url": Google Gemini takes an image here only as a base64 data: URL (a web address must be uploaded first)',
    ]);
  });

  it('Vertex AI gets the same line as the Gemini API', () => {
    const line = chatLine({ ...FULL_BODY, temperature: 0.5 });
    assert.deepEqual(converted(line, 'vertex', { model: 'gemini-2.5-flash' }), converted(line, 'gemini', { model: 'gemini-2.5-flash' }));
  });
});

describe('convertPortableLine → Bedrock', () => {
  const invocation: readonly (readonly [string, string])[] = [
    ['anthropic.claude-3-haiku-20240307-v1:0', 'InvokeModel'],
    ['us.anthropic.claude-3-5-haiku-20241022-v1:0', 'InvokeModel'],
    ['global.anthropic.claude-sonnet-4-5-20250929-v1:0', 'InvokeModel'],
    ['arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-haiku-20240307-v1:0', 'InvokeModel'],
    ['amazon.nova-lite-v1:0', 'Converse'],
    ['us.meta.llama3-2-1b-instruct-v1:0', 'Converse'],
    ['mistral.mistral-7b-instruct-v0:2', 'Converse'],
    ['arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.amazon.nova-pro-v1:0', 'Converse'],
  ];
  for (const [model, type] of invocation) {
    it(`${model} needs ${type}`, () => assert.equal(bedrockInvocationType(model), type));
  }

  it('InvokeModel for an Anthropic model: the native body with anthropic_version, temperature and top_p kept', () => {
    const line = chatLine({ ...FULL_BODY, temperature: 0.4, top_p: 0.9 });
    assert.deepEqual(converted(line, 'bedrock', { model: 'anthropic.claude-3-haiku-20240307-v1:0' }), {
      recordId: 'item-1',
      modelInput: {
        anthropic_version: 'bedrock-2023-05-31',
        max_tokens: 20,
        system: 'Be brief.',
        messages: [
          { role: 'user', content: 'Name a colour.' },
          { role: 'assistant', content: [{ type: 'text', text: 'Red.' }] },
          { role: 'user', content: [{ type: 'text', text: 'Another?' }] },
        ],
        temperature: 0.4,
        top_p: 0.9,
        stop_sequences: ['\n\n', 'END'],
      },
    });
  });

  it('Converse for other models: text blocks, system blocks and inferenceConfig', () => {
    const line = chatLine({ ...FULL_BODY, temperature: 0.4, top_p: 0.9 });
    assert.deepEqual(converted(line, 'bedrock', { model: 'amazon.nova-lite-v1:0' }), {
      recordId: 'item-1',
      modelInput: {
        messages: [
          { role: 'user', content: [{ text: 'Name a colour.' }] },
          { role: 'assistant', content: [{ text: 'Red.' }] },
          { role: 'user', content: [{ text: 'Another?' }] },
        ],
        system: [{ text: 'Be brief.' }],
        inferenceConfig: { maxTokens: 20, temperature: 0.4, topP: 0.9, stopSequences: ['\n\n', 'END'] },
      },
    });
  });

  it('the model comes from the line when no --model is given, and invocationType overrides it', () => {
    const line = chatLine({ model: 'us.anthropic.claude-3-5-haiku-20241022-v1:0' });
    assert.equal((converted(line, 'bedrock')['modelInput'] as Record<string, unknown>)['anthropic_version'], 'bedrock-2023-05-31');
    assert.deepEqual(converted(line, 'bedrock', { invocationType: 'Converse' }), {
      recordId: 'item-1',
      modelInput: { messages: [{ role: 'user', content: [{ text: 'Hi' }] }], inferenceConfig: { maxTokens: 50 } },
    });
  });

  const refusals: readonly (readonly [string, string, Record<string, unknown>, Record<string, unknown>, string])[] = [
    [
      'an id Bedrock cannot take (never renamed)',
      'amazon.nova-lite-v1:0',
      {},
      { custom_id: 'item 1/a' },
      'field "custom_id": "item 1/a" cannot be a AWS Bedrock recordId (letters, digits, "_" and "-", at most 64); rename it in the file, since results are matched by id',
    ],
    [
      'no max tokens for an Anthropic model',
      'anthropic.claude-3-haiku-20240307-v1:0',
      { max_completion_tokens: undefined },
      {},
      'field "body.max_completion_tokens": AWS Bedrock (Anthropic InvokeModel) needs max_tokens; set max_completion_tokens (or max_tokens)',
    ],
    [
      'a temperature above Anthropic\'s range',
      'anthropic.claude-3-haiku-20240307-v1:0',
      { temperature: 1.5 },
      {},
      'field "body.temperature": AWS Bedrock (Anthropic InvokeModel) takes a temperature from 0 to 1, got 1.5',
    ],
    [
      'a web image for an Anthropic model',
      'anthropic.claude-3-haiku-20240307-v1:0',
      { messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'https://example.com/a.png' } }] }] },
      {},
      'field "body.messages.0.content.0.image_url.url": AWS Bedrock (Anthropic InvokeModel) takes an image here only as a base64 data: URL',
    ],
    [
      'JSON mode for an Anthropic model',
      'anthropic.claude-3-haiku-20240307-v1:0',
      { response_format: { type: 'json_object' } },
      {},
      'field "body.response_format": AWS Bedrock (Anthropic InvokeModel) batches have no JSON mode (json_object); remove it and ask for JSON in the prompt',
    ],
    [
      'a JSON schema through Converse',
      'amazon.nova-lite-v1:0',
      { response_format: { type: 'json_schema', json_schema: { name: 'x', schema: {} } } },
      {},
      'field "body.response_format": AWS Bedrock (Converse) batches cannot take a JSON schema response format; remove it and describe the JSON in the prompt',
    ],
    [
      'an image through Converse',
      'amazon.nova-lite-v1:0',
      { messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: PNG } }] }] },
      {},
      'field "body.messages.0.content.0.image_url.url": AWS Bedrock (Converse) records are converted from text only; send images in a native Bedrock file',
    ],
    ['a seed through Converse', 'amazon.nova-lite-v1:0', { seed: 1 }, {}, 'field "body.seed": AWS Bedrock (Converse) does not take a seed; remove it'],
  ];
  for (const [what, model, body, line, message] of refusals) {
    it(`refuses ${what}`, () => {
      assert.deepEqual(problems(chatLine(body, line), 'bedrock', { model }), [message]);
    });
  }
});

describe('convertPortableLine is deterministic and leaves its input alone', () => {
  for (const provider of ['anthropic', 'gemini', 'bedrock'] as const) {
    it(`${provider}: the same line gives the same bytes, and the line is not changed`, () => {
      const line = chatLine({ ...FULL_BODY, top_p: provider === 'anthropic' ? undefined : 0.5 });
      const before = JSON.stringify(line);
      const first = JSON.stringify(converted(line, provider, { model: 'anthropic.claude-3-haiku-20240307-v1:0' }));
      // The body's keys in another order: the line sent is byte for byte the same.
      const reordered = JSON.parse(before) as Record<string, unknown>;
      const body = reordered['body'] as Record<string, unknown>;
      reordered['body'] = Object.fromEntries(Object.entries(body).reverse());
      assert.equal(JSON.stringify(converted(reordered, provider, { model: 'anthropic.claude-3-haiku-20240307-v1:0' })), first);
      assert.equal(JSON.stringify(line), before);
    });
  }
});

describe('finishReasonOf', () => {
  const table: readonly (readonly [ProviderId, unknown, FinishReason | undefined])[] = [
    ['openai', 'stop', 'stop'],
    ['openai', 'length', 'length'],
    ['openai', 'content_filter', 'content_filter'],
    ['openai', 'tool_calls', 'tool_calls'],
    ['openai', 'function_call', 'tool_calls'],
    ['azure', 'content_filter', 'content_filter'],
    ['openai', null, undefined],
    ['anthropic', 'end_turn', 'stop'],
    ['anthropic', 'stop_sequence', 'stop'],
    ['anthropic', 'max_tokens', 'length'],
    ['anthropic', 'model_context_window_exceeded', 'length'],
    ['anthropic', 'tool_use', 'tool_calls'],
    ['anthropic', 'refusal', 'content_filter'],
    ['anthropic', 'pause_turn', 'other'],
    ['gemini', 'STOP', 'stop'],
    ['gemini', 'MAX_TOKENS', 'length'],
    ['gemini', 'SAFETY', 'content_filter'],
    ['gemini', 'RECITATION', 'content_filter'],
    ['gemini', 'PROHIBITED_CONTENT', 'content_filter'],
    ['gemini', 'MALFORMED_FUNCTION_CALL', 'other'],
    ['gemini', 'FINISH_REASON_UNSPECIFIED', 'other'],
    ['vertex', 'MAX_TOKENS', 'length'],
    ['gemini', undefined, undefined],
    ['bedrock', 'end_turn', 'stop'],
    ['bedrock', 'stop_sequence', 'stop'],
    ['bedrock', 'max_tokens', 'length'],
    ['bedrock', 'tool_use', 'tool_calls'],
    ['bedrock', 'guardrail_intervened', 'content_filter'],
    ['bedrock', 'content_filtered', 'content_filter'],
    // Values the table does not know, and names of another provider's table, read as 'other'.
    ['openai', 'end_turn', 'other'],
    ['anthropic', 'STOP', 'other'],
    ['gemini', 'stop', 'other'],
    ['bedrock', 'something_new', 'other'],
    ['openai', 'toString', 'other'],
    ['openai', 3, 'other'],
  ];
  for (const [provider, raw, expected] of table) {
    it(`${provider} ${JSON.stringify(raw)} → ${String(expected)}`, () => assert.equal(finishReasonOf(provider, raw), expected));
  }
});

describe('nativeLineBytes', () => {
  const encode = (value: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(value));
  const decode = (bytes: Uint8Array): unknown => JSON.parse(new TextDecoder().decode(bytes));
  const anthropicLine = { custom_id: 'a', params: { model: 'claude-haiku-4-5', max_tokens: 5, messages: [{ role: 'user', content: 'Hi' }] } };
  const geminiLine = { key: 'a', request: { model: 'gemini-2.5-flash', contents: [{ role: 'user', parts: [{ text: 'Hi' }] }] } };
  const bedrockLine = { recordId: 'a', modelInput: { messages: [{ role: 'user', content: [{ text: 'Hi' }] }] } };

  it('returns a native line unchanged (the same bytes) when there is no --model', () => {
    for (const [line, provider] of [
      [chatLine(), 'openai'],
      [chatLine(), 'azure'],
      [anthropicLine, 'anthropic'],
      [geminiLine, 'gemini'],
      [geminiLine, 'vertex'],
      [bedrockLine, 'bedrock'],
    ] as const) {
      const bytes = new TextEncoder().encode(` ${JSON.stringify(line)}`);
      assert.equal(nativeLineBytes(bytes, provider, undefined), bytes, provider);
    }
  });

  it('puts --model where each format names its model; a Bedrock record has none (it is on the job)', () => {
    assert.equal((decode(nativeLineBytes(encode(chatLine()), 'openai', 'gpt-4o')) as { body: { model: string } }).body.model, 'gpt-4o');
    assert.equal((decode(nativeLineBytes(encode(anthropicLine), 'anthropic', 'claude-opus-4-1')) as { params: { model: string } }).params.model, 'claude-opus-4-1');
    assert.equal((decode(nativeLineBytes(encode(geminiLine), 'gemini', 'gemini-2.0-flash')) as { request: { model: string } }).request.model, 'gemini-2.0-flash');
    const bedrock = encode(bedrockLine);
    assert.equal(nativeLineBytes(bedrock, 'bedrock', 'amazon.nova-lite-v1:0'), bedrock);
  });

  it('converts a portable line, --model first, into exactly the bytes of convertPortableLine', () => {
    for (const provider of ['anthropic', 'gemini', 'vertex', 'bedrock'] as const) {
      const model = provider === 'bedrock' ? 'amazon.nova-lite-v1:0' : 'some-model';
      const expected = JSON.stringify(converted(chatLine(FULL_BODY), provider, { model }));
      assert.equal(new TextDecoder().decode(nativeLineBytes(encode(chatLine(FULL_BODY)), provider, model)), expected, provider);
    }
    const withoutOverride = decode(nativeLineBytes(encode(chatLine()), 'anthropic', undefined)) as { params: { model: string } };
    assert.equal(withoutOverride.params.model, 'gpt-4o-mini');
  });

  it('throws, naming the provider and field, for a line that cannot go', () => {
    assert.throws(() => nativeLineBytes(encode(chatLine({ temperature: 0.1 })), 'anthropic', 'claude-haiku-4-5'), /cannot send this line to Anthropic: field "body.temperature"/);
    assert.throws(() => nativeLineBytes(encode(anthropicLine), 'gemini', undefined), /line is in Anthropic \(custom_id, params\) format, but Google Gemini expects Gemini/);
    assert.throws(() => nativeLineBytes(encode(anthropicLine), 'openai', 'gpt-4o'), /but OpenAI expects/);
  });
});
