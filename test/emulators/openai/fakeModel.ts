// A deterministic stand-in for the model behind /chat/completions, /responses and /embeddings.
// The same code answers batch items and sync calls, so a content marker behaves identically in
// both paths (spec §1.7: re-issuing an item sends its JSONL body unchanged to the sync URL).

import { createHash } from 'node:crypto';
import { fakeAnswerText, findMarker, isJsonObject, randomId, requestKey } from '../shared/content';
import type { Json, JsonObject } from '../shared/content';

export { canonicalJson, findMarker, isJsonObject, randomId, requestKey } from '../shared/content';
export type { Json, JsonObject, Marker } from '../shared/content';

/** OpenAI's error body (spec §1.5); the SDK reads `code`, `type` and `param` from it. */
// A type alias (not an interface) so it stays assignable to Json when embedded in result lines.
export type OpenAiErrorBody = {
  error: { message: string; type: string; param: string | null; code: string | null };
};

export interface ModelError {
  status: number;
  body: OpenAiErrorBody;
}

export type ModelOutcome = { ok: true; body: JsonObject; inputTokens: number; outputTokens: number } | { ok: false; error: ModelError };

/** Which model API a body is for, after dropping the `/v1` prefix that batch lines usually carry. */
export type ModelEndpoint = '/chat/completions' | '/responses' | '/embeddings';

export function modelEndpointOf(url: string): ModelEndpoint | null {
  const bare = url.startsWith('/v1/') ? url.slice(3) : url;
  return bare === '/chat/completions' || bare === '/responses' || bare === '/embeddings' ? bare : null;
}

export function openAiError(status: number, message: string, type: string, param: string | null, code: string | null): ModelError {
  return { status, body: { error: { message, type, param, code } } };
}

/** Maps a `[[fail:CODE]]` marker to the HTTP error the real API would give for that code. */
export function errorForCode(code: string, message?: string): ModelError {
  switch (code) {
    case 'context_length_exceeded':
      return openAiError(
        400,
        message ??
          "This model's maximum context length is 128000 tokens. However, your messages resulted in more tokens. Please reduce the length of the messages.",
        'invalid_request_error',
        'messages',
        code,
      );
    case 'server_error':
      return openAiError(
        500,
        message ?? 'The server had an error while processing your request. Sorry about that!',
        'server_error',
        null,
        code,
      );
    case 'rate_limit_exceeded':
      return openAiError(429, message ?? 'Rate limit reached for requests. Please try again later.', 'requests', null, code);
    case 'content_policy_violation':
      return openAiError(
        400,
        message ?? 'Your request was rejected as a result of our safety system.',
        'invalid_request_error',
        null,
        code,
      );
    default:
      return openAiError(400, message ?? `Emulated failure: ${code}`, 'invalid_request_error', null, code);
  }
}

/** Text of a message `content`: a string, or the text parts of a content array. */
function contentText(content: Json | undefined): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  const parts: string[] = [];
  for (const part of content) {
    if (isJsonObject(part) && typeof part['text'] === 'string') parts.push(part['text']);
  }
  return parts.join('\n');
}

interface PromptText {
  /** The last user message: markers are read from it and the echo is built from it. */
  lastUser: string;
  /** Every input character the model "reads", for prompt token counting. */
  totalChars: number;
}

function chatPrompt(body: JsonObject): PromptText {
  const messages = body['messages'];
  let lastUser = '';
  let totalChars = 0;
  if (Array.isArray(messages)) {
    for (const m of messages) {
      if (!isJsonObject(m)) continue;
      const text = contentText(m['content']);
      totalChars += text.length;
      if (m['role'] === 'user') lastUser = text;
    }
  }
  return { lastUser, totalChars };
}

function responsesPrompt(body: JsonObject): PromptText {
  const input = body['input'];
  const instructions = body['instructions'];
  let totalChars = typeof instructions === 'string' ? instructions.length : 0;
  if (typeof input === 'string') return { lastUser: input, totalChars: totalChars + input.length };
  let lastUser = '';
  if (Array.isArray(input)) {
    for (const item of input) {
      if (!isJsonObject(item)) continue;
      // Input items without a role (tool outputs, reasoning) are not messages; skip them.
      if (typeof item['role'] !== 'string') continue;
      const text = contentText(item['content']);
      totalChars += text.length;
      if (item['role'] === 'user') lastUser = text;
    }
  }
  return { lastUser, totalChars };
}

function embeddingsPrompt(body: JsonObject): PromptText {
  const input = body['input'];
  const texts = typeof input === 'string' ? [input] : Array.isArray(input) ? input.filter((x): x is string => typeof x === 'string') : [];
  const joined = texts.join('\n');
  return { lastUser: joined, totalChars: joined.length };
}

function wantsJson(endpoint: ModelEndpoint, body: JsonObject): boolean {
  const format =
    endpoint === '/chat/completions'
      ? body['response_format']
      : endpoint === '/responses' && isJsonObject(body['text'])
        ? body['text']['format']
        : undefined;
  return isJsonObject(format) && (format['type'] === 'json_object' || format['type'] === 'json_schema');
}

/** First 60 characters, counted in code points so a surrogate pair is never split. */
export interface ModelContext {
  /** Request keys that already failed once for a `[[fail-once:…]]` marker, shared by batch and sync. */
  failedOnce: Set<string>;
  emptyContent: boolean;
  nonJsonContent: boolean;
  /** Azure chat bodies carry content-filter annotations (spec §2.4). */
  azure: boolean;
  nowSec: number;
}

export function runFakeModel(endpoint: ModelEndpoint, body: JsonObject, ctx: ModelContext): ModelOutcome {
  const prompt = endpoint === '/chat/completions' ? chatPrompt(body) : endpoint === '/responses' ? responsesPrompt(body) : embeddingsPrompt(body);
  const marker = findMarker(prompt.lastUser);
  if (marker?.kind === 'fail') return { ok: false, error: errorForCode(marker.code) };
  if (marker?.kind === 'fail-once') {
    // Hashing only when the marker is present keeps the common path cheap for 10,000-line files.
    const key = requestKey(body);
    if (!ctx.failedOnce.has(key)) {
      ctx.failedOnce.add(key);
      return { ok: false, error: errorForCode(marker.code) };
    }
  }
  const model = typeof body['model'] === 'string' ? body['model'] : 'unknown-model';
  const inputTokens = Math.max(1, Math.ceil(prompt.totalChars / 4));
  if (endpoint === '/embeddings') return embeddingsBody(model, prompt, inputTokens);

  const content = fakeAnswerText(prompt.lastUser, {
    wantsJson: wantsJson(endpoint, body),
    empty: marker?.kind === 'empty' || ctx.emptyContent,
    nonJson: marker?.kind === 'not-json' || ctx.nonJsonContent,
  });
  const outputTokens = Math.ceil(content.length / 4);

  const out = endpoint === '/chat/completions' ? chatBody(model, content, inputTokens, outputTokens, ctx) : responsesBody(model, body, content, inputTokens, outputTokens, ctx);
  return { ok: true, body: out, inputTokens, outputTokens };
}

const SAFE_FILTERS: JsonObject = {
  hate: { filtered: false, severity: 'safe' },
  self_harm: { filtered: false, severity: 'safe' },
  sexual: { filtered: false, severity: 'safe' },
  violence: { filtered: false, severity: 'safe' },
};

function chatBody(model: string, content: string, inputTokens: number, outputTokens: number, ctx: ModelContext): JsonObject {
  const choice: JsonObject = {
    index: 0,
    message: { role: 'assistant', content, refusal: null, annotations: [] },
    logprobs: null,
    finish_reason: 'stop',
  };
  if (ctx.azure) choice['content_filter_results'] = SAFE_FILTERS;
  const out: JsonObject = {
    id: randomId('chatcmpl-'),
    object: 'chat.completion',
    created: ctx.nowSec,
    model,
    choices: [choice],
    usage: {
      prompt_tokens: inputTokens,
      completion_tokens: outputTokens,
      total_tokens: inputTokens + outputTokens,
      prompt_tokens_details: { cached_tokens: 0, cache_write_tokens: 0, audio_tokens: 0 },
      completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
    },
    service_tier: 'default',
    system_fingerprint: 'fp_emulator',
  };
  if (ctx.azure) out['prompt_filter_results'] = [{ prompt_index: 0, content_filter_results: SAFE_FILTERS }];
  return out;
}

function responsesBody(model: string, req: JsonObject, content: string, inputTokens: number, outputTokens: number, ctx: ModelContext): JsonObject {
  const text = isJsonObject(req['text']) ? req['text'] : { format: { type: 'text' } };
  // `output_text` is deliberately absent: the real API does not send it; the SDK adds it in sync calls.
  return {
    id: randomId('resp_', 24),
    object: 'response',
    created_at: ctx.nowSec,
    status: 'completed',
    background: false,
    completed_at: ctx.nowSec,
    error: null,
    incomplete_details: null,
    instructions: typeof req['instructions'] === 'string' ? req['instructions'] : null,
    max_output_tokens: typeof req['max_output_tokens'] === 'number' ? req['max_output_tokens'] : null,
    metadata: isJsonObject(req['metadata']) ? req['metadata'] : {},
    model,
    output: [
      {
        id: randomId('msg_', 24),
        type: 'message',
        status: 'completed',
        role: 'assistant',
        content: [{ type: 'output_text', text: content, annotations: [], logprobs: [] }],
      },
    ],
    parallel_tool_calls: true,
    previous_response_id: null,
    reasoning: { effort: null, summary: null },
    service_tier: 'default',
    store: true,
    temperature: 1,
    text,
    tool_choice: 'auto',
    tools: [],
    top_p: 1,
    truncation: 'disabled',
    usage: {
      input_tokens: inputTokens,
      input_tokens_details: { cached_tokens: 0, cache_write_tokens: 0 },
      output_tokens: outputTokens,
      output_tokens_details: { reasoning_tokens: 0 },
      total_tokens: inputTokens + outputTokens,
    },
    user: null,
  };
}

function embeddingsBody(model: string, prompt: PromptText, inputTokens: number): ModelOutcome {
  // Eight dimensions derived from the text hash: deterministic and cheap, not meaningful.
  const digest = createHash('sha256').update(prompt.lastUser).digest();
  const embedding = Array.from({ length: 8 }, (_, i) => Number(((digest[i] ?? 0) / 127.5 - 1).toFixed(6)));
  return {
    ok: true,
    body: {
      object: 'list',
      data: [{ object: 'embedding', index: 0, embedding }],
      model,
      usage: { prompt_tokens: inputTokens, total_tokens: inputTokens },
    },
    inputTokens,
    outputTokens: 0,
  };
}
