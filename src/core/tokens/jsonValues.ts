// Reading request JSON without trusting its shape: typed accessors that answer undefined instead
// of throwing, and a walk over every string leaf. Every token counter runs on arbitrary valid JSON,
// once per line, so none of these may throw or allocate more than it must.

export type JsonRecord = Record<string, unknown>;

export function isRecord(value: unknown): value is JsonRecord {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function asRecord(value: unknown): JsonRecord | undefined {
  return isRecord(value) ? value : undefined;
}

export function asString(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

export function asArray(value: unknown): readonly unknown[] | undefined {
  return Array.isArray(value) ? value : undefined;
}

/** Reads the first of several keys, so camelCase and snake_case spellings both work. */
export function pick(record: JsonRecord | undefined, ...keys: string[]): unknown {
  if (record === undefined) return undefined;
  for (const key of keys) {
    const value = record[key];
    if (value !== undefined) return value;
  }
  return undefined;
}

const BASE64_LIKE = /^[A-Za-z0-9+/=\r\n]+$/;

/** Media payloads inside a text walk: inline data URLs and long base64 runs are not text. */
function isBinaryPayload(text: string): boolean {
  return text.startsWith('data:') || (text.length >= 256 && BASE64_LIKE.test(text));
}

/** Calls `visit` for every string leaf, skipping base64 payloads; returns whether any was skipped. */
export function forEachTextLeaf(value: unknown, visit: (text: string) => void, depth = 0): boolean {
  if (depth > 64) return false;
  if (typeof value === 'string') {
    if (isBinaryPayload(value)) return true;
    visit(value);
    return false;
  }
  let skipped = false;
  if (Array.isArray(value)) {
    for (const item of value) skipped = forEachTextLeaf(item, visit, depth + 1) || skipped;
  } else if (isRecord(value)) {
    for (const key in value) skipped = forEachTextLeaf(value[key], visit, depth + 1) || skipped;
  }
  return skipped;
}

export function jsonText(value: unknown): string {
  try {
    return JSON.stringify(value) ?? '';
  } catch {
    return '';
  }
}
