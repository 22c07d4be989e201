// A deterministic stand-in for POST /v1/messages (spec §3.7). The same code answers batch items
// and sync calls, so a content marker or a prompt-cache prefix behaves the same in both paths
// (a batch item's `params` is exactly a Messages body).

import { createHash } from 'node:crypto';
import { canonicalJson, fakeAnswerText, fakeTokens, findMarker, isJsonObject, randomId, requestKey } from '../shared/content';
import type { Json, JsonObject } from '../shared/content';

/** The two `anthropic-version` values the emulator speaks (spec §3.1). */
export const API_VERSIONS = ['2023-06-01', '2026-10-21'] as const;
export type ApiVersion = (typeof API_VERSIONS)[number];

/** Messages parameters the 2026-10-21 version removed; sending them is a 400 (spec §3.1). */
export const REMOVED_IN_2026_10_21: readonly string[] = ['temperature', 'top_p', 'top_k'];

/** Anthropic's error `type` values (spec §3.5) with the HTTP status the API answers them with. */
export const ERROR_STATUS: Readonly<Record<string, number>> = {
  invalid_request_error: 400,
  authentication_error: 401,
  billing_error: 402,
  permission_error: 403,
  not_found_error: 404,
  request_too_large: 413,
  rate_limit_error: 429,
  api_error: 500,
  timeout_error: 504,
  overloaded_error: 529,
};

/** The inner error object of every Anthropic error body; a type alias so it stays assignable to Json. */
export type AnthropicErrorObject = { type: string; message: string };

export interface ModelError {
  status: number;
  error: AnthropicErrorObject;
}

export type MessageOutcome = { ok: true; message: JsonObject } | { ok: false; error: ModelError };

export function modelError(type: string, message: string): ModelError {
  return { status: ERROR_STATUS[type] ?? 400, error: { type, message } };
}

/**
 * Maps a `[[fail:CODE]]` marker to the error the API would give. CODE may be an Anthropic error
 * type or one of the OpenAI-flavoured codes the shared test files use, so one portable file
 * fails the same way on every provider.
 */
export function errorForCode(code: string): ModelError {
  switch (code) {
    case 'context_length_exceeded':
      return modelError('invalid_request_error', 'prompt is too long: 250000 tokens > 200000 maximum');
    case 'rate_limit_exceeded':
    case 'rate_limit_error':
      return modelError('rate_limit_error', 'Number of request tokens has exceeded your per-minute rate limit.');
    case 'server_error':
    case 'api_error':
      return modelError('api_error', 'Internal server error');
    case 'overloaded_error':
      return modelError('overloaded_error', 'Overloaded');
    case 'timeout_error':
      return modelError('timeout_error', 'Request timed out');
    case 'authentication_error':
      return modelError('authentication_error', 'invalid x-api-key');
    case 'permission_error':
      return modelError('permission_error', 'Your API key does not have permission to use the specified resource.');
    case 'not_found_error':
      return modelError('not_found_error', 'model: emulated-unknown-model');
    default:
      return modelError('invalid_request_error', `Emulated failure: ${code}`);
  }
}

/** Text of a `content`: a string, or the text blocks of a content array. */
function blocksText(content: Json | undefined): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  const parts: string[] = [];
  for (const block of content) {
    if (isJsonObject(block) && typeof block['text'] === 'string') parts.push(block['text']);
  }
  return parts.join('\n');
}

const hasCacheControl = (v: Json | undefined): boolean => isJsonObject(v) && isJsonObject(v['cache_control']);

/**
 * The prompt as a flat list of pieces in the order the API caches them (system, then messages),
 * each with its characters and whether it carries a `cache_control` breakpoint.
 */
function promptPieces(params: JsonObject): { piece: Json; chars: number; breakpoint: boolean }[] {
  const pieces: { piece: Json; chars: number; breakpoint: boolean }[] = [];
  const system = params['system'];
  if (typeof system === 'string') pieces.push({ piece: system, chars: system.length, breakpoint: false });
  else if (Array.isArray(system)) for (const block of system) pieces.push({ piece: block, chars: blocksText([block]).length, breakpoint: hasCacheControl(block) });
  const messages = params['messages'];
  if (Array.isArray(messages)) {
    for (const m of messages) {
      if (!isJsonObject(m)) continue;
      const content = m['content'];
      if (Array.isArray(content)) {
        for (const block of content) pieces.push({ piece: [m['role'] ?? null, block], chars: blocksText([block]).length, breakpoint: hasCacheControl(block) });
      } else {
        pieces.push({ piece: [m['role'] ?? null, content ?? null], chars: blocksText(content).length, breakpoint: false });
      }
    }
  }
  return pieces;
}

/**
 * The cacheable prefix: everything up to the last `cache_control` block, or the whole prompt
 * when the request sets a top-level `cache_control` (automatic caching). Null when nothing asks
 * for caching. Emulator choice: no minimum cacheable length (the real API wants ~1,024 tokens).
 */
function cachePrefix(params: JsonObject): { key: string; tokens: number } | null {
  const pieces = promptPieces(params);
  let end = -1;
  if (isJsonObject(params['cache_control'])) end = pieces.length - 1;
  else for (let i = 0; i < pieces.length; i++) if (pieces[i]?.breakpoint) end = i;
  if (end < 0) return null;
  const prefix = pieces.slice(0, end + 1);
  const chars = prefix.reduce((sum, p) => sum + p.chars, 0);
  const model = typeof params['model'] === 'string' ? params['model'] : '';
  const key = createHash('sha256').update(canonicalJson([model, prefix.map((p) => p.piece)])).digest('hex');
  return { key, tokens: fakeTokens(chars) };
}

function promptText(params: JsonObject): { lastUser: string; totalChars: number } {
  let totalChars = 0;
  let lastUser = '';
  const system = params['system'];
  totalChars += blocksText(system).length;
  const messages = params['messages'];
  if (Array.isArray(messages)) {
    for (const m of messages) {
      if (!isJsonObject(m)) continue;
      const text = blocksText(m['content']);
      totalChars += text.length;
      if (m['role'] === 'user') lastUser = text;
    }
  }
  return { lastUser, totalChars };
}

/** What the API checks before running a Messages body; the first problem, or null. */
export function paramsProblem(params: JsonObject, version: ApiVersion): ModelError | null {
  if (typeof params['model'] !== 'string' || params['model'] === '') return modelError('invalid_request_error', 'model: Field required');
  const maxTokens = params['max_tokens'];
  if (typeof maxTokens !== 'number' || !Number.isInteger(maxTokens) || maxTokens < 1) return modelError('invalid_request_error', 'max_tokens: Field required');
  const messages = params['messages'];
  if (!Array.isArray(messages) || messages.length === 0) return modelError('invalid_request_error', 'messages: at least one message is required');
  if (params['stream'] === true) return modelError('invalid_request_error', 'stream: streaming is not supported in this context');
  if (version === '2026-10-21') {
    const removed = REMOVED_IN_2026_10_21.find((name) => Object.hasOwn(params, name));
    if (removed !== undefined) {
      return modelError('invalid_request_error', `${removed}: Extra inputs are not permitted (removed in anthropic-version 2026-10-21)`);
    }
  }
  return null;
}

export interface MessageContext {
  /** Request keys that already failed once for `[[fail-once:…]]`, shared by batch and sync. */
  failedOnce: Set<string>;
  /** Prompt-cache prefixes already written, shared by batch and sync. */
  cache: Set<string>;
  emptyContent: boolean;
  nonJsonContent: boolean;
  version: ApiVersion;
  /** `batch` for batch items (spec §3.6: a batch result's usage may say so), `standard` for sync. */
  serviceTier: 'standard' | 'batch';
}

const wantsJson = (params: JsonObject): boolean => {
  const format = isJsonObject(params['output_config']) ? params['output_config']['format'] : params['output_format'];
  return isJsonObject(format) && format['type'] === 'json_schema';
};

/** Runs one Messages body: an error, or a Message whose usage reflects the prompt cache. */
export function runFakeMessage(params: JsonObject, ctx: MessageContext): MessageOutcome {
  const problem = paramsProblem(params, ctx.version);
  if (problem !== null) return { ok: false, error: problem };
  const prompt = promptText(params);
  const marker = findMarker(prompt.lastUser);
  if (marker?.kind === 'fail' && marker.code !== 'content_policy_violation') return { ok: false, error: errorForCode(marker.code) };
  if (marker?.kind === 'fail-once') {
    const key = requestKey(params);
    if (!ctx.failedOnce.has(key)) {
      ctx.failedOnce.add(key);
      if (marker.code !== 'content_policy_violation') return { ok: false, error: errorForCode(marker.code) };
      return { ok: true, message: refusal(params, ctx.serviceTier) };
    }
  }
  if (marker?.kind === 'fail') return { ok: true, message: refusal(params, ctx.serviceTier) };

  const text = fakeAnswerText(prompt.lastUser, {
    wantsJson: wantsJson(params),
    empty: marker?.kind === 'empty' || ctx.emptyContent,
    nonJson: marker?.kind === 'not-json' || ctx.nonJsonContent,
  });
  const totalTokens = fakeTokens(prompt.totalChars);
  const prefix = cachePrefix(params);
  let cacheWrite = 0;
  let cacheRead = 0;
  if (prefix !== null) {
    if (ctx.cache.has(prefix.key)) cacheRead = prefix.tokens;
    else {
      ctx.cache.add(prefix.key);
      cacheWrite = prefix.tokens;
    }
  }
  const cached = Math.min(totalTokens, cacheWrite + cacheRead);
  return {
    ok: true,
    message: messageBody(params, [{ type: 'text', text }], 'end_turn', {
      input_tokens: totalTokens - cached,
      output_tokens: text === '' ? 0 : fakeTokens(text.length),
      cache_creation_input_tokens: cacheWrite > 0 ? cached : 0,
      cache_read_input_tokens: cacheRead > 0 ? cached : 0,
    }, ctx.serviceTier),
  };
}

/**
 * A refusal the way Claude gives one: a successful Message with `stop_reason: "refusal"` (the
 * safety classifier stepped in), which `[[fail:content_policy_violation]]` produces.
 */
function refusal(params: JsonObject, serviceTier: string): JsonObject {
  const usage = { input_tokens: fakeTokens(promptText(params).totalChars), output_tokens: 0, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 };
  return messageBody(params, [], 'refusal', usage, serviceTier);
}

function messageBody(params: JsonObject, content: JsonObject[], stopReason: string, usage: Record<string, number>, serviceTier: string): JsonObject {
  return {
    id: randomId('msg_', 12),
    type: 'message',
    role: 'assistant',
    model: typeof params['model'] === 'string' ? params['model'] : 'unknown-model',
    content,
    stop_reason: stopReason,
    stop_sequence: null,
    usage: { ...usage, service_tier: serviceTier },
  };
}
