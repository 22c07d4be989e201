import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { canonicalJson, canonicalKey, requestHash, requestHashBinary, toHex } from '../../src/core/canonicalHash';
import { seededRandom } from '../support/seededRandom';

// Strings chosen to collide if the encoding were not self-delimiting or lost characters.
const STRINGS = ['', 's', 's1:', '}', ']', '{', '[', 'n', 'd1;', '"', '\\', '\n', 'é', '😀', '\ud800', '\udc00', 'a\u0000b', '10', '9', 'model'];
const NUMBERS = [0, -0, 1, 1.5, -2, 1e21, 1e-7, 123456789012, 0.1];

function randomValue(random: () => number, depth: number): unknown {
  const pick = random();
  if (depth > 3 || pick < 0.35) return STRINGS[Math.floor(random() * STRINGS.length)];
  if (pick < 0.5) return NUMBERS[Math.floor(random() * NUMBERS.length)];
  if (pick < 0.6) return [true, false, null][Math.floor(random() * 3)];
  if (pick < 0.8) return Array.from({ length: Math.floor(random() * 4) }, () => randomValue(random, depth + 1));
  const object: Record<string, unknown> = {};
  const keys = Math.floor(random() * 4);
  for (let i = 0; i < keys; i++) object[STRINGS[Math.floor(random() * STRINGS.length)] ?? ''] = randomValue(random, depth + 1);
  return object;
}

/** The same value with every object's keys inserted in a shuffled order. */
function reordered(value: unknown, random: () => number): unknown {
  if (Array.isArray(value)) return value.map((item) => reordered(item, random));
  if (value === null || typeof value !== 'object') return value;
  const entries = Object.entries(value);
  for (let i = entries.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [entries[i], entries[j]] = [entries[j] as [string, unknown], entries[i] as [string, unknown]];
  }
  return Object.fromEntries(entries.map(([key, item]) => [key, reordered(item, random)]));
}

describe('canonicalKey', () => {
  it('ignores key order at every depth', () => {
    const random = seededRandom(7);
    for (let i = 0; i < 2000; i++) {
      const value = randomValue(random, 0);
      assert.equal(canonicalKey(reordered(value, random)), canonicalKey(value));
    }
  });

  it('tells values apart exactly when canonical JSON does (the same duplicates as before)', () => {
    const random = seededRandom(11);
    const values = Array.from({ length: 3000 }, () => randomValue(random, 0));
    const byJson = new Map<string, string>();
    const byKey = new Map<string, string>();
    for (const value of values) {
      const json = canonicalJson(value);
      const key = canonicalKey(value);
      // Same JSON ⇔ same key: each map sends one to the other consistently.
      assert.equal(byJson.get(json) ?? key, key);
      assert.equal(byKey.get(key) ?? json, json);
      byJson.set(json, key);
      byKey.set(key, json);
    }
    // Both outcomes were exercised: many distinct values, and many equal ones.
    assert.ok(byJson.size > 300 && byJson.size < values.length, `${byJson.size} distinct of ${values.length}`);
  });

  it('keeps lone surrogates apart, which UTF-8 would merge into U+FFFD', () => {
    assert.notEqual(requestHashBinary('openai', 'm', undefined, { a: '\ud800' }), requestHashBinary('openai', 'm', undefined, { a: '\ud801' }));
  });

  it('leaves out undefined members and the top-level model only', () => {
    assert.equal(canonicalKey({ a: 1, b: undefined }), canonicalKey({ a: 1 }));
    assert.equal(canonicalKey({ model: 'x', a: { model: 'y' } }, 'model'), canonicalKey({ a: { model: 'y' } }));
  });
});

describe('requestHash', () => {
  it('depends on provider, model, url and body, not on the body’s own model or key order', () => {
    const body = { messages: [{ role: 'user', content: 'hi' }], max_completion_tokens: 5 };
    const base = toHex(requestHash('openai', 'gpt-4o', '/v1/chat/completions', body));
    assert.match(base, /^[0-9a-f]{64}$/);
    assert.equal(toHex(requestHash('openai', 'gpt-4o', '/v1/chat/completions', { max_completion_tokens: 5, model: 'other', messages: body.messages })), base);
    assert.notEqual(toHex(requestHash('azure', 'gpt-4o', '/v1/chat/completions', body)), base);
    assert.notEqual(toHex(requestHash('openai', 'gpt-4o-mini', '/v1/chat/completions', body)), base);
    assert.notEqual(toHex(requestHash('openai', 'gpt-4o', '/v1/responses', body)), base);
    assert.notEqual(toHex(requestHash('openai', 'gpt-4o', undefined, body)), base);
  });

  it('is the binary form as bytes', () => {
    const body = { input: 'x' };
    assert.equal(Buffer.from(requestHash('openai', 'm', undefined, body)).toString('latin1'), requestHashBinary('openai', 'm', undefined, body));
  });
});
