// In-memory state of one emulator: uploaded and generated files, batches in creation order, and
// the fail-once memory that batch items and sync calls share.

import type { BatchRun } from './batchRunner';
import { randomId } from './fakeModel';

export interface StoredFile {
  id: string;
  filename: string;
  purpose: string;
  bytes: number;
  createdAtSec: number;
  expiresAtSec: number | null;
  data: Buffer;
}

/** The FileObject wire shape (SDK `FileObject`). */
export function fileObject(f: StoredFile): Record<string, string | number | null> {
  return {
    id: f.id,
    object: 'file',
    bytes: f.bytes,
    created_at: f.createdAtSec,
    expires_at: f.expiresAtSec,
    filename: f.filename,
    purpose: f.purpose,
    status: 'processed',
    status_details: null,
  };
}

export class Store {
  readonly files = new Map<string, StoredFile>();
  /** Creation order; list endpoints walk it backwards for newest-first pages. */
  readonly batches: BatchRun[] = [];
  readonly batchIndex = new Map<string, number>();
  readonly failedOnce = new Set<string>();
  createCalls = 0;

  addFile(data: Buffer, filename: string, purpose: string, nowSec: number, expiresAtSec: number | null): StoredFile {
    const file: StoredFile = { id: randomId('file-', 12), filename, purpose, bytes: data.length, createdAtSec: nowSec, expiresAtSec, data };
    this.files.set(file.id, file);
    return file;
  }

  addBatch(batch: BatchRun): void {
    this.batchIndex.set(batch.id, this.batches.length);
    this.batches.push(batch);
  }

  getBatch(id: string): BatchRun | undefined {
    const i = this.batchIndex.get(id);
    return i === undefined ? undefined : this.batches[i];
  }

  clear(): void {
    this.files.clear();
    this.batches.length = 0;
    this.batchIndex.clear();
    this.failedOnce.clear();
    this.createCalls = 0;
  }
}

export interface CursorPageResult<T> {
  object: 'list';
  data: T[];
  first_id: string | null;
  last_id: string | null;
  has_more: boolean;
}

/**
 * One page of a newest-first cursor list. `after` is the last id of the previous page, which is
 * exactly what the SDK's CursorPage sends (core/pagination.ts `nextPageRequestOptions`).
 */
export function cursorPage<T extends { id: string }>(newestFirst: readonly T[], after: string | null, limit: number): CursorPageResult<T> {
  let start = 0;
  if (after !== null) {
    const i = newestFirst.findIndex((x) => x.id === after);
    // An unknown cursor yields an empty page rather than restarting from the top, so a client
    // with a stale cursor cannot loop forever.
    start = i < 0 ? newestFirst.length : i + 1;
  }
  const data = newestFirst.slice(start, start + limit);
  return {
    object: 'list',
    data,
    first_id: data[0]?.id ?? null,
    last_id: data[data.length - 1]?.id ?? null,
    has_more: start + limit < newestFirst.length,
  };
}
