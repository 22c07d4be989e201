// A notebook's results cell: a filter and projection over a job's results for reading, and an
// export of every matching item (full texts, the same records as `llm-batch results`), written to
// a temporary name and renamed, so a half-written export never sits under the name asked for.
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { once } from 'node:events';
import path from 'node:path';
import { csvHeader, csvRow, exportResults } from '../../engine/exportResults';
import type { ResultRecord } from '../../engine/exportResults';
import type { ResultLineParser } from '../../providers/resultParsers';
import type { ResultsOutput } from '../../shared/notebookOutputs';
import type { WorkspaceStore } from '../../store/workspaceStore';
import { inputTextOf, resultRows } from './resultRows';

export interface ResultsQuery {
  readonly jobId: string;
  readonly states?: readonly string[] | undefined;
  readonly search?: string | undefined;
  readonly columns?: readonly string[] | undefined;
  readonly limit: number;
  /** Where to write every matching item (.jsonl or .csv), absolute. */
  readonly exportTo?: string | undefined;
}

const ALL_COLUMNS = ['id', 'line', 'state', 'input', 'output', 'cost', 'failure'];

export async function runResultsCell(store: WorkspaceStore, parse: ResultLineParser, query: ResultsQuery, displayBase: string): Promise<ResultsOutput> {
  if (!store.index.job(query.jobId)) throw new Error(`there is no job ${query.jobId} in this workspace`);
  const { rows, matched } = await resultRows(store, query.jobId, parse, { states: query.states, search: query.search, limit: query.limit });
  const output: ResultsOutput = { kind: 'results', jobId: query.jobId, matched, columns: [...(query.columns ?? ALL_COLUMNS)], rows };
  if (query.exportTo === undefined) return output;
  const written = await exportMatching(store, parse, query, query.exportTo);
  return { ...output, exported: `${written} item${written === 1 ? '' : 's'} → ${path.relative(displayBase, query.exportTo) || query.exportTo}` };
}

async function exportMatching(store: WorkspaceStore, parse: ResultLineParser, query: ResultsQuery, target: string): Promise<number> {
  const csv = target.endsWith('.csv');
  const temporary = `${target}.tmp`;
  const out = createWriteStream(temporary);
  const write = async (text: string) => {
    if (!out.write(text)) await once(out, 'drain');
  };
  const wanted = query.states && query.states.length > 0 ? new Set(query.states) : undefined;
  let written = 0;
  try {
    if (csv) await write(csvHeader());
    for await (const record of exportResults(store, query.jobId, parse)) {
      if (wanted && !wanted.has(record.state)) continue;
      if (!(await matchesText(store, query.jobId, record, query.search))) continue;
      await write(csv ? csvRow(record) : `${JSON.stringify(record)}\n`);
      written++;
    }
    out.end();
    await once(out, 'finish');
    await rename(temporary, target);
  } catch (error) {
    out.destroy();
    await rm(temporary, { force: true });
    throw error;
  }
  return written;
}

/** The same test as the rows shown: the id, the input or the output contains the text. */
async function matchesText(store: WorkspaceStore, jobId: string, record: ResultRecord, search: string | undefined): Promise<boolean> {
  if (!search) return true;
  const needle = search.toLowerCase();
  const has = (text: string) => text.toLowerCase().includes(needle);
  if ([record.custom_id, record.content ?? '', record.failure?.message ?? ''].some(has)) return true;
  return has(await inputTextOf(store, jobId, record.custom_id, Infinity));
}
