// The S3 side of the AWS emulator (spec §5.7): objects by bucket and key, the `aws-chunked`
// upload encoding the SDK uses for streamed bodies, and the ListObjectsV2 / error XML documents.

import { createHash } from 'node:crypto';
import type { ServerResponse } from 'node:http';

export interface StoredObject {
  data: Buffer;
  lastModifiedMs: number;
  etag: string;
}

export class S3Store {
  private readonly buckets = new Map<string, Map<string, StoredObject>>();

  put(bucket: string, key: string, data: Buffer, nowMs = Date.now()): StoredObject {
    let objects = this.buckets.get(bucket);
    if (!objects) {
      objects = new Map();
      this.buckets.set(bucket, objects);
    }
    const stored = { data, lastModifiedMs: nowMs, etag: `"${createHash('md5').update(data).digest('hex')}"` };
    objects.set(key, stored);
    return stored;
  }

  get(bucket: string, key: string): StoredObject | undefined {
    return this.buckets.get(bucket)?.get(key);
  }

  /** Keys under `prefix`, sorted as S3 lists them (UTF-8 binary order). */
  keys(bucket: string, prefix: string): string[] {
    const objects = this.buckets.get(bucket);
    if (!objects) return [];
    return [...objects.keys()].filter((k) => k.startsWith(prefix)).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  }

  all(): { bucket: string; key: string; size: number }[] {
    const out: { bucket: string; key: string; size: number }[] = [];
    for (const [bucket, objects] of this.buckets) for (const [key, o] of objects) out.push({ bucket, key, size: o.data.length });
    return out;
  }

  clear(): void {
    this.buckets.clear();
  }
}

export class ChunkedBodyError extends Error {}

/**
 * Decodes an `aws-chunked` body (`<hex size>[;chunk-signature=…]\r\n<bytes>\r\n … 0\r\n<trailers>\r\n\r\n`),
 * which the SDK sends for a streamed PutObject with a CRC32 trailer (probe, client-s3 3.1175).
 * The trailing checksum is not verified.
 */
export function decodeAwsChunked(body: Buffer): Buffer {
  const parts: Buffer[] = [];
  let pos = 0;
  for (;;) {
    const eol = body.indexOf('\r\n', pos);
    if (eol < 0) throw new ChunkedBodyError('aws-chunked body: missing chunk header');
    const header = body.toString('latin1', pos, eol);
    const size = Number.parseInt(header.split(';')[0] ?? '', 16);
    if (!Number.isFinite(size) || size < 0) throw new ChunkedBodyError(`aws-chunked body: bad chunk size "${header}"`);
    pos = eol + 2;
    if (size === 0) return Buffer.concat(parts);
    if (pos + size > body.length) throw new ChunkedBodyError('aws-chunked body: chunk runs past the end of the body');
    parts.push(body.subarray(pos, pos + size));
    pos += size + 2;
  }
}

const xmlEscape = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export function sendXml(res: ServerResponse, status: number, xml: string, headers: Record<string, string> = {}): void {
  const payload = Buffer.from(`<?xml version="1.0" encoding="UTF-8"?>\n${xml}`, 'utf8');
  res.writeHead(status, { 'content-type': 'application/xml', 'content-length': String(payload.length), ...headers });
  res.end(payload);
}

/** S3's error document; the SDK reads the exception name from `Code`. */
export function sendS3Error(res: ServerResponse, status: number, code: string, message: string, requestId: string, headers: Record<string, string> = {}): void {
  sendXml(res, status, `<Error><Code>${xmlEscape(code)}</Code><Message>${xmlEscape(message)}</Message><RequestId>${requestId}</RequestId></Error>`, {
    'x-amz-request-id': requestId,
    ...headers,
  });
}

export interface ListPage {
  keys: string[];
  nextContinuationToken: string | null;
}

/** One ListObjectsV2 page: `continuation-token` is the last key of the previous page, base64url-encoded. */
export function listPage(allKeys: readonly string[], continuationToken: string | null, startAfter: string | null, maxKeys: number): ListPage {
  const after = continuationToken !== null ? Buffer.from(continuationToken, 'base64url').toString('utf8') : startAfter;
  const from = after === null ? 0 : allKeys.findIndex((k) => Buffer.compare(Buffer.from(k), Buffer.from(after)) > 0);
  const rest = from < 0 ? [] : allKeys.slice(from);
  const keys = rest.slice(0, maxKeys);
  const truncated = rest.length > keys.length;
  const last = keys[keys.length - 1];
  return { keys, nextContinuationToken: truncated && last !== undefined ? Buffer.from(last, 'utf8').toString('base64url') : null };
}

export function listObjectsV2Xml(
  bucket: string,
  prefix: string,
  page: ListPage,
  store: S3Store,
  maxKeys: number,
  continuationToken: string | null,
): string {
  const contents = page.keys
    .map((key) => {
      const o = store.get(bucket, key);
      if (!o) return '';
      return `<Contents><Key>${xmlEscape(key)}</Key><LastModified>${new Date(o.lastModifiedMs).toISOString()}</LastModified><ETag>${xmlEscape(o.etag)}</ETag><Size>${o.data.length}</Size><StorageClass>STANDARD</StorageClass></Contents>`;
    })
    .join('');
  const token = continuationToken === null ? '' : `<ContinuationToken>${xmlEscape(continuationToken)}</ContinuationToken>`;
  const next = page.nextContinuationToken === null ? '' : `<NextContinuationToken>${page.nextContinuationToken}</NextContinuationToken>`;
  return (
    `<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>${xmlEscape(bucket)}</Name><Prefix>${xmlEscape(prefix)}</Prefix>` +
    `${token}<KeyCount>${page.keys.length}</KeyCount><MaxKeys>${maxKeys}</MaxKeys><IsTruncated>${page.nextContinuationToken !== null}</IsTruncated>${next}${contents}</ListBucketResult>`
  );
}

/** `s3://bucket/key` → its parts; null for anything else. */
export function parseS3Uri(uri: string): { bucket: string; key: string } | null {
  const m = /^s3:\/\/([^/]+)\/?(.*)$/.exec(uri);
  if (!m?.[1]) return null;
  return { bucket: m[1], key: m[2] ?? '' };
}
