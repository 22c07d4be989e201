// Results in input order, one record per source item with its final state. A duplicate reports
// its twin's answer and a cached item the earlier job's, so every line of the file gets one.
import type { ResultLineParser } from '../providers/resultParsers';
import type { ItemRow } from '../store/stateIndex';
import type { WorkspaceStore } from '../store/workspaceStore';
import { readResultLine } from './batchInputs';

export interface ResultRecord {
  readonly custom_id: string;
  readonly line: number;
  readonly state: string;
  readonly content?: string | undefined;
  readonly duplicate_of?: string | undefined;
  readonly failure?: { readonly class: string | null; readonly code: string | null; readonly message: string | null } | undefined;
  readonly tokens_in: number;
  readonly tokens_out: number;
  readonly cost: number;
}

const PAGE = 5_000;

export async function* exportResults(store: WorkspaceStore, jobId: string, parse: ResultLineParser): AsyncGenerator<ResultRecord> {
  for (let afterLine = 0; ; ) {
    const page = store.index.items(jobId, { afterLine, limit: PAGE });
    if (page.length === 0) return;
    for (const item of page) yield await resultOf(store, jobId, item, parse);
    afterLine = page[page.length - 1]?.line ?? Infinity;
  }
}

async function resultOf(store: WorkspaceStore, jobId: string, item: ItemRow, parse: ResultLineParser): Promise<ResultRecord> {
  const source = item.state === 'deduped' && item.twin ? (store.index.item(jobId, item.twin) ?? item) : item;
  const succeeded = source.state === 'succeeded' || source.state === 'cached';
  let content: string | undefined;
  if (succeeded && source.resultFile !== null && source.resultOffset !== null && source.resultLength !== null) {
    const outcome = parse(await readResultLine(store, source.resultFile, source.resultOffset, source.resultLength));
    content = outcome?.ok ? outcome.content : undefined;
  }
  return {
    custom_id: item.id,
    line: item.line,
    state: item.state === 'deduped' ? source.state : item.state,
    content,
    duplicate_of: item.state === 'deduped' ? (item.twin ?? undefined) : undefined,
    failure: succeeded ? undefined : { class: source.failureClass, code: source.failureCode, message: source.failureMessage },
    tokens_in: item.tokensIn,
    tokens_out: item.tokensOut,
    cost: item.cost,
  };
}

const CSV_COLUMNS = ['custom_id', 'line', 'state', 'content', 'duplicate_of', 'failure_class', 'failure_code', 'failure_message', 'tokens_in', 'tokens_out', 'cost'] as const;

export function csvHeader(): string {
  return `${CSV_COLUMNS.join(',')}\n`;
}

export function csvRow(record: ResultRecord): string {
  const values = [
    record.custom_id,
    record.line,
    record.state,
    record.content,
    record.duplicate_of,
    record.failure?.class,
    record.failure?.code,
    record.failure?.message,
    record.tokens_in,
    record.tokens_out,
    record.cost,
  ];
  return `${values.map(csvCell).join(',')}\n`;
}

function csvCell(value: string | number | null | undefined): string {
  if (value === null || value === undefined) return '';
  // Model output opened in a spreadsheet must stay text, never become a formula.
  const text = typeof value === 'string' && /^[=+\-@\t\r]/.test(value) ? `'${value}` : String(value);
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}
