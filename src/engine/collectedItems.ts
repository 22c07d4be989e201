// What a submission records of each accepted line between the estimate and the job's creation,
// kept in columns of typed pages rather than one object per item. A million short lines as
// objects took about 400 MB of the extension host's heap, and its collector then held the
// window's thread for hundreds of milliseconds at a time; as columns they take about 120 bytes
// an item and leave the collector almost nothing to trace.
import { toHex } from '../core/canonicalHash';
import { grown } from '../core/compactIndex';
import { HASH_BYTES } from '../core/lineAnalyzer';

/** Where an earlier job's answer to the same request sits. */
export interface CachedRef {
  readonly file: string;
  readonly offset: number;
  readonly length: number;
}

/** One item, as the caller gives it and as `item(index)` gives it back. */
export interface CollectedItem {
  readonly line: number;
  readonly id: string;
  readonly model: string;
  /** The request's 32-byte hash (from the analysed batch; copied, not kept). */
  readonly hash: Uint8Array;
  readonly estimatedCost: number;
  readonly estimatedMax: number;
  /** Expected tokens (the job's estimate in tokens counts those of what is sent). */
  readonly inputTokens: number;
  readonly outputTokens: number;
  /** The earlier line this one repeats: it is not sent and takes its twin's answer. */
  readonly duplicateOf: number | undefined;
  /** An earlier job already answered this request: it is not sent. */
  readonly cached: CachedRef | undefined;
}

/** What the items that will be sent add up to (duplicates and cached items are not paid). */
export interface SentTotals {
  inputTokens: number;
  outputTokens: number;
  estimatedCost: number;
  estimatedMax: number;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const LONE_SURROGATE = /\p{Surrogate}/u;
const PAGE_BITS = 16;
const PAGE = 1 << PAGE_BITS;
/** `duplicateOf` and `cached` columns' "none": line numbers start at 1, and cache refs at 0. */
const NONE = 0;

class Pages<T extends Uint32Array | Float64Array | Uint8Array> {
  private readonly pages: T[] = [];

  constructor(
    private readonly make: (length: number) => T,
    private readonly width = 1,
  ) {}

  /** The page and the offset in it of item `index` (making the page when it is the next one). */
  at(index: number): [T, number] {
    const number = index >>> PAGE_BITS;
    let page = this.pages[number];
    if (page === undefined) {
      page = this.make(PAGE * this.width);
      this.pages.push(page);
    }
    return [page, (index & (PAGE - 1)) * this.width];
  }

  get(index: number): number {
    return this.pages[index >>> PAGE_BITS]?.[(index & (PAGE - 1)) * this.width] ?? 0;
  }

  set(index: number, value: number): void {
    const [page, at] = this.at(index);
    page[at] = value;
  }
}

export class CollectedItems {
  private readonly lines = new Pages((n) => new Uint32Array(n));
  private readonly models = new Pages((n) => new Uint32Array(n));
  private readonly hashes = new Pages((n) => new Uint8Array(n), HASH_BYTES);
  private readonly costs = new Pages((n) => new Float64Array(n));
  private readonly maxima = new Pages((n) => new Float64Array(n));
  private readonly inputTokens = new Pages((n) => new Float64Array(n));
  private readonly outputTokens = new Pages((n) => new Float64Array(n));
  private readonly duplicateOf = new Pages((n) => new Uint32Array(n));
  /** 1 + the index in `cachedRefs`, or NONE. */
  private readonly cachedAt = new Pages((n) => new Uint32Array(n));
  /** The ids as UTF-8, back to back: a million short strings would be a million objects to trace. */
  private idBytes = new Uint8Array(1 << 16);
  private idBytesUsed = 0;
  private readonly idStarts = new Pages((n) => new Float64Array(n));
  private readonly unencodableIds = new Map<number, string>();
  private readonly modelNames: string[] = [];
  private readonly modelNumbers = new Map<string, number>();
  private readonly cachedRefs: CachedRef[] = [];
  private count = 0;
  readonly sent: SentTotals = { inputTokens: 0, outputTokens: 0, estimatedCost: 0, estimatedMax: 0 };

  get length(): number {
    return this.count;
  }

  /** Items must come in line order (`indexOfLine` relies on it). */
  add(item: CollectedItem): void {
    const index = this.count++;
    this.lines.set(index, item.line);
    this.models.set(index, this.modelNumber(item.model));
    const [page, at] = this.hashes.at(index);
    page.set(item.hash.subarray(0, HASH_BYTES), at);
    this.costs.set(index, item.estimatedCost);
    this.maxima.set(index, item.estimatedMax);
    this.inputTokens.set(index, item.inputTokens);
    this.outputTokens.set(index, item.outputTokens);
    this.duplicateOf.set(index, item.duplicateOf ?? NONE);
    if (item.cached) this.cachedRefs.push(item.cached);
    this.cachedAt.set(index, item.cached ? this.cachedRefs.length : NONE);
    this.addId(index, item.id);
    if (item.duplicateOf === undefined && item.cached === undefined) {
      this.sent.inputTokens += item.inputTokens;
      this.sent.outputTokens += item.outputTokens;
      this.sent.estimatedCost += item.estimatedCost;
      this.sent.estimatedMax += item.estimatedMax;
    }
  }

  item(index: number): CollectedItem {
    const [page, at] = this.hashes.at(index);
    const duplicateOf = this.duplicateOf.get(index);
    const cachedAt = this.cachedAt.get(index);
    return {
      line: this.lines.get(index),
      id: this.id(index),
      model: this.modelNames[this.models.get(index)] ?? '',
      hash: page.subarray(at, at + HASH_BYTES),
      estimatedCost: this.costs.get(index),
      estimatedMax: this.maxima.get(index),
      inputTokens: this.inputTokens.get(index),
      outputTokens: this.outputTokens.get(index),
      duplicateOf: duplicateOf === NONE ? undefined : duplicateOf,
      cached: cachedAt === NONE ? undefined : this.cachedRefs[cachedAt - 1],
    };
  }

  /** The item's hash as the index keys it. */
  hashHex(index: number): string {
    const [page, at] = this.hashes.at(index);
    return toHex(page.subarray(at, at + HASH_BYTES));
  }

  /** The index of the item on `line`, or -1: a binary search, the items being in line order. */
  indexOfLine(line: number): number {
    let low = 0;
    let high = this.count - 1;
    while (low <= high) {
      const middle = (low + high) >>> 1;
      const found = this.lines.get(middle);
      if (found === line) return middle;
      if (found < line) low = middle + 1;
      else high = middle - 1;
    }
    return -1;
  }

  /** The id of item `index`. */
  id(index: number): string {
    const unencodable = this.unencodableIds.get(index);
    if (unencodable !== undefined) return unencodable;
    const start = this.idStarts.get(index);
    const end = index + 1 < this.count ? this.idStarts.get(index + 1) : this.idBytesUsed;
    return decoder.decode(this.idBytes.subarray(start, end));
  }

  private addId(index: number, id: string): void {
    this.idStarts.set(index, this.idBytesUsed);
    // UTF-8 cannot hold a lone surrogate (JSON's "\ud800" can): such an id is kept as it is.
    if (LONE_SURROGATE.test(id)) {
      this.unencodableIds.set(index, id);
      return;
    }
    // At most 3 bytes per UTF-16 unit.
    const room = this.idBytesUsed + id.length * 3;
    if (room > this.idBytes.length) this.idBytes = grown(this.idBytes, room);
    this.idBytesUsed += encoder.encodeInto(id, this.idBytes.subarray(this.idBytesUsed)).written;
  }

  private modelNumber(model: string): number {
    let number = this.modelNumbers.get(model);
    if (number === undefined) {
      number = this.modelNames.length;
      this.modelNames.push(model);
      this.modelNumbers.set(model, number);
    }
    return number;
  }
}
