// Input and output token figures for one request line, for the cost estimate.
//
// OpenAI models are counted exactly with gpt-tokenizer's public BPE ranks. Every other provider gets
// a calibrated character-based approximation and says so (`exact: false`), because Anthropic's and
// Google's tokenizers are not published. This runs once per line on files of up to a million lines,
// so the hot path avoids building token arrays, caches per word and per repeated long string, and
// never throws on odd but valid JSON.

import { existsSync } from 'node:fs';
import path from 'node:path';
import { GptEncoding } from 'gpt-tokenizer/GptEncoding';
import type o200kRanks from 'gpt-tokenizer/bpeRanks/o200k_base';
import { CL100K_TOKEN_SPLIT_REGEX, O200K_TOKEN_SPLIT_REGEX } from 'gpt-tokenizer/encodingParams/constants';
import type { FormatId } from './providerLimits';

export interface InputTokenCount {
  tokens: number;
  /**
   * True when the count comes from the model's real tokenizer and every part of the request was
   * text. Images, files, audio, unrecognised shapes, unknown model names and every non-OpenAI
   * provider make it an approximation.
   */
  exact: boolean;
}

export interface OutputTokenBound {
  max: number;
  /** Where `max` came from (a dotted path), or, with `fromDefault`, the field that was absent. */
  field: string;
  fromDefault: boolean;
}

// ---------------------------------------------------------------------------------------------
// Stated constants
// ---------------------------------------------------------------------------------------------

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

/**
 * Characters per token for the approximations. Calibration: gpt-tokenizer's o200k_base gives 4.13
 * characters per token on English technical prose (three package READMEs, 30,144 characters,
 * 7,295 tokens). Google documents about 4 characters per token for Gemini. Claude's tokenizer
 * produces noticeably more tokens than o200k for the same English text, so Anthropic models use
 * 3.5: an approximation that errs towards a higher count (and cost).
 */
export const APPROX_CHARS_PER_TOKEN = {
  anthropic: 3.5,
  gemini: 4,
  /** Bedrock models that are not Claude (Nova, Titan, Llama, Mistral, ...). */
  bedrock: 4,
} as const;

/** Framing per message (role markers, separators) in the approximations; about what OpenAI's is. */
export const APPROX_TOKENS_PER_MESSAGE = 4;

/**
 * Per-image token estimates, since the real cost depends on pixel size, which a request line
 * rarely states. openai: a 1024×1024 image at `detail: "high"` on gpt-4o (85 + 4 tiles × 170), or
 * 85 at `detail: "low"`; anthropic: about width×height/750 for a 1092×1092 image, the largest that
 * is not resized; gemini: 258, the documented figure per image (or per tile of a large one).
 */
export const IMAGE_TOKEN_ESTIMATE: Readonly<Record<FormatId, number>> = {
  openai: 765,
  anthropic: 1_590,
  gemini: 258,
  bedrock: 1_590,
};
const OPENAI_LOW_DETAIL_IMAGE_TOKENS = 85;

/**
 * Audio, PDFs and other files: their token cost depends on length or page count, which is not in
 * the line. A placeholder keeps them from being priced at zero; the count is marked inexact.
 */
export const OTHER_MEDIA_TOKEN_ESTIMATE = 1_000;

// ---------------------------------------------------------------------------------------------
// OpenAI encodings
// ---------------------------------------------------------------------------------------------

export type OpenAiEncodingName = 'o200k_base' | 'cl100k_base';

export interface OpenAiEncodingChoice {
  encoding: OpenAiEncodingName;
  /** The model name matched a known OpenAI family; otherwise o200k_base is a guess. */
  known: boolean;
}

// Order matters: gpt-4o / gpt-4.1 / gpt-4.5 must be tested before plain gpt-4.
const O200K_FAMILIES = /^(?:gpt-4o|chatgpt-4o|gpt-4\.1|gpt-4\.5|gpt-5|gpt-oss|o1|o3|o4|codex-mini|computer-use|omni-moderation|gpt-realtime|gpt-audio)(?:$|[-.:_])/;
const CL100K_FAMILIES = /^(?:gpt-4|gpt-3\.5|gpt-35|text-embedding-3|text-embedding-ada-002)(?:$|[-.:_])/;

/**
 * The encoding for an OpenAI (or Azure OpenAI) model name. Fine-tuned names (`ft:gpt-4o-mini-…:org::id`)
 * and `openai/` prefixes are reduced to their base model. Azure deployment names are free text:
 * when they happen to start with a model family we trust it, otherwise o200k_base, the encoding of
 * every current model, is the best guess.
 */
export function openAiEncodingForModel(model: string): OpenAiEncodingChoice {
  let name = model.trim().toLowerCase();
  if (name.startsWith('ft:')) name = name.slice(3);
  if (name.startsWith('openai/')) name = name.slice('openai/'.length);
  if (O200K_FAMILIES.test(name)) return { encoding: 'o200k_base', known: true };
  if (CL100K_FAMILIES.test(name)) return { encoding: 'cl100k_base', known: true };
  return { encoding: 'o200k_base', known: false };
}

interface TextTokenizer {
  count(text: string): number;
  /** How many counts so far had to approximate a piece (see LONG_PIECE); callers compare before and after. */
  readonly approximations: number;
}

/** The two internals of gpt-tokenizer's BPE core that the fast path uses (checked at run time). */
interface BpeCore {
  getBpeRankFromString(piece: string): number | undefined;
  bytePairEncode(piece: string): number[];
}

// Special-token text such as "<|endoftext|>" inside a prompt is ordinary text to the API; the
// library would otherwise throw on it.
const TEXT_ONLY = { disallowedSpecial: new Set<string>() };

// Pieces longer than this are not cached: V8 keeps substrings of 13+ characters as slices of
// their parent, so caching them would pin whole request strings in memory.
const WORD_CACHE_MAX_PIECE = 12;
const WORD_CACHE_MAX_ENTRIES = 200_000;
// Whole strings at least this long (system prompts, few-shot examples, shared instructions) repeat
// across the lines of a batch; a second sighting costs one hash lookup instead of a tokenization.
const STRING_CACHE_MIN_LENGTH = 200;
const STRING_CACHE_MAX_CHARS = 8_000_000;
const NON_ASCII = /[\u0080-\uffff]/g;
// Byte-pair encoding is quadratic in a piece's length: one 100,000-character run without a space
// (a base64 blob, a row of dashes) took 8 s. Real words are far shorter, so a piece longer than
// this is counted in slices of this size: linear time, off by at most a token per cut, and the
// count is then marked approximate.
const LONG_PIECE = 128;

function indexOfNonAscii(text: string, from: number): number {
  NON_ASCII.lastIndex = from;
  const match = NON_ASCII.exec(text);
  return match === null ? -1 : match.index;
}

function isAsciiLetter(code: number): boolean {
  return (code >= 0x61 && code <= 0x7a) || (code >= 0x41 && code <= 0x5a);
}

/**
 * A space right after an ASCII letter is a piece boundary in both o200k and cl100k splitting: the
 * letter's piece cannot take a space, and no piece scans backwards (the regexes only look ahead),
 * so the text on either side splits the same alone as together. Counting the halves separately
 * is therefore exact; the unit tests check this against gpt-tokenizer on random mixed text.
 */
function isSafeCut(text: string, at: number): boolean {
  return text.charCodeAt(at) === 0x20 && isAsciiLetter(text.charCodeAt(at - 1));
}

/** The last safe cut in (from, before], or `from` when there is none. */
function lastSafeCut(text: string, from: number, before: number): number {
  for (let at = before; at > from; at--) if (isSafeCut(text, at)) return at;
  return from;
}

/** The first safe cut at or after `from`, or the text's end. */
function firstSafeCut(text: string, from: number): number {
  for (let at = Math.max(from, 1); at < text.length; at++) if (isSafeCut(text, at)) return at;
  return text.length;
}

const ASCII_CLASS_FOR_PROPERTY: Readonly<Record<string, string>> = {
  L: 'A-Za-z',
  Lu: 'A-Z',
  Ll: 'a-z',
  Lt: '',
  Lm: '',
  Lo: '',
  M: '',
  N: '0-9',
};

/**
 * Rewrites a split regex's Unicode property escapes into their ASCII-only equivalents. On a
 * string that is all ASCII both regexes accept exactly the same characters at every step, so
 * they split identically; the ASCII one runs about three times faster in V8, and the split regex
 * is most of the tokenizer's cost. Returns null for any construct it does not know.
 */
export function asciiSplitRegex(regex: RegExp): RegExp | null {
  const source = regex.source;
  let out = '';
  let inClass = false;
  for (let i = 0; i < source.length; i++) {
    const ch = source[i];
    if (ch === '\\') {
      const next = source[i + 1];
      if (next === 'p' || next === 'P') {
        const close = source.indexOf('}', i);
        if (next === 'P' || source[i + 2] !== '{' || close === -1) return null;
        const ascii = ASCII_CLASS_FOR_PROPERTY[source.slice(i + 3, close)];
        if (ascii === undefined) return null;
        out += inClass ? ascii : `[${ascii}]`;
        i = close;
        continue;
      }
      out += source.slice(i, i + 2);
      i++;
      continue;
    }
    if (ch === '[' && !inClass) inClass = true;
    else if (ch === ']' && inClass) inClass = false;
    out += ch;
  }
  try {
    return new RegExp(out, regex.flags.replace('u', ''));
  } catch {
    return null;
  }
}

function bpeCoreOf(api: GptEncoding): BpeCore | null {
  const core: unknown = Reflect.get(api, 'bytePairEncodingCoreProcessor');
  if (typeof core !== 'object' || core === null) return null;
  if (typeof Reflect.get(core, 'getBpeRankFromString') !== 'function') return null;
  if (typeof Reflect.get(core, 'bytePairEncode') !== 'function') return null;
  return core as BpeCore;
}

type Ranks = typeof o200kRanks;

/**
 * The rank tables are loaded on first use, not imported: each costs tens of megabytes in every
 * thread that loads it, and the main thread of a worker-pool estimate, a validate-only pass or a
 * file of one encoding never needs one or both. `require` (not `import()`) keeps this synchronous
 * and is still followed by the bundler.
 */
function loadRanks(encoding: OpenAiEncodingName): Ranks {
  // Bundled, the tables are files of their own beside the bundle (scripts/build.mjs), so the
  // extension's bundle — parsed at every activation — does not carry 6 MB of them. The module id
  // is computed, so the bundler leaves this require to run time; from source it finds the package.
  const beside = path.join(__dirname, `bpeRanks-${encoding}.js`);
  const id = existsSync(beside) ? beside : `gpt-tokenizer/bpeRanks/${encoding}`;
  /* eslint-disable-next-line @typescript-eslint/no-require-imports -- lazy loading, see above */
  return (require(id) as { default: Ranks }).default;
}

function buildTokenizer(encoding: OpenAiEncodingName): TextTokenizer {
  const api = GptEncoding.getEncodingApi(encoding, () => loadRanks(encoding));
  const splitRegex = encoding === 'o200k_base' ? O200K_TOKEN_SPLIT_REGEX : CL100K_TOKEN_SPLIT_REGEX;
  const core = bpeCoreOf(api);
  const asciiRegex = asciiSplitRegex(splitRegex);
  // gpt-tokenizer's own countTokens is the reference and the fallback should its internals move;
  // the unit tests compare the fast path with it on mixed and random text.
  if (core === null || asciiRegex === null || !splitRegex.flags.includes('g')) {
    return { count: (text) => (text.length === 0 ? 0 : api.countTokens(text, TEXT_ONLY)), approximations: 0 };
  }
  const unicodeRegex = new RegExp(splitRegex.source, splitRegex.flags);
  const words = new Map<string, number>();
  const strings = new Map<string, number>();
  let cachedChars = 0;
  let approximations = 0;

  const countLongPiece = (piece: string): number => {
    approximations++;
    let n = 0;
    for (let at = 0; at < piece.length; at += LONG_PIECE) n += core.bytePairEncode(piece.slice(at, at + LONG_PIECE)).length;
    return n;
  };

  const countPiece = (piece: string): number => {
    // Every single byte is a token of its own in both encodings, so one ASCII character is one
    // token; this skips a hash lookup for lone spaces, newlines and punctuation.
    if (piece.length === 1 && piece.charCodeAt(0) < 0x80) return 1;
    const short = piece.length <= WORD_CACHE_MAX_PIECE;
    if (short) {
      const hit = words.get(piece);
      if (hit !== undefined) return hit;
    }
    if (piece.length > LONG_PIECE) return countLongPiece(piece);
    const n = core.getBpeRankFromString(piece) !== undefined ? 1 : core.bytePairEncode(piece).length;
    if (short) {
      if (words.size >= WORD_CACHE_MAX_ENTRIES) words.clear();
      words.set(piece, n);
    }
    return n;
  };

  const countWith = (text: string, regex: RegExp): number => {
    // `match` with a global regex returns every piece in one call, which benchmarks faster than
    // matchAll or an exec loop; special tokens are not recognised, as with TEXT_ONLY above.
    const pieces = text.match(regex);
    if (pieces === null) return 0;
    let n = 0;
    for (let i = 0; i < pieces.length; i++) n += countPiece(pieces[i] ?? '');
    return n;
  };

  /**
   * Mostly-English text with an occasional curly quote or accented word: only the stretch around
   * each non-ASCII character goes through the slow Unicode regex, cut at safe points.
   */
  const countMixed = (text: string, firstNonAscii: number): number => {
    let n = 0;
    let pos = 0;
    let next = firstNonAscii;
    while (next !== -1) {
      const start = lastSafeCut(text, pos, next);
      if (start > pos) n += countWith(text.slice(pos, start), asciiRegex);
      const end = firstSafeCut(text, next + 1);
      n += countWith(text.slice(start, end), unicodeRegex);
      pos = end;
      next = pos < text.length ? indexOfNonAscii(text, pos) : -1;
    }
    if (pos < text.length) n += countWith(pos === 0 ? text : text.slice(pos), asciiRegex);
    return n;
  };

  const countUncached = (text: string): number => {
    const firstNonAscii = indexOfNonAscii(text, 0);
    return firstNonAscii === -1 ? countWith(text, asciiRegex) : countMixed(text, firstNonAscii);
  };

  return {
    count(text: string): number {
      if (text.length < STRING_CACHE_MIN_LENGTH) return text.length === 0 ? 0 : countUncached(text);
      // A cached count is stored negated when it was approximate, so a repeat stays marked.
      const hit = strings.get(text);
      if (hit !== undefined) {
        if (hit < 0) approximations++;
        return Math.abs(hit);
      }
      const before = approximations;
      const n = countUncached(text);
      if (cachedChars + text.length > STRING_CACHE_MAX_CHARS) {
        strings.clear();
        cachedChars = 0;
      }
      strings.set(text, approximations === before ? n : -n);
      cachedChars += text.length;
      return n;
    },
    get approximations() {
      return approximations;
    },
  };
}

// Built on first use: constructing an encoder takes about 0.1 s (o200k) and 0.05 s (cl100k).
const tokenizers = new Map<OpenAiEncodingName, TextTokenizer>();

function tokenizerFor(encoding: OpenAiEncodingName): TextTokenizer {
  let tokenizer = tokenizers.get(encoding);
  if (tokenizer === undefined) {
    tokenizer = buildTokenizer(encoding);
    tokenizers.set(encoding, tokenizer);
  }
  return tokenizer;
}

/** Exact token count of plain text (no chat framing) in an OpenAI encoding. */
export function countTextTokens(encoding: OpenAiEncodingName, text: string): number {
  return tokenizerFor(encoding).count(text);
}

// ---------------------------------------------------------------------------------------------
// Small JSON helpers
// ---------------------------------------------------------------------------------------------

type JsonRecord = Record<string, unknown>;

function isRecord(value: unknown): value is JsonRecord {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function asRecord(value: unknown): JsonRecord | undefined {
  return isRecord(value) ? value : undefined;
}

function asString(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function asArray(value: unknown): readonly unknown[] | undefined {
  return Array.isArray(value) ? value : undefined;
}

/** Reads the first of several keys, so camelCase and snake_case spellings both work. */
function pick(record: JsonRecord | undefined, ...keys: string[]): unknown {
  if (record === undefined) return undefined;
  for (const key of keys) {
    const value = record[key];
    if (value !== undefined) return value;
  }
  return undefined;
}

const BASE64_LIKE = /^[A-Za-z0-9+/=\r\n]+$/;

/** Media payloads inside a text walk: inline data URLs and long base64 runs are not text. */
function isBinaryPayload(text: string): boolean {
  return text.startsWith('data:') || (text.length >= 256 && BASE64_LIKE.test(text));
}

/** Calls `visit` for every string leaf, skipping base64 payloads; returns whether any was skipped. */
function forEachTextLeaf(value: unknown, visit: (text: string) => void, depth = 0): boolean {
  if (depth > 64) return false;
  if (typeof value === 'string') {
    if (isBinaryPayload(value)) return true;
    visit(value);
    return false;
  }
  let skipped = false;
  if (Array.isArray(value)) {
    for (const item of value) skipped = forEachTextLeaf(item, visit, depth + 1) || skipped;
  } else if (isRecord(value)) {
    for (const key in value) skipped = forEachTextLeaf(value[key], visit, depth + 1) || skipped;
  }
  return skipped;
}

function jsonText(value: unknown): string {
  try {
    return JSON.stringify(value) ?? '';
  } catch {
    return '';
  }
}

// ---------------------------------------------------------------------------------------------
// OpenAI: exact counting
// ---------------------------------------------------------------------------------------------

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
const REPLY_PRIMING_TOKENS = 3;

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

type OpenAiEndpoint = 'chat' | 'responses' | 'embeddings' | 'completions' | 'unknown';

function openAiEndpoint(url: string, body: JsonRecord | undefined, model: string): OpenAiEndpoint {
  if (url.includes('/embeddings')) return 'embeddings';
  if (url.includes('/responses')) return 'responses';
  if (url.includes('/chat/completions')) return 'chat';
  if (url.includes('/completions')) return 'completions';
  // No usable url: go by the body's shape.
  if (body === undefined) return 'unknown';
  if (body['messages'] !== undefined) return 'chat';
  if (body['input'] !== undefined) return model.toLowerCase().includes('embedding') ? 'embeddings' : 'responses';
  if (body['prompt'] !== undefined) return 'completions';
  return 'unknown';
}

/** `{ url, body }`, as the line carries them; a bare body is accepted too. */
function openAiParts(request: unknown): { url: string; body: JsonRecord | undefined } {
  const record = asRecord(request);
  const url = asString(record?.['url']) ?? '';
  const body = asRecord(record?.['body']) ?? (record !== undefined && record['url'] === undefined ? record : undefined);
  return { url, body };
}

function countOpenAi(model: string, request: unknown): InputTokenCount {
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

// ---------------------------------------------------------------------------------------------
// Anthropic, Gemini, Bedrock: calibrated approximation
// ---------------------------------------------------------------------------------------------

/** Characters of text plus media tokens, turned into tokens at the end. */
class ApproxCounter {
  chars = 0;
  mediaTokens = 0;
  messages = 0;

  constructor(private readonly format: FormatId) {}

  text(value: string): void {
    this.chars += value.length;
  }

  leaves(value: unknown): void {
    const skipped = forEachTextLeaf(value, (text) => this.text(text));
    if (skipped) this.mediaTokens += OTHER_MEDIA_TOKEN_ESTIMATE;
  }

  json(value: unknown): void {
    if (value !== undefined && value !== null) this.chars += jsonText(value).length;
  }

  image(): void {
    this.mediaTokens += IMAGE_TOKEN_ESTIMATE[this.format];
  }

  otherMedia(): void {
    this.mediaTokens += OTHER_MEDIA_TOKEN_ESTIMATE;
  }

  /** Anthropic `system` / `content`: a string or a list of blocks. */
  anthropicContent(content: unknown): void {
    if (typeof content === 'string') {
      this.text(content);
      return;
    }
    const blocks = asArray(content);
    if (blocks === undefined) {
      this.leaves(content);
      return;
    }
    for (const block of blocks) this.block(block);
  }

  /**
   * One content block in any of the shapes Anthropic, Bedrock Converse and Nova use:
   * `{type:'text', text}`, `{text}`, images, documents, tool use and tool results.
   */
  block(block: unknown): void {
    const record = asRecord(block);
    if (record === undefined) {
      this.leaves(block);
      return;
    }
    const type = asString(record['type']);
    const text = asString(record['text']);
    if (text !== undefined && (type === undefined || type === 'text')) {
      this.text(text);
    } else if (type === 'image' || record['image'] !== undefined) {
      this.image();
    } else if (type === 'document' || record['document'] !== undefined || record['video'] !== undefined) {
      this.otherMedia();
    } else if (type === 'tool_use') {
      this.text(asString(record['name']) ?? '');
      this.json(record['input']);
    } else if (type === 'tool_result') {
      this.anthropicContent(record['content']);
    } else if (type === 'thinking') {
      this.text(asString(record['thinking']) ?? '');
    } else if (record['toolUse'] !== undefined) {
      const toolUse = asRecord(record['toolUse']);
      this.text(asString(toolUse?.['name']) ?? '');
      this.json(toolUse?.['input']);
    } else if (record['toolResult'] !== undefined) {
      this.anthropicContent(asRecord(record['toolResult'])?.['content']);
    } else if (type === 'redacted_thinking' || record['cachePoint'] !== undefined) {
      // Opaque or zero-width markers.
    } else {
      this.leaves(record);
    }
  }

  /** `messages: [{role, content}]` for Anthropic, Bedrock (Claude, Converse, Nova) and OpenAI-style bodies. */
  messageList(messages: unknown): void {
    const list = asArray(messages);
    if (list === undefined) return;
    for (const message of list) {
      this.messages++;
      const record = asRecord(message);
      if (record === undefined) this.leaves(message);
      else this.anthropicContent(record['content']);
    }
  }

  /** Gemini `contents[]` and `systemInstruction`: `{role, parts:[{text} | {inlineData} | …]}`. */
  geminiContent(content: unknown): void {
    const record = asRecord(content);
    if (record === undefined) {
      if (typeof content === 'string') this.text(content);
      else this.leaves(content);
      return;
    }
    const parts = asArray(record['parts']);
    if (parts === undefined) {
      this.leaves(record['parts']);
      return;
    }
    for (const part of parts) {
      const p = asRecord(part);
      const text = asString(p?.['text']);
      if (text !== undefined) {
        this.text(text);
      } else if (p === undefined) {
        this.leaves(part);
      } else if (pick(p, 'inlineData', 'inline_data', 'fileData', 'file_data') !== undefined) {
        const blob = asRecord(pick(p, 'inlineData', 'inline_data', 'fileData', 'file_data'));
        const mime = asString(pick(blob, 'mimeType', 'mime_type')) ?? '';
        if (mime.startsWith('image/')) this.image();
        else this.otherMedia();
      } else if (pick(p, 'functionCall', 'function_call') !== undefined) {
        const call = asRecord(pick(p, 'functionCall', 'function_call'));
        this.text(asString(call?.['name']) ?? '');
        this.json(call?.['args']);
      } else if (pick(p, 'functionResponse', 'function_response') !== undefined) {
        this.json(pick(p, 'functionResponse', 'function_response'));
      } else {
        this.leaves(p);
      }
    }
  }

  tokens(charsPerToken: number, primingTokens: number): number {
    return Math.ceil(this.chars / charsPerToken) + this.mediaTokens + this.messages * APPROX_TOKENS_PER_MESSAGE + primingTokens;
  }
}

function countAnthropicBody(counter: ApproxCounter, body: JsonRecord): void {
  counter.anthropicContent(body['system']);
  counter.messageList(body['messages']);
  counter.json(body['tools']);
}

function countAnthropic(request: unknown): InputTokenCount {
  const counter = new ApproxCounter('anthropic');
  const body = asRecord(request);
  if (body !== undefined) countAnthropicBody(counter, body);
  return { tokens: counter.tokens(APPROX_CHARS_PER_TOKEN.anthropic, REPLY_PRIMING_TOKENS), exact: false };
}

function countGemini(request: unknown): InputTokenCount {
  const counter = new ApproxCounter('gemini');
  const body = asRecord(request);
  if (body !== undefined) {
    const system = pick(body, 'systemInstruction', 'system_instruction');
    if (system !== undefined) counter.geminiContent(system);
    const contents = pick(body, 'contents');
    const list = asArray(contents);
    if (list !== undefined) {
      for (const content of list) {
        counter.messages++;
        counter.geminiContent(content);
      }
    } else if (contents !== undefined) {
      counter.messages++;
      counter.geminiContent(contents);
    }
    counter.json(body['tools']);
  }
  return { tokens: counter.tokens(APPROX_CHARS_PER_TOKEN.gemini, 0), exact: false };
}

/** Claude on Bedrock tokenizes like Claude; everything else uses the generic ratio. */
function bedrockCharsPerToken(model: string): number {
  const name = model.toLowerCase();
  return name.includes('anthropic') || name.includes('claude') ? APPROX_CHARS_PER_TOKEN.anthropic : APPROX_CHARS_PER_TOKEN.bedrock;
}

function countBedrock(model: string, request: unknown): InputTokenCount {
  const counter = new ApproxCounter('bedrock');
  const body = asRecord(request);
  if (body !== undefined) {
    let recognised = false;
    if (body['messages'] !== undefined || body['system'] !== undefined) {
      // Anthropic-on-Bedrock, Converse and Nova: system is a string or a list of {text} blocks.
      countAnthropicBody(counter, body);
      counter.json(asRecord(body['toolConfig'])?.['tools']);
      recognised = true;
    }
    // Titan (inputText), Llama / Mistral completion (prompt), Cohere (message).
    for (const key of ['inputText', 'prompt', 'message']) {
      const text = asString(body[key]);
      if (text !== undefined) {
        counter.text(text);
        recognised = true;
      }
    }
    if (!recognised) counter.leaves(body);
  }
  return { tokens: counter.tokens(bedrockCharsPerToken(model), counter.messages > 0 ? REPLY_PRIMING_TOKENS : 0), exact: false };
}

// ---------------------------------------------------------------------------------------------
// Public API
// ---------------------------------------------------------------------------------------------

/**
 * `request` is the part of a JSONL line that would be sent: for format 'openai' the line's `body`
 * plus its `url` as `{ url, body }`; 'anthropic' → the line's `params`; 'gemini' → the line's
 * `request` (GenerateContentRequest, camelCase or snake_case); 'bedrock' → the line's `modelInput`
 * (Anthropic-on-Bedrock, Converse / Nova messages, Titan `inputText`, Llama/Mistral `prompt`; any
 * other shape falls back to counting its string leaves). Never throws.
 */
export function countInputTokens(format: FormatId, model: string, request: unknown): InputTokenCount {
  try {
    switch (format) {
      case 'openai':
        return countOpenAi(model, request);
      case 'anthropic':
        return countAnthropic(request);
      case 'gemini':
        return countGemini(request);
      case 'bedrock':
        return countBedrock(model, request);
    }
  } catch {
    // Defensive only: the walkers above do not throw on any JSON value. A count of 0 marked
    // inexact is safer for a per-line estimate than failing the whole file.
    return { tokens: 0, exact: false };
  }
}

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
