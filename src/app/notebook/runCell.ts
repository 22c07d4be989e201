// One code cell of a `.llmbatch` notebook, whoever runs it (the VS Code controller, the CLI, a
// test): a requests cell builds its JSONL, a job cell runs through jobCellRunner, a results cell
// reads a job's results. What a cell takes from the cells above it (the requests file, the job) is
// found here, the same way for every runner.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { buildRequests, defaultRequestsPath } from '../../core/notebook/buildRequests';
import { parseCell } from '../../core/notebook/cellDocument';
import type { CellConfig, RequestsCell } from '../../core/notebook/cellSchemas';
import type { ProviderId } from '../../core/providerLimits';
import type { CellOutput, JobOutput } from '../../shared/notebookOutputs';
import type { JobCellPorts } from './jobCellRunner';
import { runJobCell } from './jobCellRunner';
import { isFinalJob } from './jobFigures';
import { runResultsCell } from './resultsCell';

/** A cell above the one running: its source (markdown cells have none) and its last output. */
export interface CellAbove {
  readonly source?: string | undefined;
  readonly output?: CellOutput | undefined;
}

export interface CellRun {
  readonly source: string;
  /** The notebook's folder: a cell's paths are relative to it. */
  readonly baseDir: string;
  /** The cells above, top first. */
  readonly above: readonly CellAbove[];
  /** This cell's last output. */
  readonly previous?: CellOutput | undefined;
  readonly only?: 'try' | undefined;
  /** A job cell follows its job to the end (default), or returns once it is submitted (see JobCellRun.follow). */
  readonly follow?: boolean | undefined;
  readonly signal: AbortSignal;
}

/** A cell the user must fix: its problems with their lines, for the cell's output. */
export class InvalidCell extends Error {}

/** Runs the cell; every output along the way goes to `ports.show`; returns the last one. */
export async function runNotebookCell(ports: JobCellPorts, run: CellRun): Promise<CellOutput> {
  const parsed = parseCell(run.source);
  if (!parsed.ok) throw new InvalidCell(`This cell is not valid:\n${parsed.problems.map((p) => `line ${p.line + 1}: ${p.message}`).join('\n')}`);
  const config = parsed.cell;
  if (run.only === 'try' && config.kind !== 'job') throw new InvalidCell('Only a job cell can try sample items.');
  switch (config.kind) {
    case 'requests': {
      const built = await buildRequests(config, { baseDir: run.baseDir, signal: run.signal });
      const output: CellOutput = { kind: 'requests', file: path.relative(run.baseDir, built.file), count: built.count, skipped: built.skipped, sample: built.sample };
      ports.show(output);
      return output;
    }
    case 'job': {
      const inputFile = config.input !== undefined ? path.resolve(run.baseDir, config.input) : requestsFileAbove(run.above, run.baseDir);
      if (!existsSync(inputFile)) {
        const hint = config.input !== undefined ? 'check `input`' : 'run the requests cell above first, or name an `input`';
        throw new InvalidCell(`${path.relative(run.baseDir, inputFile) || inputFile} does not exist: ${hint}.`);
      }
      return runJobCell(ports, {
        options: { ...config, provider: config.provider as ProviderId | undefined },
        inputFile,
        previous: run.previous?.kind === 'job' ? run.previous : undefined,
        only: run.only,
        follow: run.follow,
        signal: run.signal,
      });
    }
    case 'results': {
      const jobId = config.job ?? jobIdAbove(run.above);
      if (!jobId) throw new InvalidCell('No job to read: run the job cell above first, or name a `job`.');
      let job = ports.service.store.index.job(jobId);
      if (!job) throw new InvalidCell(`There is no job ${jobId} in this workspace.`);
      // Results are read from a finished job: run top to bottom, this cell waits for the job above.
      while (!isFinalJob(job)) {
        await ports.changed(run.signal);
        if (run.signal.aborted) throw new InvalidCell(`Stopped waiting for ${jobId} to finish; the job goes on. Run this cell again to read its results.`);
        job = ports.service.store.index.job(jobId);
        if (!job) throw new InvalidCell(`There is no job ${jobId} in this workspace.`);
      }
      const output = await runResultsCell(
        ports.service.store,
        ports.parserFor(job.provider as ProviderId),
        {
          jobId,
          states: config.states,
          search: config.search,
          columns: config.columns,
          limit: config.limit,
          exportTo: config.export === undefined ? undefined : path.resolve(run.baseDir, config.export),
        },
        run.baseDir,
      );
      ports.show(output);
      return output;
    }
  }
}

/** Whether a cell's run ended as the user wanted (not refused, declined or blocked). */
export function cellSucceeded(output: CellOutput): boolean {
  return output.kind !== 'job' || !output.headline.startsWith('Not ');
}

/** The requests file the nearest requests cell above writes (its last output says where; else its config). */
function requestsFileAbove(above: readonly CellAbove[], baseDir: string): string {
  for (const cell of [...above].reverse()) {
    if (cell.output?.kind === 'requests') return path.resolve(baseDir, cell.output.file);
    const config = configOf(cell);
    if (config?.kind === 'requests') return requestsFileOf(config, baseDir);
  }
  throw new InvalidCell('There is no requests cell above this job cell: name an `input` file.');
}

function requestsFileOf(cell: RequestsCell, baseDir: string): string {
  return cell.out !== undefined ? path.resolve(baseDir, cell.out) : defaultRequestsPath(path.resolve(baseDir, cell.dataset));
}

/** The job of the nearest job cell above. */
function jobIdAbove(above: readonly CellAbove[]): string | undefined {
  for (const cell of [...above].reverse()) {
    const output: JobOutput | undefined = cell.output?.kind === 'job' ? cell.output : undefined;
    if (output?.jobId !== undefined) return output.jobId;
  }
  return undefined;
}

function configOf(cell: CellAbove): CellConfig | undefined {
  if (cell.source === undefined) return undefined;
  const parsed = parseCell(cell.source);
  return parsed.ok ? parsed.cell : undefined;
}
