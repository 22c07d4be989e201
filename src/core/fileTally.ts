// The rules that need the whole file, applied to per-line results in line order: one format per
// file, unique ids, one endpoint per file, dedup, each line within the batch byte limit, and the
// per-file limits. Only what is still needed afterwards is kept: ids and request hashes (for
// duplicates), and the planner's compact per-item arrays.
import type { LineResult, ValidLine } from './lineAnalysis';
import { FORMAT_NAMES, ID_FIELD } from './lineFormats';
import { PlanBuilder } from './planner';
import type { PlannedChunk } from './planner';
import { PROVIDER_LIMITS } from './providerLimits';
import type { FormatId, ProviderId } from './providerLimits';

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
  };
  readonly invalid: Located[] = [];
  readonly duplicates: { line: number; of: number }[] = [];
  readonly modelItems = new Map<string, number>();
  readonly unpriced = new Map<string, UnpricedModel>();
  format: FormatId | undefined;
  provider: ProviderId | undefined;

  private formatLine = 0;
  private url: { value: string; line: number } | undefined;
  private readonly idLines = new Map<string, number>();
  private readonly hashLines = new Map<string, number>();
  private plan: PlanBuilder | undefined;

  add(result: LineResult): void {
    this.totals.items++;
    if (result.kind === 'invalid') {
      this.reject(result.line, result.message);
      return;
    }
    const problem = this.crossLineProblem(result);
    if (problem) {
      this.reject(result.line, problem);
      return;
    }
    this.accept(result);
  }

  /** The chunks to submit; an empty list when nothing valid was seen. */
  chunks(): PlannedChunk[] {
    return this.plan?.build() ?? [];
  }

  /** Models in the file, for the note that explains a split by model. */
  get modelCount(): number {
    return this.modelItems.size;
  }

  private reject(line: number, message: string): void {
    this.totals.invalid++;
    this.invalid.push({ line, message });
  }

  private crossLineProblem(line: ValidLine): string | undefined {
    if (this.format === undefined) {
      this.format = line.format;
      this.provider = line.provider;
      this.formatLine = line.line;
      this.plan = new PlanBuilder(line.provider);
    } else if (line.format !== this.format) {
      return `line is in ${FORMAT_NAMES[line.format]} format, but line ${this.formatLine} is in ${FORMAT_NAMES[this.format]} format; one file holds one format`;
    }
    const firstWithId = this.idLines.get(line.id);
    if (firstWithId !== undefined) {
      return `duplicate ${ID_FIELD[line.format]} ${JSON.stringify(line.id)} (first used on line ${firstWithId})`;
    }
    if (line.url !== undefined) {
      if (this.url === undefined) this.url = { value: line.url, line: line.line };
      else if (line.url !== this.url.value) {
        return `field "url": ${JSON.stringify(line.url)} differs from ${JSON.stringify(this.url.value)} on line ${this.url.line}; one batch file targets one endpoint`;
      }
    }
    const limits = PROVIDER_LIMITS[line.provider];
    if (line.length + 1 > limits.maxBytes) {
      return `line is ${formatBytes(line.length)}; ${limits.displayName} batch files hold at most ${formatBytes(limits.maxBytes)}`;
    }
    return undefined;
  }

  private accept(line: ValidLine): void {
    const totals = this.totals;
    this.idLines.set(line.id, line.line);
    totals.valid++;
    totals.inputTokens += line.inputTokens;
    totals.inputTokensExact &&= line.inputTokensExact;
    totals.outputTokensExpected += line.outputTokensExpected;
    totals.outputTokensMax += line.outputTokensMax;
    this.modelItems.set(line.model, (this.modelItems.get(line.model) ?? 0) + 1);
    if (line.price) {
      totals.costSync += line.price.sync;
      totals.costBatch += line.price.batch;
    } else {
      this.unpriced.set(`${line.provider}\n${line.model}`, { provider: line.provider, model: line.model });
    }

    // 32 one-byte characters: the most compact string key a Map can hold for a hash.
    const key = Buffer.from(line.hash.buffer, line.hash.byteOffset, line.hash.byteLength).toString('latin1');
    const original = this.hashLines.get(key);
    if (original !== undefined) {
      totals.duplicates++;
      this.duplicates.push({ line: line.line, of: original });
      return;
    }
    this.hashLines.set(key, line.line);
    if (line.price) {
      totals.costBatchAfterDedup += line.price.batch;
      totals.costBatchAfterDedupMax += line.price.batchMax;
    }
    this.plan?.add(line.model, line.line, line.length, line.hash);
  }
}

export function formatBytes(bytes: number): string {
  if (bytes >= 1_000_000) return `${(bytes / 1_000_000).toFixed(1).replace(/\.0$/, '')} MB`;
  if (bytes >= 1_000) return `${(bytes / 1_000).toFixed(1).replace(/\.0$/, '')} kB`;
  return `${bytes} bytes`;
}
