// What JSON.parse accepts but a batch line must not hold: nesting so deep that the recursive
// walks after it (canonical hashing, token counting, an SDK's JSON.stringify on a sync call)
// overflow the stack and abort the whole estimate, and a key given twice in one object, of which
// JSON.parse silently keeps the last while another reader may keep the first, so the request we
// price would not be the one the provider reads.
//
// Both are found by one bounded walk of the parsed value that also counts its keys, and one pass
// over the text's colons (indexOf, so about one step per colon). Every key in the text ends with
// a quote followed by a colon, with or without whitespace between. When no colon follows
// whitespace, each key's colon directly follows its quote, so the colons that follow a quote
// are the keys plus any inside strings (after an escaped quote): if there are no more of them
// than the parsed value has keys, no key was lost to a duplicate. Only otherwise (JSON quoted
// inside a string, `"key" : value` spacing, or a real duplicate) is the text scanned for the
// duplicate itself, which costs several times more.

/**
 * Deepest nesting a line may have, counting the line's own object as level 1. Python's json
 * module (behind many of the APIs we send to) gives up near 1,000 levels, real requests stay
 * within a few dozen (structured-output schemas are capped at 10 levels of objects), and at this
 * depth every recursive walk here has a wide margin on a worker thread's stack.
 */
export const MAX_NESTING_DEPTH = 1000;

const TOO_DEEP = -1;

/** Why the line's structure is refused, or undefined when it is fine. `value` is `JSON.parse(text)`. */
export function structureProblem(text: string, value: object): string | undefined {
  const keys = countKeys(value, 1);
  if (keys === TOO_DEEP) return `nested more than ${MAX_NESTING_DEPTH.toLocaleString('en-US')} levels deep (objects and arrays inside each other)`;
  if (!mayHoldMoreKeysThan(text, keys)) return undefined;
  const duplicate = findDuplicateKey(text);
  if (duplicate === undefined) return undefined;
  return `field "${duplicate}" appears twice in one object; JSON readers differ on which value they keep, so remove one`;
}

/** Keys of every object in `value`, or TOO_DEEP once it nests past MAX_NESTING_DEPTH. */
function countKeys(value: object, depth: number): number {
  if (depth > MAX_NESTING_DEPTH) return TOO_DEEP;
  let keys = 0;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      if (item === null || typeof item !== 'object') continue;
      const inner = countKeys(item, depth + 1);
      if (inner === TOO_DEEP) return TOO_DEEP;
      keys += inner;
    }
    return keys;
  }
  const record = value as Record<string, unknown>;
  for (const key in record) {
    keys++;
    const member = record[key];
    if (member === null || typeof member !== 'object') continue;
    const inner = countKeys(member, depth + 1);
    if (inner === TOO_DEEP) return TOO_DEEP;
    keys += inner;
  }
  return keys;
}

/**
 * False when the text certainly holds no more than `count` keys: no colon follows whitespace,
 * and no more than `count` colons follow a quote. Stops as soon as it knows.
 */
function mayHoldMoreKeysThan(text: string, count: number): boolean {
  let afterQuote = 0;
  for (let at = text.indexOf(':'); at !== -1; at = text.indexOf(':', at + 1)) {
    const before = text.charCodeAt(at - 1);
    if (before === QUOTE) {
      if (++afterQuote > count) return true;
    } else if (isJsonSpace(before)) {
      return true;
    }
  }
  return false;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;
const COMMA = 0x2c;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;

interface Container {
  /** The object's keys so far; undefined for an array. */
  readonly keys: Set<string> | undefined;
  /** The object's current key, or the array's current index: this container's step in a path. */
  step: string | number;
}

/**
 * The dotted path (as zod writes paths: `body.messages.0.role`) of the first key that repeats
 * within one object, in a text that JSON.parse accepted. Strings are skipped with indexOf, so
 * the scan costs about one step per token rather than per character.
 */
export function findDuplicateKey(text: string): string | undefined {
  const open: Container[] = [];
  let i = 0;
  while (i < text.length) {
    const code = text.charCodeAt(i);
    if (code === QUOTE) {
      const end = closingQuote(text, i);
      let next = end + 1;
      while (isJsonSpace(text.charCodeAt(next))) next++;
      const container = open[open.length - 1];
      if (text.charCodeAt(next) === COLON && container?.keys) {
        const quoted = text.slice(i, end + 1);
        // Escapes are decoded, so "a" and "\u0061" are the same key, as every reader sees them.
        const key = quoted.includes('\\') ? (JSON.parse(quoted) as string) : quoted.slice(1, -1);
        if (container.keys.has(key)) return [...open.slice(0, -1).map((c) => c.step), key].join('.');
        container.keys.add(key);
        container.step = key;
        i = next + 1;
        continue;
      }
      i = end + 1;
      continue;
    }
    if (code === OPEN_OBJECT) open.push({ keys: new Set(), step: '' });
    else if (code === OPEN_ARRAY) open.push({ keys: undefined, step: 0 });
    else if (code === CLOSE_OBJECT || code === CLOSE_ARRAY) open.pop();
    else if (code === COMMA) {
      const container = open[open.length - 1];
      if (container && !container.keys) container.step = (container.step as number) + 1;
    }
    i++;
  }
  return undefined;
}

/** Index of the quote that closes the string opening at `start`: the first not escaped by an odd run of backslashes. */
function closingQuote(text: string, start: number): number {
  let at = text.indexOf('"', start + 1);
  while (at !== -1) {
    let backslashes = 0;
    while (text.charCodeAt(at - 1 - backslashes) === BACKSLASH) backslashes++;
    if (backslashes % 2 === 0) return at;
    at = text.indexOf('"', at + 1);
  }
  return text.length;
}

function isJsonSpace(code: number): boolean {
  return code === 0x20 || code === 0x09 || code === 0x0a || code === 0x0d;
}
