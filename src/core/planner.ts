// Splits the items that will actually be sent (valid, not duplicates) into remote batches that
// each fit the provider's limits: one model per batch where the provider needs it, at most
// maxRequests requests and maxBytes bytes each (and, for embeddings, at most maxEmbeddingInputs
// inputs across its requests). Chunk ids come from the content, so the same file
// plans the same way twice and a re-plan after a crash finds the same chunks.
import { createHash } from 'node:crypto';
import { PROVIDER_LIMITS } from './providerLimits';
import type { ProviderId, ProviderLimits } from './providerLimits';
import { TagTable } from './compactIndex';
import type { KeyStore } from './compactIndex';

export interface PlannedChunk {
  /** Deterministic: derived from provider, model and the hashes of the chunk's requests. */
  readonly id: string;
  readonly provider: ProviderId;
  readonly model: string;
  /** 1-based source line numbers of the chunk's items, in file order. */
  readonly lines: readonly number[];
  /** Bytes of the chunk's batch file: each line plus its newline. */
  readonly bytes: number;
  /** Embedding inputs across the chunk's requests (0 unless they are embeddings). */
  readonly embeddingInputs: number;
}

const HASH_BYTES = 32;
const HASH_WORDS = HASH_BYTES / 4;
/** Groups all models into one batch where the provider allows mixing. */
const MIXED = '\u0000mixed';
/** Items per storage page: pages are never copied as the plan grows, unlike a doubling array. */
const PAGE_BITS = 16;
const PAGE = 1 << PAGE_BITS;
/** The group number of an item that is known (for dedup) but not sent. */
const NOT_SENT = 0xffffffff;

/** A hash being looked up: 8 words of `words` from `at`. */
interface HashRef {
  words: Uint32Array;
  at: number;
}

/**
 * Items are kept in file order in typed pages (hash, line, size, group): about 44 bytes each plus
 * the dedup table's slots, where objects and Maps of strings took several times that.
 */
export class PlanBuilder implements KeyStore<HashRef> {
  private readonly groupIndex = new Map<string, number>();
  private readonly groupKeys: string[] = [];
  private readonly groupModels: Set<string>[] = [];
  private readonly hashPages: Uint32Array[] = [];
  private readonly linePages: Uint32Array[] = [];
  private readonly sizePages: Uint32Array[] = [];
  private readonly groupPages: Uint32Array[] = [];
  /** Embedding inputs per item; a page is only made once an item of it has any (else all 0). */
  private readonly inputPages: (Uint32Array | undefined)[] = [];
  /** The last page of each, where the next item goes. */
  private hashes = new Uint32Array(0);
  private lines = new Uint32Array(0);
  private sizes = new Uint32Array(0);
  private groups = new Uint32Array(0);
  private count = 0;
  private readonly byHash = new TagTable<HashRef>(this, 12);
  private readonly probe: HashRef = { words: new Uint32Array(HASH_WORDS), at: 0 };

  constructor(
    readonly provider: ProviderId,
    readonly limits: ProviderLimits = PROVIDER_LIMITS[provider],
  ) {}

  /**
   * Adds one item; `length` is its line's size without the newline. The hash is 8 words of
   * `hash` from `at` (how the analysed batches carry them), or a 32-byte array. An item that is
   * not `sent` (its result is cached) is known to `firstLine` but left out of the chunks.
   * `embeddingInputs` is what the item counts against the provider's embedding input limit.
   */
  add(model: string, line: number, length: number, hash: Uint8Array | Uint32Array, at = 0, sent = true, embeddingInputs = 0): void {
    if (hash instanceof Uint32Array) {
      this.push(model, line, length, hash, at, sent, embeddingInputs);
      return;
    }
    const words = new Uint32Array(HASH_WORDS);
    new Uint8Array(words.buffer).set(hash.subarray(at, at + HASH_BYTES));
    this.push(model, line, length, words, 0, sent, embeddingInputs);
  }

  /** See TagTable.touch: `words[at]` is the hash's first word. */
  touch(words: Uint32Array, at: number): number {
    return this.byHash.touch(words[at] ?? 0);
  }

  /** The line of the item added first with this hash (8 words of `words` from `at`), or 0. */
  firstLine(words: Uint32Array, at: number): number {
    const probe = this.probe;
    probe.words = words;
    probe.at = at;
    const found = this.byHash.find(words[at] ?? 0, probe);
    return found === -1 ? 0 : this.field(this.linePages, found);
  }

  /**
   * Adds the item unless one with the same request hash is already there, and then returns that
   * item's line (else 0): the plan holds each distinct request once, so this is the dedup.
   */
  addIfNew(model: string, line: number, length: number, words: Uint32Array, at: number, embeddingInputs = 0): number {
    const original = this.firstLine(words, at);
    if (original === 0) this.push(model, line, length, words, at, true, embeddingInputs);
    return original;
  }

  keyEquals(entry: number, key: HashRef): boolean {
    const page = this.hashPages[entry >>> PAGE_BITS];
    if (page === undefined) return false;
    const at = (entry & (PAGE - 1)) * HASH_WORDS;
    for (let i = 0; i < HASH_WORDS; i++) if (page[at + i] !== key.words[key.at + i]) return false;
    return true;
  }

  /** Number of batches that a plan with one group per model would need: used for notes. */
  get modelCount(): number {
    const all = new Set<string>();
    for (const models of this.groupModels) for (const model of models) all.add(model);
    return all.size;
  }

  build(): PlannedChunk[] {
    return [...this.chunks()];
  }

  /**
   * The chunks one at a time: hashing a chunk's requests takes a few milliseconds, and a caller
   * on the window's thread (the estimate) lets it breathe between them.
   */
  *chunks(): Generator<PlannedChunk> {
    // Each group's items in file order, by counting sort over the items' group numbers.
    const groups = this.groupKeys.length;
    const starts = new Uint32Array(groups + 1);
    for (let i = 0; i < this.count; i++) {
      const g = this.groupOf(i);
      if (g !== NOT_SENT) starts[g + 1] = (starts[g + 1] ?? 0) + 1;
    }
    for (let g = 0; g < groups; g++) starts[g + 1] = (starts[g + 1] ?? 0) + (starts[g] ?? 0);
    const order = new Uint32Array(starts[groups] ?? 0);
    const fill = starts.slice(0, groups);
    for (let i = 0; i < this.count; i++) {
      const g = this.groupOf(i);
      if (g === NOT_SENT) continue;
      order[fill[g] ?? 0] = i;
      fill[g] = (fill[g] ?? 0) + 1;
    }
    for (let g = 0; g < groups; g++) {
      const key = this.groupKeys[g] ?? MIXED;
      const model = key === MIXED ? [...(this.groupModels[g] ?? [])].sort().join('+') : key;
      yield* this.split(model, order.subarray(starts[g] ?? 0, starts[g + 1] ?? 0));
    }
  }

  private push(model: string, line: number, length: number, words: Uint32Array, at: number, sent: boolean, embeddingInputs: number): void {
    const group = sent ? this.groupFor(model) : NOT_SENT;

    const index = this.count;
    const slot = index & (PAGE - 1);
    if (slot === 0) {
      this.hashes = new Uint32Array(PAGE * HASH_WORDS);
      this.lines = new Uint32Array(PAGE);
      this.sizes = new Uint32Array(PAGE);
      this.groups = new Uint32Array(PAGE);
      this.hashPages.push(this.hashes);
      this.linePages.push(this.lines);
      this.sizePages.push(this.sizes);
      this.groupPages.push(this.groups);
      this.inputPages.push(undefined);
    }
    const hashes = this.hashes;
    for (let i = 0; i < HASH_WORDS; i++) hashes[slot * HASH_WORDS + i] = words[at + i] ?? 0;
    this.lines[slot] = line;
    // Lines of 4 GB or more cannot be valid: V8's strings stop well short of that.
    this.sizes[slot] = length + 1;
    this.groups[slot] = group;
    if (embeddingInputs > 0) {
      const page = index >>> PAGE_BITS;
      const inputs = this.inputPages[page] ?? (this.inputPages[page] = new Uint32Array(PAGE));
      inputs[slot] = embeddingInputs;
    }
    this.count++;
    this.byHash.insert(words[at] ?? 0, index);
  }

  private groupFor(model: string): number {
    const key = this.limits.oneModelPerBatch ? model : MIXED;
    let group = this.groupIndex.get(key);
    if (group === undefined) {
      group = this.groupKeys.length;
      this.groupIndex.set(key, group);
      this.groupKeys.push(key);
      this.groupModels.push(new Set());
    }
    const models = this.groupModels[group];
    if (models !== undefined && !models.has(model)) models.add(model);
    return group;
  }

  private groupOf(index: number): number {
    return this.groupPages[index >>> PAGE_BITS]?.[index & (PAGE - 1)] ?? 0;
  }

  private field(pages: readonly Uint32Array[], index: number): number {
    return pages[index >>> PAGE_BITS]?.[index & (PAGE - 1)] ?? 0;
  }

  /**
   * Balanced by count (50,001 requests → 25,001 + 25,000, never 50,000 + 1, which would also
   * trip Bedrock's minimum), then cut early wherever the byte limit or the embedding input
   * limit would be passed.
   */
  private *split(model: string, items: Uint32Array): Generator<PlannedChunk> {
    const total = items.length;
    const target = Math.ceil(total / Math.ceil(total / this.limits.maxRequests));
    const maxInputs = this.limits.maxEmbeddingInputs ?? Number.POSITIVE_INFINITY;
    let start = 0;
    let bytes = 0;
    let inputs = 0;
    for (let i = 0; i < total; i++) {
      const item = items[i] ?? 0;
      const size = this.field(this.sizePages, item);
      const itemInputs = this.inputPages[item >>> PAGE_BITS]?.[item & (PAGE - 1)] ?? 0;
      if (i > start && (i - start >= target || bytes + size > this.limits.maxBytes || inputs + itemInputs > maxInputs)) {
        yield this.chunk(model, items.subarray(start, i), bytes, inputs);
        start = i;
        bytes = 0;
        inputs = 0;
      }
      bytes += size;
      inputs += itemInputs;
    }
    if (total > start) yield this.chunk(model, items.subarray(start, total), bytes, inputs);
  }

  private chunk(model: string, items: Uint32Array, bytes: number, embeddingInputs: number): PlannedChunk {
    // The chunk's hashes back to back, hashed in one call rather than one update per item.
    const hashes = new Uint32Array(items.length * HASH_WORDS);
    const lines: number[] = new Array<number>(items.length);
    for (let i = 0; i < items.length; i++) {
      const index = items[i] ?? 0;
      const page = this.hashPages[index >>> PAGE_BITS] ?? hashes;
      const at = (index & (PAGE - 1)) * HASH_WORDS;
      for (let w = 0; w < HASH_WORDS; w++) hashes[i * HASH_WORDS + w] = page[at + w] ?? 0;
      lines[i] = this.field(this.linePages, index);
    }
    const digest = createHash('sha256')
      .update(`${this.provider}\n${model}\n`)
      .update(new Uint8Array(hashes.buffer))
      .digest('hex');
    return { id: `chunk_${digest.slice(0, 24)}`, provider: this.provider, model, lines, bytes, embeddingInputs };
  }
}
