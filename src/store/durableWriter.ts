// A file written as a stream and made durable at the end (fsync), whose write errors — a full
// disk, a vanished folder — come back to the caller as rejections. A bare WriteStream reports them
// as an 'error' event, which with no listener crashes the process (or the extension host).
import { createWriteStream } from 'node:fs';
import type { WriteStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { finished } from 'node:stream/promises';

export class DurableWriter {
  private readonly stream: WriteStream;
  private failure: Error | undefined;
  /** Bytes written so far: the offset the next write starts at. */
  size = 0;

  constructor(readonly file: string) {
    this.stream = createWriteStream(file);
    this.stream.on('error', (error) => {
      this.failure ??= error;
    });
  }

  /** Writes; waits when the stream is full. Rejects with the stream's error once it has one. */
  async write(data: Uint8Array | string): Promise<void> {
    this.throwIfFailed();
    this.size += typeof data === 'string' ? Buffer.byteLength(data) : data.length;
    if (!this.stream.write(data)) await this.drained();
    this.throwIfFailed();
  }

  /** Ends the stream and fsyncs the file; rejects if any write failed. */
  async close(): Promise<void> {
    this.throwIfFailed();
    this.stream.end();
    await finished(this.stream);
    const handle = await open(this.file, 'r+');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  }

  /** Gives up on the file (after a failure elsewhere); never throws. */
  abandon(): void {
    this.stream.destroy();
  }

  private drained(): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        this.stream.off('drain', done);
        this.stream.off('close', done);
        resolve();
      };
      this.stream.on('drain', done);
      // A failed stream closes instead of draining.
      this.stream.on('close', done);
    });
  }

  private throwIfFailed(): void {
    if (this.failure) throw this.failure;
  }
}
