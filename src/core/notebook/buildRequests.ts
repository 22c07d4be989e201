// A requests cell's work: stream a dataset (CSV with a header row, or JSONL of objects), render
// the prompt templates for each row, and write one portable chat request per row (the OpenAI
// batch line every provider's converter takes). The dataset is never held in memory; the file is
// written to `<out>.tmp` and renamed, so a crash never leaves half a requests file under its name.
// Same dataset and cell, same bytes and SHA-256: an unchanged cell yields an unchanged job key.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { CsvError, parse as parseCsv } from 'csv-parse';
import { isBlank, readLines } from '../jsonlReader';
import { DEFAULT_ID_TEMPLATE } from './cellSchemas';
import type { RequestsCell } from './cellSchemas';
import { missingPlaceholderMessage, missingPlaceholders, placeholdersOf, renderTemplate, ROW_PLACEHOLDER } from './promptTemplate';

export interface BuildOptions {
  /** The notebook's folder: the cell's paths are relative to it. */
  readonly baseDir: string;
  readonly signal?: AbortSignal | undefined;
  /** Data rows read so far (every PROGRESS_EVERY rows, and at the end). */
  readonly onProgress?: ((rows: number) => void) | undefined;
}

export interface BuiltRequests {
  /** The requests file, absolute. */
  readonly file: string;
  readonly count: number;
  /** Rows that made no request, with why (the first SKIPPED_LISTED of them; `skippedCount` has all). */
  readonly skipped: { row: number; message: string }[];
  readonly skippedCount: number;
  /** The first SAMPLE_SIZE requests: id and rendered user prompt. */
  readonly sample: { id: string; text: string }[];
  /** SHA-256 of the file's bytes, hex. */
  readonly sha256: string;
}

export const SAMPLE_SIZE = 3;
export const SKIPPED_LISTED = 100;
const PROGRESS_EVERY = 1000;
/** Lines are gathered into writes of about this many bytes. */
const WRITE_BYTES = 256 * 1024;

/** One data row: its 1-based number among data rows, where it is in the file, and its values as text. */
interface DataRow {
  readonly number: number;
  readonly where: string;
  readonly values: Readonly<Record<string, string>>;
}

/** The default requests file of a dataset: `<stem>.requests.jsonl` beside it. */
export function defaultRequestsPath(dataset: string): string {
  const parsed = path.parse(dataset);
  return path.join(parsed.dir, `${parsed.name}.requests.jsonl`);
}

export async function buildRequests(cell: RequestsCell, options: BuildOptions): Promise<BuiltRequests> {
  const dataset = path.resolve(options.baseDir, cell.dataset);
  const file = cell.out !== undefined ? path.resolve(options.baseDir, cell.out) : defaultRequestsPath(dataset);
  if (file === dataset) throw new Error(`${cell.dataset}: the requests would overwrite the dataset; choose another \`out\``);
  const idTemplate = cell.id ?? DEFAULT_ID_TEMPLATE;
  const templates = [cell.prompt, cell.system, idTemplate];
  const used = new Set(templates.flatMap((template) => (template === undefined ? [] : placeholdersOf(template))));
  used.delete(ROW_PLACEHOLDER);
  const name = path.basename(dataset);
  const checkColumns = (columns: readonly string[]): void => {
    const missing = missingPlaceholders(templates, columns);
    if (missing.length > 0) throw new Error(`${name}: ${missingPlaceholderMessage(missing, columns, name)}`);
  };

  const rows = /\.csv$/i.test(dataset) ? csvRows(dataset, name, checkColumns) : jsonlRows(dataset, name, checkColumns);
  const ids = new DuplicateIds(idTemplate);
  const skipped: { row: number; message: string }[] = [];
  let skippedCount = 0;
  const sample: { id: string; text: string }[] = [];
  let count = 0;
  let read = 0;

  await mkdir(path.dirname(file), { recursive: true });
  const temporary = `${file}.tmp`;
  const output = await open(temporary, 'w');
  const writer = new ChunkWriter(output);
  try {
    for await (const row of rows) {
      options.signal?.throwIfAborted();
      read++;
      if (read % PROGRESS_EVERY === 0) options.onProgress?.(read);
      const empty = [...used].find((column) => (row.values[column] ?? '').trim() === '');
      if (empty !== undefined) {
        skippedCount++;
        if (skipped.length < SKIPPED_LISTED) {
          const why = row.values[empty] === undefined ? `has no ${JSON.stringify(empty)}` : `{{${empty}}} is empty`;
          skipped.push({ row: row.number, message: `${row.where}: ${why}` });
        }
      } else {
        const id = renderTemplate(idTemplate, row.values, row.number);
        ids.check(id, row);
        const text = renderTemplate(cell.prompt, row.values, row.number);
        const system = cell.system === undefined ? undefined : renderTemplate(cell.system, row.values, row.number);
        await writer.write(`${JSON.stringify(chatRequest(cell, id, system, text))}\n`);
        if (sample.length < SAMPLE_SIZE) sample.push({ id, text });
        count++;
      }
      if (cell.limit !== undefined && read >= cell.limit) break;
    }
    const sha256 = await writer.finish();
    await output.sync();
    await output.close();
    await rename(temporary, file);
    options.onProgress?.(read);
    return { file, count, skipped, skippedCount, sample, sha256 };
  } catch (error) {
    await output.close().catch(() => undefined);
    await rm(temporary, { force: true });
    throw error;
  } finally {
    // Stops the reading when the loop ended early (a limit, an error).
    await rows.return(undefined);
  }
}

/** The portable chat request of one row: an OpenAI batch line, keys always in this order. */
function chatRequest(cell: RequestsCell, id: string, system: string | undefined, text: string): Record<string, unknown> {
  const messages = [...(system === undefined ? [] : [{ role: 'system', content: system }]), { role: 'user', content: text }];
  const body: Record<string, unknown> = { model: cell.model, messages };
  // max_completion_tokens: the field OpenAI's current models take (max_tokens is refused by its
  // reasoning models); every portable converter reads it as the output bound.
  if (cell.max_tokens !== undefined) body['max_completion_tokens'] = cell.max_tokens;
  if (cell.temperature !== undefined) body['temperature'] = cell.temperature;
  if (cell.output_schema !== undefined) {
    body['response_format'] = { type: 'json_schema', json_schema: { name: 'output', schema: cell.output_schema, strict: true } };
  }
  return { custom_id: id, method: 'POST', url: '/v1/chat/completions', body };
}

async function* csvRows(file: string, name: string, checkColumns: (columns: readonly string[]) => void): AsyncGenerator<DataRow> {
  const input = createReadStream(file);
  const parser = parseCsv({
    bom: true,
    skip_empty_lines: true,
    // The header is checked before any row is read: a template naming no column fails the cell at once.
    columns: (header: string[]) => {
      const columns = header.map((column) => String(column));
      const seen = new Set<string>();
      for (const column of columns) {
        if (column.trim() === '') throw new Error(`${name} line 1: the header row has an empty column name`);
        if (seen.has(column)) throw new Error(`${name} line 1: the header row names the column ${JSON.stringify(column)} twice`);
        seen.add(column);
      }
      checkColumns(columns);
      return columns;
    },
  });
  input.on('error', (error) => parser.destroy(error));
  input.pipe(parser);
  let number = 0;
  try {
    // Rows, not lines, name a record: csv-parse's line count drifts after a quoted CRLF.
    for await (const record of parser as AsyncIterable<Record<string, string>>) {
      number++;
      yield { number, where: `${name} row ${number}`, values: record };
    }
  } catch (error) {
    if (error instanceof CsvError) throw new Error(`${name} line ${String(error['lines'] ?? '?')}: ${error.message}`);
    throw error;
  } finally {
    input.destroy();
    parser.destroy();
  }
}

async function* jsonlRows(file: string, name: string, checkColumns: (columns: readonly string[]) => void): AsyncGenerator<DataRow> {
  const input = createReadStream(file);
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let number = 0;
  try {
    for await (const line of readLines(input)) {
      if (isBlank(line.bytes)) continue;
      const where = `${name} line ${line.number}`;
      let value: unknown;
      try {
        value = JSON.parse(decoder.decode(line.bytes));
      } catch (error) {
        throw new Error(`${where}: not valid JSON (${error instanceof Error ? error.message : String(error)})`, { cause: error });
      }
      if (value === null || typeof value !== 'object' || Array.isArray(value)) {
        throw new Error(`${where}: each line of a dataset must be a JSON object (with the template's fields), got ${Array.isArray(value) ? 'a list' : JSON.stringify(value)}`);
      }
      const values = textValues(value as Record<string, unknown>);
      number++;
      // The first object stands for the header: a template field it lacks is most likely a typo.
      if (number === 1) checkColumns(Object.keys(values));
      yield { number, where: `${name} row ${number} (line ${line.number})`, values };
    }
  } finally {
    input.destroy();
  }
}

/** A JSON object's values as the text a template inserts: strings as they are, the rest as JSON. */
function textValues(object: Record<string, unknown>): Record<string, string> {
  const values: Record<string, string> = {};
  for (const [key, value] of Object.entries(object)) {
    values[key] = typeof value === 'string' ? value : value === null ? '' : JSON.stringify(value);
  }
  return values;
}

/**
 * Refuses a custom_id seen before, naming both rows. An id template whose only placeholder is
 * {{_row}} (the default) makes distinct ids by construction, so a million rows keep no table.
 */
class DuplicateIds {
  private readonly seen: Map<string, string> | undefined;

  constructor(template: string) {
    const placeholders = placeholdersOf(template);
    const rowOnly = placeholders.length === 1 && placeholders[0] === ROW_PLACEHOLDER && template.match(/\{\{/g)?.length === 1;
    this.seen = rowOnly ? undefined : new Map();
  }

  check(id: string, row: DataRow): void {
    if (!this.seen) return;
    const first = this.seen.get(id);
    if (first !== undefined) {
      throw new Error(`${row.where} has the custom_id ${JSON.stringify(id)}, like ${first}: ids must be unique (change \`id\`, e.g. add {{${ROW_PLACEHOLDER}}})`);
    }
    this.seen.set(id, row.where);
  }
}

/** Gathers lines into large writes and hashes exactly the bytes written. */
class ChunkWriter {
  private readonly hash = createHash('sha256');
  private pending: string[] = [];
  private pendingBytes = 0;

  constructor(private readonly handle: FileHandle) {}

  async write(text: string): Promise<void> {
    this.pending.push(text);
    this.pendingBytes += text.length;
    if (this.pendingBytes >= WRITE_BYTES) await this.flush();
  }

  async finish(): Promise<string> {
    await this.flush();
    return this.hash.digest('hex');
  }

  private async flush(): Promise<void> {
    if (this.pending.length === 0) return;
    const bytes = Buffer.from(this.pending.join(''), 'utf8');
    this.pending = [];
    this.pendingBytes = 0;
    this.hash.update(bytes);
    // writeFile writes all of it (a plain write may stop short), from where the last one ended.
    await this.handle.writeFile(bytes);
  }
}
