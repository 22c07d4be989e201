// One writer per workspace. Two processes appending to the same journal, or both reconciling the
// same intents, is how work gets lost or submitted twice, so every writer (a VS Code window, a CLI
// run) holds `<dir>/lock` and everyone else is refused with a message that names the holder.
//
// Protocol:
// - Acquire = create `lock` exclusively ('wx') with the owner as JSON, then read it back.
// - A lock is stale when its owner is provably gone: same host and the pid is dead, or same pid as
//   us but not one of this process's own locks (an earlier process that had our pid, common in
//   containers), or the file is unreadable and older than a few seconds (its writer died between
//   creating and filling it). Locks from another host are never judged stale: we cannot see them.
// - Taking over a stale lock happens only while holding `lock.takeover` (also created with 'wx').
//   Inside it the lock is read and judged again before it is removed, so two processes that both
//   saw the same stale lock cannot both replace it, and a slow one cannot delete the new lock.
import { randomBytes } from 'node:crypto';
import { link, open, readFile, rename, unlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { errorCode } from './atomicFile';

export interface LockOwner {
  pid: number;
  host: string;
  /** ISO time the lock was taken. */
  startedAt: string;
  /** What the holder is doing, e.g. 'cli submit' or 'vscode window'. */
  purpose: string;
}

/** The workspace is locked by someone else, or already by this process. */
export class LockHeldError extends Error {
  constructor(
    readonly owner: LockOwner,
    readonly lockPath: string,
    message: string,
  ) {
    super(message);
    this.name = 'LockHeldError';
  }
}

export interface WorkspaceLock {
  readonly owner: LockOwner;
  /** Removes the lock file if it is still this lock's; safe to call more than once. */
  release(): Promise<void>;
}

/** The file's content: the owner plus a random nonce that tells two of our own locks apart. */
interface StoredOwner extends LockOwner {
  nonce?: string;
}

type Observed =
  | { readonly kind: 'missing' }
  | { readonly kind: 'owner'; readonly owner: StoredOwner; readonly bytes: Buffer; readonly ageMs: number }
  | { readonly kind: 'unreadable'; readonly bytes: Buffer; readonly ageMs: number };

type Verdict = { readonly kind: 'held'; readonly error: LockHeldError } | { readonly kind: 'stale' } | { readonly kind: 'wait' };

const LOCK_FILE = 'lock';
const TAKEOVER_FILE = 'lock.takeover';
/** Creating and filling a lock file takes microseconds; an unreadable one older than this was abandoned. */
const UNREADABLE_GRACE_MS = 5_000;
/** A takeover lasts milliseconds; one from another host (whose pid we cannot check) older than this was abandoned. */
const FOREIGN_TAKEOVER_STALE_MS = 60_000;
/** Upper bound on waiting for a half-written lock or someone else's takeover before giving up. */
const ACQUIRE_DEADLINE_MS = UNREADABLE_GRACE_MS + 3_000;
const RETRY_DELAY_MS = 20;

// Nonces of the locks this process holds (or is acquiring). Shared through a global symbol so two
// copies of this module in one process (two bundles in one extension host) still see each other's
// locks instead of judging them stale because the pid is their own.
const HELD_NONCES_KEY = Symbol.for('llm-batch-runner.workspaceLock.heldNonces');

function heldNonces(): Set<string> {
  const registry = globalThis as unknown as Record<symbol, Set<string> | undefined>;
  return (registry[HELD_NONCES_KEY] ??= new Set());
}

/**
 * Takes the workspace lock in `dir` (which must exist), taking over a stale one. Throws
 * `LockHeldError` when a live process (this one included) holds it. Never waits for a live
 * holder: the caller decides whether to open read-only, retry or give up.
 */
export async function acquireWorkspaceLock(dir: string, purpose: string): Promise<WorkspaceLock> {
  const lockPath = path.join(dir, LOCK_FILE);
  const stored: Required<StoredOwner> = {
    pid: process.pid,
    host: os.hostname(),
    startedAt: new Date().toISOString(),
    purpose,
    nonce: randomBytes(12).toString('hex'),
  };
  const nonces = heldNonces();
  // Registered before the file exists: a concurrent acquire in this process that reads our file
  // must recognise it as ours (held), never as a dead earlier process with our pid (stale).
  nonces.add(stored.nonce);
  try {
    const deadline = Date.now() + ACQUIRE_DEADLINE_MS;
    for (let attempt = 0; ; attempt++) {
      if (attempt > 0 && Date.now() > deadline) {
        throw new Error(
          `Could not take the workspace lock ${lockPath}: it stayed unreadable or mid-takeover by another process for ${ACQUIRE_DEADLINE_MS / 1000} s. Try again; if this repeats, check that file.`,
        );
      }
      if (await createExclusive(lockPath, stored)) {
        if (await isOurs(lockPath, stored.nonce)) return heldLock(lockPath, stored);
        continue; // judged stale while we were stalled mid-create and replaced: look again
      }
      const observed = await observe(lockPath);
      if (observed.kind === 'missing') continue; // released just now
      const verdict = judge(observed, dir, lockPath);
      if (verdict.kind === 'held') throw verdict.error;
      if (verdict.kind === 'stale' && (await takeOver(dir, lockPath, stored))) return heldLock(lockPath, stored);
      await sleep(RETRY_DELAY_MS);
    }
  } catch (error) {
    nonces.delete(stored.nonce);
    throw error;
  }
}

/** Who the lock file names, or `undefined` if there is none or it is unreadable. Does not judge staleness. */
export async function readLockOwner(dir: string): Promise<LockOwner | undefined> {
  const observed = await observe(path.join(dir, LOCK_FILE));
  return observed.kind === 'owner' ? publicOwner(observed.owner) : undefined;
}

function heldLock(lockPath: string, stored: Required<StoredOwner>): WorkspaceLock {
  let released = false;
  return {
    owner: publicOwner(stored),
    async release(): Promise<void> {
      if (released) return;
      released = true;
      try {
        const observed = await observe(lockPath);
        // Only remove our own file: if we were wrongly judged stale and replaced, deleting the
        // replacement would let a third writer in beside its owner.
        if (
          observed.kind === 'owner' &&
          observed.owner.pid === stored.pid &&
          observed.owner.startedAt === stored.startedAt &&
          observed.owner.nonce === stored.nonce
        ) {
          await unlinkIfPresent(lockPath);
        }
      } finally {
        // Only now: while the file is still there, an acquire in this process must see it as held.
        heldNonces().delete(stored.nonce);
      }
    },
  };
}

/**
 * Replaces a stale lock while holding the takeover marker. Returns true when the lock is now ours;
 * false means "look again" (someone else is taking over, or the lock changed meanwhile).
 */
async function takeOver(dir: string, lockPath: string, stored: Required<StoredOwner>): Promise<boolean> {
  const markerPath = path.join(dir, TAKEOVER_FILE);
  if (!(await createExclusive(markerPath, stored))) {
    const marker = await observe(markerPath);
    if (marker.kind !== 'missing' && markerAbandoned(marker)) await removeIfUnchanged(markerPath, marker.bytes);
    return false;
  }
  try {
    if (!(await isOurs(markerPath, stored.nonce))) return false;
    // Judge again under the marker: every non-owner removal of the lock happens under it, so what
    // we read now cannot change before we remove it (its owner is gone and will not release it).
    const current = await observe(lockPath);
    if (current.kind !== 'missing') {
      if (judge(current, dir, lockPath).kind !== 'stale') return false;
      await unlinkIfPresent(lockPath);
    }
    return (await createExclusive(lockPath, stored)) && (await isOurs(lockPath, stored.nonce));
  } finally {
    if (await isOurs(markerPath, stored.nonce)) await unlinkIfPresent(markerPath);
  }
}

function judge(observed: Exclude<Observed, { kind: 'missing' }>, dir: string, lockPath: string): Verdict {
  if (observed.kind === 'unreadable') return observed.ageMs > UNREADABLE_GRACE_MS ? { kind: 'stale' } : { kind: 'wait' };
  const { owner } = observed;
  const since = formatTime(owner.startedAt);
  if (owner.host !== os.hostname()) {
    return {
      kind: 'held',
      error: new LockHeldError(
        publicOwner(owner),
        lockPath,
        `Another LLM Batch Runner process is writing to ${dir} (pid ${owner.pid} on host "${owner.host}", since ${since}, ${owner.purpose}). Wait for it to finish, or stop it; this process will not write. It runs on another machine, so its liveness cannot be checked from here: if it is gone, delete ${lockPath}.`,
      ),
    };
  }
  if (owner.pid === process.pid) {
    if (owner.nonce !== undefined && heldNonces().has(owner.nonce)) {
      return {
        kind: 'held',
        error: new LockHeldError(
          publicOwner(owner),
          lockPath,
          `This process (pid ${owner.pid}) already holds the lock on ${dir} (since ${since}, ${owner.purpose}); release it before acquiring it again.`,
        ),
      };
    }
    return { kind: 'stale' }; // an earlier process that had our pid
  }
  if (!isAlive(owner.pid)) return { kind: 'stale' };
  return {
    kind: 'held',
    error: new LockHeldError(
      publicOwner(owner),
      lockPath,
      `Another LLM Batch Runner process is writing to ${dir} (pid ${owner.pid} on host "${owner.host}", since ${since}, ${owner.purpose}). Wait for it to finish, or stop it; this process will not write.`,
    ),
  };
}

function markerAbandoned(marker: Exclude<Observed, { kind: 'missing' }>): boolean {
  if (marker.kind === 'unreadable') return marker.ageMs > UNREADABLE_GRACE_MS;
  const { owner } = marker;
  if (owner.host !== os.hostname()) return marker.ageMs > FOREIGN_TAKEOVER_STALE_MS;
  if (owner.pid === process.pid) return owner.nonce === undefined || !heldNonces().has(owner.nonce);
  return !isAlive(owner.pid);
}

/**
 * Removes an abandoned marker unless it was replaced since we read it: it is moved aside first
 * and checked, and a live one moved by mistake is linked back (link, unlike rename, never
 * overwrites a marker someone created in between).
 */
async function removeIfUnchanged(file: string, expected: Buffer): Promise<void> {
  const aside = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.stale`;
  try {
    await rename(file, aside);
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return;
    throw error;
  }
  try {
    const moved = await readFile(aside);
    if (!moved.equals(expected)) await link(aside, file).catch(() => undefined);
  } finally {
    await unlinkIfPresent(aside);
  }
}

/** Creates `file` with the owner JSON; false when it already exists. */
async function createExclusive(file: string, owner: StoredOwner): Promise<boolean> {
  let handle;
  try {
    handle = await open(file, 'wx');
  } catch (error) {
    if (errorCode(error) === 'EEXIST') return false;
    throw error;
  }
  // No fsync: after a power cut every pid in the file is dead anyway, so a lost or empty lock
  // file is judged stale either way.
  try {
    await handle.writeFile(`${JSON.stringify(owner)}\n`);
  } catch (error) {
    await handle.close().catch(() => undefined);
    await unlinkIfPresent(file);
    throw error;
  }
  await handle.close();
  return true;
}

async function isOurs(file: string, nonce: string): Promise<boolean> {
  const observed = await observe(file);
  return observed.kind === 'owner' && observed.owner.nonce === nonce;
}

async function observe(file: string): Promise<Observed> {
  let bytes: Buffer;
  let ageMs: number;
  try {
    // One handle for both, so the age and the bytes belong to the same file even if it is
    // replaced while we look.
    const handle = await open(file, 'r');
    try {
      ageMs = Date.now() - (await handle.stat()).mtimeMs;
      bytes = await handle.readFile();
    } finally {
      await handle.close();
    }
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return { kind: 'missing' };
    throw error;
  }
  const owner = parseOwner(bytes);
  return owner === undefined ? { kind: 'unreadable', bytes, ageMs } : { kind: 'owner', owner, bytes, ageMs };
}

function parseOwner(bytes: Buffer): StoredOwner | undefined {
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const candidate = value as Partial<Record<keyof StoredOwner, unknown>>;
  const { pid, host, startedAt, purpose, nonce } = candidate;
  // pid must be positive: process.kill(0 or negative) would signal a whole process group.
  if (typeof pid !== 'number' || !Number.isSafeInteger(pid) || pid < 1) return undefined;
  if (typeof host !== 'string' || typeof startedAt !== 'string' || typeof purpose !== 'string') return undefined;
  const owner: StoredOwner = { pid, host, startedAt, purpose };
  if (typeof nonce === 'string') owner.nonce = nonce;
  return owner;
}

function publicOwner(owner: StoredOwner): LockOwner {
  return { pid: owner.pid, host: owner.host, startedAt: owner.startedAt, purpose: owner.purpose };
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to another user. Only ESRCH proves it is gone.
    return errorCode(error) !== 'ESRCH';
  }
}

function formatTime(iso: string): string {
  const time = Date.parse(iso);
  return Number.isNaN(time) ? iso : `${new Date(time).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

async function unlinkIfPresent(file: string): Promise<void> {
  try {
    await unlink(file);
  } catch (error) {
    if (errorCode(error) !== 'ENOENT') throw error;
  }
}
