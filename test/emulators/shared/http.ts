// node:http helpers every emulator uses: a bounded body reader, a JSON response and a download a fault may cut.

import type { IncomingMessage, ServerResponse } from 'node:http';

export class BodyTooLargeError extends Error {}

/**
 * Collects the request body. Chunks are concatenated once at the end, so a 200 MB upload costs
 * one copy rather than the quadratic cost of growing a buffer chunk by chunk.
 */
export function readBody(req: IncomingMessage, limitBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on('data', (chunk: Buffer) => {
      if (failed) return;
      size += chunk.length;
      if (size > limitBytes) {
        failed = true;
        reject(new BodyTooLargeError(`request body exceeds ${limitBytes} bytes`));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (!failed) resolve(chunks.length === 1 && chunks[0] ? chunks[0] : Buffer.concat(chunks, size));
    });
    req.on('error', (err) => {
      if (!failed) {
        failed = true;
        reject(err);
      }
    });
    // A client that hangs up mid-upload never sends 'end'; settle so the handler can finish.
    req.on('close', () => {
      if (!failed && !req.complete) {
        failed = true;
        reject(new Error('client closed the connection before the body was complete'));
      }
    });
  });
}

export type HeaderMap = Record<string, string>;

/** A JSON response with its length; `headers` add to or replace the defaults. */
export function sendJsonBody(res: ServerResponse, status: number, body: unknown, headers: HeaderMap = {}): void {
  const payload = Buffer.from(JSON.stringify(body), 'utf8');
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': String(payload.length), ...headers });
  res.end(payload);
}

/**
 * Sends a download, or cuts it mid-line for the `truncateDownload` fault. `'short'`: a
 * well-formed response of the first half. `'abort'`: the full Content-Length is promised, half is
 * sent, then the socket is destroyed, so the client's body reader rejects.
 */
export function sendDownload(res: ServerResponse, data: Buffer, truncate: 'abort' | 'short' | 'none', headers: HeaderMap): void {
  if (truncate === 'none') {
    res.writeHead(200, { ...headers, 'content-length': String(data.length) });
    res.end(data);
    return;
  }
  // Cut mid-line: if the midpoint falls just after a newline, move one byte further in.
  let half = Math.floor(data.length / 2);
  if (data[half - 1] === 0x0a && half < data.length - 1) half += 1;
  const head = data.subarray(0, half);
  if (truncate === 'short') {
    res.writeHead(200, { ...headers, 'content-length': String(half) });
    res.end(head);
    return;
  }
  res.writeHead(200, { ...headers, 'content-length': String(data.length) });
  res.write(head, () => res.destroy());
}

/** The non-empty, percent-decoded segments of a path; null when one of them does not decode. */
export function pathSegments(path: string): string[] | null {
  try {
    return path.split('/').filter((s) => s !== '').map(decodeURIComponent);
  } catch {
    return null;
  }
}
