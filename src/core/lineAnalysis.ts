// Everything that can be decided about one line on its own: decoding, JSON, format, schema,
// provider rules, the dedup hash, tokens and price. It is pure and per-line so it can run in
// worker threads; what needs the whole file (duplicate ids, one url per file, mixed formats,
// dedup, limits) is decided afterwards by the file analysis, in line order.
import { requestHashBinary } from './canonicalHash';
import { structureProblem } from './jsonStructure';
import { FORMAT_NAMES, ID_FIELD, MODEL_FIELD, detectFormat, parseLine } from './lineFormats';
import { convertedLineLength } from './portable/nativeLine';
import { convertPortableLine } from './portable/portableRequest';
import type { Pricer } from './pricing';
import { DEFAULT_PROVIDER_FOR_FORMAT, PROVIDER_LIMITS } from './providerLimits';
import type { FormatId, ProviderId } from './providerLimits';
import { embeddingInputCount, requestProblem } from './requestRules';
import { countInputTokens, expectedOutputTokens, outputTokenBound } from './tokens';

export interface LineOptions {
  /** The provider the user chose; when absent, each format's own provider. */
  readonly provider?: ProviderId | undefined;
  /** Replaces (or supplies) the model of every line. */
  readonly model?: string | undefined;
  /** Extra share added to expected output tokens (0.25 = 25%). */
  readonly outputBuffer: number;
  /**
   * False skips tokenizing (input tokens are then 0 and marked inexact, so prices cover output
   * only); validation, dedup and planning are unchanged. Tokenizing is most of an estimate's
   * time, so a validate-only pass (and the ingest benchmark, which measures the two apart) skips it.
   */
  readonly countTokens?: boolean | undefined;
}

export interface InvalidLine {
  readonly kind: 'invalid';
  readonly line: number;
  readonly message: string;
}

export interface ValidLine {
  readonly kind: 'valid';
  readonly line: number;
  readonly offset: number;
  /**
   * Bytes of the line without its terminator, as sent: a portable line converted for another
   * provider (portable/portableRequest.ts) counts its converted bytes; offset is in the source.
   */
  readonly length: number;
  readonly format: FormatId;
  readonly provider: ProviderId;
  readonly id: string;
  readonly model: string;
  readonly url: string | undefined;
  /** SHA-256 of provider + model + canonical request. */
  readonly hash: Uint8Array;
  readonly inputTokens: number;
  readonly inputTokensExact: boolean;
  readonly outputTokensMax: number;
  readonly outputTokensExpected: number;
  /** Embedding inputs the request holds (see embeddingInputCount); 0 for other endpoints. */
  readonly embeddingInputs: number;
  /** Dollars at the expected output; null when the model has no known price. */
  readonly price: { readonly sync: number; readonly batch: number; readonly batchMax: number } | null;
}

/**
 * A valid line as analyzeLine returns it: the hash as 32 latin1 characters rather than a
 * Uint8Array, which would cost a backing store per line. FileTally hands hooks a ValidLine.
 */
export interface AnalyzedLine extends Omit<ValidLine, 'hash'> {
  readonly hash: string;
}

export type LineResult = InvalidLine | AnalyzedLine;

/** Endpoints a batch line may target, with and without Azure's unversioned form. */
const OPENAI_BATCH_ENDPOINTS = ['/v1/chat/completions', '/v1/responses', '/v1/embeddings', '/v1/completions', '/v1/moderations'];
const AZURE_ENDPOINTS = ['/chat/completions', '/responses', '/embeddings', '/completions'];

const decoder = new TextDecoder('utf-8', { fatal: true });
const NOT_COUNTED = { tokens: 0, exact: false } as const;

export function analyzeLine(number: number, offset: number, bytes: Uint8Array, options: LineOptions, pricer: Pricer): LineResult {
  let text: string;
  try {
    text = decoder.decode(bytes);
  } catch {
    return invalidLine(number, `not valid UTF-8 at byte ${firstInvalidUtf8(bytes) + 1} of the line`);
  }
  return analyzeText(number, offset, bytes.length, text, options, pricer);
}

/** analyzeLine for a line already decoded (so valid UTF-8) that was `length` bytes long. */
export function analyzeText(number: number, offset: number, length: number, text: string, options: LineOptions, pricer: Pricer): LineResult {
  try {
    return analyzeParsed(number, offset, length, text, options, pricer);
  } catch (error) {
    // The structure check bounds every walk, so this is a safety net: whatever one line does to
    // the stack or to string lengths, it is that line that is refused, never the whole estimate.
    if (error instanceof RangeError) return invalidLine(number, `could not be analysed: ${error.message}`);
    throw error;
  }
}

function analyzeParsed(number: number, offset: number, length: number, text: string, options: LineOptions, pricer: Pricer): LineResult {
  // invalidLine(number, …) rather than a closure over `number`, which every line would allocate.
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return invalidLine(number, `malformed JSON: ${(error as Error).message}`);
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    return invalidLine(number, `each line must be a JSON object, this one is ${Array.isArray(json) ? 'an array' : json === null ? 'null' : `a ${typeof json}`}`);
  }
  // Before anything walks the value: its depth bounds every recursion below.
  const structure = structureProblem(text, json);
  if (structure !== undefined) return invalidLine(number, structure);

  let line = json as Record<string, unknown>;
  let format = detectFormat(line);
  if (!format) {
    return invalidLine(number, `unrecognized line format: expected ${Object.values(FORMAT_NAMES).join(', ')}`);
  }
  const provider = options.provider ?? DEFAULT_PROVIDER_FOR_FORMAT[format];
  const limits = PROVIDER_LIMITS[provider];
  // Bytes of the line as sent, which the planner sizes batches by.
  let sentLength = length;
  // The model a converted Bedrock record no longer names (it goes on the job).
  let portableModel: string | undefined;
  if (limits.format !== format) {
    if (format !== 'openai') {
      return invalidLine(number, `line is in ${FORMAT_NAMES[format]} format, but ${limits.displayName} expects ${FORMAT_NAMES[limits.format]}`);
    }
    // A portable chat request: checked as the OpenAI line it is (its fields named as the user
    // wrote them), then analysed as the line sent, so tokens, hash and checks are of those bytes.
    const portable = parseLine('openai', line);
    if ('error' in portable) return invalidLine(number, portable.error);
    const portableRule = requestProblem('openai', limits, portable.url, portable.request);
    if (portableRule !== undefined) return invalidLine(number, portableRule);
    const converted = convertPortableLine(line, provider, { model: options.model });
    if ('problems' in converted) return invalidLine(number, converted.problems.join('; '));
    line = converted.line;
    format = limits.format;
    sentLength = convertedLineLength(line);
    portableModel = portable.model;
  }
  const parsed = parseLine(format, line);
  if ('error' in parsed) return invalidLine(number, parsed.error);

  const idField = ID_FIELD[format];
  if (limits.idMaxLength !== undefined && parsed.id.length > limits.idMaxLength) {
    return invalidLine(number, `field "${idField}": ${parsed.id.length} characters; ${limits.displayName} allows at most ${limits.idMaxLength}`);
  }
  if (limits.idPattern && !limits.idPattern.test(parsed.id)) {
    return invalidLine(number, `field "${idField}": ${JSON.stringify(parsed.id)} has characters ${limits.displayName} rejects (allowed: letters, digits, "_" and "-")`);
  }
  if (parsed.method !== undefined && parsed.method !== 'POST') {
    return invalidLine(number, `field "method": must be "POST", got ${JSON.stringify(parsed.method)}`);
  }
  if (parsed.url !== undefined) {
    const endpoints = provider === 'azure' ? [...OPENAI_BATCH_ENDPOINTS, ...AZURE_ENDPOINTS] : OPENAI_BATCH_ENDPOINTS;
    if (!endpoints.includes(parsed.url)) {
      return invalidLine(number, `field "url": ${JSON.stringify(parsed.url)} is not a batch endpoint (expected one of ${endpoints.join(', ')})`);
    }
  }
  const requestRule = requestProblem(format, limits, parsed.url, parsed.request);
  if (requestRule !== undefined) return invalidLine(number, requestRule);
  const model = options.model ?? parsed.model ?? portableModel;
  if (!model) {
    const field = MODEL_FIELD[format];
    return invalidLine(number, field ? `missing model: set field "${field}" or pass --model` : `missing model: ${FORMAT_NAMES[format]} lines do not name one; pass --model`);
  }

  const input =
    options.countTokens === false
      ? NOT_COUNTED
      : countInputTokens(format, model, parsed.url === undefined ? parsed.request : { url: parsed.url, body: parsed.request });
  const bound = outputTokenBound(format, parsed.request);
  const expected = expectedOutputTokens(bound.max, options.outputBuffer);
  const atExpected = pricer.price(provider, model, input.tokens, expected);
  const atMax = atExpected && pricer.price(provider, model, input.tokens, bound.max);

  return {
    kind: 'valid',
    line: number,
    offset,
    length: sentLength,
    format,
    provider,
    id: parsed.id,
    model,
    url: parsed.url,
    hash: requestHashBinary(provider, model, parsed.url, parsed.request),
    inputTokens: input.tokens,
    inputTokensExact: input.exact,
    outputTokensMax: bound.max,
    outputTokensExpected: expected,
    embeddingInputs: embeddingInputCount(parsed.url, parsed.request),
    price: atExpected && atMax ? { sync: atExpected.sync, batch: atExpected.batch, batchMax: atMax.batch } : null,
  };
}

function invalidLine(line: number, message: string): InvalidLine {
  return { kind: 'invalid', line, message };
}

/** Index of the first byte that breaks UTF-8, for a message that points at it. */
function firstInvalidUtf8(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const byte = bytes[i] ?? 0;
    const length = byte < 0x80 ? 1 : byte >= 0xc2 && byte < 0xe0 ? 2 : byte >= 0xe0 && byte < 0xf0 ? 3 : byte >= 0xf0 && byte < 0xf5 ? 4 : 0;
    if (length === 0) return i;
    for (let k = 1; k < length; k++) {
      const next = bytes[i + k];
      if (next === undefined || (next & 0xc0) !== 0x80) return i;
    }
    i += length;
  }
  return i;
}
