// Appending whole lines to a file that a crash may have left with a torn last line: the torn
// line is ended first, so it never swallows the next record, and the new bytes are fsynced (with
// the folder, when the file is new) before the caller acts on them.
import { open } from 'node:fs/promises';
import path from 'node:path';
import { fsyncDirectory } from './atomicFile';

/** Appends `text` (whole lines, newline-terminated) durably; returns the byte offset it starts at. */
export async function appendLinesDurably(file: string, text: string): Promise<number> {
  const handle = await open(file, 'a+');
  let offset: number;
  let created: boolean;
  try {
    const { size } = await handle.stat();
    created = size === 0;
    let separator = '';
    if (size > 0) {
      const last = Buffer.alloc(1);
      await handle.read(last, 0, 1, size - 1);
      if (last[0] !== 0x0a) separator = '\n';
    }
    offset = size + separator.length;
    await handle.appendFile(separator + text);
    await handle.sync();
  } finally {
    await handle.close();
  }
  if (created) await fsyncDirectory(path.dirname(file));
  return offset;
}
