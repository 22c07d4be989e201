// Streams a result-file download to disk so that `destination` only ever holds a whole file:
// bytes go to a temp file beside it, are checked for completeness, fsynced, and renamed over it.
// Lives in providers (not store) because the layer rules keep providers off src/store; the few
// lines of fsync/rename logic are repeated here on purpose.
import { randomBytes } from 'node:crypto';
import { open, rename, unlink } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import path from 'node:path';

/** The body ended before the whole file arrived; nothing was written to the destination. */
export class TruncatedDownloadError extends Error {
  override readonly name = 'TruncatedDownloadError';
}

export interface DownloadOptions {
  readonly signal?: AbortSignal | undefined;
  /** Names the download in error messages, e.g. `file file-abc`. */
  readonly label?: string | undefined;
}

export interface DownloadResult {
  readonly bytes: number;
}

/**
 * Writes `response.body` (a JSONL result file) to `destination` atomically, and throws
 * TruncatedDownloadError, leaving no destination file, when the body is cut short: the stream
 * errors mid-way, fewer bytes arrive than Content-Length promised, or the last line is incomplete
 * (no final newline and not parseable JSON — a server that sends a consistent but short body).
 */
export async function downloadToFile(response: Response, destination: string, options: DownloadOptions = {}): Promise<DownloadResult> {
  const { signal } = options;
  const label = options.label ?? 'download';
  const expected = expectedLength(response);
  const dir = path.dirname(destination);
  // pid + random: concurrent downloads to the same name never share a temp file; 'wx' turns a
  // collision into an error rather than two writers interleaving bytes.
  const temp = path.join(dir, `.${path.basename(destination)}.${process.pid}.${randomBytes(6).toString('hex')}.part`);
  const reader = response.body?.getReader();
  let received = 0;
  try {
    const handle = await open(temp, 'wx');
    try {
      // Bytes after the last newline seen so far: at most one line, needed to judge the tail.
      let tail: Uint8Array[] = [];
      let lastByte: number | undefined;
      while (reader) {
        signal?.throwIfAborted();
        let chunk: Awaited<ReturnType<typeof reader.read>>;
        try {
          chunk = await reader.read();
        } catch (error) {
          if (signal?.aborted) throw signal.reason;
          // undici rejects with `TypeError: terminated` when the socket closes mid-body.
          throw new TruncatedDownloadError(`${label} was cut short after ${received}${expected === undefined ? '' : ` of ${expected}`} bytes: ${String(error)}`, {
            cause: error,
          });
        }
        if (chunk.done) break;
        const bytes = chunk.value;
        if (bytes.byteLength === 0) continue;
        await writeAll(handle, bytes);
        received += bytes.byteLength;
        lastByte = bytes[bytes.byteLength - 1];
        const nl = bytes.lastIndexOf(0x0a);
        if (nl >= 0) tail = [bytes.subarray(nl + 1)];
        else tail.push(bytes);
      }
      if (expected !== undefined && received !== expected) {
        throw new TruncatedDownloadError(`${label} was cut short: received ${received} of ${expected} bytes`);
      }
      if (received > 0 && lastByte !== 0x0a && !isJson(Buffer.concat(tail).toString('utf8'))) {
        throw new TruncatedDownloadError(`${label} was cut short: its last line is incomplete (${received} bytes received, no final newline)`);
      }
      // Without this the rename can reach the disk before the data, and a power cut would leave
      // the destination name pointing at an empty or partial file.
      await handle.sync();
    } finally {
      await handle.close();
    }
    await renameReplacing(temp, destination);
  } catch (error) {
    // Free the connection rather than leaving a half-read body holding the socket.
    await reader?.cancel().catch(() => undefined);
    await unlink(temp).catch(() => undefined);
    throw error;
  }
  await fsyncDirectory(dir);
  return { bytes: received };
}

/**
 * Content-Length, when it describes the bytes we will read. With a Content-Encoding, fetch hands
 * us decoded bytes while the header counts encoded ones, so comparing them would call every
 * compressed download truncated.
 */
function expectedLength(response: Response): number | undefined {
  const encoding = response.headers.get('content-encoding');
  if (encoding !== null && encoding.trim().toLowerCase() !== 'identity') return undefined;
  const raw = response.headers.get('content-length');
  if (raw === null || !/^\d+$/.test(raw.trim())) return undefined;
  return Number(raw);
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

async function writeAll(handle: FileHandle, bytes: Uint8Array): Promise<void> {
  let offset = 0;
  while (offset < bytes.byteLength) {
    const { bytesWritten } = await handle.write(bytes, offset, bytes.byteLength - offset);
    offset += bytesWritten;
  }
}

const errorCode = (error: unknown): string | undefined =>
  typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string' ? error.code : undefined;

/** Makes the rename durable. A no-op on Windows, where a directory cannot be opened for fsync. */
async function fsyncDirectory(dir: string): Promise<void> {
  if (process.platform === 'win32') return;
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } catch (error) {
    // Some network and FUSE mounts cannot fsync a directory; failing every download there would be worse.
    const code = errorCode(error);
    if (code !== 'EINVAL' && code !== 'ENOTSUP') throw error;
  } finally {
    await handle.close();
  }
}

const WINDOWS_RENAME_RETRY_CODES: ReadonlySet<string> = new Set(['EPERM', 'EACCES', 'EBUSY']);

async function renameReplacing(from: string, to: string): Promise<void> {
  // On Windows a virus scanner or indexer briefly holding the target makes the replace fail; it
  // clears within moments, so retry for about half a second.
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
