import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MAX_NESTING_DEPTH, findDuplicateKey, structureProblem } from '../../src/core/jsonStructure';
import { seededRandom } from '../support/seededRandom';

const problemOf = (text: string) => structureProblem(text, JSON.parse(text) as object);
const nestedObjects = (levels: number) => `${'{"a":'.repeat(levels)}1${'}'.repeat(levels)}`;
/** An object holding `levels - 1` arrays inside each other: `levels` levels in all. */
const nestedArrays = (levels: number) => `{"a":${'['.repeat(levels - 1)}${']'.repeat(levels - 1)}}`;

describe('structureProblem: nesting', () => {
  it('accepts a line exactly MAX_NESTING_DEPTH levels deep and refuses one level more', () => {
    assert.equal(problemOf(nestedObjects(MAX_NESTING_DEPTH)), undefined);
    assert.equal(problemOf(nestedArrays(MAX_NESTING_DEPTH)), undefined);
    const refused = 'nested more than 1,000 levels deep (objects and arrays inside each other)';
    assert.equal(problemOf(nestedObjects(MAX_NESTING_DEPTH + 1)), refused);
    assert.equal(problemOf(nestedArrays(MAX_NESTING_DEPTH + 1)), refused);
  });

  it('refuses the 10,000-level line of the issue without overflowing the stack', () => {
    assert.match(problemOf(nestedObjects(10_000)) ?? '', /^nested more than/);
    assert.match(problemOf(nestedArrays(100_000)) ?? '', /^nested more than/);
  });
});

describe('structureProblem: duplicate keys', () => {
  it('names the repeated field by its path, at any depth', () => {
    assert.equal(findDuplicateKey('{"custom_id":"a","custom_id":"b"}'), 'custom_id');
    assert.equal(findDuplicateKey('{"body":{"messages":[{"role":"user"},{"role":"user","role":"system"}]}}'), 'body.messages.1.role');
    assert.equal(findDuplicateKey('[[1,2],[{"x":1,"x":2}]]'), '1.0.x');
    assert.match(problemOf('{"a":1,"b":{"c":2,"c":3}}') ?? '', /^field "b\.c" appears twice in one object/);
  });

  it('sees a key written with escapes as the same key, and whitespace before the colon', () => {
    assert.equal(findDuplicateKey('{"model":"a","mo\\u0064el":"b"}'), 'model');
    assert.equal(findDuplicateKey('{ "a" : 1 ,\t"a"\r\n: 2 }'), 'a');
  });

  it('does not take text inside strings, or the same key in different objects, for a duplicate', () => {
    for (const text of [
      '{"a":{"x":1},"b":{"x":2},"c":[{"x":3},{"x":4}]}',
      '{"prompt":"{\\"k\\": 1, \\"k\\": 2}","note":"time: 12:30"}',
      // An escaped backslash before a quote ends the string: `\\"` then `:` is a real key's colon.
      '{"a\\\\":1,"b":"\\\\\\":x"}',
      '{"":1,"\\"":2}',
    ]) {
      assert.equal(findDuplicateKey(text), undefined, text);
      assert.equal(problemOf(text), undefined, text);
    }
  });

  const seed = 20_251_202;
  it(`finds a duplicate exactly when one was written, in random documents (seed ${seed})`, () => {
    const random = seededRandom(seed);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
    const keys = ['a', 'b', 'c', 'model', 'a:b', '"q"', 'x\\y', 'é'];
    const strings = ['plain', 'with: colon', '{"a": 1, "a": 2}', 'back\\slash"quote', ''];
    // A random value as JSON text; `inject` adds one repeated key somewhere when asked.
    const write = (depth: number, state: { inject: boolean }): string => {
      const roll = random();
      if (depth > 4 || roll < 0.3) return roll < 0.15 ? JSON.stringify(pick(strings)) : String(Math.floor(random() * 100));
      if (roll < 0.5) return `[${Array.from({ length: Math.floor(random() * 4) }, () => write(depth + 1, state)).join(', ')}]`;
      const names = [...new Set(Array.from({ length: 1 + Math.floor(random() * 4) }, () => pick(keys)))];
      const members = names.map((name) => `${JSON.stringify(name)}${random() < 0.2 ? ' : ' : ':'}${write(depth + 1, state)}`);
      if (state.inject && random() < 0.3) {
        state.inject = false;
        members.push(`${JSON.stringify(pick(names))}:${write(depth + 1, state)}`);
      }
      return `{${members.join(',')}}`;
    };
    let withDuplicate = 0;
    let without = 0;
    for (let round = 0; round < 2_000; round++) {
      const state = { inject: random() < 0.5 };
      const wanted = state.inject;
      const text = write(0, state);
      const injected = wanted && !state.inject;
      const parsed: unknown = JSON.parse(text);
      if (parsed === null || typeof parsed !== 'object') continue;
      const problem = structureProblem(text, parsed);
      assert.equal(problem !== undefined, injected, `seed ${seed}, round ${round}: ${text}`);
      if (injected) withDuplicate++;
      else without++;
    }
    assert.ok(withDuplicate > 100 && without > 100, `seed ${seed}: ${withDuplicate} documents with a duplicate, ${without} without`);
  });
});
