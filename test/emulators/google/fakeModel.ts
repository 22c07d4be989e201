// A deterministic stand-in for `generateContent` (spec §4.1 "Sync fallback"), shared by batch
// items and sync calls on both backends, so a content marker behaves the same in every path.
// Also the Google error shapes: the REST body `{"error":{code,message,status,details}}` with the
// HTTP code, and the `google.rpc.Status` a batch line carries (`code` is the rpc code there).

import { fakeAnswerText, fakeTokens, findMarker, isJsonObject, randomId, requestKey } from '../shared/content';
import type { Json, JsonObject } from '../shared/content';

/** Canonical status names by HTTP code, and their google.rpc codes. */
const STATUS_BY_HTTP: Readonly<Record<number, string>> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  409: 'ABORTED',
  429: 'RESOURCE_EXHAUSTED',
  499: 'CANCELLED',
  500: 'INTERNAL',
  501: 'UNIMPLEMENTED',
  503: 'UNAVAILABLE',
  504: 'DEADLINE_EXCEEDED',
};

export const RPC_CODE: Readonly<Record<string, number>> = {
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  DATA_LOSS: 15,
  UNAUTHENTICATED: 16,
};

/** HTTP reason phrases, as Vertex writes them at the start of a failed line's `status`. */
const REASON_PHRASE: Readonly<Record<number, string>> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

export interface GoogleError {
  /** HTTP status. */
  code: number;
  message: string;
  /** Canonical status name, e.g. RESOURCE_EXHAUSTED. */
  status: string;
  details?: Json[];
}

export function googleError(code: number, message: string, status?: string, details?: Json[]): GoogleError {
  return { code, message, status: status ?? STATUS_BY_HTTP[code] ?? (code >= 500 ? 'INTERNAL' : 'INVALID_ARGUMENT'), ...(details ? { details } : {}) };
}

/** The REST error body every Google API sends. */
export function errorBody(e: GoogleError): JsonObject {
  const error: JsonObject = { code: e.code, message: e.message, status: e.status };
  if (e.details) error['details'] = e.details;
  return { error };
}

/** A Gemini batch line's error: a google.rpc.Status, whose `code` is the rpc code, not HTTP. */
export function rpcStatus(e: GoogleError): JsonObject {
  return { code: RPC_CODE[e.status] ?? 2, message: e.message };
}

/** A Vertex output line's `status` string (emulator choice, spec §4.2 leaves the shape unverified). */
export function vertexStatusText(e: GoogleError): string {
  return `${REASON_PHRASE[e.code] ?? 'Error'}: ${JSON.stringify(errorBody(e))}`;
}

/** Maps a `[[fail:CODE]]` marker (OpenAI-style names or Google status names) to the error Google would give. */
export function errorForCode(code: string, message?: string): GoogleError {
  switch (code) {
    case 'rate_limit_exceeded':
    case 'RESOURCE_EXHAUSTED':
      return googleError(429, message ?? 'Resource has been exhausted (e.g. check quota).');
    case 'server_error':
    case 'INTERNAL':
      return googleError(500, message ?? 'An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting');
    case 'overloaded':
    case 'UNAVAILABLE':
      return googleError(503, message ?? 'The model is overloaded. Please try again later.');
    case 'timeout':
    case 'DEADLINE_EXCEEDED':
      return googleError(504, message ?? 'Deadline expired before operation could complete.');
    case 'context_length_exceeded':
      return googleError(400, message ?? 'The input token count exceeds the maximum number of tokens allowed (1048576).');
    default:
      return googleError(400, message ?? `Emulated failure: ${code}`);
  }
}

/** Markers that make the model refuse rather than fail: an HTTP 200 with a blocked prompt. */
const SAFETY_CODES: ReadonlySet<string> = new Set(['content_policy_violation', 'SAFETY', 'PROHIBITED_CONTENT']);

function partsText(content: Json | undefined): string {
  if (!isJsonObject(content)) return '';
  const parts = content['parts'];
  if (!Array.isArray(parts)) return '';
  return parts.map((p) => (isJsonObject(p) && typeof p['text'] === 'string' ? p['text'] : '')).join('\n');
}

interface PromptText {
  lastUser: string;
  totalChars: number;
}

function promptOf(request: JsonObject): PromptText {
  let lastUser = '';
  let totalChars = partsText(request['systemInstruction']).length;
  const contents = request['contents'];
  if (Array.isArray(contents)) {
    for (const c of contents) {
      const text = partsText(c);
      totalChars += text.length;
      // A content without a role is the user's (the API's default).
      if (isJsonObject(c) && (c['role'] === undefined || c['role'] === 'user')) lastUser = text;
    }
  }
  return { lastUser, totalChars };
}

/** Input characters of a request, for the enqueued-token quota. */
export const requestChars = (request: JsonObject): number => promptOf(request).totalChars;

export interface ModelContext {
  /** Request keys that already failed once for a `[[fail-once:…]]` marker, shared by batch and sync. */
  failedOnce: Set<string>;
  emptyContent: boolean;
  nonJsonContent: boolean;
  model: string;
}

export type ModelOutcome = { ok: true; response: JsonObject; inputTokens: number; outputTokens: number } | { ok: false; error: GoogleError };

/**
 * The part of a request that names "the same request" for `[[fail-once:…]]`: what the SDK sends
 * for a sync call built from a batch line's request (contents, systemInstruction, generationConfig).
 */
function sameRequestKey(request: JsonObject): string {
  const pick: JsonObject = {};
  for (const k of ['contents', 'systemInstruction', 'generationConfig']) {
    const v = request[k];
    if (v !== undefined) pick[k] = v;
  }
  return requestKey(pick);
}

/** One generateContent answer (GenerateContentResponse, camelCase). */
export function runFakeModel(request: JsonObject, ctx: ModelContext): ModelOutcome {
  const contents = request['contents'];
  if (!Array.isArray(contents) || contents.length === 0) {
    return { ok: false, error: googleError(400, '* GenerateContentRequest.contents: contents is not specified') };
  }
  const prompt = promptOf(request);
  const marker = findMarker(prompt.lastUser);
  if (marker?.kind === 'fail') {
    if (SAFETY_CODES.has(marker.code)) return blocked(prompt, ctx.model);
    return { ok: false, error: errorForCode(marker.code) };
  }
  if (marker?.kind === 'fail-once') {
    const key = sameRequestKey(request);
    if (!ctx.failedOnce.has(key)) {
      ctx.failedOnce.add(key);
      if (SAFETY_CODES.has(marker.code)) return blocked(prompt, ctx.model);
      return { ok: false, error: errorForCode(marker.code) };
    }
  }
  const generationConfig = request['generationConfig'];
  const wantsJson = isJsonObject(generationConfig) && generationConfig['responseMimeType'] === 'application/json';
  const text = fakeAnswerText(prompt.lastUser, {
    wantsJson,
    empty: ctx.emptyContent || marker?.kind === 'empty',
    nonJson: ctx.nonJsonContent || marker?.kind === 'not-json',
  });
  const inputTokens = fakeTokens(prompt.totalChars);
  const outputTokens = text === '' ? 0 : fakeTokens(text.length);
  // Gemini omits zero counts (proto3 JSON), so an empty answer has no candidatesTokenCount.
  const usageMetadata: JsonObject = { promptTokenCount: inputTokens, totalTokenCount: inputTokens + outputTokens, promptTokensDetails: [{ modality: 'TEXT', tokenCount: inputTokens }] };
  if (outputTokens > 0) usageMetadata['candidatesTokenCount'] = outputTokens;
  return {
    ok: true,
    inputTokens,
    outputTokens,
    response: {
      candidates: [{ content: { role: 'model', parts: [{ text }] }, finishReason: 'STOP', index: 0 }],
      usageMetadata,
      modelVersion: ctx.model,
      responseId: randomId('', 11),
    },
  };
}

/** A prompt the safety filter blocks: HTTP 200, no candidates, `promptFeedback.blockReason`. */
function blocked(prompt: PromptText, model: string): ModelOutcome {
  const inputTokens = fakeTokens(prompt.totalChars);
  return {
    ok: true,
    inputTokens,
    outputTokens: 0,
    response: {
      promptFeedback: { blockReason: 'SAFETY', safetyRatings: [{ category: 'HARM_CATEGORY_DANGEROUS_CONTENT', probability: 'HIGH', blocked: true }] },
      usageMetadata: { promptTokenCount: inputTokens, totalTokenCount: inputTokens },
      modelVersion: model,
      responseId: randomId('', 11),
    },
  };
}

/** Models the emulator serves: Gemini and Gemma names; anything else is NOT_FOUND, like an unknown model. */
export const isKnownModel = (model: string): boolean => /^(gemini|gemma)-[A-Za-z0-9.-]+$/.test(model);
