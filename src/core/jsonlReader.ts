// Streams a JSONL source line by line without ever holding the whole file: lines keep their
// 1-based number and byte offset so every message can point at the exact place, and the bytes
// are handed on undecoded so invalid UTF-8 is reported per line instead of silently replaced.

export interface RawLine {
  /** 1-based line number in the file. */
  readonly number: number;
  /** Byte offset of the line's first byte (after a BOM, on line 1). */
  readonly offset: number;
  /** The line's bytes without its terminator (`\n` or `\r\n`). */
  readonly bytes: Uint8Array;
}

export interface ReadSummary {
  /** The file started with a UTF-8 byte-order mark (stripped from line 1). */
  bom: boolean;
  /** Total bytes read, BOM included. */
  bytes: number;
  /** Lines seen, blank ones included. */
  lines: number;
}

/**
 * A run of whole lines, as they are handed to the line analysis: one buffer per batch instead of
 * one object per line, so a batch crosses to a worker thread as a single transfer. Lines are not
 * counted while reading (that would be a second pass over the bytes on the reading thread): whoever
 * splits the batch numbers its lines from 1, and the caller adds the lines of the batches before.
 */
export interface LineBatch {
  /** The lines with their terminators; only the file's last line may lack one. Owns its buffer. */
  readonly bytes: Uint8Array;
  /** File offset of `bytes[0]`. */
  readonly offset: number;
}

/** Reads up to `target.length - at` bytes into `target` from `at`; resolves 0 at the end. */
export type ReadInto = (target: Uint8Array, at: number) => Promise<number>;

const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 0x0d;
const BOM = [0xef, 0xbb, 0xbf] as const;
const DEFAULT_BATCH_BYTES = 1 << 20;

/**
 * Splits a byte stream into lines. `summary` is filled in as the stream is consumed, so it is
 * complete once iteration ends. A last line without a newline is still a line; an empty source
 * yields nothing.
 */
export async function* readLines(source: AsyncIterable<Uint8Array>, summary: ReadSummary = newSummary()): AsyncGenerator<RawLine> {
  let before = 0;
  for await (const batch of readBatches(streamSource(source), summary)) {
    const lines: RawLine[] = [];
    const { bytes, offset } = batch;
    before += forEachLine(bytes, (index, start, end) => lines.push({ number: before + index + 1, offset: offset + start, bytes: bytes.subarray(start, end) }));
    summary.lines = before;
    yield* lines;
  }
}

/**
 * Cuts a source into batches of whole lines of about `batchBytes` each (more when one line is
 * longer), each in a buffer of its own that may then be transferred. A file source reads straight
 * into those buffers; only the start of a line cut off at a batch's end is copied. Fills in
 * `summary.bom` and `summary.bytes`; `summary.lines` is left to whoever splits the batches.
 */
export async function* readBatches(read: ReadInto, summary: ReadSummary = newSummary(), batchBytes = DEFAULT_BATCH_BYTES): AsyncGenerator<LineBatch> {
  // Not zero-filled: every byte handed on was read into it first.
  let buffer = Buffer.allocUnsafeSlow(batchBytes);
  let start = 0; // where the next batch begins in `buffer` (after a BOM, on the first)
  let used = 0;
  let offset = 0; // file offset of buffer[start]
  let first = true;
  let ended = false;
  while (!ended) {
    while (used < buffer.length) {
      const n = await read(buffer, used);
      if (n === 0) {
        ended = true;
        break;
      }
      used += n;
      summary.bytes += n;
    }
    if (first && (used >= BOM.length || ended)) {
      first = false;
      if (startsWithBom(buffer.subarray(0, used))) {
        summary.bom = true;
        start = offset = BOM.length;
      }
    }
    // Searched backwards from the end, so this stops within the last line.
    const cut = ended ? used - 1 : buffer.lastIndexOf(NEWLINE, used - 1);
    if (cut < start) {
      if (ended) break;
      // No line ends in the buffer yet: one long line, so read on into a larger buffer.
      const larger = Buffer.allocUnsafeSlow(buffer.length * 2);
      buffer.copy(larger, 0, 0, used);
      buffer = larger;
      continue;
    }
    const batch = { bytes: buffer.subarray(start, cut + 1), offset };
    // The start of the next line moves to a fresh buffer: the batch's buffer may be transferred.
    const rest = used - (cut + 1);
    const next = Buffer.allocUnsafeSlow(Math.max(batchBytes, rest * 2));
    buffer.copy(next, 0, cut + 1, used);
    offset += cut + 1 - start;
    buffer = next;
    start = 0;
    used = rest;
    yield batch;
  }
}

/** A stream as a ReadInto: each chunk is copied out at once, as the stream may reuse its buffer. */
export function streamSource(source: AsyncIterable<Uint8Array>): ReadInto {
  const chunks = source[Symbol.asyncIterator]();
  let chunk: Uint8Array = new Uint8Array(0);
  let at = 0;
  return async (target, into) => {
    while (at >= chunk.length) {
      const next = await chunks.next();
      if (next.done === true) return 0;
      chunk = next.value;
      at = 0;
    }
    const n = Math.min(chunk.length - at, target.length - into);
    target.set(chunk.subarray(at, at + n), into);
    at += n;
    return n;
  };
}

/**
 * Calls `visit` for every line of a batch (blank ones too) with its 0-based index in the batch and
 * its byte range without the terminator (`\n` or `\r\n`); returns the number of lines.
 */
export function forEachLine(bytes: Uint8Array, visit: (index: number, start: number, end: number) => void): number {
  // Buffer's indexOf is memchr; a typed array's compares element by element.
  const view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  let index = 0;
  let start = 0;
  while (start < view.length) {
    let end = view.indexOf(NEWLINE, start);
    const next = end === -1 ? view.length : end + 1;
    if (end === -1) end = view.length;
    const stop = end > start && view[end - 1] === CARRIAGE_RETURN ? end - 1 : end;
    visit(index, start, stop);
    index++;
    start = next;
  }
  return index;
}

export function newSummary(): ReadSummary {
  return { bom: false, bytes: 0, lines: 0 };
}

/** True for a line of only spaces and tabs (or nothing): such lines are skipped, not counted. */
export function isBlank(bytes: Uint8Array): boolean {
  for (const byte of bytes) {
    if (byte !== 0x20 && byte !== 0x09) return false;
  }
  return true;
}

function startsWithBom(chunk: Uint8Array): boolean {
  return chunk.length >= 3 && chunk[0] === BOM[0] && chunk[1] === BOM[1] && chunk[2] === BOM[2];
}
