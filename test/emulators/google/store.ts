// In-memory state of the Google emulator: Gemini files (uploaded and generated), resumable
// uploads in progress, GCS objects by bucket, batches of both backends in creation order, and
// the fail-once memory batch items and sync calls share.

import { createHash } from 'node:crypto';
import type { GoogleBatch } from './batchRunner';
import type { JsonObject } from '../shared/content';

export interface GeminiFile {
  name: string;
  displayName: string | undefined;
  mimeType: string;
  data: Buffer;
  createdAtMs: number;
  source: 'UPLOADED' | 'GENERATED';
}

export interface PendingUpload {
  displayName: string | undefined;
  mimeType: string;
  declaredBytes: number;
  chunks: Buffer[];
  received: number;
}

export interface GcsObject {
  bucket: string;
  name: string;
  data: Buffer;
  contentType: string;
  createdAtMs: number;
  generation: string;
}

const iso = (ms: number): string => new Date(ms).toISOString();
const FORTY_EIGHT_HOURS_MS = 48 * 3600_000;

/** The File resource (spec §4.1); int64 sizeBytes as a string. */
export function geminiFileJson(f: GeminiFile, baseUrl: string): JsonObject {
  const out: JsonObject = {
    name: f.name,
    mimeType: f.mimeType,
    sizeBytes: String(f.data.length),
    createTime: iso(f.createdAtMs),
    updateTime: iso(f.createdAtMs),
    expirationTime: iso(f.createdAtMs + FORTY_EIGHT_HOURS_MS),
    sha256Hash: createHash('sha256').update(f.data).digest('base64'),
    uri: `${baseUrl}/v1beta/${f.name}`,
    state: 'ACTIVE',
    source: f.source,
  };
  if (f.displayName !== undefined) out['displayName'] = f.displayName;
  return out;
}

/** The GCS object resource (JSON API); `size` and `generation` are strings. */
export function gcsObjectJson(o: GcsObject, baseUrl: string): JsonObject {
  const encoded = encodeURIComponent(o.name);
  return {
    kind: 'storage#object',
    id: `${o.bucket}/${o.name}/${o.generation}`,
    selfLink: `${baseUrl}/storage/v1/b/${o.bucket}/o/${encoded}`,
    mediaLink: `${baseUrl}/download/storage/v1/b/${o.bucket}/o/${encoded}?generation=${o.generation}&alt=media`,
    name: o.name,
    bucket: o.bucket,
    generation: o.generation,
    metageneration: '1',
    contentType: o.contentType,
    storageClass: 'STANDARD',
    size: String(o.data.length),
    md5Hash: createHash('md5').update(o.data).digest('base64'),
    timeCreated: iso(o.createdAtMs),
    updated: iso(o.createdAtMs),
  };
}

export class Store {
  readonly files = new Map<string, GeminiFile>();
  readonly uploads = new Map<string, PendingUpload>();
  readonly buckets = new Map<string, Map<string, GcsObject>>();
  /** Creation order, both backends; lists walk it backwards for newest-first pages. */
  readonly batches: GoogleBatch[] = [];
  private readonly index = new Map<string, GoogleBatch>();
  readonly failedOnce = new Set<string>();
  createCalls = 0;
  private vertexSeq = 0;

  addGeminiFile(name: string, data: Buffer, mimeType: string, nowMs: number, source: GeminiFile['source'], displayName?: string): GeminiFile {
    const file: GeminiFile = { name, displayName, mimeType, data, createdAtMs: nowMs, source };
    this.files.set(name, file);
    return file;
  }

  putObject(bucket: string, name: string, data: Buffer, contentType: string, nowMs: number): GcsObject {
    let objects = this.buckets.get(bucket);
    if (!objects) {
      objects = new Map();
      this.buckets.set(bucket, objects);
    }
    const object: GcsObject = { bucket, name, data, contentType, createdAtMs: nowMs, generation: String(nowMs * 1000 + objects.size) };
    objects.set(name, object);
    return object;
  }

  getObject(bucket: string, name: string): GcsObject | undefined {
    return this.buckets.get(bucket)?.get(name);
  }

  /** Objects whose names start with `prefix`, in lexicographic order (as GCS lists them). */
  listObjects(bucket: string, prefix: string): GcsObject[] {
    const objects = [...(this.buckets.get(bucket)?.values() ?? [])].filter((o) => o.name.startsWith(prefix));
    return objects.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** Vertex job ids are decimal numbers (the SDK rejects other bare ids). */
  nextVertexId(): string {
    this.vertexSeq += 1;
    return String(8_000_000_000_000_000_000n + BigInt(this.vertexSeq));
  }

  addBatch(batch: GoogleBatch): void {
    this.batches.push(batch);
    this.index.set(`${batch.init.backend}:${batch.id}`, batch);
  }

  getBatch(backend: GoogleBatch['init']['backend'], id: string): GoogleBatch | undefined {
    return this.index.get(`${backend}:${id}`);
  }

  removeBatch(batch: GoogleBatch): void {
    const i = this.batches.indexOf(batch);
    if (i >= 0) this.batches.splice(i, 1);
    this.index.delete(`${batch.init.backend}:${batch.id}`);
  }

  clear(): void {
    this.files.clear();
    this.uploads.clear();
    this.buckets.clear();
    this.batches.length = 0;
    this.index.clear();
    this.failedOnce.clear();
    this.createCalls = 0;
  }
}

/** Newest-first pages with an opaque offset token; an unknown token is a 400, as on the real APIs. */
export function offsetPage<T>(newestFirst: readonly T[], pageToken: string | null, pageSize: number): { items: T[]; nextPageToken: string | undefined } | null {
  let start = 0;
  if (pageToken !== null && pageToken !== '') {
    const m = /^o(\d+)$/.exec(Buffer.from(pageToken, 'base64url').toString('utf8'));
    if (!m?.[1]) return null;
    start = Number(m[1]);
  }
  const items = newestFirst.slice(start, start + pageSize);
  const next = start + pageSize;
  return { items, nextPageToken: next < newestFirst.length ? Buffer.from(`o${next}`, 'utf8').toString('base64url') : undefined };
}
