// Input tokens of an Anthropic Message Batches request (a line's `params`), approximated: Claude's
// tokenizer is not published. The content-block walk also serves Bedrock, whose Claude, Converse
// and Nova bodies use the same blocks under their own spellings.

import { APPROX_CHARS_PER_TOKEN, ApproxCounter } from './approxCounter';
import type { InputTokenCount } from './inputTokens';
import { asArray, asRecord, asString } from './jsonValues';
import type { JsonRecord } from './jsonValues';
import { REPLY_PRIMING_TOKENS } from './openaiInputTokens';

/** Anthropic `system` / `content`: a string or a list of blocks. */
function countAnthropicContent(counter: ApproxCounter, content: unknown): void {
  if (typeof content === 'string') {
    counter.text(content);
    return;
  }
  const blocks = asArray(content);
  if (blocks === undefined) {
    counter.leaves(content);
    return;
  }
  for (const block of blocks) countContentBlock(counter, block);
}

/**
 * One content block in any of the shapes Anthropic, Bedrock Converse and Nova use:
 * `{type:'text', text}`, `{text}`, images, documents, tool use and tool results.
 */
function countContentBlock(counter: ApproxCounter, block: unknown): void {
  const record = asRecord(block);
  if (record === undefined) {
    counter.leaves(block);
    return;
  }
  const type = asString(record['type']);
  const text = asString(record['text']);
  if (text !== undefined && (type === undefined || type === 'text')) {
    counter.text(text);
  } else if (type === 'image' || record['image'] !== undefined) {
    counter.image();
  } else if (type === 'document' || record['document'] !== undefined || record['video'] !== undefined) {
    counter.otherMedia();
  } else if (type === 'tool_use') {
    counter.text(asString(record['name']) ?? '');
    counter.json(record['input']);
  } else if (type === 'tool_result') {
    countAnthropicContent(counter, record['content']);
  } else if (type === 'thinking') {
    counter.text(asString(record['thinking']) ?? '');
  } else if (record['toolUse'] !== undefined) {
    const toolUse = asRecord(record['toolUse']);
    counter.text(asString(toolUse?.['name']) ?? '');
    counter.json(toolUse?.['input']);
  } else if (record['toolResult'] !== undefined) {
    countAnthropicContent(counter, asRecord(record['toolResult'])?.['content']);
  } else if (type === 'redacted_thinking' || record['cachePoint'] !== undefined) {
    // Opaque or zero-width markers.
  } else {
    counter.leaves(record);
  }
}

/** `messages: [{role, content}]` for Anthropic, Bedrock (Claude, Converse, Nova) and OpenAI-style bodies. */
function countMessageList(counter: ApproxCounter, messages: unknown): void {
  const list = asArray(messages);
  if (list === undefined) return;
  for (const message of list) {
    counter.messages++;
    const record = asRecord(message);
    if (record === undefined) counter.leaves(message);
    else countAnthropicContent(counter, record['content']);
  }
}

/** `system`, `messages` and `tools` of an Anthropic-style body, as Anthropic and Bedrock send it. */
export function countAnthropicBody(counter: ApproxCounter, body: JsonRecord): void {
  countAnthropicContent(counter, body['system']);
  countMessageList(counter, body['messages']);
  counter.json(body['tools']);
}

export function countAnthropicInputTokens(request: unknown): InputTokenCount {
  const counter = new ApproxCounter('anthropic');
  const body = asRecord(request);
  if (body !== undefined) countAnthropicBody(counter, body);
  return { tokens: counter.tokens(APPROX_CHARS_PER_TOKEN.anthropic, REPLY_PRIMING_TOKENS), exact: false };
}
