// The append-only journal: the source of truth for every state change since the last snapshot.
// An append resolves only once its bytes are fsynced, because callers act on that promise (make a
// provider call, tell the user it worked) and a crash must not forget what was acted on. fsync is
// the expensive part, so appends that arrive while one is in flight share the next one (group
// commit). Reading back is strict: only the very last line may be damaged (a crash mid-write);
// damage anywhere else is refused loudly rather than skipped.
import type { FileHandle } from 'node:fs/promises';
import { open } from 'node:fs/promises';
import path from 'node:path';
import { errorCode, fsyncDirectory } from './atomicFile';

export interface JournalRecord {
  readonly seq: number;
  /** ISO time of the append call. */
  readonly at: string;
  readonly type: string;
  readonly [key: string]: unknown;
}

/**
 * What callers append: any JSON-serializable object with a string `type`. `seq` and `at` are
 * assigned by the journal; an event carrying either is rejected. No index signature here, so
 * event shapes may be declared as interfaces (which TypeScript will not match to one).
 */
export interface JournalEvent {
  readonly type: string;
}

type ParsedEvent = { readonly type: string; readonly [key: string]: unknown };

export interface OpenedJournal {
  journal: Journal;
  /** Every intact record in file order. */
  records: JournalRecord[];
  /** The last line was incomplete (a crash mid-write); it was cut off the file. */
  droppedTornRecord: boolean;
}

export interface JournalOpenOptions {
  /**
   * The highest seq already accounted for elsewhere (the snapshot). The next seq is
   * max(startSeq, last record's seq) + 1, so numbering keeps rising after `truncate()` empties
   * the file. Records at or below it are still returned: replay is what skips them.
   */
  startSeq?: number;
}

export interface JournalTruncateOptions {
  /**
   * The seq the caller's snapshot covers. When given, the truncate is refused (rejects, file
   * untouched) if the journal holds a later record, e.g. one appended while the snapshot was
   * being written, since dropping it would lose it.
   */
  coveredThroughSeq?: number;
}

/** The file is damaged somewhere other than its last line, or its sequence numbers do not rise. */
export class JournalCorruptError extends Error {
  constructor(
    readonly file: string,
    /** 1-based line number of the bad line. */
    readonly line: number,
    message: string,
  ) {
    super(message);
    this.name = 'JournalCorruptError';
  }
}

interface PreparedEvent {
  /** JSON of the event with `type` first; `seq` and `at` are spliced in front at commit time. */
  readonly body: string;
  /** The event as it will read back from the file (JSON round trip), minus seq and at. */
  readonly parsed: ParsedEvent;
}

interface PendingAppend {
  readonly kind: 'append';
  readonly at: string;
  readonly events: readonly PreparedEvent[];
  readonly resolve: (records: JournalRecord[]) => void;
  readonly reject: (error: Error) => void;
}

interface PendingTruncate {
  readonly kind: 'truncate';
  readonly coveredThroughSeq: number | undefined;
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
}

type PendingOperation = PendingAppend | PendingTruncate;

const NEWLINE = 0x0a;
const READ_CHUNK_BYTES = 1 << 20;

export class Journal {
  private handle: FileHandle | undefined;
  /** Byte length of the intact records: where the next group is written. */
  private size: number;
  private committedSeq: number;
  private syncs: number;
  private readonly queue: PendingOperation[] = [];
  private draining: Promise<void> | undefined;
  private closing: Promise<void> | undefined;
  /** Set when an fsync failed: the journal refuses all further work (see `poison`). */
  private failure: Error | undefined;

  private constructor(
    readonly path: string,
    handle: FileHandle,
    size: number,
    lastSeq: number,
    syncs: number,
  ) {
    this.handle = handle;
    this.size = size;
    this.committedSeq = lastSeq;
    this.syncs = syncs;
  }

  /**
   * Opens (creating if needed) the journal at `file`, whose directory must exist. Reads every
   * record, cuts off a torn last line, and throws `JournalCorruptError` for damage elsewhere.
   * Single writer: the caller must hold the workspace lock.
   */
  static async open(file: string, options: JournalOpenOptions = {}): Promise<OpenedJournal> {
    const startSeq = options.startSeq ?? 0;
    if (!Number.isSafeInteger(startSeq) || startSeq < 0) throw new RangeError(`startSeq must be a non-negative integer, got ${startSeq}`);

    let handle: FileHandle;
    let created = false;
    try {
      // 'r+', not 'a': writes go to explicit offsets so a failed write can be cut back exactly.
      handle = await open(file, 'r+');
    } catch (error) {
      if (errorCode(error) !== 'ENOENT') throw error;
      handle = await open(file, 'wx+');
      created = true;
    }
    try {
      let syncs = 0;
      if (created) {
        // The file's own fsync (at each commit) does not make its name durable; without this a
        // power cut could lose the whole file even though every append was acknowledged.
        await fsyncDirectory(path.dirname(file));
        syncs++;
      }
      const scan = await scanJournal(handle, file);
      if (scan.torn) {
        await handle.truncate(scan.intactBytes);
        await handle.sync();
        syncs++;
      }
      const journal = new Journal(file, handle, scan.intactBytes, Math.max(startSeq, scan.lastSeq), syncs);
      return { journal, records: scan.records, droppedTornRecord: scan.torn };
    } catch (error) {
      await handle.close().catch(() => undefined);
      throw error;
    }
  }

  /** The seq of the last durably written record (or the open-time baseline if none yet). */
  get lastSeq(): number {
    return this.committedSeq;
  }

  /** How many fsyncs this instance has made (file and directory), for tests and benchmarks. */
  get syncCount(): number {
    return this.syncs;
  }

  /**
   * Appends one record; resolves once it is fsynced. The returned record is what a later
   * `open` will read back (the event after a JSON round trip), so live state and replayed state
   * cannot differ. A bad event (not serializable, or carrying `seq`/`at`) rejects on its own.
   * (Generic only so that an object literal with extra fields is not an excess-property error.)
   */
  async append<E extends JournalEvent>(event: E): Promise<JournalRecord> {
    const [record] = await this.appendMany([event]);
    if (record === undefined) throw new Error('unreachable: appendMany returned no record for one event');
    return record;
  }

  /**
   * Appends several records with consecutive seqs in one write and one fsync. On an error none
   * of them is kept; but a crash mid-write can leave a prefix of them on disk (each line is
   * checked on its own when read back), so replay must not assume a batch is all-or-nothing.
   */
  appendMany<E extends JournalEvent>(events: readonly E[]): Promise<JournalRecord[]> {
    const unavailable = this.unavailableError();
    if (unavailable !== undefined) return Promise.reject(unavailable);
    if (events.length === 0) return Promise.resolve([]);
    let prepared: PreparedEvent[];
    try {
      prepared = events.map(prepareEvent);
    } catch (error) {
      return Promise.reject(asError(error));
    }
    const at = new Date().toISOString();
    return new Promise((resolve, reject) => {
      this.queue.push({ kind: 'append', at, events: prepared, resolve, reject });
      this.startDraining();
    });
  }

  /**
   * Empties the file (truncate + fsync) once the appends queued before it are written; seq keeps
   * counting from `lastSeq`. Appends made after this call land after the truncation.
   */
  truncate(options: JournalTruncateOptions = {}): Promise<void> {
    const unavailable = this.unavailableError();
    if (unavailable !== undefined) return Promise.reject(unavailable);
    return new Promise((resolve, reject) => {
      this.queue.push({ kind: 'truncate', coveredThroughSeq: options.coveredThroughSeq, resolve, reject });
      this.startDraining();
    });
  }

  /** Waits for queued work, then closes the file. Later calls reject; closing twice is fine. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      while (this.draining !== undefined) await this.draining;
      const handle = this.handle;
      this.handle = undefined;
      await handle?.close();
    })();
    return this.closing;
  }

  private unavailableError(): Error | undefined {
    if (this.failure !== undefined) return this.failure;
    if (this.closing !== undefined) return new Error(`Journal ${this.path} is closed.`);
    return undefined;
  }

  private startDraining(): void {
    this.draining ??= this.drain();
  }

  /** Runs queued operations in order; never rejects (each operation settles its own promise). */
  private async drain(): Promise<void> {
    // Let the current tick finish first, so a synchronous burst (Promise.all over many appends)
    // shares the very first fsync instead of the first append paying for one alone.
    await Promise.resolve();
    while (this.queue.length > 0) {
      const head = this.queue[0];
      if (head?.kind === 'truncate') {
        this.queue.shift();
        await this.runTruncate(head);
        continue;
      }
      // Every append queued up to the next truncate goes into this one write + fsync.
      const end = this.queue.findIndex((op) => op.kind !== 'append');
      const group: PendingAppend[] = [];
      for (const op of this.queue.splice(0, end === -1 ? this.queue.length : end)) {
        if (op.kind === 'append') group.push(op);
      }
      await this.commit(group);
    }
    this.draining = undefined;
  }

  private async commit(group: readonly PendingAppend[]): Promise<void> {
    const handle = this.handle;
    if (this.failure !== undefined || handle === undefined) {
      const error = this.failure ?? new Error(`Journal ${this.path} is closed.`);
      for (const op of group) op.reject(error);
      return;
    }
    // Seqs are assigned here, not at append(): a group that fails to write gives its numbers back,
    // so the file never has a gap that a later reader could mistake for lost records.
    let seq = this.committedSeq;
    const lines: string[] = [];
    const results: JournalRecord[][] = [];
    for (const op of group) {
      const records: JournalRecord[] = [];
      const at = JSON.stringify(op.at);
      for (const event of op.events) {
        seq++;
        lines.push(`{"seq":${seq},"at":${at},${event.body.slice(1)}\n`);
        records.push({ seq, at: op.at, ...event.parsed });
      }
      results.push(records);
    }
    const bytes = Buffer.from(lines.join(''), 'utf8');

    try {
      await writeFully(handle, bytes, this.size);
    } catch (error) {
      const failure = new Error(`Could not write to journal ${this.path}: ${messageOf(error)}`, { cause: error });
      try {
        // Cut off whatever part of the group did land, so the next group starts on a clean line,
        // and make the cut durable: records whose callers were told "failed" must not reappear
        // on replay after a crash.
        await handle.truncate(this.size);
        await handle.sync();
        this.syncs++;
      } catch (truncateError) {
        await this.poison(`cutting back a failed write also failed (${messageOf(truncateError)})`, truncateError);
      }
      for (const op of group) op.reject(failure);
      return;
    }
    try {
      await handle.sync();
      this.syncs++;
    } catch (error) {
      await this.poison(`fsync failed (${messageOf(error)})`, error);
      const failure = this.failure ?? asError(error);
      for (const op of group) op.reject(failure);
      return;
    }
    this.size += bytes.length;
    this.committedSeq = seq;
    group.forEach((op, index) => op.resolve(results[index] ?? []));
  }

  private async runTruncate(op: PendingTruncate): Promise<void> {
    const handle = this.handle;
    if (this.failure !== undefined || handle === undefined) {
      op.reject(this.failure ?? new Error(`Journal ${this.path} is closed.`));
      return;
    }
    if (op.coveredThroughSeq !== undefined && this.committedSeq > op.coveredThroughSeq) {
      op.reject(
        new Error(
          `Not truncating journal ${this.path}: it holds records up to seq ${this.committedSeq}, but the snapshot only covers seq ${op.coveredThroughSeq}.`,
        ),
      );
      return;
    }
    try {
      await handle.truncate(0);
    } catch (error) {
      op.reject(new Error(`Could not truncate journal ${this.path}: ${messageOf(error)}`, { cause: error }));
      return;
    }
    this.size = 0;
    try {
      await handle.sync();
      this.syncs++;
    } catch (error) {
      await this.poison(`fsync after truncating failed (${messageOf(error)})`, error);
      op.reject(this.failure ?? asError(error));
      return;
    }
    op.resolve();
  }

  /**
   * Stops the journal for good. After a failed fsync the kernel may already have dropped the
   * dirty pages and report the next fsync as clean, so "retry" could acknowledge data that is not
   * on disk; reopening (which reads what really is there) is the only honest way on.
   */
  private async poison(reason: string, cause: unknown): Promise<void> {
    this.failure = new Error(
      `Journal ${this.path} stopped accepting writes: ${reason}. Records not yet acknowledged may or may not be on disk; reopen the journal to continue from what it holds.`,
      { cause },
    );
    for (const op of this.queue.splice(0)) op.reject(this.failure);
    const handle = this.handle;
    this.handle = undefined;
    await handle?.close().catch(() => undefined);
  }
}

function prepareEvent(event: JournalEvent): PreparedEvent {
  if (typeof event !== 'object' || event === null || Array.isArray(event)) throw new TypeError('A journal event must be an object.');
  if (typeof event.type !== 'string' || event.type === '') throw new TypeError('A journal event needs a non-empty string `type`.');
  // Refuse rather than overwrite: a caller passing its own seq/at has a bug that silently
  // replacing the values would hide.
  for (const reserved of ['seq', 'at']) {
    if (Object.hasOwn(event, reserved)) throw new TypeError(`A journal event may not set \`${reserved}\`; the journal assigns it.`);
  }
  // `type` first in the object so it follows seq and at in the line, where a human reads it.
  const body = JSON.stringify(Object.assign({ type: event.type }, event));
  // commit() splices seq and at in after the opening brace; an own toJSON could produce anything.
  if (!body.startsWith('{"type":')) throw new TypeError('A journal event must serialize to a JSON object.');
  return { body, parsed: JSON.parse(body) as ParsedEvent };
}

async function writeFully(handle: FileHandle, bytes: Uint8Array, position: number): Promise<void> {
  let written = 0;
  while (written < bytes.length) {
    const { bytesWritten } = await handle.write(bytes, written, bytes.length - written, position + written);
    written += bytesWritten;
  }
}

interface ScanResult {
  records: JournalRecord[];
  /** Highest seq in the file (0 when empty). */
  lastSeq: number;
  /** Bytes up to and including the last intact record's newline. */
  intactBytes: number;
  torn: boolean;
}

interface SuspectLine {
  line: number;
  offset: number;
  reason: string;
}

/** `records` collects the intact records as they are read (a caller catching the error keeps those before the damage). */
async function scanJournal(handle: FileHandle, file: string, records: JournalRecord[] = []): Promise<ScanResult> {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let lastSeq = 0;
  let intactBytes = 0;
  // A line that does not parse is only forgivable as the last one (a torn write), so judgement
  // waits until we know whether anything follows it.
  let suspect: SuspectLine | undefined;

  for await (const line of readRawLines(handle)) {
    if (suspect !== undefined) {
      throw new JournalCorruptError(
        file,
        suspect.line,
        `Journal ${file} is corrupt at line ${suspect.line} (byte ${suspect.offset}): ${suspect.reason}. More data follows it, so this is not a torn final write; refusing to open rather than skip records. Restore the file from a backup or move it aside.`,
      );
    }
    if (!line.terminated) {
      suspect = { line: line.number, offset: line.offset, reason: 'the line has no terminating newline' };
      continue;
    }
    let value: unknown;
    try {
      value = JSON.parse(decoder.decode(line.bytes));
    } catch (error) {
      suspect = { line: line.number, offset: line.offset, reason: `not valid JSON (${messageOf(error)})` };
      continue;
    }
    // A torn write is a prefix of a line and cannot parse; a line that parses but is not a record
    // was written wrong or edited, so it is corruption even at the end of the file.
    if (!isRecord(value)) {
      throw new JournalCorruptError(
        file,
        line.number,
        `Journal ${file} line ${line.number} is not a journal record (it needs an integer seq >= 1 and string at and type). Restore the file from a backup or move it aside.`,
      );
    }
    if (records.length > 0 && value.seq <= lastSeq) {
      throw new JournalCorruptError(
        file,
        line.number,
        `Journal ${file} line ${line.number} has seq ${value.seq}, not above the previous record's seq ${lastSeq}; sequence numbers must rise strictly.`,
      );
    }
    records.push(value);
    lastSeq = value.seq;
    intactBytes = line.offset + line.bytes.length + 1;
  }
  return { records, lastSeq, intactBytes, torn: suspect !== undefined };
}

export interface JournalReading {
  /** The intact records, in file order, up to the damage if there is any. */
  readonly records: JournalRecord[];
  /** Damage other than a torn last line: reading stopped there, so later records are missing. */
  readonly damage: JournalCorruptError | undefined;
}

/**
 * Reads the journal without opening it for writing, for a reader beside the writer (which holds
 * the lock). A torn last line is left out silently: the writer may be mid-append. Damage anywhere
 * else stops the reading at that line and is returned with the records before it, so the reader
 * can show them and say that what it shows may be out of date. A missing file reads as empty.
 */
export async function readJournal(file: string): Promise<JournalReading> {
  let handle: FileHandle;
  try {
    handle = await open(file, 'r');
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return { records: [], damage: undefined };
    throw error;
  }
  const records: JournalRecord[] = [];
  try {
    await scanJournal(handle, file, records);
    return { records, damage: undefined };
  } catch (error) {
    if (error instanceof JournalCorruptError) return { records, damage: error };
    throw error;
  } finally {
    await handle.close();
  }
}

function isRecord(value: unknown): value is JournalRecord {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const candidate = value as { seq?: unknown; at?: unknown; type?: unknown };
  return (
    typeof candidate.seq === 'number' &&
    Number.isSafeInteger(candidate.seq) &&
    candidate.seq >= 1 &&
    typeof candidate.at === 'string' &&
    typeof candidate.type === 'string'
  );
}

interface RawLine {
  /** 1-based. */
  number: number;
  /** Byte offset of the line's first byte. */
  offset: number;
  /** Without the newline. Only valid until the next iteration (it may view a reused buffer). */
  bytes: Uint8Array;
  /** Ended by `\n`; only the final line can be false. */
  terminated: boolean;
}

/**
 * Reads the file in fixed chunks through the handle, so a journal of any size is read without
 * one big string or buffer. Not core's `readLines`: that one strips BOMs and CRs, and here the
 * exact bytes and whether the last line ended are what decide between torn and corrupt.
 */
async function* readRawLines(handle: FileHandle): AsyncGenerator<RawLine> {
  const buffer = Buffer.allocUnsafe(READ_CHUNK_BYTES);
  let position = 0;
  let number = 0;
  let lineStart = 0;
  let carried: Buffer[] = []; // the current line's bytes from earlier chunks (copies)

  for (;;) {
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, position);
    if (bytesRead === 0) break;
    const chunk = buffer.subarray(0, bytesRead);
    let start = 0;
    for (let end = chunk.indexOf(NEWLINE, start); end !== -1; end = chunk.indexOf(NEWLINE, start)) {
      const tail = chunk.subarray(start, end);
      const bytes = carried.length > 0 ? Buffer.concat([...carried, tail]) : tail;
      carried = [];
      number++;
      yield { number, offset: lineStart, bytes, terminated: true };
      lineStart += bytes.length + 1;
      start = end + 1;
    }
    if (start < bytesRead) carried.push(Buffer.from(chunk.subarray(start)));
    position += bytesRead;
  }
  if (carried.length > 0) {
    number++;
    yield { number, offset: lineStart, bytes: Buffer.concat(carried), terminated: false };
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
