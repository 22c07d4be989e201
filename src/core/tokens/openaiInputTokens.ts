// Input tokens of an OpenAI (or Azure OpenAI) request, counted exactly where OpenAI documents the
// framing: chat messages, function tools, Responses API input, embeddings and legacy completions.
// Whatever it cannot count faithfully (media, built-in tools, schemas, odd shapes) it still counts,
// and marks the total inexact.

import type { InputTokenCount } from './inputTokens';
import { asArray, asRecord, asString, forEachTextLeaf, isRecord, jsonText, pick } from './jsonValues';
import { IMAGE_TOKEN_ESTIMATE, OPENAI_LOW_DETAIL_IMAGE_TOKENS, OTHER_MEDIA_TOKEN_ESTIMATE } from './mediaTokens';
import { openAiEncodingForModel, tokenizerFor } from './openaiTokenizer';
import type { OpenAiEncodingName, TextTokenizer } from './openaiTokenizer';
import { openAiEndpoint, openAiParts } from './openaiRequest';

/** Running total for one request; any approximation along the way clears `exact`. */
interface Tally {
  tokens: number;
  exact: boolean;
}

/**
 * Chat framing follows the OpenAI cookbook's `num_tokens_from_messages` (How_to_count_tokens_with_tiktoken):
 * 3 tokens per message, the tokens of every string field of the message (role, content, name, ...),
 * 1 more when a `name` is present, and 3 to prime the reply. The cookbook checks it against the
 * API: its six-message example is 129 prompt tokens on gpt-4 / gpt-3.5-turbo and 124 on gpt-4o /
 * gpt-4o-mini, and the unit tests reproduce both. gpt-tokenizer's `encodeChat` was not used: it
 * encodes the older ChatML layout, which counts names differently.
 */
const TOKENS_PER_MESSAGE = 3;
const TOKENS_PER_NAME = 1;
/** Also added by the Anthropic and Bedrock approximations, whose replies are primed alike. */
export const REPLY_PRIMING_TOKENS = 3;

/**
 * Function-tool definitions, per the same cookbook's `num_tokens_for_tools`, which it checks
 * against the API (101 tokens on gpt-4o, 105 on gpt-4 for its weather example).
 */
const TOOL_FRAMING: Readonly<Record<OpenAiEncodingName, { funcInit: number }>> = {
  o200k_base: { funcInit: 7 },
  cl100k_base: { funcInit: 10 },
};
const TOOL_PROP_INIT = 3;
const TOOL_PROP_KEY = 3;
const TOOL_ENUM_INIT = -3;
const TOOL_ENUM_ITEM = 3;
const TOOL_FUNC_END = 12;

class OpenAiCounter {
  readonly tally: Tally;

  constructor(
    private readonly tokenizer: TextTokenizer,
    private readonly encoding: OpenAiEncodingName,
    exact: boolean,
  ) {
    this.tally = { tokens: 0, exact };
  }

  text(value: string): void {
    const before = this.tokenizer.approximations;
    this.tally.tokens += this.tokenizer.count(value);
    if (this.tokenizer.approximations !== before) this.tally.exact = false;
  }

  /** Anything we cannot tokenize faithfully: its text leaves, and the count becomes approximate. */
  approximate(value: unknown): void {
    this.tally.exact = false;
    forEachTextLeaf(value, (text) => this.text(text));
  }

  media(tokens: number): void {
    this.tally.exact = false;
    this.tally.tokens += tokens;
  }

  /** One message; `skipType` drops the Responses API's `type: "message"` marker, which is not text. */
  message(message: unknown, skipType = false): void {
    this.tally.tokens += TOKENS_PER_MESSAGE;
    if (!isRecord(message)) {
      this.approximate(message);
      return;
    }
    for (const key in message) {
      if (skipType && key === 'type') continue;
      const value = message[key];
      if (typeof value === 'string') {
        this.text(value);
        if (key === 'name') this.tally.tokens += TOKENS_PER_NAME;
      } else if (key === 'content') {
        this.contentParts(value);
      } else if (value !== null && value !== undefined) {
        // tool_calls, function_call, audio references: their framing is undocumented.
        this.approximate(value);
      }
    }
  }

  /** Chat `content` arrays and Responses `content` arrays share most part types. */
  contentParts(content: unknown): void {
    const parts = asArray(content);
    if (parts === undefined) {
      if (content !== null && content !== undefined) this.approximate(content);
      return;
    }
    for (const part of parts) {
      const record = asRecord(part);
      const type = asString(record?.['type']);
      const text = asString(record?.['text']);
      if (text !== undefined && (type === 'text' || type === 'input_text' || type === 'output_text')) {
        this.text(text);
      } else if (type === 'image_url' || type === 'input_image') {
        const detail = asString(pick(asRecord(record?.['image_url']), 'detail')) ?? asString(record?.['detail']);
        this.media(detail === 'low' ? OPENAI_LOW_DETAIL_IMAGE_TOKENS : IMAGE_TOKEN_ESTIMATE.openai);
      } else if (type === 'input_audio' || type === 'file' || type === 'input_file') {
        this.media(OTHER_MEDIA_TOKEN_ESTIMATE);
      } else if (type === 'refusal' && asString(record?.['refusal']) !== undefined) {
        this.text(asString(record?.['refusal']) ?? '');
      } else {
        this.approximate(part);
      }
    }
  }

  messages(messages: unknown): void {
    const list = asArray(messages);
    if (list === undefined) {
      // A chat body without a messages array will be rejected; count the reply priming only.
      this.tally.exact = false;
    } else {
      for (const message of list) this.message(message);
    }
    this.tally.tokens += REPLY_PRIMING_TOKENS;
  }

  /** `tools` ({type:'function', function:{…}} or the Responses API's flat form) and legacy `functions`. */
  tools(tools: unknown): void {
    const list = asArray(tools);
    if (list === undefined || list.length === 0) {
      if (tools !== undefined && tools !== null && list === undefined) this.approximate(tools);
      return;
    }
    const { funcInit } = TOOL_FRAMING[this.encoding];
    for (const tool of list) {
      const record = asRecord(tool);
      const fn = asRecord(record?.['function']) ?? (record !== undefined && asString(record['name']) !== undefined ? record : undefined);
      if (fn === undefined) {
        // Built-in tools (web_search, file_search, ...) are framed by the provider in unknown ways.
        this.approximate(tool);
        continue;
      }
      this.tally.tokens += funcInit;
      this.text(`${asString(fn['name']) ?? ''}:${stripFinalPeriod(asString(fn['description']) ?? '')}`);
      const properties = asRecord(asRecord(fn['parameters'])?.['properties']);
      const keys = properties === undefined ? [] : Object.keys(properties);
      if (properties === undefined || keys.length === 0) continue;
      this.tally.tokens += TOOL_PROP_INIT;
      for (const key of keys) {
        this.tally.tokens += TOOL_PROP_KEY;
        const property = asRecord(properties[key]);
        const enumValues = asArray(property?.['enum']);
        if (enumValues !== undefined) {
          this.tally.tokens += TOOL_ENUM_INIT;
          for (const item of enumValues) {
            this.tally.tokens += TOOL_ENUM_ITEM;
            this.text(typeof item === 'string' ? item : jsonText(item));
          }
        }
        const rawType = property?.['type'];
        const type = typeof rawType === 'string' ? rawType : rawType === undefined ? '' : jsonText(rawType);
        this.text(`${key}:${type}:${stripFinalPeriod(asString(property?.['description']) ?? '')}`);
        // The cookbook formula does not model nested object or array schemas.
        if (property !== undefined && (property['properties'] !== undefined || property['items'] !== undefined)) {
          this.approximate(property['properties'] ?? property['items']);
        }
      }
    }
    this.tally.tokens += TOOL_FUNC_END;
  }

  /** Structured-output schemas are injected into the prompt in an undocumented layout. */
  schema(schema: unknown): void {
    if (schema === undefined || schema === null) return;
    this.tally.exact = false;
    this.text(jsonText(schema));
  }

  /** Embeddings and legacy completions: a string, strings, or pre-tokenized arrays; no framing. */
  plainInput(input: unknown): void {
    if (typeof input === 'string') {
      this.text(input);
      return;
    }
    const list = asArray(input);
    if (list === undefined) {
      if (input !== undefined && input !== null) this.approximate(input);
      else this.tally.exact = false;
      return;
    }
    if (list.every((item) => typeof item === 'number')) {
      this.tally.tokens += list.length;
      return;
    }
    for (const item of list) {
      if (typeof item === 'string') this.text(item);
      else if (Array.isArray(item) && item.every((token) => typeof token === 'number')) this.tally.tokens += item.length;
      else this.approximate(item);
    }
  }

  /** Responses API `input`: a string, or a list of messages and items. */
  responsesInput(input: unknown): void {
    if (typeof input === 'string') {
      this.message({ role: 'user', content: input });
      return;
    }
    const list = asArray(input);
    if (list === undefined) {
      if (input !== undefined && input !== null) this.approximate(input);
      else this.tally.exact = false;
      return;
    }
    for (const item of list) {
      const record = asRecord(item);
      if (record !== undefined && typeof record['role'] === 'string') {
        this.message(record, true);
      } else {
        // function_call / function_call_output / reasoning items.
        this.tally.tokens += TOKENS_PER_MESSAGE;
        this.approximate(item);
      }
    }
  }
}

function stripFinalPeriod(text: string): string {
  return text.endsWith('.') ? text.slice(0, -1) : text;
}

/** `request` is `{ url, body }` as the line carries them, or a bare body. */
export function countOpenAiInputTokens(model: string, request: unknown): InputTokenCount {
  const choice = openAiEncodingForModel(model);
  const counter = new OpenAiCounter(tokenizerFor(choice.encoding), choice.encoding, choice.known);
  const { url, body } = openAiParts(request);
  switch (openAiEndpoint(url, body, model)) {
    case 'chat':
      counter.messages(body?.['messages']);
      counter.tools(body?.['tools']);
      counter.tools(body?.['functions']);
      counter.schema(asRecord(asRecord(body?.['response_format'])?.['json_schema']));
      break;
    case 'responses': {
      const instructions = asString(body?.['instructions']);
      if (instructions !== undefined) counter.message({ role: 'system', content: instructions });
      counter.responsesInput(body?.['input']);
      counter.tally.tokens += REPLY_PRIMING_TOKENS;
      counter.tools(body?.['tools']);
      const format = asRecord(asRecord(body?.['text'])?.['format']);
      if (asString(format?.['type']) === 'json_schema') counter.schema(format?.['schema']);
      break;
    }
    case 'embeddings':
      counter.plainInput(body?.['input']);
      break;
    case 'completions':
      counter.plainInput(body?.['prompt']);
      break;
    case 'unknown':
      counter.approximate(body ?? request);
      break;
  }
  return counter.tally;
}
