// What every provider's emulator shares about content: JSON types, the canonical request key
// (so a `[[fail-once:…]]` marker fails the same request once whatever client re-serialised it),
// the content markers read from a prompt, the fake answer text, and cheap random ids.
// Markers (the last user message, batch and sync alike): `[[fail:CODE]]` every time,
// `[[fail-once:CODE]]` the first attempt per request, `[[empty]]` → "", `[[not-json]]` → text
// that starts like JSON but is not.

import { createHash, randomBytes } from 'node:crypto';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export const isJsonObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

export type Marker = { kind: 'fail' | 'fail-once'; code: string } | { kind: 'empty' } | { kind: 'not-json' };

const MARKER_RE = /\[\[(fail|fail-once):([A-Za-z0-9_.-]+)\]\]|\[\[(empty|not-json)\]\]/g;

/** Finds content markers; a failure marker wins over a content-shaping one, whatever the order. */
export function findMarker(text: string): Marker | null {
  if (!text.includes('[[')) return null;
  let shaping: Marker | null = null;
  for (const m of text.matchAll(MARKER_RE)) {
    const failKind = m[1];
    const code = m[2];
    if ((failKind === 'fail' || failKind === 'fail-once') && code !== undefined) return { kind: failKind, code };
    if (shaping === null && (m[3] === 'empty' || m[3] === 'not-json')) shaping = { kind: m[3] };
  }
  return shaping;
}

/** Keys sorted at every level, so "the same request" survives a client re-serialising the body. */
export function canonicalJson(v: Json): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const keys = Object.keys(v).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(v[k] ?? null)}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

export const requestKey = (body: JsonObject): string => createHash('sha256').update(canonicalJson(body)).digest('hex');

// randomBytes costs ~5 µs a call, which dominated a 10,000-item batch (four ids per item); drawing
// from a 64 KiB pool makes ids nearly free while keeping them unguessable and collision-free.
let idPool = Buffer.alloc(0);
let idPoolPos = 0;

export function randomId(prefix: string, bytes = 12): string {
  if (idPoolPos + bytes > idPool.length) {
    idPool = randomBytes(64 * 1024);
    idPoolPos = 0;
  }
  const hex = idPool.toString('hex', idPoolPos, idPoolPos + bytes);
  idPoolPos += bytes;
  return `${prefix}${hex}`;
}

/** The deterministic answer text every emulator gives for a prompt (see the markers above). */
export function fakeAnswerText(lastUser: string, options: { wantsJson: boolean; empty: boolean; nonJson: boolean }): string {
  const echo = Array.from(lastUser.slice(0, 120)).slice(0, 60).join('');
  if (options.empty) return '';
  // Unterminated on purpose: it starts like JSON so a lenient parser cannot rescue it.
  if (options.nonJson) return `Sure! Here is the JSON you asked for: {"echo": ${JSON.stringify(echo)}`;
  if (options.wantsJson) return JSON.stringify({ echo, length: lastUser.length });
  return `Echo: ${echo}`;
}

/** About four characters a token, at least one: the emulators' token count. */
export const fakeTokens = (chars: number): number => Math.max(1, Math.ceil(chars / 4));

/**
 * A request body as a JSON object; null when it is not JSON or not an object. Google's routes
 * read an empty body as `{}` (`emptyBody: 'object'`); the others refuse it.
 */
export function parseJsonObject(body: Buffer, emptyBody: 'invalid' | 'object' = 'invalid'): JsonObject | null {
  const text = body.toString('utf8');
  try {
    const parsed: unknown = JSON.parse(text === '' && emptyBody === 'object' ? '{}' : text);
    return isJsonObject(parsed) ? parsed : null;
  } catch {
    return null;
  }
}
