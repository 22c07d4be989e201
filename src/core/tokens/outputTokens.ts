// Output tokens of one request: the bound it states (or its format's stated default) and the share
// of it a typical batch answer is expected to use. The bound prices the worst case; the expectation
// prices the estimate.

import type { FormatId } from '../providerLimits';
import { asRecord, asString } from './jsonValues';
import type { JsonRecord } from './jsonValues';
import { openAiEndpoint, openAiParts } from './openaiRequest';

export interface OutputTokenBound {
  max: number;
  /** Where `max` came from (a dotted path), or, with `fromDefault`, the field that was absent. */
  field: string;
  fromDefault: boolean;
}

/**
 * The output bound assumed when a request names none. These are upper bounds for the worst-case
 * cost, so each one errs high:
 * - openai 16,384: gpt-4o's output cap, which the API applies when the field is absent. Reasoning
 *   models (o-series, gpt-5) can exceed it; the estimate warns about those separately.
 * - anthropic 4,096: `max_tokens` is required by the Messages API, so a line without it fails
 *   validation anyway; this only keeps the estimate finite.
 * - gemini 65,536: Gemini 2.5 models default to their full output limit when `maxOutputTokens` is
 *   unset (older 2.0 models stop at 8,192).
 * - bedrock 4,096: Claude bodies require `max_tokens`; Converse, Nova and Llama defaults vary by
 *   model, and this is a middle figure.
 */
export const DEFAULT_MAX_OUTPUT_TOKENS: Readonly<Record<FormatId, number>> = {
  openai: 16_384,
  anthropic: 4_096,
  gemini: 65_536,
  bedrock: 4_096,
};

/** Extra share added on top of the expected output, so estimates err high rather than low. */
export const DEFAULT_OUTPUT_BUFFER = 0.25;

/**
 * Typical output per request when this workspace has no history for the model yet. Short answers
 * (classification, extraction, a paragraph of summary) dominate batch workloads; long generations
 * are capped by their own bound.
 */
export const HEURISTIC_OUTPUT_TOKENS = 256;

interface BoundField {
  readonly path: readonly string[];
}

/** The max-output fields each format may use, most specific first. */
const OUTPUT_FIELDS: Readonly<Record<Exclude<FormatId, 'openai'>, readonly BoundField[]>> = {
  anthropic: [{ path: ['max_tokens'] }],
  gemini: [
    { path: ['generationConfig', 'maxOutputTokens'] },
    { path: ['generation_config', 'max_output_tokens'] },
  ],
  bedrock: [
    { path: ['max_tokens'] }, // Anthropic, Mistral, Cohere bodies
    { path: ['inferenceConfig', 'maxTokens'] }, // Converse
    { path: ['inferenceConfig', 'max_new_tokens'] }, // Nova InvokeModel
    { path: ['textGenerationConfig', 'maxTokenCount'] }, // Titan text
    { path: ['max_gen_len'] }, // Llama
    { path: ['max_completion_tokens'] }, // OpenAI gpt-oss
  ],
};

const OPENAI_OUTPUT_FIELDS: readonly BoundField[] = [
  { path: ['max_completion_tokens'] },
  { path: ['max_tokens'] },
  { path: ['max_output_tokens'] }, // Responses API
];

/**
 * Every max-output field a request of this format may carry, as paths inside the request: what
 * line validation checks (each must be a positive whole number) and readBound reads.
 */
export const OUTPUT_TOKEN_FIELDS: Readonly<Record<FormatId, readonly (readonly string[])[]>> = {
  openai: OPENAI_OUTPUT_FIELDS.map((field) => field.path),
  anthropic: OUTPUT_FIELDS.anthropic.map((field) => field.path),
  gemini: OUTPUT_FIELDS.gemini.map((field) => field.path),
  bedrock: OUTPUT_FIELDS.bedrock.map((field) => field.path),
};

/** A usable bound is a positive whole number; anything else is treated as absent. */
function readBound(body: JsonRecord | undefined, fields: readonly BoundField[]): OutputTokenBound | undefined {
  for (const { path } of fields) {
    let value: unknown = body;
    for (const key of path) value = asRecord(value)?.[key];
    if (typeof value === 'number' && Number.isInteger(value) && value > 0) {
      return { max: value, field: path.join('.'), fromDefault: false };
    }
  }
  return undefined;
}

/**
 * The request's max-output-tokens field under its provider's name; when absent, the stated
 * default for the format (DEFAULT_MAX_OUTPUT_TOKENS) with `fromDefault: true` and `field` naming
 * the field that would have set it. Embeddings produce no output tokens.
 */
export function outputTokenBound(format: FormatId, request: unknown): OutputTokenBound {
  if (format === 'openai') {
    const { url, body } = openAiParts(request);
    // A bare body (no url) is accepted: its own `model` then tells embeddings apart.
    const endpoint = openAiEndpoint(url, body, asString(body?.['model']) ?? '');
    if (endpoint === 'embeddings') return { max: 0, field: 'none (embeddings)', fromDefault: false };
    const found = readBound(body, OPENAI_OUTPUT_FIELDS);
    if (found !== undefined) return found;
    const field = endpoint === 'responses' ? 'max_output_tokens' : 'max_completion_tokens';
    return { max: DEFAULT_MAX_OUTPUT_TOKENS.openai, field, fromDefault: true };
  }
  const fields = OUTPUT_FIELDS[format];
  const found = readBound(asRecord(request), fields);
  if (found !== undefined) return found;
  return { max: DEFAULT_MAX_OUTPUT_TOKENS[format], field: (fields[0]?.path ?? []).join('.'), fromDefault: true };
}

/**
 * Expected output tokens before any history exists for the model. Heuristic: a typical batch
 * answer is short, so take min(bound, HEURISTIC_OUTPUT_TOKENS = 256), add the buffer
 * (× (1 + bufferRatio), rounded up), and never exceed the bound, since the provider stops there.
 * Example: bound 1,000, buffer 0.25 → min(1000, 256) × 1.25 = 320. A negative or non-finite
 * buffer counts as 0. Once the workspace has results for the model, their mean replaces 256.
 */
export function expectedOutputTokens(bound: number, bufferRatio: number): number {
  if (!Number.isFinite(bound) || bound <= 0) return 0;
  const buffer = Number.isFinite(bufferRatio) && bufferRatio > 0 ? bufferRatio : 0;
  const base = Math.min(bound, HEURISTIC_OUTPUT_TOKENS);
  return Math.min(bound, Math.ceil(base * (1 + buffer)));
}
