// Reading items' exact request bytes back out of the batch input files they were first written
// to, to compose a retry batch or a sync call from precisely what was sent before.
import { open as openFile } from 'node:fs/promises';
import type { ItemRow } from '../store/stateIndex';
import type { WorkspaceStore } from '../store/workspaceStore';

/** The request line of each item (in the given order), read by byte range. */
export async function readItemLines(store: WorkspaceStore, items: readonly ItemRow[]): Promise<Map<string, Buffer>> {
  const lines = new Map<string, Buffer>();
  const byFile = new Map<string, ItemRow[]>();
  for (const item of items) {
    if (item.inputFile === null) continue;
    const list = byFile.get(item.inputFile) ?? [];
    list.push(item);
    byFile.set(item.inputFile, list);
  }
  for (const [file, fileItems] of byFile) {
    const handle = await openFile(store.resolve(file), 'r');
    try {
      for (const item of fileItems) {
        const buffer = Buffer.alloc(item.inputLength ?? 0);
        await handle.read(buffer, 0, buffer.length, item.inputOffset ?? 0);
        lines.set(item.id, buffer);
      }
    } finally {
      await handle.close();
    }
  }
  return lines;
}

/** Reads one raw result line (an output or error file entry) by its byte range. */
export async function readResultLine(store: WorkspaceStore, file: string, offset: number, length: number): Promise<string> {
  const handle = await openFile(store.resolve(file), 'r');
  try {
    const buffer = Buffer.alloc(length);
    await handle.read(buffer, 0, length, offset);
    return buffer.toString('utf8');
  } finally {
    await handle.close();
  }
}
