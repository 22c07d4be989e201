// Two requests are the same work when they send the same body to the same provider and model,
// whatever their ids and key order. The hash of that canonical form is what dedup, the result
// cache and the planner's chunk ids are built on.
import { createHash } from 'node:crypto';

/** JSON with object keys sorted at every depth; arrays keep their order (it is meaningful). */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record)
    .filter((key) => record[key] !== undefined)
    .sort();
  return `{${keys.map((key) => `${JSON.stringify(key)}:${canonicalJson(record[key])}`).join(',')}}`;
}

/**
 * SHA-256 over provider, model and the canonical request. The model is passed separately (and
 * should be left out of `request`) so a `--model` override and a model named in the body hash alike.
 */
export function requestHash(provider: string, model: string, request: unknown): Uint8Array {
  const digest = createHash('sha256').update(provider).update('\n').update(model).update('\n').update(canonicalJson(request)).digest();
  // A copy of exactly 32 bytes: a Buffer may view a shared pool, which a worker would clone whole.
  return new Uint8Array(digest);
}

export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}
