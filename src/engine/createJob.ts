// Turning a JSONL file into a job: estimate it (dedup, cache, plan), check the budget, then —
// only on confirmation — write the exact bytes of each planned batch and the items file, fsync
// them, and journal the job, its reservation and one intent per batch. The file is read twice
// (to estimate, then to copy) and the copy is refused unless its bytes hash to what was
// estimated: what is sent is what was validated and priced. Nothing is uploaded here; the engine
// submits the intents, so a crash or a failed write leaves either no job or a whole one.
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { checkBudget } from '../core/budget';
import type { BudgetCaps, BudgetDecision } from '../core/budget';
import { toHex } from '../core/canonicalHash';
import { estimateFiles } from '../core/estimate';
import type { Estimate } from '../core/estimate';
import type { TalliedItem } from '../core/fileTally';
import { CollectedItems } from './collectedItems';
import type { CachedRef } from './collectedItems';
import { readLines } from '../core/jsonlReader';
import { nativeLineBytes } from '../core/portable/nativeLine';
import { bedrockInvocationType } from '../core/portable/toBedrock';
import { HASH_BYTES } from '../core/lineAnalyzer';
import type { LineAnalyzer } from '../core/lineAnalyzer';
import type { PricingOptions } from '../core/pricing';
import type { FormatId, ProviderId } from '../core/providerLimits';
import { settingsFor } from '../core/providerSettings';
import type { ProviderSettings } from '../core/providerSettings';
import type { Blocker } from '../shared/blockers';
import { standingBlockers } from '../shared/blockers';
import { fsyncDirectory } from '../store/atomicFile';
import { DurableWriter } from '../store/durableWriter';
import type { ItemSeed, JobEstimate, JobMode, JobOptions, StoreEvent } from '../store/storeEvents';
import type { WorkspaceStore } from '../store/workspaceStore';
import { SubmitRefused } from './submitRefused';
import { count } from '../shared/wording';

export interface SubmitRequest {
  readonly file: string;
  readonly provider?: ProviderId | undefined;
  /** Where the batches go (region, bucket, project…): the job remembers them. */
  readonly providerSettings?: ProviderSettings | undefined;
  readonly model?: string | undefined;
  readonly name?: string | undefined;
  readonly outputSchema?: unknown;
  readonly outputJson?: boolean | undefined;
  readonly outputBuffer: number;
  readonly pricing?: PricingOptions | undefined;
  readonly budget: BudgetCaps;
  readonly failureAlertRate: number;
  readonly analyzer?: LineAnalyzer | undefined;
  /** `sync`: every item one by one through the sync API at the full price (small urgent runs, a notebook's try). */
  readonly mode?: JobMode | undefined;
  /** What the job was made from (a notebook cell's inputs and options): the same key finds it again. */
  readonly runKey?: string | undefined;
  readonly signal?: AbortSignal | undefined;
  readonly onProgress?: ((done: number, total: number) => void) | undefined;
}

export interface PreparedJob {
  readonly estimate: Estimate;
  readonly budget: BudgetDecision;
  /** Why it cannot be submitted as it is, if anything: invalid lines, file problems, budget. */
  readonly blockers: readonly Blocker[];
  /** The upper bound reserved against the budget when the job is created. */
  readonly reservation: number;
  /** What the job is expected to cost (after dedup and the cache; at the sync price in sync mode). */
  readonly expected: number;
  readonly providerSettings: ProviderSettings | undefined;
  /**
   * Writes the job's files and journals it; returns the job id. Throws SubmitRefused when a
   * blocker stands, when the spend has moved past a cap since the estimate, or when the file is
   * not the one that was estimated any more.
   */
  create(options?: { skipInvalid?: boolean }): Promise<string>;
}

export async function prepareJob(store: WorkspaceStore, request: SubmitRequest): Promise<PreparedJob> {
  const sync = request.mode === 'sync';
  const items = new CollectedItems();
  // The current batch's cache hits, by hash: asked for before the batch's items are tallied.
  let cacheHits = new Map<string, CachedRef>();
  const estimate = await estimateFiles([request.file], {
    provider: request.provider,
    model: request.model,
    outputBuffer: request.outputBuffer,
    pricing: request.pricing,
    analyzer: request.analyzer,
    // One by one, there is no batch for a provider's minimum to refuse.
    oneByOne: sync,
    signal: request.signal,
    onProgress: request.onProgress,
    hooksFor: () => ({
      // A batch of lines at a time: one lookup per line would hold the window's thread for seconds
      // on a large file. An empty cache (a first run) is not asked at all.
      cachedInBatch: !store.index.hasCachedResults() ? undefined : (hashes, count) => {
        const hexes = Array.from({ length: count }, (_, row) => toHex(hashes.subarray(row * HASH_BYTES, (row + 1) * HASH_BYTES)));
        const hits = store.index.cachedResults(hexes);
        const cachedRows = new Set<number>();
        cacheHits = new Map();
        for (const [row, hex] of hexes.entries()) {
          const hit = hits.get(hex);
          if (!hit) continue;
          cacheHits.set(hex, { file: hit.file, offset: hit.offset, length: hit.length });
          cachedRows.add(row);
        }
        return cachedRows;
      },
      onItem: (item: TalliedItem) => {
        const price = item.line.price;
        // One by one, each item costs the sync price; its bound scales the same way.
        const scale = sync && price && price.batch > 0 ? price.sync / price.batch : 1;
        items.add({
          line: item.line.line,
          id: item.line.id,
          model: item.line.model,
          hash: item.line.hash,
          estimatedCost: (sync ? price?.sync : price?.batch) ?? 0,
          estimatedMax: (price?.batchMax ?? 0) * scale,
          inputTokens: item.line.inputTokens,
          outputTokens: item.line.outputTokensExpected,
          duplicateOf: item.duplicateOf,
          cached: item.cached ? cacheHits.get(toHex(item.line.hash)) : undefined,
        });
      },
    }),
  });

  const { report } = estimate;
  // Only what is sent is paid: duplicates take their twin's answer, cached items an earlier one's.
  const { sent } = items;
  const reservation = sync ? sent.estimatedMax : report.totals.cost.batchAfterDedupMax;
  const expected = sync ? sent.estimatedCost : report.totals.cost.batchAfterDedup;
  const budget = budgetFor(store, request, reservation);
  const blockers: Blocker[] = [];
  if (report.invalid.length > 0) {
    blockers.push({ kind: 'invalid_lines', message: `${count(report.invalid.length, 'invalid line')}; fix them, or submit the valid lines only` });
  }
  for (const problem of report.problems) blockers.push({ kind: 'file_problem', message: problem.message });
  if (!report.totals.cost.complete && (request.budget.daily !== undefined || request.budget.monthly !== undefined)) {
    blockers.push({ kind: 'unpriced', message: `the budget cannot be checked: ${report.price.unpricedModels.map((m) => m.message).join(' ')}` });
  }
  if (!budget.accepted) blockers.push({ kind: 'budget', message: budget.message });
  if (report.totals.valid === 0) blockers.push({ kind: 'nothing_to_submit', message: 'there is nothing to submit' });

  return {
    estimate,
    budget,
    blockers,
    reservation,
    expected,
    providerSettings: request.providerSettings,
    async create(options = {}) {
      const standing = standingBlockers(blockers, { skipInvalid: options.skipInvalid ?? false }).filter((b) => b.kind !== 'budget');
      // Spend may have moved since the estimate (another job, another window): the caps again.
      const now = budgetFor(store, request, reservation);
      if (!now.accepted) standing.push({ kind: 'budget', message: now.message });
      if (standing.length > 0) throw new SubmitRefused(standing);
      return writeJob(store, request, estimate, items, {
        expected,
        max: reservation,
        inputTokens: sent.inputTokens,
        outputTokens: sent.outputTokens,
        naiveSync: report.totals.cost.sync,
      });
    },
  };
}

function budgetFor(store: WorkspaceStore, request: SubmitRequest, reservation: number): BudgetDecision {
  return checkBudget(request.budget, store.index.spendSoFar(), reservation);
}

async function writeJob(
  store: WorkspaceStore,
  request: SubmitRequest,
  estimate: Estimate,
  items: CollectedItems,
  estimated: JobEstimate,
): Promise<string> {
  const [file] = estimate.files;
  if (!file) throw new Error('nothing was estimated');
  const jobId = newJobId();
  const dir = store.jobDir(jobId);
  await mkdir(store.resolve(dir), { recursive: true });
  try {
    return await writeJobFiles(store, request, file, items, estimated, jobId);
  } catch (error) {
    // Nothing was journaled: the half-written folder is no job, and must not look like one.
    await rm(store.resolve(dir), { recursive: true, force: true }).catch(() => undefined);
    if (error instanceof SubmitRefused) throw error;
    throw new Error(`Not submitted: could not write the job's files under ${store.root} (${(error as Error).message})`, { cause: error });
  }
}

async function writeJobFiles(
  store: WorkspaceStore,
  request: SubmitRequest,
  file: Estimate['files'][number],
  items: CollectedItems,
  estimated: JobEstimate,
  jobId: string,
): Promise<string> {
  const provider = (file.tally.provider ?? request.provider) as ProviderId;
  const dir = store.jobDir(jobId);
  const today = new Date().toISOString().slice(0, 10);

  // Which batch each line goes to, and where its bytes will sit in that batch's file: arrays by
  // line number, not maps of a million entries.
  const batchKeys = file.chunks.map((_, index) => `${jobId}.s0.b${index + 1}`);
  const placement = newPlacement(file.summary.lines);
  file.chunks.forEach((chunk, index) => chunk.lines.forEach((line) => (placement.batch[line] = index)));
  const inputFiles = batchKeys.map((key) => `${dir}/${key}.input.jsonl`);
  const sourceSha256 = await copyBatchInputs(store, request, provider, placement, inputFiles);
  if (sourceSha256 !== file.sha256) {
    throw new SubmitRefused([{ kind: 'file_changed', message: `${request.file} changed since it was estimated; estimate it again` }]);
  }

  const itemsFile = `${dir}/items.jsonl`;
  await writeLinesDurably(store.resolve(itemsFile), itemSeeds(items, placement, batchKeys, inputFiles));
  await fsyncDirectory(store.resolve(dir));

  const providerSettings = settingsFor(provider, withInvocationType(provider, file.tally.format, items.length > 0 ? items.item(0).model : undefined, request.providerSettings));
  const options: JobOptions = {
    outputSchema: request.outputSchema,
    outputJson: request.outputJson ?? false,
    failureAlertRate: request.failureAlertRate,
    ...(providerSettings === undefined ? {} : { providerSettings }),
    ...(request.mode === 'sync' ? { mode: 'sync' as const } : {}),
    ...(request.runKey === undefined ? {} : { runKey: request.runKey }),
  };
  const events: StoreEvent[] = [
    {
      type: 'job.created',
      jobId,
      name: request.name ?? file.file.split(/[\\/]/).pop() ?? file.file,
      sourceFile: file.file,
      sourceSha256,
      provider,
      model: [...file.tally.modelItems.keys()].join(', '),
      endpoint: items.length > 0 ? (file.tally.endpoint ?? '') : '',
      createdAt: new Date().toISOString(),
      estimate: estimated,
      options,
      itemsFile,
      itemCount: items.length,
    },
    { type: 'spend.reserved', jobId, amount: estimated.max, day: today },
    ...file.chunks.map(
      (chunk, index): StoreEvent => ({
        type: 'batch.intent',
        jobId,
        batchKey: batchKeys[index] ?? '',
        // The first batch is not a strike (see retryLadder).
        strike: 0,
        inputFile: inputFiles[index] ?? '',
        itemCount: chunk.lines.length,
      }),
    ),
  ];
  await store.commit(events);
  return jobId;
}

/** Per source line (1-based): its batch (-1: not sent) and where its bytes sit in that batch's input file. */
interface Placement {
  readonly batch: Int32Array;
  readonly offset: Float64Array;
  readonly length: Uint32Array;
}

function newPlacement(lines: number): Placement {
  return { batch: new Int32Array(lines + 1).fill(-1), offset: new Float64Array(lines + 1), length: new Uint32Array(lines + 1) };
}

/** Each item's record in the job's items file, made one at a time as it is written. */
function* itemSeeds(items: CollectedItems, placement: Placement, batchKeys: readonly string[], inputFiles: readonly string[]): Generator<ItemSeed> {
  for (let index = 0; index < items.length; index++) {
    const item = items.item(index);
    const base = { id: item.id, line: item.line, hash: items.hashHex(index), model: item.model, estimatedCost: item.estimatedCost, estimatedMax: item.estimatedMax };
    if (item.duplicateOf !== undefined) {
      const twin = items.indexOfLine(item.duplicateOf);
      yield { ...base, state: 'deduped', twin: twin === -1 ? undefined : items.id(twin) };
      continue;
    }
    if (item.cached) {
      yield { ...base, state: 'cached', cached: item.cached };
      continue;
    }
    const batch = placement.batch[item.line] ?? -1;
    const input = batch === -1 ? undefined : { file: inputFiles[batch] ?? '', offset: placement.offset[item.line] ?? 0, length: placement.length[item.line] ?? 0 };
    yield { ...base, state: 'queued', batchKey: batch === -1 ? undefined : batchKeys[batch], input };
  }
}

/** Streams the source once: each planned line's bytes go to its batch's input file, exactly as sent. */
async function copyBatchInputs(store: WorkspaceStore, request: SubmitRequest, provider: ProviderId, placement: Placement, inputFiles: readonly string[]): Promise<string> {
  const sha = createHash('sha256');
  const writers = inputFiles.map((file) => new DurableWriter(store.resolve(file)));
  async function* hashed(): AsyncGenerator<Uint8Array> {
    for await (const chunk of createReadStream(request.file, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
      sha.update(chunk);
      yield chunk;
    }
  }
  try {
    for await (const line of readLines(hashed())) {
      const writer = writers[placement.batch[line.number] ?? -1];
      if (!writer) continue;
      // The line as the provider takes it: converted from the portable shape, or with --model applied.
      const bytes = nativeLineBytes(line.bytes, provider, request.model);
      placement.offset[line.number] = writer.size;
      placement.length[line.number] = bytes.length;
      await writer.write(bytes);
      await writer.write('\n');
    }
    await Promise.all(writers.map((writer) => writer.close()));
  } catch (error) {
    for (const writer of writers) writer.abandon();
    throw error;
  }
  return sha.digest('hex');
}

/**
 * Bedrock records are InvokeModel bodies or Converse requests, and the job must say which. Chat
 * lines in the portable shape were converted to the type the model needs (bedrockInvocationType);
 * native records are InvokeModel bodies unless the user said otherwise.
 */
function withInvocationType(provider: ProviderId, format: FormatId | undefined, model: string | undefined, settings: ProviderSettings | undefined): ProviderSettings | undefined {
  if (provider !== 'bedrock' || settings?.invocationType !== undefined) return settings;
  const invocationType = format === 'openai' && model !== undefined ? bedrockInvocationType(model) : 'InvokeModel';
  return { ...settings, invocationType };
}

async function writeLinesDurably(file: string, records: Iterable<unknown>): Promise<void> {
  const out = new DurableWriter(file);
  try {
    for (const record of records) await out.write(`${JSON.stringify(record)}\n`);
    await out.close();
  } catch (error) {
    out.abandon();
    throw error;
  }
}

function newJobId(): string {
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return `job-${stamp}-${randomBytes(3).toString('hex')}`;
}
