// A job's results as a notebook shows them: rows in input order (what was asked, what came back,
// the state and cost), filtered by state and text, and the failures grouped by class. Reads page by
// page from the index and the result files, so a million-item job costs only the rows it shows.
import { requestPreview } from '../../core/requestPreview';
import { readItemLines } from '../../engine/batchInputs';
import { exportResults } from '../../engine/exportResults';
import type { ResultRecord } from '../../engine/exportResults';
import type { ResultLineParser } from '../../providers/resultParsers';
import { OUTPUT_TEXT_LIMIT } from '../../shared/notebookOutputs';
import type { ResultRow } from '../../shared/notebookOutputs';
import type { WorkspaceStore } from '../../store/workspaceStore';
import { SourceLines } from './sourceLines';

export interface RowFilter {
  readonly states?: readonly string[] | undefined;
  /** Case-insensitive text the input or the output must contain. */
  readonly search?: string | undefined;
  readonly limit: number;
}

export interface RowsPage {
  readonly rows: ResultRow[];
  /** Every item the filter matched, not only the rows returned. */
  readonly matched: number;
}

/** The first `filter.limit` matching rows and how many matched in all. */
export async function resultRows(store: WorkspaceStore, jobId: string, parse: ResultLineParser, filter: RowFilter): Promise<RowsPage> {
  const rows: ResultRow[] = [];
  let matched = 0;
  for await (const row of allRows(store, jobId, parse, filter.states)) {
    if (!matches(row, filter.search)) continue;
    matched++;
    if (rows.length < filter.limit) rows.push(row);
    // Unfiltered, the count is the job's item count: no need to read every answer.
    else if (!filter.search && !filter.states?.length) return { rows, matched: Object.values(store.index.countsByState(jobId)).reduce((sum, n) => sum + n, 0) };
  }
  return { rows, matched };
}

/** Every row of the job in input order (for export): the full texts, not cut. */
export async function* allRows(store: WorkspaceStore, jobId: string, parse: ResultLineParser, states?: readonly string[], textLimit = OUTPUT_TEXT_LIMIT): AsyncGenerator<ResultRow> {
  const wanted = states && states.length > 0 ? new Set(states) : undefined;
  const job = store.index.job(jobId);
  const source = job ? new SourceLines(job) : undefined;
  for await (const record of exportResults(store, jobId, parse)) {
    if (wanted && !wanted.has(record.state)) continue;
    yield await rowOf(store, jobId, record, textLimit, source);
  }
}

/** Failure classes of the job's failed and dead-lettered items, most frequent first, with one example message each. */
export function failureClasses(store: WorkspaceStore, jobId: string): { failureClass: string; count: number; example: string }[] {
  const classes = new Map<string, { count: number; example: string }>();
  for (let afterLine = 0; ; ) {
    const page = store.index.items(jobId, { states: ['failed', 'dead_letter'], afterLine, limit: 2_000 });
    if (page.length === 0) break;
    for (const item of page) {
      const name = item.failureClass ?? 'unclassified';
      const entry = classes.get(name) ?? { count: 0, example: clip(item.failureMessage ?? item.failureCode ?? '', OUTPUT_TEXT_LIMIT) };
      entry.count++;
      classes.set(name, entry);
    }
    afterLine = page[page.length - 1]?.line ?? Infinity;
  }
  return [...classes].map(([failureClass, entry]) => ({ failureClass, ...entry })).sort((a, b) => b.count - a.count || a.failureClass.localeCompare(b.failureClass));
}

/**
 * What an item asked (its last user text), from the exact line sent: a duplicate reads its
 * twin's; an item never sent (its answer came from the cache) reads its source line, when given
 * the job's source file read in line order.
 */
export async function inputTextOf(store: WorkspaceStore, jobId: string, id: string, textLimit = OUTPUT_TEXT_LIMIT, sourceLines?: SourceLines): Promise<string> {
  const item = store.index.item(jobId, id);
  const sent = item?.inputFile ? item : item?.twin ? store.index.item(jobId, item.twin) : undefined;
  const line = sent ? (await readItemLines(store, [sent])).get(sent.id)?.toString('utf8') : item && sourceLines ? await sourceLines.line(item.line) : undefined;
  return line ? requestPreview(line, textLimit) : '';
}

async function rowOf(store: WorkspaceStore, jobId: string, record: ResultRecord, textLimit: number, source: SourceLines | undefined): Promise<ResultRow> {
  const failure = record.failure?.message ?? record.failure?.code ?? record.failure?.class ?? '';
  return {
    id: record.custom_id,
    line: record.line,
    state: record.state,
    input: await inputTextOf(store, jobId, record.custom_id, textLimit, source),
    output: clip(record.content ?? (record.failure ? failure : ''), textLimit),
    cost: record.cost,
    ...(record.failure?.class ? { failureClass: record.failure.class } : {}),
  };
}

function matches(row: ResultRow, search: string | undefined): boolean {
  if (search === undefined || search === '') return true;
  const needle = search.toLowerCase();
  return row.input.toLowerCase().includes(needle) || row.output.toLowerCase().includes(needle) || row.id.toLowerCase().includes(needle);
}

function clip(text: string, limit: number): string {
  return text.length <= limit ? text : `${text.slice(0, limit - 1)}…`;
}
