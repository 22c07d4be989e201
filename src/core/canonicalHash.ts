// Two requests are the same work when they send the same body to the same provider and model,
// whatever their ids and key order. The hash of that canonical form is what dedup, the result
// cache and the planner's chunk ids are built on.
import { hash } from 'node:crypto';

/** ES2024's String.prototype.isWellFormed: in Node 20, but not in this project's ES2022 typings. */
const stringIsWellFormed = Reflect.get(String.prototype, 'isWellFormed') as (this: string) => boolean;

/** False for a string with a lone surrogate, which UTF-8 cannot carry (it becomes U+FFFD). */
export function isWellFormed(text: string): boolean {
  return stringIsWellFormed.call(text);
}

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
 * The canonical form that is hashed: the same equivalence as canonicalJson (keys sorted, undefined
 * members left out, numbers as JSON writes them), in an encoding that needs no escaping, so that
 * the long strings of a request are concatenated as they are instead of being re-escaped. That is
 * two to three times faster than canonicalJson on chat requests, where escaping prose dominated.
 *
 * Every value encodes to a self-delimiting string, so the encoding is injective: `n` null, `t`/`f`,
 * `d<number>;`, `s<length>:<string>` (length in UTF-16 units), `[…]` and `{key value …}` with keys
 * encoded as strings. A string with a lone surrogate is written `j<JSON>` instead, because UTF-8
 * (what is hashed) would turn every lone surrogate into the same U+FFFD.
 *
 * `omitKey` drops one key of the top-level object (the model, which is hashed on its own).
 */
export function canonicalKey(value: unknown, omitKey?: string): string {
  switch (typeof value) {
    case 'string':
      return isWellFormed(value) ? `s${value.length}:${value}` : `j${JSON.stringify(value)}`;
    case 'number':
      return `d${String(value)};`;
    case 'boolean':
      return value ? 't' : 'f';
    case 'object': {
      if (value === null) return 'n';
      if (Array.isArray(value)) {
        let out = '[';
        for (const item of value as unknown[]) out += item === undefined ? 'n' : canonicalKey(item);
        return `${out}]`;
      }
      const record = value as Record<string, unknown>;
      const keys = Object.keys(record);
      if (keys.length > 1) keys.sort();
      let out = '{';
      for (const key of keys) {
        const member = record[key];
        if (member === undefined || key === omitKey) continue;
        out += canonicalKey(key) + canonicalKey(member);
      }
      return `${out}}`;
    }
    default:
      // Not JSON (undefined, functions, symbols): JSON.stringify writes these as null in arrays.
      return 'n';
  }
}

/**
 * SHA-256 over provider, model and the canonical request: `{ url, body }` where the line names an
 * endpoint, else the body alone. The body's own `model` is left out and the model passed
 * separately, so a `--model` override and a model named in the body hash alike.
 */
export function requestHash(provider: string, model: string, url: string | undefined, body: Record<string, unknown>): Uint8Array {
  return new Uint8Array(Buffer.from(requestHashBinary(provider, model, url, body), 'latin1'));
}

/**
 * requestHash as a string of 32 latin1 characters, one per byte: the per-line form. A Buffer
 * result costs a backing store per call, which was more than the hashing of a short request.
 */
export function requestHashBinary(provider: string, model: string, url: string | undefined, body: Record<string, unknown>): string {
  // Keys sorted as canonicalKey sorts them: "body" < "url".
  const request = url === undefined ? canonicalKey(body, 'model') : `{s4:body${canonicalKey(body, 'model')}s3:url${canonicalKey(url)}}`;
  return hash('sha256', `${provider}\n${model}\n${request}`, 'binary');
}

export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}
