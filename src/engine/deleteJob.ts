// Deleting a job from the workspace: its records and its folder go, but never an answer another
// job still uses. A later job's cached items reuse result lines in this job's downloaded files
// (the result cache points there), so before anything is removed those lines are copied into the
// reusing job's own folder and the copies are journaled (`items.resultsCopied`): that job's
// results, export and failure inspector keep working, and the cache keeps the answer too.
//
// Order, for crash safety: copies written and fsynced → one commit (the copies' events, then
// `job.deleted`) → the folder removed. A crash before the commit leaves both jobs as they were
// (plus unreferenced bytes at the end of a copy file); after it, only a leftover folder.
import type { FileHandle } from 'node:fs/promises';
import { open as openFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { fsyncDirectory } from '../store/atomicFile';
import type { ItemRow } from '../store/stateIndex';
import type { ResultRef, StoreEvent } from '../store/storeEvents';
import type { WorkspaceStore } from '../store/workspaceStore';
import { FINAL_JOB_STATES } from './engine';
import { count } from '../shared/wording';

export interface DeletedJob {
  readonly jobId: string;
  /** The jobs whose cached answers came from the deleted job, and how many were copied for each. */
  readonly kept: readonly { readonly jobId: string; readonly results: number }[];
}

/** Why the job cannot be deleted now (it is unknown, or batches of it still run at the provider), or undefined. */
export function deleteJobBlocker(store: WorkspaceStore, jobId: string): string | undefined {
  const job = store.index.job(jobId);
  if (!job) return `No job ${jobId} in this workspace; nothing was deleted.`;
  // A batch whose create was sent may exist at the provider even though its answer was never journaled.
  const running = store.index.batches(jobId).filter((batch) => !batch.collected && (batch.remoteId !== null || batch.submittingAt !== null));
  if (!FINAL_JOB_STATES.has(job.status) && running.length > 0) {
    return `${job.name} (${jobId}) still has ${running.length} batch(es) running at the provider. Cancel the job first; nothing was deleted.`;
  }
  return undefined;
}

const PAGE = 5_000;
/** Results per journaled event, so that no single journal line grows without bound. */
const RESULTS_PER_EVENT = 10_000;

/** Deletes the job after keeping, in their own folders, the answers other jobs reuse from it. */
export async function deleteJob(store: WorkspaceStore, jobId: string): Promise<DeletedJob> {
  const blocker = deleteJobBlocker(store, jobId);
  if (blocker !== undefined) throw new Error(blocker);
  const dir = store.jobDir(jobId);

  const events: StoreEvent[] = [];
  const kept: { jobId: string; results: number }[] = [];
  const sources = new SourceFiles(store);
  try {
    for (const other of store.index.jobs()) {
      if (other.id === jobId) continue;
      const reusing = cachedItemsReadingFrom(store, other.id, `${dir}/`);
      if (reusing.length === 0) continue;
      let results: { id: string; ref: ResultRef }[];
      try {
        results = await copyResults(store, sources, other.id, jobId, reusing);
      } catch (error) {
        throw new Error(`Could not keep the ${count(reusing.length, 'answer')} job ${other.id} reuses from job ${jobId}, so nothing was deleted: ${(error as Error).message}`, { cause: error });
      }
      for (let start = 0; start < results.length; start += RESULTS_PER_EVENT) {
        events.push({ type: 'items.resultsCopied', jobId: other.id, fromJobId: jobId, results: results.slice(start, start + RESULTS_PER_EVENT) });
      }
      kept.push({ jobId: other.id, results: results.length });
    }
  } finally {
    await sources.close();
  }

  await store.commit([...events, { type: 'job.deleted', jobId }]);
  await rm(store.resolve(dir), { recursive: true, force: true });
  return { jobId, kept };
}

/** The job's cached items whose answer sits in a file under `prefix` (another job's folder). */
function cachedItemsReadingFrom(store: WorkspaceStore, jobId: string, prefix: string): ItemRow[] {
  const found: ItemRow[] = [];
  for (let afterLine = 0; ; ) {
    const page = store.index.items(jobId, { states: ['cached'], afterLine, limit: PAGE });
    if (page.length === 0) return found;
    for (const item of page) if (item.resultFile?.startsWith(prefix)) found.push(item);
    afterLine = page[page.length - 1]?.line ?? Infinity;
  }
}

/**
 * Appends the items' result lines, byte for byte, to `jobs/<jobId>/results-kept-from-<fromJobId>.jsonl`
 * and fsyncs it. Appending (never rewriting) keeps valid every range an earlier, interrupted
 * deletion may already have journaled into the same file.
 */
async function copyResults(store: WorkspaceStore, sources: SourceFiles, jobId: string, fromJobId: string, items: readonly ItemRow[]): Promise<{ id: string; ref: ResultRef }[]> {
  const file = `${store.jobDir(jobId)}/results-kept-from-${fromJobId}.jsonl`;
  const target = store.resolve(file);
  const out = await openFile(target, 'a');
  const results: { id: string; ref: ResultRef }[] = [];
  try {
    let offset = (await out.stat()).size;
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    const flush = async () => {
      if (pendingBytes > 0) await out.write(Buffer.concat(pending, pendingBytes));
      pending = [];
      pendingBytes = 0;
    };
    for (const item of items) {
      const line = await sources.read(item);
      results.push({ id: item.id, ref: { file, offset, length: line.length } });
      pending.push(line, NEWLINE);
      pendingBytes += line.length + 1;
      offset += line.length + 1;
      if (pendingBytes >= 1 << 20) await flush();
    }
    await flush();
    await out.sync();
  } finally {
    await out.close();
  }
  await fsyncDirectory(path.dirname(target));
  return results;
}

const NEWLINE = Buffer.from('\n');

/** The deleted job's result files, each opened once, read by byte range. */
class SourceFiles {
  private readonly handles = new Map<string, Promise<FileHandle>>();

  constructor(private readonly store: WorkspaceStore) {}

  async read(item: ItemRow): Promise<Buffer> {
    const file = item.resultFile ?? '';
    const length = item.resultLength ?? 0;
    let handle = this.handles.get(file);
    if (!handle) {
      handle = openFile(this.store.resolve(file), 'r');
      handle.catch(() => undefined); // observed by the await below
      this.handles.set(file, handle);
    }
    const buffer = Buffer.alloc(length);
    const { bytesRead } = await (await handle).read(buffer, 0, length, item.resultOffset ?? 0);
    if (bytesRead !== length) throw new Error(`${file} ends before the answer of item ${item.id} (bytes ${item.resultOffset ?? 0}–${(item.resultOffset ?? 0) + length})`);
    return buffer;
  }

  async close(): Promise<void> {
    for (const handle of this.handles.values()) await handle.then((h) => h.close()).catch(() => undefined);
  }
}
