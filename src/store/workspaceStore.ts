// The workspace's durable state: `.llm-batch/` with the journal (source of truth since the last
// snapshot), the sql.js index snapshot, each job's files and history, and the writer lock.
//
// commit(): journal append + fsync, THEN apply to the index — so nothing the engine does next
// can be acknowledged without being on disk. snapshot(): each job's new records are appended to
// its jobs/<id>/history.jsonl (fsynced), the index is written atomically, then the journal is
// truncated. A crash between any two steps is harmless: replay skips seqs the index already has.
import { createReadStream } from 'node:fs';
import { appendFile, mkdir, open as openFile, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import readline from 'node:readline';
import { fsyncDirectory, readFileIfExists, writeFileAtomic } from './atomicFile';
import { Journal } from './journal';
import type { JournalRecord } from './journal';
import { StateIndex, fileLines } from './stateIndex';
import type { StoreEvent, StorePath } from './storeEvents';
import { acquireWorkspaceLock } from './workspaceLock';
import type { WorkspaceLock } from './workspaceLock';

export const STORE_DIR = '.llm-batch';
const JOURNAL = 'journal.jsonl';
const SNAPSHOT = 'state.sqlite';
const HISTORY = 'history.jsonl';

export interface WorkspaceStoreOptions {
  /** Shown to a second writer, e.g. 'llm-batch watch'. */
  readonly purpose: string;
  /** Read the state without taking the lock; commits are refused. */
  readonly readOnly?: boolean | undefined;
  /** Snapshot after this many journal records (default 500). */
  readonly snapshotEvery?: number | undefined;
  /** Plain-language notices, e.g. that a corrupt index was rebuilt. */
  readonly onNotice?: ((message: string) => void) | undefined;
}

export class WorkspaceStore {
  private queue: Promise<unknown> = Promise.resolve();
  /** Records since the last snapshot, to archive into job histories when it is taken. */
  private unsnapshotted: JournalRecord[] = [];

  private constructor(
    readonly root: string,
    readonly index: StateIndex,
    private readonly journal: Journal | undefined,
    private readonly lock: WorkspaceLock | undefined,
    private readonly snapshotEvery: number,
  ) {}

  static async open(workspaceDir: string, options: WorkspaceStoreOptions): Promise<WorkspaceStore> {
    const root = path.join(workspaceDir, STORE_DIR);
    const notice = options.onNotice ?? (() => undefined);
    if (options.readOnly) return WorkspaceStore.openReadOnly(root, options);

    await mkdir(path.join(root, 'jobs'), { recursive: true });
    await writeFile(path.join(root, '.gitignore'), '*\n', { flag: 'wx' }).catch(() => undefined);
    const lock = await acquireWorkspaceLock(root, options.purpose);
    try {
      const index = await loadIndex(root, notice);
      const { journal, records, droppedTornRecord } = await Journal.open(path.join(root, JOURNAL), { startSeq: index.lastSeq });
      if (droppedTornRecord) notice('The last journal record was incomplete (the process stopped mid-write) and was dropped; nothing it described had happened yet.');
      const store = new WorkspaceStore(root, index, journal, lock, options.snapshotEvery ?? 500);
      for (const record of records) {
        if (record.seq <= index.lastSeq) continue;
        await index.apply(record, fileLines(root));
        store.unsnapshotted.push(record);
      }
      return store;
    } catch (error) {
      await lock.release();
      throw error;
    }
  }

  private static async openReadOnly(root: string, options: WorkspaceStoreOptions): Promise<WorkspaceStore> {
    const snapshot = await readFileIfExists(path.join(root, SNAPSHOT));
    let index: StateIndex;
    try {
      index = await StateIndex.open(snapshot);
    } catch {
      index = await StateIndex.open();
      await replayHistories(root, index);
    }
    for (const record of await readRecordsLeniently(path.join(root, JOURNAL))) await index.apply(record, fileLines(root));
    return new WorkspaceStore(root, index, undefined, undefined, options.snapshotEvery ?? 500);
  }

  get readOnly(): boolean {
    return this.journal === undefined;
  }

  /** Absolute path of a store-relative path. */
  resolve(storePath: StorePath): string {
    return path.join(this.root, ...storePath.split('/'));
  }

  jobDir(jobId: string): StorePath {
    return `jobs/${jobId}`;
  }

  /**
   * Journals the events, then applies them; resolves once both are done. The append starts at
   * once, so concurrent commits share one fsync (the journal's group commit); applying stays in
   * journal order behind the queue.
   */
  commit(events: readonly StoreEvent[]): Promise<JournalRecord[]> {
    const appended = this.writable().appendMany(events);
    appended.catch(() => undefined); // observed through the queued step below
    return this.serialized(async () => {
      const records = await appended;
      for (const record of records) {
        await this.index.apply(record, fileLines(this.root));
        this.unsnapshotted.push(record);
      }
      if (this.unsnapshotted.length >= this.snapshotEvery) await this.takeSnapshot();
      return records;
    });
  }

  snapshot(): Promise<void> {
    return this.serialized(() => this.takeSnapshot());
  }

  /** Snapshots what is pending, closes the journal and releases the lock. */
  close(): Promise<void> {
    return this.serialized(async () => {
      if (this.journal) {
        if (this.unsnapshotted.length > 0) await this.takeSnapshot();
        await this.journal.close();
      }
      this.index.close();
      await this.lock?.release();
    });
  }

  /** Releases everything but leaves the journal as it is: what a stopped process leaves (tests, benchmarks). */
  closeWithoutSnapshot(): Promise<void> {
    return this.serialized(async () => {
      await this.journal?.close();
      this.index.close();
      await this.lock?.release();
    });
  }

  private async takeSnapshot(): Promise<void> {
    const journal = this.writable();
    // A commit still on its way to the index would be cut from the journal: wait for a quiet moment.
    if (journal.lastSeq !== this.index.lastSeq) return;
    const byJob = new Map<string, string[]>();
    for (const record of this.unsnapshotted) {
      const jobId = typeof record['jobId'] === 'string' ? record['jobId'] : '_';
      const lines = byJob.get(jobId) ?? [];
      lines.push(JSON.stringify(record));
      byJob.set(jobId, lines);
    }
    for (const [jobId, lines] of byJob) await appendDurably(path.join(this.root, 'jobs', jobId), HISTORY, `${lines.join('\n')}\n`);
    await writeFileAtomic(path.join(this.root, SNAPSHOT), this.index.export());
    try {
      await journal.truncate({ coveredThroughSeq: this.index.lastSeq });
    } catch (error) {
      // A concurrent commit reached the journal after the snapshot was taken: the journal must
      // keep it, so truncation waits for the next snapshot (history lines repeated then are
      // applied once: replay goes by seq).
      if (journal.lastSeq > this.index.lastSeq) return;
      throw error;
    }
    this.unsnapshotted = [];
  }

  private writable(): Journal {
    if (!this.journal) throw new Error('this workspace was opened read-only');
    return this.journal;
  }

  private serialized<T>(work: () => Promise<T>): Promise<T> {
    const next = this.queue.then(work, work);
    this.queue = next.catch(() => undefined);
    return next;
  }
}

/** The snapshot, or — when it is unreadable — a rebuild from every job's history, the damaged file kept aside. */
async function loadIndex(root: string, notice: (message: string) => void): Promise<StateIndex> {
  const file = path.join(root, SNAPSHOT);
  const snapshot = await readFileIfExists(file);
  try {
    return await StateIndex.open(snapshot);
  } catch (error) {
    const aside = `${file}.corrupt-${new Date().toISOString().replace(/[:.]/g, '-')}`;
    await rename(file, aside);
    const index = await StateIndex.open();
    await replayHistories(root, index);
    notice(
      `The state index ${file} could not be read (${(error as Error).message}). It was kept as ${path.basename(aside)} and rebuilt from the journal and the job files.`,
    );
    return index;
  }
}

/** Applies every job's archived history in seq order (a record archived twice is applied once). */
async function replayHistories(root: string, index: StateIndex): Promise<void> {
  const jobsDir = path.join(root, 'jobs');
  const records: JournalRecord[] = [];
  for (const jobId of await readdir(jobsDir).catch(() => [] as string[])) {
    const file = path.join(jobsDir, jobId, HISTORY);
    const text = await readFile(file, 'utf8').catch(() => '');
    for (const line of text.split('\n')) if (line.trim()) records.push(JSON.parse(line) as JournalRecord);
  }
  records.sort((a, b) => a.seq - b.seq);
  for (const record of records) await index.apply(record, fileLines(root));
}

/** Reads journal records without writing: a torn last line (a writer mid-append) is ignored. */
async function readRecordsLeniently(file: string): Promise<JournalRecord[]> {
  const records: JournalRecord[] = [];
  try {
    for await (const line of readline.createInterface({ input: createReadStream(file), crlfDelay: Infinity })) {
      if (!line.trim()) continue;
      try {
        records.push(JSON.parse(line) as JournalRecord);
      } catch {
        break;
      }
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  return records;
}

async function appendDurably(dir: string, name: string, text: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, name);
  await appendFile(file, text);
  const handle = await openFile(file, 'r+');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
  await fsyncDirectory(dir);
}
