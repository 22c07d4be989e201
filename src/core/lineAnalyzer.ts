// How batches of lines get analysed: here, on the calling thread. The worker-thread version
// (workerLineAnalyzer.ts) has the same shape, so the estimate pipeline does not care which runs.
//
// Results come back packed, a batch at a time: numbers in one Float64Array, hashes in one byte
// array, ids as UTF-8 in another, and the few distinct strings (models, urls, messages) in a table.
// Posting that from a worker costs a few copies of typed arrays, where an object per line (with a
// typed array of its own for the hash) cost more on the receiving thread than the analysis itself.
import { isAscii } from 'node:buffer';
import { isWellFormed } from './canonicalHash';
import { fnv1a, grown } from './compactIndex';
import { forEachLine, isBlank } from './jsonlReader';
import type { LineBatch } from './jsonlReader';
import { analyzeLine, analyzeText } from './lineAnalysis';
import type { LineOptions, LineResult } from './lineAnalysis';
import { createPricer } from './pricing';
import type { Pricer, PricingOptions } from './pricing';
import { FORMAT_IDS, PROVIDER_IDS } from './providerLimits';

export interface LineAnalyzer {
  /** Threads analysing: the caller keeps about two batches in flight for each. */
  readonly parallelism: number;
  /** Analyses every line of the batch; results are in line order. */
  analyze(batch: LineBatch): Promise<AnalyzedBatch>;
  close(): Promise<void>;
  /**
   * Bytes per batch it wants (default 1 MB): an analyzer that keeps the calling thread free asks
   * for smaller ones, since the calling thread still applies the whole-file rules to each batch
   * in one go (a megabyte of short lines is thousands of them).
   */
  readonly batchBytes?: number | undefined;
}

export interface AnalyzerOptions extends LineOptions {
  readonly pricing?: PricingOptions | undefined;
}

/**
 * One batch's results: a row of `ROW_SIZE` numbers per non-blank line, in line order. Line numbers
 * in rows count from the batch's first line (1); the reader adds the lines of earlier batches.
 */
export interface AnalyzedBatch {
  /** Rows filled. */
  readonly count: number;
  /** Lines in the batch, blank ones included. */
  readonly lines: number;
  readonly blankLines: number;
  readonly rows: Float64Array;
  /** 32 bytes per row (valid rows only), on a 4-byte boundary so it can be read as words. */
  readonly hashes: Uint8Array;
  /** The valid rows' ids, UTF-8, back to back. */
  readonly ids: Uint8Array;
  /** Models, urls and messages that rows refer to by index. */
  readonly strings: string[];
}

/** Fields of a row. `FORMAT` is -1 for an invalid line, whose message is `strings[MESSAGE]`. */
export const ROW = {
  LINE: 0,
  FORMAT: 1,
  PROVIDER: 2,
  LENGTH: 3,
  MODEL: 4,
  MESSAGE: 4,
  /** -1 when the line has no url. */
  ENDPOINT: 5,
  ID_START: 6,
  ID_END: 7,
  ID_TAG: 8,
  INPUT_TOKENS: 9,
  INPUT_TOKENS_EXACT: 10,
  OUTPUT_TOKENS_MAX: 11,
  OUTPUT_TOKENS_EXPECTED: 12,
  /** NaN when the model has no known price. */
  PRICE_SYNC: 13,
  PRICE_BATCH: 14,
  PRICE_BATCH_MAX: 15,
  OFFSET: 16,
  /** Embedding inputs of the request (0 for other endpoints): what the planner's input limit counts. */
  EMBEDDING_INPUTS: 17,
} as const;
export const ROW_SIZE = 18;
export const HASH_BYTES = 32;

export function createInlineAnalyzer(options: AnalyzerOptions): LineAnalyzer {
  const analyzer = createBatchAnalyzer(options);
  return {
    parallelism: 1,
    analyze: (batch) => Promise.resolve(analyzer.analyze(batch)),
    close: () => Promise.resolve(),
  };
}

/** Analyses batches on the calling thread (the inline analyzer's and each worker's engine). */
export function createBatchAnalyzer(options: AnalyzerOptions): { analyze(batch: LineBatch): AnalyzedBatch } {
  const pricer = createPricer(options.pricing);
  // Rows to allocate for the next batch: batches of one file have much the same lines.
  let expectedRows = 1024;
  return {
    analyze(batch) {
      const result = analyzeBatch(batch, options, pricer, expectedRows);
      expectedRows = Math.ceil(result.count * 1.1) + 16;
      return result;
    },
  };
}

function analyzeBatch(batch: LineBatch, options: LineOptions, pricer: Pricer, expectedRows: number): AnalyzedBatch {
  const { bytes, offset } = batch;
  const writer = new BatchWriter(expectedRows, bytes.length);
  let blankLines = 0;
  let lines = 0;
  const view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  if (isAscii(view)) {
    // Pure ASCII (most batch files): one decode for the whole batch, and character positions are
    // byte positions, so lines are split and sliced as strings.
    const text = view.toString('latin1');
    let start = 0;
    while (start < text.length) {
      let end = text.indexOf('\n', start);
      const next = end === -1 ? text.length : end + 1;
      if (end === -1) end = text.length;
      if (end > start && text.charCodeAt(end - 1) === 0x0d) end--;
      lines++;
      if (isBlankText(text, start, end)) blankLines++;
      else writer.add(analyzeText(lines, offset + start, end - start, text.slice(start, end), options, pricer));
      start = next;
    }
  } else {
    lines = forEachLine(bytes, (index, start, end) => {
      const line = bytes.subarray(start, end);
      if (isBlank(line)) blankLines++;
      else writer.add(analyzeLine(index + 1, offset + start, line, options, pricer));
    });
  }
  return writer.finish(lines, blankLines);
}

/** isBlank for a stretch of text: only spaces and tabs, or nothing. */
function isBlankText(text: string, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    const code = text.charCodeAt(i);
    if (code !== 0x20 && code !== 0x09) return false;
  }
  return true;
}

/** The buffers of a batch's results, to transfer rather than copy. */
export function transferables(batch: AnalyzedBatch): ArrayBuffer[] {
  return [batch.rows.buffer, batch.hashes.buffer, batch.ids.buffer] as ArrayBuffer[];
}

const FORMAT_NUMBER = new Map(FORMAT_IDS.map((id, index) => [id, index]));
const PROVIDER_NUMBER = new Map(PROVIDER_IDS.map((id, index) => [id, index]));

class BatchWriter {
  private rows: Float64Array;
  private hashes: Uint8Array;
  private ids: Buffer;
  private idsUsed = 0;
  private readonly strings: string[] = [];
  private readonly stringIndex = new Map<string, number>();
  /** The last model and url seen, with their indexes: most lines repeat them. */
  private lastModel = { value: '', index: -1 };
  private lastUrl = { value: '', index: -1 };
  private count = 0;

  constructor(rows: number, bytes: number) {
    this.rows = new Float64Array(rows * ROW_SIZE);
    this.hashes = new Uint8Array(rows * HASH_BYTES);
    // Its own buffer (not a slice of Node's pool), so it can be transferred; ids are a small part of a line.
    this.ids = Buffer.allocUnsafeSlow(Math.max(64, bytes >>> 3));
  }

  add(result: LineResult): void {
    if ((this.count + 1) * ROW_SIZE > this.rows.length) {
      this.rows = grown(this.rows, (this.count + 1) * ROW_SIZE);
      this.hashes = grown(this.hashes, (this.count + 1) * HASH_BYTES);
    }
    const row = this.count * ROW_SIZE;
    const rows = this.rows;
    rows[row + ROW.LINE] = result.line;
    if (result.kind === 'invalid') {
      rows[row + ROW.FORMAT] = -1;
      rows[row + ROW.MESSAGE] = this.string(result.message);
      this.count++;
      return;
    }
    rows[row + ROW.FORMAT] = FORMAT_NUMBER.get(result.format) ?? 0;
    rows[row + ROW.PROVIDER] = PROVIDER_NUMBER.get(result.provider) ?? 0;
    rows[row + ROW.LENGTH] = result.length;
    rows[row + ROW.OFFSET] = result.offset;
    rows[row + ROW.MODEL] = this.repeated(this.lastModel, result.model);
    rows[row + ROW.ENDPOINT] = result.url === undefined ? -1 : this.repeated(this.lastUrl, result.url);
    const start = this.idsUsed;
    const end = this.writeId(result.id);
    rows[row + ROW.ID_START] = start;
    rows[row + ROW.ID_END] = end;
    rows[row + ROW.ID_TAG] = fnv1a(this.ids, start, end);
    rows[row + ROW.INPUT_TOKENS] = result.inputTokens;
    rows[row + ROW.INPUT_TOKENS_EXACT] = result.inputTokensExact ? 1 : 0;
    rows[row + ROW.OUTPUT_TOKENS_MAX] = result.outputTokensMax;
    rows[row + ROW.OUTPUT_TOKENS_EXPECTED] = result.outputTokensExpected;
    rows[row + ROW.PRICE_SYNC] = result.price?.sync ?? Number.NaN;
    rows[row + ROW.PRICE_BATCH] = result.price?.batch ?? Number.NaN;
    rows[row + ROW.PRICE_BATCH_MAX] = result.price?.batchMax ?? Number.NaN;
    rows[row + ROW.EMBEDDING_INPUTS] = result.embeddingInputs;
    const hashes = this.hashes;
    const at = this.count * HASH_BYTES;
    for (let i = 0; i < HASH_BYTES; i++) hashes[at + i] = result.hash.charCodeAt(i);
    this.count++;
  }

  finish(lines: number, blankLines: number): AnalyzedBatch {
    return {
      count: this.count,
      lines,
      blankLines,
      rows: this.rows,
      hashes: this.hashes,
      ids: new Uint8Array(this.ids.buffer, this.ids.byteOffset, this.idsUsed),
      strings: this.strings,
    };
  }

  /** string(), skipping the table lookup when the value is the one seen last. */
  private repeated(last: { value: string; index: number }, value: string): number {
    if (last.index === -1 || value !== last.value) {
      last.value = value;
      last.index = this.string(value);
    }
    return last.index;
  }

  private string(value: string): number {
    let index = this.stringIndex.get(value);
    if (index === undefined) {
      index = this.strings.length;
      this.strings.push(value);
      this.stringIndex.set(value, index);
    }
    return index;
  }

  /** Appends the id (see NOT_UTF8); returns where it ends. */
  private writeId(id: string): number {
    // At most 3 bytes per UTF-16 unit, and the marker.
    const most = id.length * 3 + 1;
    if (this.idsUsed + most > this.ids.length) {
      const grownIds = Buffer.allocUnsafeSlow(Math.max(this.ids.length * 2, this.idsUsed + most));
      this.ids.copy(grownIds, 0, 0, this.idsUsed);
      this.ids = grownIds;
    }
    const ids = this.ids;
    const at = this.idsUsed;
    // ASCII ids (nearly all) are copied here; a call into Buffer.write cost more than a short loop.
    let ascii = true;
    for (let i = 0; i < id.length; i++) {
      const code = id.charCodeAt(i);
      if (code >= 0x80) {
        ascii = false;
        break;
      }
      ids[at + i] = code;
    }
    if (ascii) {
      this.idsUsed += id.length;
    } else if (isWellFormed(id)) {
      this.idsUsed += ids.write(id, at, 'utf8');
    } else {
      ids[at] = NOT_UTF8;
      this.idsUsed += 1 + ids.write(JSON.stringify(id), at + 1, 'utf8');
    }
    return this.idsUsed;
  }
}

/**
 * Ids travel as UTF-8, except one with a lone surrogate (which UTF-8 would turn into U+FFFD, making
 * distinct ids equal): that one is written as JSON after a 0xFF byte, which UTF-8 never contains.
 */
const NOT_UTF8 = 0xff;

/** The id string back from its bytes in a batch's `ids`. */
export function decodeId(ids: Uint8Array, start: number, end: number): string {
  const bytes = Buffer.from(ids.buffer, ids.byteOffset + start, end - start);
  if (bytes[0] === NOT_UTF8) return JSON.parse(bytes.toString('utf8', 1)) as string;
  return bytes.toString('utf8');
}
