// Where strike-3 sync answers are kept: one append-only file per job, in the provider's own
// batch output line format, so a paid sync answer is read back exactly like a batch one (by
// `results`, export, the failure inspector and the result cache) through the item's result ref.
import { createReadStream } from 'node:fs';
import type { ItemOutcome } from '../core/itemOutcome';
import { readLines } from '../core/jsonlReader';
import { appendLinesDurably } from '../store/appendLines';
import type { ResultRef, StorePath } from '../store/storeEvents';
import type { WorkspaceStore } from '../store/workspaceStore';

export function syncResultsFile(store: WorkspaceStore, jobId: string): StorePath {
  return `${store.jobDir(jobId)}/${jobId}.sync.output.jsonl`;
}

/**
 * Appends one result line and fsyncs it; returns where it sits. Called before the outcome is
 * journaled, so an item is never marked answered without its answer on disk. A line torn by a
 * crash mid-append is left behind a newline: refs point at byte ranges, never at line numbers.
 * One writer per job (the engine's job lock) keeps the offset exact.
 */
export async function appendSyncResult(store: WorkspaceStore, jobId: string, line: string): Promise<ResultRef> {
  const file = syncResultsFile(store, jobId);
  const offset = await appendLinesDurably(store.resolve(file), `${line}\n`);
  return { file, offset, length: Buffer.byteLength(line, 'utf8') };
}

/**
 * The last successful answer written for each of `ids`, if any: after a crash between writing
 * an answer and journaling it, the answer is on disk and paid for, so it is taken rather than
 * given up.
 */
export async function findSyncAnswers(
  store: WorkspaceStore,
  jobId: string,
  ids: ReadonlySet<string>,
  parse: (line: string) => ItemOutcome | undefined,
): Promise<Map<string, { outcome: Extract<ItemOutcome, { ok: true }>; ref: ResultRef }>> {
  const found = new Map<string, { outcome: Extract<ItemOutcome, { ok: true }>; ref: ResultRef }>();
  const file = syncResultsFile(store, jobId);
  const decoder = new TextDecoder();
  try {
    for await (const line of readLines(createReadStream(store.resolve(file)))) {
      const outcome = parse(decoder.decode(line.bytes));
      if (outcome?.ok && ids.has(outcome.customId)) found.set(outcome.customId, { outcome, ref: { file, offset: line.offset, length: line.bytes.length } });
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  return found;
}
