// What both measuring scripts share: the bare line splitter (Buffer.indexOf over 1 MB reads) and
// CPU time.
import { createReadStream } from 'node:fs';

export const CHUNK = 1 << 20;

/** Splits a file into lines (without their newline) as a bare reference loop would. */
export async function forEachLine(file: string, visit: (line: Buffer) => void): Promise<number> {
  let carry: Buffer | undefined;
  let lines = 0;
  for await (const chunk of createReadStream(file, { highWaterMark: CHUNK }) as AsyncIterable<Buffer>) {
    const buffer = carry === undefined ? chunk : Buffer.concat([carry, chunk]);
    let start = 0;
    for (let end = buffer.indexOf(10, start); end !== -1; end = buffer.indexOf(10, start)) {
      if (end > start) {
        visit(buffer.subarray(start, end));
        lines++;
      }
      start = end + 1;
    }
    carry = start < buffer.length ? Buffer.from(buffer.subarray(start)) : undefined;
  }
  if (carry !== undefined && carry.length > 0) {
    visit(carry);
    lines++;
  }
  return lines;
}

/** CPU seconds of this process, all threads, user + system, since `start`. */
export function cpuSince(start: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1e6;
}
