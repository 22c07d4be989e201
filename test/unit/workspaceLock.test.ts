import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdir, mkdtemp, readFile, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { LockHeldError, acquireWorkspaceLock, readLockOwner } from '../../src/store/workspaceLock';
import type { LockOwner } from '../../src/store/workspaceLock';

const root = path.resolve(__dirname, '../..');
const lockChild = path.join(root, 'test/support/lockChild.ts');
/** lockChild's exit code for LockHeldError. */
const LOCK_HELD_EXIT_CODE = 3;
let scratch = '';
let counter = 0;

before(async () => {
  scratch = await mkdtemp(path.join(os.tmpdir(), 'workspace-lock-test-'));
});
after(async () => {
  await rm(scratch, { recursive: true, force: true });
});

async function freshDir(): Promise<string> {
  counter++;
  const dir = path.join(scratch, `ws-${counter}`, '.llm-batch');
  await mkdir(dir, { recursive: true });
  return dir;
}

/** The pid of a process that has certainly exited. */
function deadPid(): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' });
    child.on('error', reject);
    child.on('exit', () => (child.pid === undefined ? reject(new Error('no pid')) : resolve(child.pid)));
  });
}

async function writeLockFile(dir: string, owner: LockOwner): Promise<void> {
  await writeFile(path.join(dir, 'lock'), `${JSON.stringify(owner)}\n`);
}

const longAgo = '2020-01-01T00:00:00.000Z';

describe('acquireWorkspaceLock', () => {
  it('writes the owner to <dir>/lock, and release() removes it', async () => {
    const dir = await freshDir();
    const lock = await acquireWorkspaceLock(dir, 'cli submit');
    assert.equal(lock.owner.pid, process.pid);
    assert.equal(lock.owner.host, os.hostname());
    assert.equal(lock.owner.purpose, 'cli submit');
    assert.ok(Math.abs(Date.parse(lock.owner.startedAt) - Date.now()) < 10_000);

    const onDisk = JSON.parse(await readFile(path.join(dir, 'lock'), 'utf8')) as Record<string, unknown>;
    assert.deepEqual({ pid: onDisk['pid'], host: onDisk['host'], startedAt: onDisk['startedAt'], purpose: onDisk['purpose'] }, lock.owner);
    assert.deepEqual(await readLockOwner(dir), lock.owner);

    await lock.release();
    assert.deepEqual(await readdir(dir), []);
    assert.equal(await readLockOwner(dir), undefined);
    await lock.release(); // a second release is harmless
  });

  it('refuses a second acquire in the same process, saying so, until the first is released', async () => {
    const dir = await freshDir();
    const first = await acquireWorkspaceLock(dir, 'vscode window');
    await assert.rejects(acquireWorkspaceLock(dir, 'again'), (error: unknown) => {
      assert.ok(error instanceof LockHeldError);
      assert.deepEqual(error.owner, first.owner);
      assert.equal(error.lockPath, path.join(dir, 'lock'));
      assert.match(error.message, new RegExp(`^This process \\(pid ${process.pid}\\) already holds the lock on `));
      assert.ok(error.message.includes(dir));
      assert.match(error.message, /since \d{4}-\d\d-\d\d \d\d:\d\d UTC, vscode window\)/);
      return true;
    });
    await first.release();
    const second = await acquireWorkspaceLock(dir, 'again');
    assert.equal(second.owner.purpose, 'again');
    await second.release();
  });

  it('lets exactly one of several concurrent acquires in one process win', async () => {
    const dir = await freshDir();
    const results = await Promise.allSettled(Array.from({ length: 6 }, (_, n) => acquireWorkspaceLock(dir, `caller ${n}`)));
    const winners = results.filter((r) => r.status === 'fulfilled');
    assert.equal(winners.length, 1);
    for (const result of results) {
      if (result.status === 'rejected') assert.ok(result.reason instanceof LockHeldError);
    }
    if (winners[0]?.status === 'fulfilled') await winners[0].value.release();
  });

  it('release() leaves a lock file that is no longer its own', async () => {
    const dir = await freshDir();
    const lock = await acquireWorkspaceLock(dir, 'mine');
    const other: LockOwner = { pid: process.ppid, host: os.hostname(), startedAt: new Date().toISOString(), purpose: 'took over' };
    await writeLockFile(dir, other);
    await lock.release();
    assert.deepEqual(await readLockOwner(dir), other);
  });

  it('refuses a real second process with a clear message and exit code', async () => {
    const dir = await freshDir();
    const lock = await acquireWorkspaceLock(dir, 'cli watch');
    try {
      const { code, stderr } = await runLockChild(dir);
      assert.equal(code, LOCK_HELD_EXIT_CODE);
      assert.match(
        stderr,
        new RegExp(
          `^Another LLM Batch Runner process is writing to ${escape(dir)} \\(pid ${process.pid} on host "${escape(os.hostname())}", since \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d UTC, cli watch\\)\\. Wait for it to finish, or stop it; this process will not write\\.`,
        ),
      );
      assert.deepEqual(await readLockOwner(dir), lock.owner, 'the refused process left the lock alone');
    } finally {
      await lock.release();
    }
  });

  it('takes over a lock left by a process that has exited', async () => {
    const dir = await freshDir();
    const pid = await deadPid();
    await writeLockFile(dir, { pid, host: os.hostname(), startedAt: longAgo, purpose: 'crashed run' });
    const lock = await acquireWorkspaceLock(dir, 'after the crash');
    assert.equal(lock.owner.pid, process.pid);
    assert.deepEqual(await readLockOwner(dir), lock.owner);
    assert.deepEqual(await readdir(dir), ['lock'], 'no takeover leftovers');
    await lock.release();
  });

  it('clears a takeover abandoned by a process that died mid-way, then takes over', async () => {
    const dir = await freshDir();
    const crashed: LockOwner = { pid: await deadPid(), host: os.hostname(), startedAt: longAgo, purpose: 'crashed run' };
    await writeLockFile(dir, crashed);
    await writeFile(path.join(dir, 'lock.takeover'), JSON.stringify({ ...crashed, pid: await deadPid() }));
    const lock = await acquireWorkspaceLock(dir, 'after two crashes');
    assert.deepEqual(await readLockOwner(dir), lock.owner);
    assert.deepEqual(await readdir(dir), ['lock']);
    await lock.release();
  });

  it('takes over a lock that names our own pid but is not ours (an earlier process had the pid)', async () => {
    const dir = await freshDir();
    await writeLockFile(dir, { pid: process.pid, host: os.hostname(), startedAt: longAgo, purpose: 'previous container run' });
    const lock = await acquireWorkspaceLock(dir, 'this run');
    assert.deepEqual(await readLockOwner(dir), lock.owner);
    await lock.release();
  });

  it('takes over an unreadable lock file once it is a few seconds old', async () => {
    const dir = await freshDir();
    const file = path.join(dir, 'lock');
    await writeFile(file, '{"pid": 12');
    const old = new Date(Date.now() - 60_000);
    await utimes(file, old, old);
    const lock = await acquireWorkspaceLock(dir, 'after garbage');
    assert.deepEqual(await readLockOwner(dir), lock.owner);
    await lock.release();
  });

  it('waits on a fresh, still empty lock file instead of calling it stale', async () => {
    const dir = await freshDir();
    const file = path.join(dir, 'lock');
    await writeFile(file, ''); // another process between its exclusive create and its write
    const live: LockOwner = { pid: process.ppid, host: os.hostname(), startedAt: new Date().toISOString(), purpose: 'slow starter' };
    const filled = new Promise((resolve) => setTimeout(resolve, 150)).then(() => writeLockFile(dir, live));
    await assert.rejects(acquireWorkspaceLock(dir, 'impatient'), (error: unknown) => {
      assert.ok(error instanceof LockHeldError);
      assert.equal(error.owner.pid, process.ppid);
      return true;
    });
    await filled;
    assert.deepEqual(await readLockOwner(dir), live);
  });

  it('never takes over a lock from another host, and says how to clear it', async () => {
    const dir = await freshDir();
    const remote: LockOwner = { pid: await deadPid(), host: 'some-other-machine', startedAt: longAgo, purpose: 'cli submit' };
    await writeLockFile(dir, remote);
    await assert.rejects(acquireWorkspaceLock(dir, 'here'), (error: unknown) => {
      assert.ok(error instanceof LockHeldError);
      assert.deepEqual(error.owner, remote);
      assert.match(error.message, /on host "some-other-machine", since 2020-01-01 00:00 UTC, cli submit\)/);
      assert.ok(error.message.includes(`delete ${path.join(dir, 'lock')}`));
      return true;
    });
    assert.deepEqual(await readLockOwner(dir), remote);
  });

  it('readLockOwner returns undefined for a missing or unreadable lock file', async () => {
    const dir = await freshDir();
    assert.equal(await readLockOwner(dir), undefined);
    await writeFile(path.join(dir, 'lock'), 'not json');
    assert.equal(await readLockOwner(dir), undefined);
    await writeFile(path.join(dir, 'lock'), '{"pid":0,"host":"h","startedAt":"t","purpose":"p"}');
    assert.equal(await readLockOwner(dir), undefined, 'pid 0 would signal a process group, so it is refused');
  });

  for (const [name, stale] of [
    ['a stale lock', true],
    ['a free workspace', false],
  ] as const) {
    it(`lets exactly one of 5 racing processes win ${name}`, async () => {
      const dir = await freshDir();
      if (stale) await writeLockFile(dir, { pid: await deadPid(), host: os.hostname(), startedAt: longAgo, purpose: 'crashed run' });
      const outcomes = await race(dir, 5);
      const winners = outcomes.filter((o) => o.result === 'acquired');
      assert.equal(winners.length, 1, JSON.stringify(outcomes));
      const winner = winners[0];
      assert.ok(winner !== undefined);
      for (const loser of outcomes.filter((o) => o !== winner)) {
        assert.equal(loser.result, 'held');
        assert.equal(loser.ownerPid, winner.pid, 'losers name the winner');
        assert.equal(loser.code, LOCK_HELD_EXIT_CODE);
      }
      assert.equal((await readLockOwner(dir))?.pid, winner.pid);
      await winner.finish();
      assert.deepEqual(await readdir(dir), [], 'the winner released on exit and nothing was left behind');
    });
  }
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function spawnLockChild(dir: string, ...args: string[]): ChildProcessWithoutNullStreams {
  return spawn(process.execPath, ['--import', 'tsx', lockChild, dir, ...args], { cwd: root, stdio: 'pipe' });
}

function exitOf(child: ChildProcessWithoutNullStreams): Promise<number | null> {
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve(code));
  });
}

async function runLockChild(dir: string): Promise<{ code: number | null; stderr: string }> {
  const child = spawnLockChild(dir);
  child.stdin.end();
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const code = await exitOf(child);
  return { code, stderr };
}

interface RaceOutcome {
  result: 'acquired' | 'held';
  pid: number;
  ownerPid?: number;
  code?: number | null;
  /** Lets a winner release and exit. */
  finish(): Promise<void>;
}

/** Starts `count` lock children, waits until all are ready, then tells them all to go at once. */
async function race(dir: string, count: number): Promise<RaceOutcome[]> {
  const children = Array.from({ length: count }, () => spawnLockChild(dir, '--wait-go'));
  const exits = children.map(exitOf);
  const lines = children.map((child) => {
    child.stdout.setEncoding('utf8');
    const queue: string[] = [];
    let waiting: ((line: string) => void) | undefined;
    let buffered = '';
    child.stdout.on('data', (chunk: string) => {
      buffered += chunk;
      for (let end = buffered.indexOf('\n'); end !== -1; end = buffered.indexOf('\n')) {
        const line = buffered.slice(0, end);
        buffered = buffered.slice(end + 1);
        if (waiting) {
          const deliver = waiting;
          waiting = undefined;
          deliver(line);
        } else {
          queue.push(line);
        }
      }
    });
    return (): Promise<string> => {
      const next = queue.shift();
      return next !== undefined ? Promise.resolve(next) : new Promise((resolve) => (waiting = resolve));
    };
  });
  try {
    assert.deepEqual(await Promise.all(lines.map((next) => next())), Array(count).fill('ready'));
    for (const child of children) child.stdin.write('go\n');
    return await Promise.all(
      children.map(async (child, index) => {
        const next = lines[index];
        const exit = exits[index];
        assert.ok(next !== undefined && exit !== undefined);
        const outcome = JSON.parse(await next()) as { result: 'acquired' | 'held'; pid?: number; ownerPid?: number };
        const finish = async (): Promise<void> => {
          child.stdin.end();
          assert.equal(await exit, 0);
        };
        if (outcome.result === 'acquired') return { result: outcome.result, pid: child.pid ?? -1, finish };
        child.stdin.end();
        return { result: outcome.result, pid: child.pid ?? -1, ownerPid: outcome.ownerPid ?? -1, code: await exit, finish };
      }),
    );
  } catch (error) {
    for (const child of children) child.kill('SIGKILL');
    throw error;
  }
}
