// A deterministic stand-in for the model behind /chat/completions, /responses and /embeddings.
// The same code answers batch items and sync calls, so a content marker behaves identically in
// both paths (spec §1.7: re-issuing an item sends its JSONL body unchanged to the sync URL).

import { createHash, randomBytes } from 'node:crypto';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export const isJsonObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

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

export type Marker = { kind: 'fail' | 'fail-once'; code: string } | { kind: 'empty' } | { kind: 'not-json' };

const MARKER_RE = /\[\[(fail|fail-once):([A-Za-z0-9_.-]+)\]\]|\[\[(empty|not-json)\]\]/g;

/** Finds content markers; a failure marker wins over a content-shaping one, whatever the order. */
export function findMarker(text: string): Marker | null {
  if (!text.includes('[[')) return null;
  let shaping: Marker | null = null;
  for (const m of text.matchAll(MARKER_RE)) {
    const failKind = m[1];
    const code = m[2];
    if ((failKind === 'fail' || failKind === 'fail-once') && code !== undefined) return { kind: failKind, code };
    if (shaping === null && (m[3] === 'empty' || m[3] === 'not-json')) shaping = { kind: m[3] };
  }
  return shaping;
}

/** Keys sorted at every level, so "the same request" survives a client re-serialising the body. */
export function canonicalJson(v: Json): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const keys = Object.keys(v).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(v[k] ?? null)}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

export const requestKey = (body: JsonObject): string => createHash('sha256').update(canonicalJson(body)).digest('hex');

// randomBytes costs ~5 µs a call, which dominated a 10,000-item batch (four ids per item); drawing
// from a 64 KiB pool makes ids nearly free while keeping them unguessable and collision-free.
let idPool = Buffer.alloc(0);
let idPoolPos = 0;

export function randomId(prefix: string, bytes = 12): string {
  if (idPoolPos + bytes > idPool.length) {
    idPool = randomBytes(64 * 1024);
    idPoolPos = 0;
  }
  const hex = idPool.toString('hex', idPoolPos, idPoolPos + bytes);
  idPoolPos += bytes;
  return `${prefix}${hex}`;
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
function snippet(text: string): string {
  return Array.from(text.slice(0, 120)).slice(0, 60).join('');
}

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

  let content: string;
  const echo = snippet(prompt.lastUser);
  if (marker?.kind === 'empty' || ctx.emptyContent) content = '';
  // Unterminated on purpose: it starts like JSON so a lenient parser cannot rescue it.
  else if (marker?.kind === 'not-json' || ctx.nonJsonContent) content = `Sure! Here is the JSON you asked for: {"echo": ${JSON.stringify(echo)}`;
  else if (wantsJson(endpoint, body)) content = JSON.stringify({ echo, length: prompt.lastUser.length });
  else content = `Echo: ${echo}`;
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
