// A deterministic stand-in for the models behind Bedrock's InvokeModel and Converse (spec §5.6).
// The same code answers batch records and sync calls, so a content marker behaves identically in
// both paths. The InvokeModel answer's shape follows the request body's shape: Anthropic Messages
// (`anthropic_version`), Amazon Nova (`messages` of `{text}` parts, the Converse-like shape),
// Titan Text (`inputText`) and Llama-style (`prompt`).

import { fakeAnswerText, fakeTokens, findMarker, isJsonObject, randomId, requestKey } from '../shared/content';
import type { Json, JsonObject } from '../shared/content';

export interface BedrockModelError {
  status: number;
  /** The AWS error name, sent in `x-amzn-errortype`. */
  errorType: string;
  message: string;
}

export type BedrockModelOutcome = { ok: true; body: JsonObject; inputTokens: number; outputTokens: number } | { ok: false; error: BedrockModelError };

export interface ModelCallOptions {
  /** Request keys that already failed once (`[[fail-once:…]]`); shared by batch and sync calls. */
  failedOnce: Set<string>;
  emptyContent: boolean;
  nonJsonContent: boolean;
}

/** Codes that make the model refuse on content grounds: an answer with a filtered stop reason, not an HTTP error. */
const CONTENT_FILTER_CODES: ReadonlySet<string> = new Set(['content_policy_violation', 'content_filtered', 'guardrail_intervened']);

/** Maps a `[[fail:CODE]]` code (an AWS exception name or one of the OpenAI-style codes) to the runtime's error. */
export function errorForCode(code: string): BedrockModelError {
  switch (code) {
    case 'ThrottlingException':
    case 'rate_limit_exceeded':
      return { status: 429, errorType: 'ThrottlingException', message: 'Too many requests, please wait before trying again.' };
    case 'ModelNotReadyException':
      return { status: 429, errorType: 'ModelNotReadyException', message: 'Model is not ready to serve inference requests.' };
    case 'InternalServerException':
    case 'server_error':
      return { status: 500, errorType: 'InternalServerException', message: 'The server encountered an internal error while processing the request.' };
    case 'ServiceUnavailableException':
    case 'overloaded':
      return { status: 503, errorType: 'ServiceUnavailableException', message: 'Bedrock is unable to process your request.' };
    case 'ModelTimeoutException':
    case 'timeout':
      return { status: 408, errorType: 'ModelTimeoutException', message: 'Model has timed out in processing the request.' };
    case 'ModelErrorException':
      return { status: 424, errorType: 'ModelErrorException', message: 'The model returned an error while processing the request.' };
    case 'context_length_exceeded':
      return { status: 400, errorType: 'ValidationException', message: 'Input is too long for requested model.' };
    default:
      return { status: 400, errorType: 'ValidationException', message: `Emulated failure: ${code}` };
  }
}

const malformed = (detail: string): BedrockModelError => ({
  status: 400,
  errorType: 'ValidationException',
  message: `Malformed input request: ${detail}, please reformat your input and try again.`,
});

/** Text of a content value: a string, or the `text` of each part (`{type:'text',text}` or `{text}`). */
function contentText(content: Json | undefined): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  const parts: string[] = [];
  for (const part of content) if (isJsonObject(part) && typeof part['text'] === 'string') parts.push(part['text']);
  return parts.join('\n');
}

interface Prompt {
  lastUser: string;
  totalChars: number;
  system: string;
}

function messagesPrompt(messages: Json[], system: Json | undefined): Prompt {
  const systemText = contentText(system ?? null);
  let lastUser = '';
  let totalChars = systemText.length;
  for (const m of messages) {
    if (!isJsonObject(m)) continue;
    const text = contentText(m['content']);
    totalChars += text.length;
    if (m['role'] === 'user') lastUser = text;
  }
  return { lastUser, totalChars, system: systemText };
}

type BodyShape = 'anthropic' | 'converse' | 'titan' | 'llama';

function shapeOf(modelId: string, body: JsonObject): BodyShape | null {
  if ('anthropic_version' in body || /(^|[.:/])anthropic\./.test(modelId)) return 'anthropic';
  if (Array.isArray(body['messages'])) return 'converse';
  if (typeof body['inputText'] === 'string') return 'titan';
  if (typeof body['prompt'] === 'string') return 'llama';
  return null;
}

function promptOf(shape: BodyShape, body: JsonObject): Prompt {
  if (shape === 'titan') {
    const text = String(body['inputText']);
    return { lastUser: text, totalChars: text.length, system: '' };
  }
  if (shape === 'llama') {
    const text = String(body['prompt']);
    return { lastUser: text, totalChars: text.length, system: '' };
  }
  return messagesPrompt(Array.isArray(body['messages']) ? body['messages'] : [], body['system']);
}

/** The model's answer in the body shape of `shape`; `filtered` gives the shape's content-filter stop instead. */
function answerBody(shape: BodyShape, modelId: string, text: string, inputTokens: number, outputTokens: number, filtered: boolean): JsonObject {
  switch (shape) {
    case 'anthropic':
      return {
        id: randomId('msg_bdrk_', 12),
        type: 'message',
        role: 'assistant',
        model: modelId.replace(/^.*anthropic\./, ''),
        content: filtered ? [] : [{ type: 'text', text }],
        stop_reason: filtered ? 'refusal' : 'end_turn',
        stop_sequence: null,
        usage: { input_tokens: inputTokens, output_tokens: outputTokens },
      };
    case 'converse':
      return {
        output: { message: { role: 'assistant', content: filtered ? [] : [{ text }] } },
        stopReason: filtered ? 'content_filtered' : 'end_turn',
        usage: { inputTokens, outputTokens, totalTokens: inputTokens + outputTokens },
        metrics: { latencyMs: 12 },
      };
    case 'titan':
      return { inputTextTokenCount: inputTokens, results: [{ tokenCount: outputTokens, outputText: filtered ? '' : text, completionReason: filtered ? 'CONTENT_FILTERED' : 'FINISH' }] };
    case 'llama':
      return { generation: filtered ? '' : text, prompt_token_count: inputTokens, generation_token_count: outputTokens, stop_reason: 'stop' };
  }
}

/**
 * One model call. `converse` is the Converse API (and a Converse-type batch record): the request is
 * Converse-shaped whatever the model. Otherwise the InvokeModel body decides the answer's shape.
 */
export function runBedrockModel(modelId: string, body: JsonObject, converse: boolean, options: ModelCallOptions): BedrockModelOutcome {
  const shape: BodyShape | null = converse ? 'converse' : shapeOf(modelId, body);
  if (shape === null) return { ok: false, error: malformed('#: extraneous or missing keys, expected messages, inputText or prompt') };
  if (shape === 'anthropic') {
    if (typeof body['max_tokens'] !== 'number') return { ok: false, error: malformed('#: required key [max_tokens] not found') };
    if (!Array.isArray(body['messages']) || body['messages'].length === 0) return { ok: false, error: malformed('#: required key [messages] not found') };
  }
  if (shape === 'converse' && (!Array.isArray(body['messages']) || body['messages'].length === 0)) {
    return { ok: false, error: { status: 400, errorType: 'ValidationException', message: 'A conversation must start with a user message. Try again with a conversation that starts with a user message.' } };
  }
  const prompt = promptOf(shape, body);
  const marker = findMarker(prompt.lastUser);
  let filtered = false;
  if (marker?.kind === 'fail' || marker?.kind === 'fail-once') {
    const key = requestKey(body);
    const failNow = marker.kind === 'fail' || !options.failedOnce.has(key);
    if (failNow) {
      options.failedOnce.add(key);
      if (CONTENT_FILTER_CODES.has(marker.code)) filtered = true;
      else return { ok: false, error: errorForCode(marker.code) };
    }
  }
  const text = filtered
    ? ''
    : fakeAnswerText(prompt.lastUser, {
        wantsJson: /\bjson\b/i.test(prompt.system),
        empty: options.emptyContent || marker?.kind === 'empty',
        nonJson: options.nonJsonContent || marker?.kind === 'not-json',
      });
  const inputTokens = fakeTokens(prompt.totalChars);
  const outputTokens = filtered ? 0 : fakeTokens(text.length);
  return { ok: true, body: answerBody(shape, modelId, text, inputTokens, outputTokens, filtered), inputTokens, outputTokens };
}
