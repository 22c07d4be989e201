// The `.llmbatch` file: YAML a person can read and review in git. Each cell's source is a block
// literal (kept byte for byte), and each code cell keeps only `savedOutput()` of its last output,
// so a run leaves a small diff. Pure: the serializer in src/host reads and writes the bytes.
import { Document, isMap, isScalar, isSeq, LineCounter, parseDocument, Scalar, parse as parseYaml, stringify } from 'yaml';
import type { Node, Pair, YAMLMap } from 'yaml';
import { cellOutputSchema, savedOutput } from '../../shared/notebookOutputs';
import type { CellOutput } from '../../shared/notebookOutputs';

export interface NotebookFileCell {
  readonly kind: 'markdown' | 'code';
  readonly source: string;
  /** The cell's last output (a CellOutput from src/shared/notebookOutputs.ts), validated on read; dropped if invalid. */
  readonly output?: CellOutput | undefined;
}

export interface NotebookFileData {
  readonly cells: readonly NotebookFileCell[];
}

/** The file format this code writes and the newest it reads. */
export const NOTEBOOK_FILE_VERSION = 1;

const HEADER = '# LLM Batch notebook: open it in VS Code with the LLM Batch Runner extension.';
/** Outputs are folded at this width; sources never are. */
const LINE_WIDTH = 100;
const CELL_KEYS = new Set(['markdown', 'code', 'output']);

/**
 * Reads a notebook file. Empty text is a new notebook (no cells). A file that is not one throws
 * an Error naming the file and the line ("tickets.llmbatch line 7: …"); an output that does not
 * validate is dropped (the store holds the truth, the file only a summary).
 */
export function parseNotebookFile(text: string, fileName: string): NotebookFileData {
  if (text.trim() === '') return { cells: [] };
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  const lineOf = (offset: number | undefined): number => lineCounter.linePos(offset ?? 0).line;
  const fail = (offset: number | undefined, what: string): never => {
    throw new Error(`${fileName} line ${lineOf(offset)}: ${what}`);
  };
  const [syntax] = doc.errors;
  if (syntax) fail(syntax.pos[0], `not valid YAML: ${firstLine(syntax.message)}`);

  const root = doc.contents;
  if (root === null || (isScalar(root) && root.value === null)) return { cells: [] };
  if (!isMap(root)) return fail(root.range?.[0], 'a notebook is a YAML mapping with `llmbatch: 1` and `cells:`');

  const version = root.get('llmbatch', true);
  if (version !== undefined) {
    const value = isScalar(version) ? version.value : undefined;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) fail(version.range?.[0], '`llmbatch` must be the format version, a whole number such as 1');
    else if (value > NOTEBOOK_FILE_VERSION) {
      fail(version.range?.[0], `written in notebook format ${value} by a newer LLM Batch Runner; this version reads format ${NOTEBOOK_FILE_VERSION} (update the extension)`);
    }
  }
  for (const pair of root.items) {
    const key = keyOf(pair);
    if (key !== 'llmbatch' && key !== 'cells') fail(nodeStart(pair.key), `unknown key ${JSON.stringify(key)} (a notebook has llmbatch and cells)`);
  }

  const cellsNode = root.get('cells', true);
  if (cellsNode === undefined || (isScalar(cellsNode) && cellsNode.value === null)) return { cells: [] };
  if (!isSeq(cellsNode)) return fail(cellsNode.range?.[0], '`cells` must be a list of cells');

  const cells: NotebookFileCell[] = [];
  for (const item of cellsNode.items) {
    const start = nodeStart(item);
    if (!isMap(item)) return fail(start, 'a cell is a mapping with `markdown:` or `code:` (and an optional `output:`)');
    cells.push(readCell(item, doc, (offset, what) => fail(offset ?? start, what)));
  }
  return { cells };
}

function readCell(item: YAMLMap, doc: Document.Parsed, fail: (offset: number | undefined, what: string) => never): NotebookFileCell {
  for (const pair of item.items) {
    const key = keyOf(pair);
    if (!CELL_KEYS.has(key)) fail(nodeStart(pair.key), `unknown key ${JSON.stringify(key)} in a cell (a cell has markdown or code, and output)`);
  }
  const hasMarkdown = item.has('markdown');
  const hasCode = item.has('code');
  if (hasMarkdown === hasCode) {
    fail(nodeStart(item), hasMarkdown ? 'a cell is either markdown or code, not both' : 'a cell that is neither markdown nor code (expected `markdown:` or `code:`)');
  }
  const kind = hasMarkdown ? 'markdown' : 'code';
  const sourceNode = item.get(kind, true);
  const source = isScalar(sourceNode) ? sourceNode.value : undefined;
  if (source !== null && typeof source !== 'string') fail(nodeStart(sourceNode) ?? nodeStart(item), `the ${kind} cell's source must be text (a block starting with |)`);
  const cell: NotebookFileCell = { kind, source: typeof source === 'string' ? source : '' };
  if (kind !== 'code' || !item.has('output')) return cell;
  const outputNode = item.get('output', true);
  const output = cellOutputSchema.safeParse(outputNode?.toJS(doc));
  return output.success ? { ...cell, output: output.data } : cell;
}

/**
 * Writes a notebook file: same data, same bytes. Sources are block literals (or, for the few
 * texts a literal cannot hold exactly, one double-quoted line); outputs are `savedOutput()`.
 */
export function serializeNotebookFile(data: NotebookFileData): string {
  const lines = [HEADER, `llmbatch: ${NOTEBOOK_FILE_VERSION}`];
  if (data.cells.length === 0) lines.push('cells: []');
  else lines.push('cells:');
  for (const cell of data.cells) {
    const source = sourceYaml(cell.kind, cell.source);
    lines.push(...indentLines(source, '  - ', '    '));
    if (cell.kind === 'code' && cell.output !== undefined) {
      const output = stringify({ output: savedOutput(cell.output) }, { lineWidth: LINE_WIDTH, minContentWidth: 40, indent: 2, aliasDuplicateObjects: false });
      lines.push(...indentLines(output, '    ', '    '));
    }
  }
  return `${lines.join('\n')}\n`;
}

/** `markdown: |` and the source as a block literal, checked to read back as exactly the same text. */
function sourceYaml(kind: NotebookFileCell['kind'], source: string): string {
  if (source !== '') {
    const literal = withScalarType(kind, source, Scalar.BLOCK_LITERAL);
    if (readsBackAs(literal, kind, source)) return literal;
  }
  // An empty source, CRLF line ends, a whitespace-only last line…: one quoted line, never folded.
  return withScalarType(kind, source, Scalar.QUOTE_DOUBLE);
}

function withScalarType(kind: string, source: string, type: Scalar.Type): string {
  const doc = new Document({ [kind]: source });
  const value = (doc.contents as YAMLMap<unknown, Scalar>).items[0]?.value;
  if (value) value.type = type;
  return doc.toString({ lineWidth: 0 });
}

function readsBackAs(text: string, kind: string, source: string): boolean {
  try {
    return (parseYaml(text) as Record<string, unknown>)[kind] === source;
  } catch {
    return false;
  }
}

/** The text's lines (without its final newline), the first with `first` before it, the rest with `rest`. */
function indentLines(text: string, first: string, rest: string): string[] {
  const body = text.endsWith('\n') ? text.slice(0, -1) : text;
  // An empty line inside a block literal stays empty: indenting it would add spaces to the text
  // only where the literal keeps them, so leave it as it is (YAML reads it the same).
  return body.split('\n').map((line, index) => (index === 0 ? first + line : line === '' ? '' : rest + line));
}

function keyOf(pair: Pair): string {
  return isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
}

function nodeStart(node: unknown): number | undefined {
  return (node as Node | null | undefined)?.range?.[0];
}

function firstLine(message: string): string {
  return message.split('\n')[0] ?? message;
}
