// Planning retry batches exactly like the first submission: the same planner (one model per batch
// where the provider requires it, at most its requests and bytes per batch) over the failed
// items' exact request bytes, one intent per planned chunk. Used by the ladder's strike batches,
// by the user's "retry failed" and by resuming cancelled items, so none of them can build a batch
// the provider refuses as a whole (a mixed-model batch fails every line with `model_mismatch`).
import { writeFile } from 'node:fs/promises';
import { PlanBuilder } from '../core/planner';
import { PROVIDER_LIMITS } from '../core/providerLimits';
import { embeddingInputCount } from '../core/requestRules';
import type { ProviderId, ProviderLimits } from '../core/providerLimits';
import { fsyncDirectory } from '../store/atomicFile';
import type { ItemRow, JobRow } from '../store/stateIndex';
import type { StoreEvent } from '../store/storeEvents';
import type { WorkspaceStore } from '../store/workspaceStore';
import { readItemLines } from './batchInputs';

/** Why the batch exists, as a letter in its key: ladder retry, manual retry, resumed after a cancel. */
export type RetryKind = 'r' | 'm' | 'u';

export interface RetryPlanOptions {
  /** The provider's limits by default; tests pass small ones. */
  readonly limits?: ProviderLimits | undefined;
}

/**
 * Which items go together: the planner's chunks, as lists of items in source order.
 * `embeddingInputs` says what an item counts against the provider's embedding input limit.
 */
export function planRetryChunks(
  provider: ProviderId,
  items: readonly ItemRow[],
  limits: ProviderLimits = PROVIDER_LIMITS[provider],
  embeddingInputs: (item: ItemRow) => number = () => 0,
): ItemRow[][] {
  const byLine = new Map<number, ItemRow>();
  const builder = new PlanBuilder(provider, limits);
  for (const item of [...items].sort((a, b) => a.line - b.line)) {
    if (item.inputFile === null || item.inputLength === null) throw new Error(`item ${item.id} of job ${item.jobId} has no recorded request to send again`);
    if (byLine.has(item.line)) throw new Error(`job ${item.jobId} has two items on line ${item.line} (${byLine.get(item.line)?.id}, ${item.id})`);
    byLine.set(item.line, item);
    builder.add(item.model, item.line, item.inputLength, hashBytes(item.hash), 0, true, embeddingInputs(item));
  }
  return builder.build().map((chunk) => chunk.lines.map((line) => byLine.get(line)).filter((item): item is ItemRow => item !== undefined));
}

/**
 * Writes one input file per planned chunk (the items' request bytes, exactly as first sent) and
 * returns their `batch.intent` events, for the caller to commit. `strike: 'keep'` plans each
 * item at the strike it has (resuming cancelled work); a number puts every item at that strike.
 * Keys are numbered from the job's durable batch count, so a crash before the commit rewrites the
 * same files under the same names.
 */
export async function planRetryIntents(
  store: WorkspaceStore,
  job: JobRow,
  items: readonly ItemRow[],
  strike: number | 'keep',
  kind: RetryKind,
  options: RetryPlanOptions = {},
): Promise<StoreEvent[]> {
  if (items.length === 0) return [];
  const provider = job.provider as ProviderId;
  const groups = new Map<number, ItemRow[]>();
  for (const item of items) {
    const at = strike === 'keep' ? item.strike : strike;
    const group = groups.get(at) ?? [];
    group.push(item);
    groups.set(at, group);
  }
  const lines = await readItemLines(store, items);
  const dir = store.jobDir(job.id);
  let next = store.index.batches(job.id).length + 1;
  const events: StoreEvent[] = [];
  for (const [at, group] of [...groups.entries()].sort(([a], [b]) => a - b)) {
    for (const chunk of planRetryChunks(provider, group, options.limits, (item) => embeddingInputsOf(lines.get(item.id)))) {
      const key = `${job.id}.s${at}.${kind}${next++}`;
      const inputFile = `${dir}/${key}.input.jsonl`;
      const body = Buffer.concat(chunk.flatMap((item) => [lines.get(item.id) ?? Buffer.alloc(0), NEWLINE]));
      await writeFile(store.resolve(inputFile), body, { flush: true });
      events.push({ type: 'batch.intent', jobId: job.id, batchKey: key, strike: at, inputFile, itemCount: chunk.length, ids: chunk.map((item) => item.id) });
    }
  }
  await fsyncDirectory(store.resolve(dir));
  return events;
}

const NEWLINE = Buffer.from('\n');

/** The embedding inputs of one request line (0 unless it is an embeddings request). */
function embeddingInputsOf(line: Buffer | undefined): number {
  if (line === undefined || !line.includes('embeddings')) return 0;
  try {
    const parsed = JSON.parse(line.toString('utf8')) as { url?: unknown; body?: unknown };
    const body = typeof parsed.body === 'object' && parsed.body !== null ? (parsed.body as Record<string, unknown>) : {};
    return embeddingInputCount(typeof parsed.url === 'string' ? parsed.url : undefined, body);
  } catch {
    return 0;
  }
}

/** The item's request hash (64 hex digits) as the 32 bytes the planner keys on. */
function hashBytes(hex: string): Uint8Array {
  const bytes = new Uint8Array(32);
  bytes.set(Buffer.from(hex, 'hex').subarray(0, 32));
  return bytes;
}
