// A job's source file read forward once, line by line: the text of an item that was never sent
// (a cached answer was reused) comes from the line the user wrote. Rows come in line order, so
// one pass serves them all; a source file changed since the job (its hash differs) gives nothing
// rather than another line's text.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readLines } from '../../core/jsonlReader';
import type { JobRow } from '../../store/stateIndex';

export class SourceLines {
  private lines: AsyncIterator<{ readonly number: number; readonly bytes: Uint8Array }> | undefined;
  private current: { readonly number: number; readonly text: string } | undefined;
  private usable: boolean | undefined;

  constructor(private readonly job: Pick<JobRow, 'sourceFile' | 'sourceSha256'>) {}

  /** The text of line `number` (1-based), or undefined when it cannot be read as the job read it. */
  async line(number: number): Promise<string | undefined> {
    this.usable ??= await this.unchanged();
    if (!this.usable) return undefined;
    if (this.current && this.current.number > number) return undefined;
    this.lines ??= readLines(createReadStream(this.job.sourceFile, { highWaterMark: 1 << 16 }) as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]();
    while (!this.current || this.current.number < number) {
      const next = await this.lines.next();
      if (next.done) return undefined;
      this.current = { number: next.value.number, text: Buffer.from(next.value.bytes).toString('utf8') };
    }
    return this.current.number === number ? this.current.text : undefined;
  }

  private async unchanged(): Promise<boolean> {
    try {
      const hash = createHash('sha256');
      for await (const chunk of createReadStream(this.job.sourceFile, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) hash.update(chunk);
      return hash.digest('hex') === this.job.sourceSha256;
    } catch {
      return false;
    }
  }
}
