// `llm-batch notebook <file.llmbatch>`: runs a notebook's code cells top to bottom, headless, as
// the VS Code notebook does (the same runNotebookCell and submit service): builds the requests,
// tries and submits after a confirmation (or --yes), follows each job to its end, reads results,
// and writes each cell's output summary back into the file, so the document records its run.
// Ctrl-C stops following (the job goes on); running it again attaches to the same jobs.
import { readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { formatDollars } from '../core/budget';
import { parseNotebookFile, serializeNotebookFile } from '../core/notebook/notebookFile';
import type { NotebookFileCell } from '../core/notebook/notebookFile';
import { DEFAULT_OUTPUT_BUFFER } from '../core/tokens';
import { DEFAULT_ENGINE_CONFIG } from '../engine/engineConfig';
import { cellSucceeded, InvalidCell, runNotebookCell } from '../app/notebook/runCell';
import type { JobCellPorts } from '../app/notebook/jobCellRunner';
import { resultParserFor } from '../providers/resultParsers';
import type { CellOutput } from '../shared/notebookOutputs';
import { BUDGET_OPTIONS, PROVIDER_SETTING_OPTIONS, budgetCaps, openEngine, parseCommand, parseProvider, settingsFromFlags, writeJson } from './cliOptions';
import { confirm } from './confirm';
import { UsageError } from './usageError';
import { count } from '../shared/wording';

export async function runNotebook(args: string[]): Promise<number> {
  const { values, positionals } = parseCommand(args, {
    provider: { type: 'string' },
    yes: { type: 'boolean', default: false },
    ...BUDGET_OPTIONS,
    ...PROVIDER_SETTING_OPTIONS,
  });
  const [file, ...extra] = positionals;
  if (file === undefined || extra.length > 0 || !file.endsWith('.llmbatch')) throw new UsageError('notebook takes exactly one .llmbatch file');
  const notebookPath = path.resolve(file);
  const notebook = parseNotebookFile(await readFile(notebookPath, 'utf8'), path.basename(file));
  const session = await openEngine(values, 'llm-batch notebook', budgetCaps(values));
  const abort = new AbortController();
  const stop = () => abort.abort(new Error('interrupted'));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  const say = (text: string) => {
    if (!values.json) process.stderr.write(`${text}\n`);
  };
  const cells: NotebookFileCell[] = [...notebook.cells];
  let failed = false;
  let shown = '';
  try {
    const ports: JobCellPorts = {
      service: session.service,
      parserFor: resultParserFor,
      settingsFor: () => settingsFromFlags(values),
      defaults: {
        provider: parseProvider(values.provider) ?? 'openai',
        outputBuffer: DEFAULT_OUTPUT_BUFFER,
        failureAlertRate: DEFAULT_ENGINE_CONFIG.failureAlertRate,
        // Every spend is confirmed, unless --yes said so up front.
        confirmAbove: 0,
        trySize: 5,
      },
      confirm: async (question, detail) => values.yes || (await confirm(`${question}\n${detail} [y/N] `)),
      show: (output) => {
        // A following shows the same headline many times: print it when it changes.
        const line = `  ${headlineOf(output)}`;
        if (line !== shown) say(line);
        shown = line;
      },
      // This process drives the jobs it follows: a step of each, then the engine's own pause.
      changed: async (signal) => {
        for (const job of session.engine.drivableJobs()) await session.engine.step(job.id, signal).catch(() => undefined);
        await new Promise((resolve) => setTimeout(resolve, Math.min(DEFAULT_ENGINE_CONFIG.pollInitialMs, 2_000)));
      },
      kick: () => undefined,
    };
    for (const [index, cell] of cells.entries()) {
      if (cell.kind !== 'code' || abort.signal.aborted) continue;
      say(`cell ${index + 1}:`);
      const above = cells.slice(0, index).map((c) => ({ source: c.kind === 'code' ? c.source : undefined, output: c.output }));
      try {
        const output = await runNotebookCell(ports, { source: cell.source, baseDir: path.dirname(notebookPath), above, previous: cell.output, signal: abort.signal });
        cells[index] = { ...cell, output };
        say(detailOf(output));
        if (!cellSucceeded(output)) failed = true;
      } catch (error) {
        if (!(error instanceof InvalidCell) && !abort.signal.aborted) throw error;
        say(`  ${(error as Error).message}`);
        failed = true;
      }
      if (failed) break;
    }
    // The document records its run: ids and figures, written whole or not at all.
    const temporary = `${notebookPath}.tmp`;
    await writeFile(temporary, serializeNotebookFile({ cells }));
    await rename(temporary, notebookPath);
    if (values.json) writeJson({ notebook: notebookPath, cells: cells.map((cell) => cell.output ?? null), ok: !failed });
    return failed || abort.signal.aborted ? 1 : 0;
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    await session.store.close();
  }
}

function headlineOf(output: CellOutput): string {
  switch (output.kind) {
    case 'requests':
      return `built ${output.count} requests → ${output.file}`;
    case 'job':
      return output.headline;
    case 'results':
      return `${output.matched} matched in ${output.jobId}`;
  }
}

function detailOf(output: CellOutput): string {
  if (output.kind !== 'job') return `  ${headlineOf(output)}${output.kind === 'results' && output.exported ? `; exported ${output.exported}` : ''}`;
  const lines = [`  ${output.headline}`, ...output.notes.map((note) => `  ${note}`)];
  if (output.trial) lines.push(`  tried ${count(output.trial.count, 'item')} for ${formatDollars(output.trial.spent)} (${output.trial.jobId})`);
  if (output.progress) {
    const counts = Object.entries(output.progress.counts).map(([state, n]) => `${state} ${n}`);
    lines.push(`  ${output.jobId ?? ''}: ${counts.join(', ')}; spent ${formatDollars(output.progress.spent)} of about ${formatDollars(output.progress.estimate)}`);
  }
  return lines.join('\n');
}
