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

const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 0x0d;
const BOM = [0xef, 0xbb, 0xbf] as const;

/**
 * Splits a byte stream into lines. `summary` is filled in as the stream is consumed, so it is
 * complete once iteration ends. A last line without a newline is still a line; an empty source
 * yields nothing.
 */
export async function* readLines(source: AsyncIterable<Uint8Array>, summary: ReadSummary = newSummary()): AsyncGenerator<RawLine> {
  let pending: Uint8Array[] = [];
  let pendingStart = 0; // file offset of the first pending byte
  let fileOffset = 0; // file offset of the current chunk's first byte
  let lineNumber = 0;
  let first = true;

  for await (const incoming of source) {
    let chunk = incoming;
    if (first && chunk.length > 0) {
      first = false;
      if (startsWithBom(chunk)) {
        summary.bom = true;
        chunk = chunk.subarray(BOM.length);
        fileOffset += BOM.length;
        pendingStart = fileOffset;
      }
    }
    summary.bytes = fileOffset + chunk.length;
    let start = 0;
    for (let end = chunk.indexOf(NEWLINE, start); end !== -1; end = chunk.indexOf(NEWLINE, start)) {
      let bytes = chunk.subarray(start, end);
      if (pending.length > 0) {
        pending.push(bytes);
        bytes = concat(pending);
        pending = [];
      } else {
        pendingStart = fileOffset + start;
      }
      lineNumber++;
      yield { number: lineNumber, offset: pendingStart, bytes: stripCarriageReturn(bytes) };
      start = end + 1;
      pendingStart = fileOffset + start;
    }
    if (start < chunk.length) {
      if (pending.length === 0) pendingStart = fileOffset + start;
      // Copy: the stream may reuse its buffer for the next chunk.
      pending.push(chunk.slice(start));
    }
    fileOffset += chunk.length;
  }
  if (pending.length > 0) {
    lineNumber++;
    yield { number: lineNumber, offset: pendingStart, bytes: stripCarriageReturn(concat(pending)) };
  }
  summary.lines = lineNumber;
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

function stripCarriageReturn(bytes: Uint8Array): Uint8Array {
  return bytes.length > 0 && bytes[bytes.length - 1] === CARRIAGE_RETURN ? bytes.subarray(0, bytes.length - 1) : bytes;
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const total = parts.reduce((sum, part) => sum + part.length, 0);
  const out = new Uint8Array(total);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}
