// Small node:http helpers: bounded body reading and OpenAI-shaped JSON/error responses.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomId } from './fakeModel';
import type { ModelError } from './fakeModel';

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

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: HeaderMap = {}): void {
  const payload = Buffer.from(JSON.stringify(body), 'utf8');
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': String(payload.length),
    // The SDK surfaces this as err.requestID / response._request_id (spec §1.5).
    'x-request-id': randomId('req_', 16),
    ...headers,
  });
  res.end(payload);
}

export function sendError(
  res: ServerResponse,
  status: number,
  message: string,
  type: string,
  param: string | null = null,
  code: string | null = null,
  headers: HeaderMap = {},
): void {
  sendJson(res, status, { error: { message, type, param, code } }, headers);
}

export function sendModelError(res: ServerResponse, error: ModelError, headers: HeaderMap = {}): void {
  sendJson(res, error.status, error.body, headers);
}
