// OpenAI's encodings: which one a model name uses, and an exact, fast count of plain text in it.
//
// The count is gpt-tokenizer's BPE with its public ranks, reached through a faster path (ASCII
// split regex, per-word and per-long-string caches) that the unit tests check against the
// library's own countTokens. It runs on every string of every line of files of up to a million
// lines, so it avoids building token arrays and never throws.

import { existsSync } from 'node:fs';
import path from 'node:path';
import { GptEncoding } from 'gpt-tokenizer/GptEncoding';
import type o200kRanks from 'gpt-tokenizer/bpeRanks/o200k_base';
import { CL100K_TOKEN_SPLIT_REGEX, O200K_TOKEN_SPLIT_REGEX } from 'gpt-tokenizer/encodingParams/constants';

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

export interface TextTokenizer {
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

export function tokenizerFor(encoding: OpenAiEncodingName): TextTokenizer {
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
