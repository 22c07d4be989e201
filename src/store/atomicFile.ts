// Whole-file replacement that a crash can never leave half-written: readers see either the old
// bytes or the new ones. Used for the sql.js snapshot, whose loss would force a full replay and
// whose corruption would lose everything the journal has since been truncated of.
import { randomBytes } from 'node:crypto';
import { open, readFile, rename, unlink } from 'node:fs/promises';
import path from 'node:path';

/**
 * Writes `data` to `target` via a temp file in the same directory (rename is only atomic within
 * one filesystem), fsyncs it, renames it over the target and fsyncs the directory so the rename
 * itself survives a power cut. On failure the temp file is removed and the target is untouched.
 * A process killed mid-write leaves only a stray `.<name>.<pid>.<random>.tmp` beside the target.
 */
export async function writeFileAtomic(target: string, data: Uint8Array | string): Promise<void> {
  const dir = path.dirname(target);
  // pid + random: two processes (or two calls in one) must never share a temp file, and 'wx'
  // below makes a collision an error instead of a silent interleaving of two writers' bytes.
  const temp = path.join(dir, `.${path.basename(target)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    const handle = await open(temp, 'wx');
    try {
      await handle.writeFile(data);
      // Without this the rename can reach the disk before the data, and a power cut would leave
      // the target name pointing at an empty or partial file.
      await handle.sync();
    } finally {
      await handle.close();
    }
    await renameReplacing(temp, target);
  } catch (error) {
    await unlink(temp).catch(() => undefined);
    throw error;
  }
  await fsyncDirectory(dir);
}

/** The file's bytes, or `undefined` when it does not exist (any other error is thrown). */
export async function readFileIfExists(file: string): Promise<Uint8Array | undefined> {
  try {
    return await readFile(file);
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return undefined;
    throw error;
  }
}

/**
 * Makes a directory's entries (a created, renamed or removed name) durable. A no-op on Windows:
 * there a directory cannot be opened for fsync, and NTFS journals the rename metadata itself.
 */
export async function fsyncDirectory(dir: string): Promise<void> {
  if (process.platform === 'win32') return;
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } catch (error) {
    // Some filesystems (certain network and FUSE mounts) do not support fsync on a directory at
    // all; there is nothing more we can do there, and failing every write would be worse.
    const code = errorCode(error);
    if (code !== 'EINVAL' && code !== 'ENOTSUP') throw error;
  } finally {
    await handle.close();
  }
}

/** The `code` of a Node system error (`'ENOENT'`, …), or `undefined` for anything else. */
export function errorCode(error: unknown): string | undefined {
  if (typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string') return error.code;
  return undefined;
}

const WINDOWS_RENAME_RETRY_CODES = new Set(['EPERM', 'EACCES', 'EBUSY']);

async function renameReplacing(from: string, to: string): Promise<void> {
  // On Windows a virus scanner or indexer briefly holding the target open makes the replace fail
  // with EPERM/EACCES/EBUSY; it clears within moments, so retry for about a second.
  for (let attempt = 0; ; attempt++) {
    try {
      await rename(from, to);
      return;
    } catch (error) {
      const code = errorCode(error);
      if (process.platform !== 'win32' || code === undefined || !WINDOWS_RENAME_RETRY_CODES.has(code) || attempt >= 10) throw error;
      await new Promise((resolve) => setTimeout(resolve, 10 * (attempt + 1)));
    }
  }
}
