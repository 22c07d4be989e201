// Small node:http helpers: bounded body reading and OpenAI-shaped JSON/error responses.

import type { ServerResponse } from 'node:http';
import type { HeaderMap } from '../shared/http';
import { randomId } from './fakeModel';
import type { ModelError } from './fakeModel';

export { BodyTooLargeError, readBody } from '../shared/http';
export type { HeaderMap } from '../shared/http';

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
