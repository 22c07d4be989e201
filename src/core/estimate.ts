// The estimate pipeline: stream each file, analyse its lines in batches (on this thread or in
// workers), apply the whole-file rules in line order, plan the chunks, and assemble the report.
// Memory stays bounded by the batches in flight plus the compact per-item state in FileTally.
import { createHash } from 'node:crypto';
import { open, stat } from 'node:fs/promises';
import type { EstimateReport } from '../shared/estimateReport';
import { FileTally, formatBytes } from './fileTally';
import type { TallyHooks } from './fileTally';
import { newSummary, readBatches } from './jsonlReader';
import type { ReadInto, ReadSummary } from './jsonlReader';
import { createInlineAnalyzer } from './lineAnalyzer';
import type { AnalyzerOptions, LineAnalyzer } from './lineAnalyzer';
import type { PlannedChunk } from './planner';
import { mergeEstimateReports } from './mergeEstimateReports';
import { createPricer } from './pricing';
import type { Pricer } from './pricing';
import { PROVIDER_LIMITS } from './providerLimits';
import { createOffThreadAnalyzer } from './workerLineAnalyzer';

export interface EstimateOptions extends AnalyzerOptions {
  /** Called as bytes are read, across all files. */
  readonly onProgress?: ((bytesRead: number, bytesTotal: number) => void) | undefined;
  readonly signal?: AbortSignal | undefined;
  /** Defaults to analysing on the calling thread (or on workers only, with `offThread`). */
  readonly analyzer?: LineAnalyzer | undefined;
  /**
   * Analyse every line on worker threads, never on this one, whatever the file's size: the
   * extension host's thread is the window's, and a large file analysed on it blocks the window for
   * seconds. This thread only reads, hashes and applies the whole-file rules, a batch at a time.
   */
  readonly offThread?: boolean | undefined;
  /** Per-file hooks into dedup and the cache: a submission uses them to record every item. */
  readonly hooksFor?: ((file: string) => TallyHooks) | undefined;
  /** The items go one by one through the sync API (a sync-mode job): a provider's minimum batch size does not apply. */
  readonly oneByOne?: boolean | undefined;
}

export interface FileEstimate {
  readonly file: string;
  readonly summary: ReadSummary;
  readonly tally: FileTally;
  readonly chunks: PlannedChunk[];
  readonly blankLines: number;
  /** SHA-256 of exactly the bytes analysed: a submission sends these bytes or refuses. */
  readonly sha256: string;
}

export interface Estimate {
  readonly report: EstimateReport;
  /** The full plan (with each chunk's lines), for submission. */
  readonly files: readonly FileEstimate[];
}

/**
 * Bytes per analysis batch, and batches in flight per analysing thread. A megabyte is thousands
 * of short lines, so the per-batch costs (a message each way) vanish; three per thread keep a
 * worker fed while the main thread is busy with a batch of its own, and bound memory to a few
 * megabytes a thread.
 */
const BATCH_BYTES = 1 << 20;
const IN_FLIGHT_PER_THREAD = 3;

export async function estimateFiles(paths: readonly string[], options: EstimateOptions): Promise<Estimate> {
  const analyzer = options.analyzer ?? (options.offThread ? createOffThreadAnalyzer(options) : createInlineAnalyzer(options));
  try {
    const sizes = await Promise.all(paths.map(async (file) => (await stat(file)).size));
    const bytesTotal = sizes.reduce((a, b) => a + b, 0);
    let bytesBefore = 0;
    const files: FileEstimate[] = [];
    for (const [index, file] of paths.entries()) {
      const progress = options.onProgress && ((read: number) => options.onProgress?.(bytesBefore + read, bytesTotal));
      files.push(await estimateFile(file, analyzer, progress, options.signal, options.hooksFor?.(file)));
      bytesBefore += sizes[index] ?? 0;
    }
    await nextTurn();
    return { report: buildReport(files, options), files };
  } finally {
    if (!options.analyzer) await analyzer.close();
  }
}

async function estimateFile(
  file: string,
  analyzer: LineAnalyzer,
  onProgress: ((bytesRead: number) => void) | undefined,
  signal: AbortSignal | undefined,
  hooks: TallyHooks | undefined,
): Promise<FileEstimate> {
  const summary = newSummary();
  const tally = new FileTally(hooks);
  const inFlight: Promise<void>[] = [];
  let chain = Promise.resolve();
  let blankLines = 0;

  const sha = createHash('sha256');
  const handle = await open(file, 'r');
  try {
    const read: ReadInto = async (target, at) => {
      signal?.throwIfAborted();
      const { bytesRead } = await handle.read(target, at, target.length - at, null);
      sha.update(target.subarray(at, at + bytesRead));
      return bytesRead;
    };
    const inFlightLimit = Math.max(4, IN_FLIGHT_PER_THREAD * analyzer.parallelism);
    for await (const batch of readBatches(read, summary, analyzer.batchBytes ?? BATCH_BYTES)) {
      const pending = analyzer.analyze(batch);
      // Results are applied strictly in batch order: each batch's tally step waits for the previous one.
      chain = chain.then(async () => {
        const result = await pending;
        // One batch a turn: results that arrive together would otherwise be applied in one block.
        await nextTurn();
        tally.addBatch(result);
        blankLines += result.blankLines;
      });
      // Observed at once, so a failure surfaces through the awaits below instead of as an
      // unhandled rejection when reading stops early.
      chain.catch(() => undefined);
      inFlight.push(chain);
      if (inFlight.length >= inFlightLimit) await inFlight.shift();
      onProgress?.(summary.bytes);
    }
    await chain;
  } finally {
    await handle.close();
  }
  summary.lines = tally.lines;
  onProgress?.(summary.bytes);
  const chunks: PlannedChunk[] = [];
  for (const chunk of tally.chunks()) {
    chunks.push(chunk);
    await nextTurn();
  }
  return { file, summary, tally, chunks, blankLines, sha256: sha.digest('hex') };
}

/**
 * Lets timers and messages run before the next step. Awaiting a promise does not: its callback
 * runs in the same turn, so a chain of steps would still hold the window's thread as one block.
 */
function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** One report per file, merged: the cost preview merges the reports of separately prepared files the same way. */
function buildReport(files: readonly FileEstimate[], options: EstimateOptions): EstimateReport {
  const pricer = createPricer(options.pricing);
  const oneByOne = options.oneByOne ?? false;
  if (files.length === 0) return fileReport(undefined, pricer, oneByOne);
  return mergeEstimateReports(files.map((file) => fileReport(file, pricer, oneByOne)));
}

function fileReport(estimate: FileEstimate | undefined, pricer: Pricer, oneByOne: boolean): EstimateReport {
  const report: EstimateReport = {
    version: 1,
    totals: {
      items: 0,
      valid: 0,
      invalid: 0,
      duplicates: 0,
      cached: 0,
      chunks: 0,
      inputTokens: 0,
      inputTokensExact: true,
      outputTokensExpected: 0,
      outputTokensMax: 0,
      cost: { sync: 0, batch: 0, batchAfterDedup: 0, batchAfterDedupMax: 0, currency: 'USD', complete: true },
    },
    files: [],
    invalid: [],
    duplicates: [],
    chunks: [],
    problems: [],
    notes: [],
    price: { source: pricer.source.name, version: pricer.source.version, date: pricer.source.date, unpricedModels: [] },
  };
  if (!estimate) return report;
  const { file, summary, tally, chunks, blankLines } = estimate;
  const t = tally.totals;
  report.totals = {
    items: t.items,
    valid: t.valid,
    invalid: t.invalid,
    duplicates: t.duplicates,
    cached: t.cached,
    chunks: chunks.length,
    inputTokens: t.inputTokens,
    inputTokensExact: t.inputTokensExact,
    outputTokensExpected: t.outputTokensExpected,
    outputTokensMax: t.outputTokensMax,
    cost: {
      sync: t.costSync,
      batch: t.costBatch,
      batchAfterDedup: t.costBatchAfterDedup,
      batchAfterDedupMax: t.costBatchAfterDedupMax,
      currency: 'USD',
      complete: tally.unpriced.size === 0,
    },
  };
  report.files.push({
    file,
    format: tally.format ?? null,
    provider: tally.provider ?? null,
    bytes: summary.bytes,
    bom: summary.bom,
    items: t.items,
    valid: t.valid,
    invalid: t.invalid,
    duplicates: t.duplicates,
    blankLines,
    models: [...tally.modelItems].map(([model, items]) => ({ model, items })),
  });
  // Loops, not push(...list): a spread of a few hundred thousand items overflows the call stack.
  for (const { line, message } of tally.invalid) report.invalid.push({ file, line, message });
  for (const { line, of } of tally.duplicates) report.duplicates.push({ file, line, of });
  for (const { id, provider, model, lines, bytes } of chunks) report.chunks.push({ id, file, provider, model, requests: lines.length, bytes });
  for (const { provider, model } of tally.unpriced.values()) {
    report.price.unpricedModels.push({ provider, model, message: pricer.unknownModelMessage(provider, model) });
  }
  for (const message of fileProblems(summary, tally, chunks, oneByOne)) report.problems.push({ file, message });
  for (const message of fileNotes(summary, tally, chunks)) report.notes.push({ file, message });
  return report;
}

function fileProblems(summary: ReadSummary, tally: FileTally, chunks: readonly PlannedChunk[], oneByOne: boolean): string[] {
  if (summary.bytes === 0 || tally.totals.items === 0) return ['the file has no requests'];
  const problems: string[] = [];
  const provider = tally.provider;
  if (provider && !oneByOne) {
    const limits = PROVIDER_LIMITS[provider];
    for (const chunk of chunks) {
      if (chunk.lines.length < limits.minRequests) {
        problems.push(
          `${limits.displayName} needs at least ${limits.minRequests} requests per batch; model ${chunk.model} has ${chunk.lines.length} after removing duplicates`,
        );
      }
    }
  }
  return problems;
}

function fileNotes(summary: ReadSummary, tally: FileTally, chunks: readonly PlannedChunk[]): string[] {
  const notes: string[] = [];
  if (summary.bom) {
    notes.push('the file starts with a UTF-8 byte-order mark; it is stripped before upload (Azure rejects a BOM with a misleading error about deployment names)');
  }
  const provider = tally.provider;
  if (!provider) return notes;
  const limits = PROVIDER_LIMITS[provider];
  const sent = tally.totals.valid - tally.totals.duplicates;
  const sentBytes = chunks.reduce((sum, chunk) => sum + chunk.bytes, 0);
  if (limits.oneModelPerBatch && tally.modelCount > 1) {
    notes.push(`${tally.modelCount} models in one file; ${limits.displayName} takes one model per batch, so it is planned as separate batches per model`);
  }
  if (chunks.length > tally.modelCount || (!limits.oneModelPerBatch && chunks.length > 1)) {
    // Which limit split the plan: a model's requests or bytes past the batch size, or its embedding inputs.
    const perModel = new Map<string, { requests: number; bytes: number; inputs: number }>();
    for (const chunk of chunks) {
      const group = perModel.get(chunk.model) ?? { requests: 0, bytes: 0, inputs: 0 };
      group.requests += chunk.lines.length;
      group.bytes += chunk.bytes;
      group.inputs += chunk.embeddingInputs;
      perModel.set(chunk.model, group);
    }
    const groups = [...perModel.values()];
    const maxInputs = limits.maxEmbeddingInputs;
    const overInputs = maxInputs !== undefined && groups.some((group) => group.inputs > maxInputs);
    if (!overInputs || groups.some((group) => group.requests > limits.maxRequests || group.bytes > limits.maxBytes)) {
      notes.push(
        `${sent.toLocaleString('en-US')} requests (${formatBytes(sentBytes)}) exceed ${limits.displayName}'s limit of ${limits.maxRequests.toLocaleString('en-US')} requests or ${formatBytes(limits.maxBytes)} per batch; planned as ${chunks.length} batches within it`,
      );
    }
    if (overInputs) {
      const inputs = groups.reduce((sum, group) => sum + group.inputs, 0);
      notes.push(
        `${inputs.toLocaleString('en-US')} embedding inputs exceed ${limits.displayName}'s limit of ${maxInputs.toLocaleString('en-US')} inputs per embeddings batch; planned as ${chunks.length} batches within it`,
      );
    }
  }
  if (!tally.totals.inputTokensExact) {
    notes.push(`input tokens for ${limits.displayName} are a calibrated approximation (its tokenizer is not public)`);
  }
  return notes;
}
