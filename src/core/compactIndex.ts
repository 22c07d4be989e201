// Hash tables for the per-item state an estimate keeps for a whole file (ids seen, requests
// planned), in typed arrays instead of Maps of strings. A Map entry with a string key costs about
// 100 bytes on the heap; here an id costs its bytes plus ~24, and a request hash its 32 bytes plus
// ~12, which is what keeps a file of millions of short lines within a few hundred megabytes.

/** Compares a stored entry's key with a probe key. */
export interface KeyStore<K> {
  keyEquals(entry: number, key: K): boolean;
}

const MAX_LOAD = 0.7;

/**
 * Open addressing (linear probing) from a 32-bit tag, which the caller derives from the key, to an
 * entry number; the keys stay with the caller (`KeyStore`), so the table holds 8 bytes a slot.
 *
 * It grows a little at a time: a full table is kept, read-only, beside one twice its size, and each
 * insert moves a few of its slots over. Moving a million entries at once held the thread (the
 * window's, during an estimate) for a hundred milliseconds.
 */
export class TagTable<K> {
  /** Pairs of (tag, entry + 1); 0 in the second word marks an empty slot. */
  private slots: Uint32Array;
  private bits: number;
  private size = 0;
  /** The table being moved into `slots`, and the next of its slots to move. */
  private old: { slots: Uint32Array; bits: number; next: number } | undefined;

  constructor(
    private readonly keys: KeyStore<K>,
    initialBits = 10,
  ) {
    this.bits = initialBits;
    this.slots = new Uint32Array(2 << initialBits);
  }

  /** The entry whose key equals `key`, or -1. */
  find(tag: number, key: K): number {
    const found = this.findIn(this.slots, this.bits, tag, key);
    if (found !== -1 || this.old === undefined) return found;
    // Not moved yet, or moved: the old table still holds every entry it had.
    return this.findIn(this.old.slots, this.old.bits, tag, key);
  }

  /**
   * Reads the slot where a search for `tag` starts, and nothing else. Touching the slots of a few
   * dozen keys before looking them up lets the CPU fetch those cache lines in parallel; one at a
   * time, each lookup in a table of millions waits for memory on its own.
   */
  touch(tag: number): number {
    return this.slots[2 * home(tag, this.bits) + 1] ?? 0;
  }

  /** Adds an entry (the caller has checked that its key is new). */
  insert(tag: number, entry: number): void {
    if (this.old !== undefined) this.moveSome();
    else if (this.size + 1 > MAX_LOAD * (1 << this.bits)) this.grow();
    place(this.slots, this.bits, tag >>> 0, entry + 1);
    this.size++;
  }

  private findIn(slots: Uint32Array, bits: number, tag: number, key: K): number {
    const mask = (1 << bits) - 1;
    for (let slot = home(tag, bits); ; slot = (slot + 1) & mask) {
      const entry = slots[2 * slot + 1] ?? 0;
      if (entry === 0) return -1;
      if (slots[2 * slot] === tag >>> 0 && this.keys.keyEquals(entry - 1, key)) return entry - 1;
    }
  }

  private grow(): void {
    this.old = { slots: this.slots, bits: this.bits, next: 0 };
    this.bits++;
    this.slots = new Uint32Array(2 << this.bits);
  }

  /**
   * Moves the next MOVE_PER_INSERT slots of the old table. The old table is 70% full and the new
   * one twice its size, so the move ends long before the new one is full in turn (at under 50%).
   */
  private moveSome(): void {
    const old = this.old;
    if (old === undefined) return;
    const end = Math.min(old.next + MOVE_PER_INSERT, 1 << old.bits);
    for (let slot = old.next; slot < end; slot++) {
      const entry = old.slots[2 * slot + 1] ?? 0;
      if (entry !== 0) place(this.slots, this.bits, old.slots[2 * slot] ?? 0, entry);
    }
    old.next = end;
    if (end === 1 << old.bits) this.old = undefined;
  }
}

/** Old slots moved per insert while the table grows. */
const MOVE_PER_INSERT = 4;

/** Fibonacci hashing: spreads tags whose low bits are alike (sequential ids) over the table. */
function home(tag: number, bits: number): number {
  return Math.imul(tag, 0x9e3779b1) >>> (32 - bits);
}

function place(slots: Uint32Array, bits: number, tag: number, value: number): void {
  const mask = (1 << bits) - 1;
  let slot = home(tag, bits);
  while ((slots[2 * slot + 1] ?? 0) !== 0) slot = (slot + 1) & mask;
  slots[2 * slot] = tag;
  slots[2 * slot + 1] = value;
}

/** FNV-1a over bytes: the tag for ids, computed where the id is encoded (in the worker). */
export function fnv1a(bytes: Uint8Array, start: number, end: number): number {
  let h = 0x811c9dc5;
  for (let i = start; i < end; i++) h = Math.imul(h ^ (bytes[i] ?? 0), 0x01000193);
  return h >>> 0;
}

/** A byte range of some buffer: how a probe key arrives without becoming a string. */
export interface ByteRange {
  bytes: Uint8Array;
  start: number;
  end: number;
}

const PAGE_BITS = 16;
const PAGE = 1 << PAGE_BITS;

/** Each distinct id (as UTF-8 bytes) with the line that first used it. */
export class IdIndex implements KeyStore<ByteRange> {
  private arena = new Uint8Array(1 << 16);
  private used = 0;
  /**
   * Per entry, in pages that are never copied as the index grows: where its bytes start in the
   * arena (they end where the next entry's start), and its line.
   */
  private readonly startPages: Float64Array[] = [];
  private readonly linePages: Uint32Array[] = [];
  private starts = new Float64Array(0);
  private lines = new Uint32Array(0);
  private count = 0;
  private readonly table = new TagTable<ByteRange>(this, 12);
  private readonly probe: ByteRange = { bytes: this.arena, start: 0, end: 0 };

  /** The first line with this id, or 0 when it is new. */
  firstLine(bytes: Uint8Array, start: number, end: number, tag: number): number {
    const found = this.find(bytes, start, end, tag);
    return found === -1 ? 0 : this.lineOf(found);
  }

  /** The first line with this id, or 0 after recording `line` as the first. */
  firstLineOrAdd(bytes: Uint8Array, start: number, end: number, tag: number, line: number): number {
    const found = this.find(bytes, start, end, tag);
    if (found !== -1) return this.lineOf(found);
    this.append(bytes, start, end, line);
    this.table.insert(tag, this.count - 1);
    return 0;
  }

  keyEquals(entry: number, key: ByteRange): boolean {
    const from = this.startOf(entry);
    const length = (entry + 1 < this.count ? this.startOf(entry + 1) : this.used) - from;
    if (length !== key.end - key.start) return false;
    const arena = this.arena;
    const bytes = key.bytes;
    for (let i = 0; i < length; i++) if (arena[from + i] !== bytes[key.start + i]) return false;
    return true;
  }

  /** See TagTable.touch. */
  touch(tag: number): number {
    return this.table.touch(tag);
  }

  private find(bytes: Uint8Array, start: number, end: number, tag: number): number {
    const probe = this.probe;
    probe.bytes = bytes;
    probe.start = start;
    probe.end = end;
    return this.table.find(tag, probe);
  }

  private startOf(entry: number): number {
    return this.startPages[entry >>> PAGE_BITS]?.[entry & (PAGE - 1)] ?? 0;
  }

  private lineOf(entry: number): number {
    return this.linePages[entry >>> PAGE_BITS]?.[entry & (PAGE - 1)] ?? 0;
  }

  private append(bytes: Uint8Array, start: number, end: number, line: number): void {
    const length = end - start;
    if (this.used + length > this.arena.length) this.arena = grown(this.arena, this.used + length);
    const slot = this.count & (PAGE - 1);
    if (slot === 0) {
      this.starts = new Float64Array(PAGE);
      this.lines = new Uint32Array(PAGE);
      this.startPages.push(this.starts);
      this.linePages.push(this.lines);
    }
    const arena = this.arena;
    // A loop beats `set(subarray)` for the few bytes of a typical id.
    for (let i = 0; i < length; i++) arena[this.used + i] = bytes[start + i] ?? 0;
    this.starts[slot] = this.used;
    this.lines[slot] = line;
    this.used += length;
    this.count++;
  }
}

type Growable = Uint8Array | Uint32Array | Float64Array;

/** A copy at least twice as large: amortised O(1) appends. */
export function grown<T extends Growable>(array: T, atLeast: number): T {
  const next = new (array.constructor as new (length: number) => T)(Math.max(array.length * 2, atLeast));
  next.set(array);
  return next;
}
