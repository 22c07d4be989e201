// The workspace's durable state: `.llm-batch/` with the journal (source of truth since the last
// snapshot), the sql.js index snapshot, each job's files and history, and the writer lock.
//
// commit(): journal append + fsync, THEN apply to the index — so nothing the engine does next
// can be acknowledged without being on disk. snapshot(): each job's new records are appended to
// its jobs/<id>/history.jsonl (fsynced), the index is written atomically, then the journal is
// truncated. A crash between any two steps is harmless: replay skips seqs the index already has.
//
// Everything read back (journal, histories, snapshot) may have been written elsewhere (a cloned
// repository): records naming an invalid id or a path outside `.llm-batch/` are refused with a
// notice, and `resolve()` refuses such paths wherever they come from (storePaths.ts).
import { mkdir, readdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { appendLinesDurably } from './appendLines';
import { errorCode, readFileIfExists, writeFileAtomic } from './atomicFile';
import { Journal, readJournal } from './journal';
import type { JournalRecord } from './journal';
import { StateIndex, fileLines } from './stateIndex';
import type { StoreEvent, StorePath } from './storeEvents';
import { StorePathError, isStoreId, recordProblem, resolveStorePath, storeIdProblem } from './storePaths';
import { acquireWorkspaceLock } from './workspaceLock';
import type { WorkspaceLock } from './workspaceLock';

export const STORE_DIR = '.llm-batch';
export const JOURNAL = 'journal.jsonl';
export const SNAPSHOT = 'state.sqlite';
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

/** The workspace folder cannot be written, so no writer can keep its jobs there. */
export class WorkspaceNotWritableError extends Error {
  constructor(
    readonly workspaceDir: string,
    cause: unknown,
  ) {
    const error = cause as NodeJS.ErrnoException;
    super(
      `The workspace folder ${workspaceDir} is read-only: ${error.path ?? path.join(workspaceDir, STORE_DIR)} cannot be written (${error.code ?? 'error'}${error.syscall ? ` on ${error.syscall}` : ''}), and LLM Batch Runner keeps its jobs in ${path.join(workspaceDir, STORE_DIR)}. Submitting and following jobs need a folder you can write to; reading commands (jobs, status, results) still work here.`,
      { cause },
    );
    this.name = 'WorkspaceNotWritableError';
  }
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

    const lock = await asReadOnlyError(workspaceDir, async () => {
      await mkdir(path.join(root, 'jobs'), { recursive: true });
      await writeFile(path.join(root, '.gitignore'), '*\n', { flag: 'wx' }).catch(() => undefined);
      return acquireWorkspaceLock(root, options.purpose);
    });
    try {
      const refused = new RefusedRecords();
      const index = await asReadOnlyError(workspaceDir, () => loadIndex(root, notice, refused, { save: true }));
      const { journal, records, droppedTornRecord } = await asReadOnlyError(workspaceDir, () => Journal.open(path.join(root, JOURNAL), { startSeq: index.lastSeq }));
      if (droppedTornRecord) notice('The last journal record was incomplete (the process stopped mid-write) and was dropped; nothing it described had happened yet.');
      const store = new WorkspaceStore(root, index, journal, lock, options.snapshotEvery ?? 500);
      const deleted = deletedJobs(records);
      for (const record of records) {
        // Already in the snapshot (or in the histories it was rebuilt from).
        if (record.seq <= index.lastSeq) continue;
        await applyChecked(index, record, { root, refused, deleted, source: 'journal' });
        store.unsnapshotted.push(record);
      }
      refused.report(notice);
      return store;
    } catch (error) {
      await lock.release();
      throw error;
    }
  }

  private static async openReadOnly(root: string, options: WorkspaceStoreOptions): Promise<WorkspaceStore> {
    const notice = options.onNotice ?? (() => undefined);
    const refused = new RefusedRecords();
    const index = await loadIndex(root, notice, refused, { save: false });
    const { records, damage } = await readJournal(path.join(root, JOURNAL));
    const deleted = deletedJobs(records);
    for (const record of records) await applyChecked(index, record, { root, refused, deleted, source: 'journal' });
    refused.report(notice);
    if (damage) {
      notice(
        `The journal ${damage.file} is damaged at line ${damage.line} (not a torn last write), so the jobs shown stop before that line and may be out of date. A writer (submit, watch, a VS Code window) refuses to open this workspace until the journal is restored from a backup or moved aside. ${damage.message}`,
      );
    }
    return new WorkspaceStore(root, index, undefined, undefined, options.snapshotEvery ?? 500);
  }

  get readOnly(): boolean {
    return this.journal === undefined;
  }

  /** Absolute path of a store-relative path; throws `StorePathError` for one that would leave `.llm-batch/`. */
  resolve(storePath: StorePath): string {
    return resolveStorePath(this.root, storePath);
  }

  /** A job's folder; throws `StorePathError` for a job id that is not a plain name. */
  jobDir(jobId: string): StorePath {
    const problem = storeIdProblem('job id', jobId);
    if (problem !== undefined) throw new StorePathError(`jobs/${jobId}`, this.root, problem);
    return `jobs/${jobId}`;
  }

  /**
   * Journals the events, then applies them; resolves once both are done. The append starts at
   * once, so concurrent commits share one fsync (the journal's group commit); applying stays in
   * journal order behind the queue.
   */
  commit(events: readonly StoreEvent[]): Promise<JournalRecord[]> {
    const journal = this.writable();
    for (const event of events) {
      const problem = recordProblem(event);
      // A bug, not data: never journal what every later open would have to refuse.
      if (problem !== undefined) return Promise.reject(new Error(`Not journaled: a ${event.type} event names an id or a file that does not stay inside ${this.root} (${problem}).`));
    }
    const appended = journal.appendMany(events);
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
      // A job's records go to its own history; records of no job, of a deleted job (its folder is
      // gone and must not reappear) and refused ones (an invalid id) go to `_`.
      const jobId = isStoreId(record['jobId']) && this.index.job(record['jobId']) !== undefined ? record['jobId'] : '_';
      const lines = byJob.get(jobId) ?? [];
      lines.push(JSON.stringify(record));
      byJob.set(jobId, lines);
    }
    for (const [jobId, lines] of byJob) {
      const dir = path.join(this.root, 'jobs', jobId);
      await mkdir(dir, { recursive: true });
      await appendLinesDurably(path.join(dir, HISTORY), `${lines.join('\n')}\n`);
    }
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

/**
 * The snapshot; or, when it is unreadable or missing while job histories exist, the index rebuilt
 * from every job's history. A writer (`save`) keeps the damaged file aside and saves the rebuilt
 * index at once, atomically: otherwise the next command would find no snapshot (or the damaged
 * one) and, the journal having been truncated, see no jobs at all. The journal is replayed on
 * top of it by the caller, skipping the seqs the histories already covered.
 */
async function loadIndex(root: string, notice: (message: string) => void, refused: RefusedRecords, options: { save: boolean }): Promise<StateIndex> {
  const file = path.join(root, SNAPSHOT);
  const snapshot = await readFileIfExists(file);
  let damage: string | undefined;
  if (snapshot !== undefined) {
    try {
      return await StateIndex.open(snapshot);
    } catch (error) {
      damage = (error as Error).message;
    }
  }
  const histories = await historyFiles(root);
  if (damage === undefined && histories.length === 0) return StateIndex.open();

  const index = await StateIndex.open();
  const unreadable = await replayHistories(root, histories, index, refused);
  if (unreadable.length > 0) {
    notice(
      `Skipped ${unreadable.length} unreadable line(s) in the job histories (${unreadable.slice(0, 3).join(', ')}${unreadable.length > 3 ? ', …' : ''}) while rebuilding the state index. A process stopped mid-write leaves such a line, and its records are archived again from the journal; any other damage loses what the line recorded.`,
    );
  }
  if (!options.save) {
    // A reader may not write; the next writer rebuilds and saves. A missing snapshot is also what a
    // reader sees during a writer's very first snapshot, so only damage is worth a word.
    if (damage !== undefined) notice(`The state index ${file} could not be read (${damage}); the jobs shown were rebuilt from the job histories and the journal. The next command that writes repairs it.`);
    return index;
  }
  if (damage !== undefined) {
    const aside = `${file}.corrupt-${new Date().toISOString().replace(/[:.]/g, '-')}`;
    await rename(file, aside);
    await writeFileAtomic(file, index.export());
    notice(`The state index ${file} could not be read (${damage}). It was kept as ${path.basename(aside)} and rebuilt from the journal and the job files. The rebuilt index was saved.`);
  } else {
    await writeFileAtomic(file, index.export());
    notice(`The state index ${file} was missing although ${histories.length} job histor${histories.length === 1 ? 'y' : 'ies'} exist; it was rebuilt from them and the journal, and saved.`);
  }
  return index;
}

/** Every `jobs/<folder>/history.jsonl` that exists. */
async function historyFiles(root: string): Promise<string[]> {
  const jobsDir = path.join(root, 'jobs');
  const files: string[] = [];
  for (const folder of (await readdir(jobsDir).catch(() => [] as string[])).sort()) {
    const file = path.join(jobsDir, folder, HISTORY);
    try {
      if ((await stat(file)).isFile()) files.push(file);
    } catch (error) {
      if (errorCode(error) !== 'ENOENT' && errorCode(error) !== 'ENOTDIR') throw error;
    }
  }
  return files;
}

/**
 * Applies the archived histories in seq order (a record archived twice is applied once); returns
 * where unreadable lines were, e.g. `jobs/<id>/history.jsonl line 7`.
 */
async function replayHistories(root: string, files: readonly string[], index: StateIndex, refused: RefusedRecords): Promise<string[]> {
  const records: JournalRecord[] = [];
  const unreadable: string[] = [];
  for (const file of files) {
    const lines = (await readFile(file, 'utf8')).split('\n');
    lines.forEach((line, i) => {
      if (!line.trim()) return;
      const record = parseRecord(line);
      if (record) records.push(record);
      else unreadable.push(`${path.relative(root, file).split(path.sep).join('/')} line ${i + 1}`);
    });
  }
  records.sort((a, b) => a.seq - b.seq);
  const deleted = deletedJobs(records);
  for (const record of records) await applyChecked(index, record, { root, refused, deleted, source: 'job history' });
  return unreadable;
}

function parseRecord(line: string): JournalRecord | undefined {
  try {
    const value = JSON.parse(line) as Partial<JournalRecord> | null;
    if (typeof value !== 'object' || value === null || !Number.isSafeInteger(value.seq) || typeof value.type !== 'string') return undefined;
    return value as JournalRecord;
  } catch {
    return undefined;
  }
}

interface ReplayContext {
  readonly root: string;
  readonly refused: RefusedRecords;
  /** Jobs a `job.deleted` among the records being replayed removes. */
  readonly deleted: ReadonlySet<string>;
  /** 'journal' or 'job history', for messages. */
  readonly source: string;
}

function deletedJobs(records: readonly JournalRecord[]): Set<string> {
  const deleted = new Set<string>();
  for (const record of records) if (record.type === 'job.deleted' && typeof record['jobId'] === 'string') deleted.add(record['jobId']);
  return deleted;
}

/** Applies a read-back record unless it names an invalid id or a path outside the store (then it is only counted as seen). */
async function applyChecked(index: StateIndex, record: JournalRecord, context: ReplayContext): Promise<void> {
  const { root, refused, source } = context;
  if (record.seq <= index.lastSeq) return;
  const problem = recordProblem(record);
  if (problem !== undefined) {
    index.skip(record);
    refused.add(`${source} seq ${record.seq} (${record.type}): ${problem}`);
    return;
  }
  try {
    await index.apply(record, fileLines(root));
  } catch (error) {
    // A job deleted later in the same replay has lost its folder (items file included): its
    // creation cannot be applied, and need not be, since the deletion removes it again.
    if (record.type === 'job.created' && context.deleted.has(String(record['jobId']))) {
      index.skip(record);
      return;
    }
    throw new Error(`Could not apply ${source} record seq ${record.seq} (${record.type}${typeof record['jobId'] === 'string' ? `, job ${record['jobId']}` : ''}): ${(error as Error).message}`, { cause: error });
  }
}

/** Records refused while opening, reported as one notice (a hostile journal may hold thousands). */
class RefusedRecords {
  private readonly reasons: string[] = [];

  add(reason: string): void {
    this.reasons.push(reason);
  }

  report(notice: (message: string) => void): void {
    if (this.reasons.length === 0) return;
    const shown = this.reasons.slice(0, 3).join('; ');
    const more = this.reasons.length > 3 ? `; and ${this.reasons.length - 3} more` : '';
    notice(
      `Ignored ${this.reasons.length} record(s) of this workspace's journal or job histories that name an invalid job id or batch key, or a file outside .llm-batch/: ${shown}${more}. Nothing they describe was loaded; they may come from a journal written elsewhere (e.g. committed to a repository).`,
    );
  }
}

/**
 * Runs a writer's first touches of the workspace folder; a folder it cannot write to is reported
 * as read-only (mkdir may say EACCES, EPERM, EROFS, or ENOENT on some systems) rather than as a
 * bare errno of whichever call happened to fail first.
 */
async function asReadOnlyError<T>(workspaceDir: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    const code = errorCode(error);
    const mkdirFailed = code === 'ENOENT' && (error as NodeJS.ErrnoException).syscall === 'mkdir' && (await isDirectory(workspaceDir));
    if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS' || mkdirFailed) throw new WorkspaceNotWritableError(workspaceDir, error);
    throw error;
  }
}

async function isDirectory(dir: string): Promise<boolean> {
  return stat(dir).then(
    (stats) => stats.isDirectory(),
    () => false,
  );
}

