// One code cell read with positions: YAML syntax errors and schema problems, each pointing at the
// node it is about and worded for people ("`try` must be a whole number from 1 to 100"), for the
// editor's diagnostics and the controller's error output. Also the cheap reads the editor needs
// while typing: the cell's kind, and the keys it may hold (from the JSON schema).
import { isMap, isScalar, LineCounter, parseDocument } from 'yaml';
import type { Document, Node, YAMLMap } from 'yaml';
import type { z } from 'zod';
import { CELL_KINDS, CELL_SCHEMAS, cellJsonSchema, FIELD_RULES, KIND_DESCRIPTIONS } from './cellSchemas';
import type { CellConfig, CellKind } from './cellSchemas';

/** A problem in a cell, 0-based like the editor's positions. */
export interface CellProblem {
  readonly message: string;
  readonly line: number;
  readonly column: number;
  readonly endLine: number;
  readonly endColumn: number;
}

export type ParsedCell = { readonly ok: true; readonly cell: CellConfig } | { readonly ok: false; readonly problems: CellProblem[] };

export interface CellCompletion {
  readonly key: string;
  readonly description: string;
  /** A VS Code snippet (`key: ${1|a,b|}`), when the key has a value worth prefilling. */
  readonly snippet?: string | undefined;
}

const KIND_LIST = 'requests, job or results';

export function parseCell(source: string): ParsedCell {
  const lineCounter = new LineCounter();
  const doc = parseDocument(source, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const at = (range: readonly [number, number] | undefined, message: string): CellProblem => problemAt(lineCounter, source, range, message);

  if (doc.errors.length > 0) {
    return { ok: false, problems: doc.errors.map((error) => at(error.pos, `YAML: ${firstLine(error.message)}`)) };
  }
  const root = doc.contents;
  if (!isMap(root)) {
    return { ok: false, problems: [at(rangeOf(root), `a code cell is a YAML mapping starting with \`kind:\` (${KIND_LIST})`)] };
  }
  const kindNode = root.get('kind', true);
  const kind: unknown = isScalar(kindNode) ? kindNode.value : undefined;
  if (kindNode === undefined) {
    return { ok: false, problems: [at(undefined, `\`kind\` is missing: start the cell with \`kind: requests\`, \`kind: job\` or \`kind: results\``)] };
  }
  if (!isCellKind(kind)) return { ok: false, problems: [at(rangeOf(kindNode), `\`kind\` must be ${KIND_LIST}`)] };

  const result = CELL_SCHEMAS[kind].safeParse(doc.toJS());
  if (result.success) return { ok: true, cell: result.data };
  const problems = result.error.issues.flatMap((issue) => describeIssue(kind, issue, doc, root).map(({ range, message }) => at(range, message)));
  return { ok: false, problems };
}

/** The cell's kind without parsing the whole cell (for completions while typing), or undefined. */
export function cellKindOf(source: string): CellKind | undefined {
  const match = /^kind[ \t]*:[ \t]*["']?([A-Za-z_]+)["']?[ \t]*(?:#.*)?$/m.exec(source);
  const value = match?.[1];
  return isCellKind(value) ? value : undefined;
}

/** The keys a cell of `kind` may hold, or the `kind:` lines when the cell has no kind yet. */
export function completionsFor(kind: CellKind | undefined): CellCompletion[] {
  if (kind === undefined) {
    return CELL_KINDS.map((each) => ({ key: `kind: ${each}`, description: KIND_DESCRIPTIONS[each], snippet: kindSnippet(each) }));
  }
  const variant = jsonSchemaOf(kind);
  const properties = (variant['properties'] ?? {}) as Record<string, JsonSchemaNode>;
  return Object.entries(properties)
    .filter(([key]) => key !== 'kind')
    .map(([key, property]) => ({ key, description: property.description ?? '', snippet: valueSnippet(key, property) }));
}

/** The description of `key` in a cell of `kind` (for hovers), or undefined for an unknown key. */
export function describeKey(kind: CellKind | undefined, key: string): string | undefined {
  if (key === 'kind') return kind ? `kind: ${kind}: ${KIND_DESCRIPTIONS[kind]}` : `The cell's kind: ${KIND_LIST}.`;
  if (kind === undefined) return undefined;
  return completionsFor(kind).find((completion) => completion.key === key)?.description;
}

interface JsonSchemaNode {
  readonly description?: string;
  readonly type?: string;
  readonly enum?: readonly string[];
  readonly items?: JsonSchemaNode;
  readonly default?: unknown;
}

let variants: Map<CellKind, Record<string, unknown>> | undefined;

function jsonSchemaOf(kind: CellKind): Record<string, unknown> {
  if (!variants) {
    variants = new Map();
    for (const variant of (cellJsonSchema()['oneOf'] ?? []) as Record<string, unknown>[]) {
      const properties = variant['properties'] as Record<string, { const?: unknown }> | undefined;
      const value = properties?.['kind']?.const;
      if (isCellKind(value)) variants.set(value, variant);
    }
  }
  return variants.get(kind) ?? {};
}

function kindSnippet(kind: CellKind): string {
  switch (kind) {
    case 'requests':
      return 'kind: requests\ndataset: ${1:data.csv}\nmodel: ${2:gpt-4o-mini}\nprompt: |\n  ${3:Classify: {{text\\}\\}}\n';
    case 'job':
      return 'kind: job\nmode: ${1|batch,sync|}\n';
    case 'results':
      return 'kind: results\nlimit: ${1:20}\n';
  }
}

function valueSnippet(key: string, property: JsonSchemaNode): string | undefined {
  if (property.enum) return `${key}: \${1|${property.enum.join(',')}|}`;
  if (property.type === 'array' && property.items?.enum) return `${key}: [\${1|${property.items.enum.join(',')}|}]`;
  if (property.type === 'object') return `${key}:\n  $0`;
  if (key === 'prompt' || key === 'system') return `${key}: |\n  $0`;
  return undefined;
}

type Located = { range: readonly [number, number] | undefined; message: string };

function describeIssue(kind: CellKind, issue: z.core.$ZodIssue, doc: Document, root: YAMLMap): Located[] {
  const path = issue.path.filter((part): part is string | number => typeof part !== 'symbol');
  const name = path.filter((part) => typeof part === 'string').join('.');
  const node = path.length > 0 ? (doc.getIn(path, true) as Node | undefined) : undefined;

  if (issue.code === 'unrecognized_keys') {
    const parent = path.length > 0 ? doc.getIn(path, true) : root;
    const allowed = allowedKeys(kind, path);
    return issue.keys.map((key) => {
      const closest = closestKey(key, allowed);
      const hint = closest ? `did you mean \`${closest}\`? ` : '';
      return { range: isMap(parent) ? keyRange(parent, key) : rangeOf(node), message: `unknown key \`${key}\`: ${hint}allowed are ${allowed.join(', ')}` };
    });
  }
  // zod leaves the input out of its issues, so "missing" is asked of the document.
  const parent = path.length > 1 ? doc.getIn(path.slice(0, -1), true) : root;
  const last = path[path.length - 1];
  if (issue.code === 'invalid_type' && isMap(parent) && last !== undefined && !parent.has(last)) {
    // Pointed at the mapping's first key (`kind`, for a top-level field): where the field belongs.
    const first = parent.items[0]?.key as Node | undefined;
    return [{ range: rangeOf(first) ?? rangeOf(parent), message: `\`${name}\` is missing: it must be ${ruleFor(kind, name) ?? 'given'}` }];
  }
  const rule = ruleFor(kind, name);
  const message = rule ? `\`${name}\` must be ${rule}` : `\`${name || 'the cell'}\`: ${issue.message}`;
  const range = rangeOf(node);
  // An empty value (`budget:`) has an empty range: point at its key instead.
  return [{ range: range && range[1] > range[0] ? range : keyRangeOf(doc, path) ?? range, message }];
}

function ruleFor(kind: CellKind, name: string): string | undefined {
  const rules = FIELD_RULES[kind];
  // A list's element (`states.1`) is judged by the list's rule.
  return rules[name] ?? rules[name.split('.')[0] ?? ''];
}

function allowedKeys(kind: CellKind, path: readonly (string | number)[]): string[] {
  let shape = CELL_SCHEMAS[kind].shape as Record<string, z.ZodType>;
  for (const part of path) {
    let field = shape[String(part)];
    while (field && 'unwrap' in field && typeof field.unwrap === 'function') field = field.unwrap() as z.ZodType;
    if (!field || !('shape' in field)) return [];
    shape = field.shape as Record<string, z.ZodType>;
  }
  return Object.keys(shape);
}

/** The allowed key a typo most likely meant: at most two edits away (or a third of its length). */
function closestKey(key: string, allowed: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of allowed) {
    const distance = editDistance(key.toLowerCase(), candidate);
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best !== undefined && bestDistance <= Math.max(2, Math.floor(key.length / 3)) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + cost));
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

function keyRange(map: YAMLMap, key: string): readonly [number, number] | undefined {
  for (const pair of map.items) {
    if (isScalar(pair.key) && pair.key.value === key) return rangeOf(pair.key);
  }
  return undefined;
}

/** For a path whose node has no range (a null value), the key that holds it. */
function keyRangeOf(doc: Document, path: readonly (string | number)[]): readonly [number, number] | undefined {
  const last = path[path.length - 1];
  const parent = path.length > 1 ? doc.getIn(path.slice(0, -1), true) : doc.contents;
  return isMap(parent) && typeof last === 'string' ? keyRange(parent, last) : undefined;
}

function rangeOf(node: Node | null | undefined): readonly [number, number] | undefined {
  const range = node?.range;
  return range ? [range[0], range[1]] : undefined;
}

function problemAt(lineCounter: LineCounter, source: string, range: readonly [number, number] | undefined, message: string): CellProblem {
  if (!range) {
    // Nothing to point at: the first line, all of it.
    const firstLineLength = source.split('\n')[0]?.replace(/\r$/, '').length ?? 0;
    return { message, line: 0, column: 0, endLine: 0, endColumn: firstLineLength };
  }
  const start = lineCounter.linePos(range[0]);
  const end = lineCounter.linePos(Math.max(range[0], range[1]));
  return { message, line: start.line - 1, column: start.col - 1, endLine: end.line - 1, endColumn: end.col - 1 };
}

function isCellKind(value: unknown): value is CellKind {
  return typeof value === 'string' && (CELL_KINDS as readonly string[]).includes(value);
}

function firstLine(message: string): string {
  return message.split('\n')[0] ?? message;
}
