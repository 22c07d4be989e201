// The rules that need the whole file, applied to per-line results in line order: one format per
// file, unique ids, one endpoint per file, dedup, each line within the batch byte limit, and the
// per-file limits. Only what is still needed afterwards is kept: ids (for duplicate ids) in a
// compact index, and the planner's per-item arrays, whose hash table is also the dedup.
import { IdIndex } from './compactIndex';
import { HASH_BYTES, ROW, ROW_SIZE, decodeId } from './lineAnalyzer';
import type { AnalyzedBatch } from './lineAnalyzer';
import type { ValidLine } from './lineAnalysis';
import { FORMAT_NAMES, ID_FIELD } from './lineFormats';
import { PlanBuilder } from './planner';
import type { PlannedChunk } from './planner';
import { FORMAT_IDS, PROVIDER_IDS, PROVIDER_LIMITS } from './providerLimits';
import type { FormatId, ProviderId } from './providerLimits';

// Row fields as plain constants: read once, not through the module's export object on every row.
const { EMBEDDING_INPUTS, FORMAT, ID_END, ID_START, ID_TAG, INPUT_TOKENS, INPUT_TOKENS_EXACT, LENGTH, LINE, MESSAGE, MODEL, OFFSET, OUTPUT_TOKENS_EXPECTED, OUTPUT_TOKENS_MAX, PRICE_BATCH, PRICE_BATCH_MAX, PRICE_SYNC, PROVIDER, ENDPOINT } = ROW;

/** Rows whose table slots are touched together before they are looked up. */
const PREFETCH = 32;
/** Where the touched values go, so that the reads are not optimised away. */
const prefetchSink = { value: 0 };

export interface Located {
  readonly line: number;
  readonly message: string;
}

export interface FileTotals {
  items: number;
  valid: number;
  invalid: number;
  duplicates: number;
  inputTokens: number;
  inputTokensExact: boolean;
  outputTokensExpected: number;
  outputTokensMax: number;
  costSync: number;
  costBatch: number;
  costBatchAfterDedup: number;
  costBatchAfterDedupMax: number;
  /** Unique requests whose result the cache already holds. */
  cached: number;
}

/** One accepted line and what dedup and the cache decided for it: what a submission records per item. */
export interface TalliedItem {
  readonly line: ValidLine;
  /** The earlier line this one repeats, if any: it is not sent and gets its twin's result. */
  readonly duplicateOf: number | undefined;
  /** An earlier job already has this request's result: it is not sent. */
  readonly cached: boolean;
}

export interface TallyHooks {
  /** True when the result cache already holds this request (by its hash). */
  readonly isCached?: ((hash: Uint8Array) => boolean) | undefined;
  /**
   * The same question for a whole batch at once, asked before its lines are tallied: of the
   * batch's `count` rows (hashes back to back, HASH_BYTES each), the ones the cache holds. Used
   * instead of `isCached` when given: one lookup per batch rather than one per line, which on the
   * window's thread is the difference between a few milliseconds and seconds.
   */
  readonly cachedInBatch?: ((hashes: Uint8Array, count: number) => ReadonlySet<number>) | undefined;
  /** Called for every accepted line, in line order. */
  readonly onItem?: ((item: TalliedItem) => void) | undefined;
}

export interface UnpricedModel {
  readonly provider: ProviderId;
  readonly model: string;
}

export class FileTally {
  readonly totals: FileTotals = {
    items: 0,
    valid: 0,
    invalid: 0,
    duplicates: 0,
    inputTokens: 0,
    inputTokensExact: true,
    outputTokensExpected: 0,
    outputTokensMax: 0,
    costSync: 0,
    costBatch: 0,
    costBatchAfterDedup: 0,
    costBatchAfterDedupMax: 0,
    cached: 0,
  };
  readonly invalid: Located[] = [];
  readonly duplicates: { line: number; of: number }[] = [];
  readonly modelItems = new Map<string, number>();
  readonly unpriced = new Map<string, UnpricedModel>();
  format: FormatId | undefined;
  provider: ProviderId | undefined;

  private formatLine = 0;
  private url: { value: string; line: number } | undefined;
  private readonly ids = new IdIndex();
  private plan: PlanBuilder | undefined;

  constructor(private readonly hooks: TallyHooks = {}) {}

  /** The endpoint (url) the file's lines target, where its format names one. */
  get endpoint(): string | undefined {
    return this.url?.value;
  }

  /** Lines of the batches applied so far: what a batch's line numbers are relative to. */
  private linesBefore = 0;

  /** Applies one analysed batch; batches must come in file order. */
  addBatch(batch: AnalyzedBatch): void {
    const { rows, strings, ids } = batch;
    const linesBefore = this.linesBefore;
    this.linesBefore += batch.lines;
    // The hashes as words, for the plan's dedup table (HASH_BYTES / 4 words a row).
    const words = new Uint32Array(batch.hashes.buffer, batch.hashes.byteOffset, batch.hashes.length >>> 2);
    const totals = this.totals;
    const cachedRows = this.hooks.cachedInBatch?.(batch.hashes, batch.count);
    for (let i = 0; i < batch.count; i++) {
      if (i % PREFETCH === 0) this.prefetch(batch, words, i);
      const r = i * ROW_SIZE;
      const line = linesBefore + (rows[r + LINE] ?? 0);
      totals.items++;
      const formatNumber = rows[r + FORMAT] ?? -1;
      if (formatNumber === -1) {
        this.reject(line, strings[rows[r + MESSAGE] ?? 0] ?? '');
        continue;
      }
      const format = FORMAT_IDS[formatNumber] ?? 'openai';
      const provider = PROVIDER_IDS[rows[r + PROVIDER] ?? 0] ?? 'openai';
      const length = rows[r + LENGTH] ?? 0;
      const urlIndex = rows[r + ENDPOINT] ?? -1;
      const url = urlIndex === -1 ? undefined : strings[urlIndex];
      const idStart = rows[r + ID_START] ?? 0;
      const idEnd = rows[r + ID_END] ?? 0;
      const idTag = rows[r + ID_TAG] ?? 0;

      // The rules in order (format, id, url, size); the first that fails is the one reported.
      if (this.format === undefined) {
        this.format = format;
        this.provider = provider;
        this.formatLine = line;
        this.plan = new PlanBuilder(provider);
      } else if (format !== this.format) {
        this.reject(
          line,
          `line is in ${FORMAT_NAMES[format]} format, but line ${this.formatLine} is in ${FORMAT_NAMES[this.format]} format; one file holds one format`,
        );
        continue;
      }
      const limits = PROVIDER_LIMITS[provider];
      const urlDiffers = url !== undefined && this.url !== undefined && url !== this.url.value;
      const tooLong = length + 1 > limits.maxBytes;
      // A line that passes every rule records its id in the same probe that checks it.
      const firstWithId =
        urlDiffers || tooLong ? this.ids.firstLine(ids, idStart, idEnd, idTag) : this.ids.firstLineOrAdd(ids, idStart, idEnd, idTag, line);
      if (firstWithId !== 0) {
        this.reject(line, `duplicate ${ID_FIELD[format]} ${JSON.stringify(decodeId(ids, idStart, idEnd))} (first used on line ${firstWithId})`);
        continue;
      }
      if (url !== undefined && this.url === undefined) this.url = { value: url, line };
      if (urlDiffers) {
        this.reject(
          line,
          `field "url": ${JSON.stringify(url)} differs from ${JSON.stringify(this.url?.value)} on line ${this.url?.line}; one batch file targets one endpoint`,
        );
        continue;
      }
      if (tooLong) {
        this.reject(line, `line is ${formatBytes(length)}; ${limits.displayName} batch files hold at most ${formatBytes(limits.maxBytes)}`);
        continue;
      }

      // Accepted.
      const model = strings[rows[r + MODEL] ?? 0] ?? '';
      totals.valid++;
      totals.inputTokens += rows[r + INPUT_TOKENS] ?? 0;
      totals.inputTokensExact &&= rows[r + INPUT_TOKENS_EXACT] === 1;
      totals.outputTokensExpected += rows[r + OUTPUT_TOKENS_EXPECTED] ?? 0;
      totals.outputTokensMax += rows[r + OUTPUT_TOKENS_MAX] ?? 0;
      this.modelItems.set(model, (this.modelItems.get(model) ?? 0) + 1);
      const priceBatch = rows[r + PRICE_BATCH] ?? Number.NaN;
      const priced = !Number.isNaN(priceBatch);
      if (priced) {
        totals.costSync += rows[r + PRICE_SYNC] ?? 0;
        totals.costBatch += priceBatch;
      } else {
        this.unpriced.set(`${provider}\n${model}`, { provider, model });
      }
      const plan = this.plan;
      const hashAt = i * (HASH_BYTES / 4);
      if (plan === undefined) continue; // set with the format, above
      const hooks = this.hooks;
      let original: number;
      let cached = false;
      const embeddingInputs = rows[r + EMBEDDING_INPUTS] ?? 0;
      if (hooks.isCached === undefined && cachedRows === undefined) {
        original = plan.addIfNew(model, line, length, words, hashAt, embeddingInputs);
      } else {
        // A cached request is remembered for dedup (its repeats are duplicates of it) but not sent.
        original = plan.firstLine(words, hashAt);
        if (original === 0) {
          cached = cachedRows ? cachedRows.has(i) : (hooks.isCached?.(batch.hashes.subarray(i * HASH_BYTES, (i + 1) * HASH_BYTES)) ?? false);
          plan.add(model, line, length, words, hashAt, !cached, embeddingInputs);
        }
      }
      hooks.onItem?.({ line: validLine(batch, i, linesBefore), duplicateOf: original === 0 ? undefined : original, cached });
      if (original !== 0) {
        totals.duplicates++;
        this.duplicates.push({ line, of: original });
        continue;
      }
      if (cached) {
        totals.cached++;
        continue;
      }
      if (priced) {
        totals.costBatchAfterDedup += priceBatch;
        totals.costBatchAfterDedupMax += rows[r + PRICE_BATCH_MAX] ?? 0;
      }
    }
  }

  /** Touches the table slots that the next PREFETCH rows will look up (see TagTable.touch). */
  private prefetch(batch: AnalyzedBatch, words: Uint32Array, from: number): void {
    const { rows } = batch;
    const end = Math.min(batch.count, from + PREFETCH);
    let touched = 0;
    for (let i = from; i < end; i++) {
      touched += this.ids.touch(rows[i * ROW_SIZE + ID_TAG] ?? 0);
      if (this.plan) touched += this.plan.touch(words, i * (HASH_BYTES / 4));
    }
    prefetchSink.value = touched;
  }

  /** The chunks to submit, one at a time (see PlanBuilder.chunks); none when nothing valid was seen. */
  chunks(): Iterable<PlannedChunk> {
    return this.plan?.chunks() ?? [];
  }

  /** Lines seen, blank ones included. */
  get lines(): number {
    return this.linesBefore;
  }

  /** Models in the file, for the note that explains a split by model. */
  get modelCount(): number {
    return this.modelItems.size;
  }

  private reject(line: number, message: string): void {
    this.totals.invalid++;
    this.invalid.push({ line, message });
  }
}

export function formatBytes(bytes: number): string {
  if (bytes >= 1_000_000) return `${(bytes / 1_000_000).toFixed(1).replace(/\.0$/, '')} MB`;
  if (bytes >= 1_000) return `${(bytes / 1_000).toFixed(1).replace(/\.0$/, '')} kB`;
  return `${bytes} bytes`;
}

/** Row `i` of a batch as the line result it was packed from, for the per-item hook. */
function validLine(batch: AnalyzedBatch, i: number, linesBefore: number): ValidLine {
  const { rows, strings } = batch;
  const r = i * ROW_SIZE;
  const field = (at: number): number => rows[r + at] ?? 0;
  const url = field(ENDPOINT);
  const priced = !Number.isNaN(field(PRICE_BATCH));
  return {
    kind: 'valid',
    line: linesBefore + field(LINE),
    offset: field(OFFSET),
    length: field(LENGTH),
    format: FORMAT_IDS[field(FORMAT)] ?? 'openai',
    provider: PROVIDER_IDS[field(PROVIDER)] ?? 'openai',
    id: decodeId(batch.ids, field(ID_START), field(ID_END)),
    model: strings[field(MODEL)] ?? '',
    url: url === -1 ? undefined : strings[url],
    hash: batch.hashes.slice(i * HASH_BYTES, (i + 1) * HASH_BYTES),
    inputTokens: field(INPUT_TOKENS),
    inputTokensExact: field(INPUT_TOKENS_EXACT) === 1,
    outputTokensMax: field(OUTPUT_TOKENS_MAX),
    outputTokensExpected: field(OUTPUT_TOKENS_EXPECTED),
    embeddingInputs: field(EMBEDDING_INPUTS),
    price: priced ? { sync: field(PRICE_SYNC), batch: field(PRICE_BATCH), batchMax: field(PRICE_BATCH_MAX) } : null,
  };
}
