// Splits the items that will actually be sent (valid, not duplicates) into remote batches that
// each fit the provider's limits: one model per batch where the provider needs it, at most
// maxRequests requests and maxBytes bytes each. Chunk ids come from the content, so the same file
// plans the same way twice and a re-plan after a crash finds the same chunks.
import { createHash } from 'node:crypto';
import { PROVIDER_LIMITS } from './providerLimits';
import type { ProviderId, ProviderLimits } from './providerLimits';

export interface PlannedChunk {
  /** Deterministic: derived from provider, model and the hashes of the chunk's requests. */
  readonly id: string;
  readonly provider: ProviderId;
  readonly model: string;
  /** 1-based source line numbers of the chunk's items, in file order. */
  readonly lines: readonly number[];
  /** Bytes of the chunk's batch file: each line plus its newline. */
  readonly bytes: number;
}

const HASH_BYTES = 32;
/** Groups all models into one batch where the provider allows mixing. */
const MIXED = '\u0000mixed';

interface Group {
  readonly lines: number[];
  readonly sizes: number[];
  hashes: Uint8Array;
}

export class PlanBuilder {
  private readonly groups = new Map<string, Group>();
  private readonly modelsByGroup = new Map<string, Set<string>>();

  constructor(
    readonly provider: ProviderId,
    readonly limits: ProviderLimits = PROVIDER_LIMITS[provider],
  ) {}

  /** Adds one item to be sent; `length` is its line's size without the newline. */
  add(model: string, line: number, length: number, hash: Uint8Array): void {
    const key = this.limits.oneModelPerBatch ? model : MIXED;
    let group = this.groups.get(key);
    if (!group) {
      group = { lines: [], sizes: [], hashes: new Uint8Array(HASH_BYTES * 1024) };
      this.groups.set(key, group);
      this.modelsByGroup.set(key, new Set());
    }
    const at = group.lines.length * HASH_BYTES;
    if (at + HASH_BYTES > group.hashes.length) {
      const grown = new Uint8Array(group.hashes.length * 2);
      grown.set(group.hashes);
      group.hashes = grown;
    }
    group.hashes.set(hash.subarray(0, HASH_BYTES), at);
    group.lines.push(line);
    group.sizes.push(length + 1);
    this.modelsByGroup.get(key)?.add(model);
  }

  /** Number of batches that a plan with one group per model would need: used for notes. */
  get modelCount(): number {
    const all = new Set<string>();
    for (const models of this.modelsByGroup.values()) for (const model of models) all.add(model);
    return all.size;
  }

  build(): PlannedChunk[] {
    const chunks: PlannedChunk[] = [];
    for (const [key, group] of this.groups) {
      const model = key === MIXED ? [...(this.modelsByGroup.get(key) ?? [])].sort().join('+') : key;
      chunks.push(...this.split(model, group));
    }
    return chunks;
  }

  /**
   * Balanced by count (50,001 requests → 25,001 + 25,000, never 50,000 + 1, which would also
   * trip Bedrock's minimum), then cut early wherever the byte limit would be passed.
   */
  private split(model: string, group: Group): PlannedChunk[] {
    const total = group.lines.length;
    const target = Math.ceil(total / Math.ceil(total / this.limits.maxRequests));
    const chunks: PlannedChunk[] = [];
    let start = 0;
    let bytes = 0;
    for (let i = 0; i < total; i++) {
      const size = group.sizes[i] ?? 0;
      if (i > start && (i - start >= target || bytes + size > this.limits.maxBytes)) {
        chunks.push(this.chunk(model, group, start, i, bytes));
        start = i;
        bytes = 0;
      }
      bytes += size;
    }
    if (total > start) chunks.push(this.chunk(model, group, start, total, bytes));
    return chunks;
  }

  private chunk(model: string, group: Group, start: number, end: number, bytes: number): PlannedChunk {
    const digest = createHash('sha256')
      .update(`${this.provider}\n${model}\n`)
      .update(group.hashes.subarray(start * HASH_BYTES, end * HASH_BYTES))
      .digest('hex');
    return { id: `chunk_${digest.slice(0, 24)}`, provider: this.provider, model, lines: group.lines.slice(start, end), bytes };
  }
}
