// Running a notebook's job cell, free of `vscode` so it is tested against the emulators: find the
// job an unchanged cell already made (attach, never a second submission), else try a few items
// through the sync API if asked, show the cost preview, confirm above the user's threshold, submit
// through the one submit service, and follow the job until it ends or the user stops following.
// The job lives in the store; the cell only shows it.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { readLines } from '../../core/jsonlReader';
import { formatDollars } from '../../core/budget';
import { PROVIDER_LIMITS } from '../../core/providerLimits';
import type { ProviderId } from '../../core/providerLimits';
import type { ProviderSettings } from '../../core/providerSettings';
import { createReadStream } from 'node:fs';
import { SubmitRefused } from '../../engine/submitRefused';
import type { ResultLineParser } from '../../providers/resultParsers';
import { OUTPUT_ROW_LIMIT } from '../../shared/notebookOutputs';
import type { CellOutput, JobOutput } from '../../shared/notebookOutputs';
import type { JobRow } from '../../store/stateIndex';
import type { WorkspaceStore } from '../../store/workspaceStore';
import type { JobService } from '../jobService';
import { costFigures, isFinalJob, jobProgress } from './jobFigures';
import { failureClasses, resultRows } from './resultRows';
import { fileSha256, jobWithRunKey, runKeyOf } from './runKey';
import type { RunIdentity } from './runKey';
import { count } from '../../shared/wording';

/** What a job cell asks for (the cell's YAML, checked). */
export interface JobCellOptions {
  readonly name?: string | undefined;
  readonly provider?: ProviderId | undefined;
  readonly model?: string | undefined;
  readonly mode?: 'batch' | 'sync' | undefined;
  /** This run's own cap in US dollars: a preview whose bound passes it is not submitted. */
  readonly budget?: number | undefined;
  /** Items tried one by one through the sync API before the batch. */
  readonly try?: number | undefined;
  readonly checks?: { readonly json?: boolean | undefined; readonly schema?: unknown } | undefined;
}

/** What the runner needs from its host (the notebook controller, or a test). */
export interface JobCellPorts {
  readonly service: JobService;
  readonly parserFor: (provider: ProviderId) => ResultLineParser;
  /** The user's settings for a provider (region, bucket, endpoint…): a new job remembers them. */
  readonly settingsFor: (provider: ProviderId) => ProviderSettings | undefined;
  readonly defaults: {
    readonly provider: ProviderId;
    readonly outputBuffer: number;
    readonly failureAlertRate: number;
    /** Runs expected to cost more than this (US dollars) are confirmed first. */
    readonly confirmAbove: number;
    readonly trySize: number;
  };
  /** Asks the user; true when they chose `action`. */
  readonly confirm: (question: string, detail: string, action: string) => Promise<boolean>;
  /** Shows a cell's output (a job cell's as it moves; the notebook runner shows every kind through it). */
  readonly show: (output: CellOutput) => void;
  /** Resolves when the job may have moved (the host's polling stepped it), or after a while. */
  readonly changed: (signal: AbortSignal) => Promise<void>;
  /** Wakes the host's polling after a submit. */
  readonly kick: () => void;
}

export interface JobCellRun {
  readonly options: JobCellOptions;
  /** The input JSONL, absolute. */
  readonly inputFile: string;
  /** The cell's last output: says when a run makes a new job because something changed. */
  readonly previous?: JobOutput | undefined;
  /** `try`: only the try (the cell's "Try Sample Items" action). */
  readonly only?: 'try' | undefined;
  /**
   * Follow the job until it ends (default). false: return once it is submitted or found, showing
   * it as it is then; the notebook in VS Code follows it without a running cell (jobOutputNow).
   */
  readonly follow?: boolean | undefined;
  readonly signal: AbortSignal;
}

/** Runs the cell; returns the last output shown. A refusal (blockers, budget, declined) ends it with the reason shown. */
export async function runJobCell(ports: JobCellPorts, run: JobCellRun): Promise<JobOutput> {
  const { options, signal } = run;
  const store = ports.service.store;
  const provider = options.provider ?? ports.defaults.provider;
  const mode = options.mode ?? 'batch';
  const settings = ports.settingsFor(provider);
  let output: JobOutput = {
    kind: 'job',
    headline: `Reading ${path.basename(run.inputFile)}…`,
    notes: [],
    provider,
    ...(options.model === undefined ? {} : { model: options.model }),
    mode,
    final: false,
  };
  const show = (changes: Partial<JobOutput>) => {
    output = { ...output, ...changes };
    ports.show(output);
    return output;
  };
  show({});

  const identity: RunIdentity = {
    inputSha256: await fileSha256(run.inputFile, signal),
    provider,
    model: options.model,
    mode,
    providerSettings: settings,
    checks: options.checks,
  };
  const runKey = runKeyOf(identity);
  const existing = run.only === 'try' ? undefined : jobWithRunKey(store, runKey);
  if (existing) {
    show({ jobId: existing.id, runKey, notes: [`This cell's inputs and options are unchanged: showing job ${existing.id} (not submitted again).`] });
    return run.follow === false ? showNow(ports, existing.id, output) : followJob(ports, existing.id, output, signal);
  }
  if (run.previous?.jobId !== undefined) show({ notes: [`The inputs or options changed since job ${run.previous.jobId}: this run makes a new job.`] });

  const trySize = run.only === 'try' ? (options.try ?? ports.defaults.trySize) : mode === 'batch' ? options.try : undefined;
  if (trySize !== undefined && trySize > 0) {
    const trial = await tryFirst(ports, run, { ...identity, trySize }, trySize, show);
    if (!trial) return output;
    if (run.only === 'try') return show({ headline: `Tried ${trial.count} item${trial.count === 1 ? '' : 's'} for ${formatDollars(trial.spent)}: read the answers, then run the cell for the batch.`, final: true });
  }

  show({ headline: 'Estimating the cost…' });
  const request = {
    file: run.inputFile,
    provider,
    providerSettings: settings,
    model: options.model,
    name: options.name,
    mode,
    runKey,
    outputJson: options.checks?.json,
    outputSchema: options.checks?.schema,
    outputBuffer: ports.defaults.outputBuffer,
    failureAlertRate: ports.defaults.failureAlertRate,
    signal,
  };
  const preview = await ports.service.preview(request);
  const overCap = options.budget !== undefined && preview.prepared.reservation > options.budget;
  const capBlocker = overCap ? [`this run may cost up to ${formatDollars(preview.prepared.reservation)}, over the cell's budget of ${formatDollars(options.budget ?? 0)}`] : [];
  const figures = costFigures(preview, capBlocker);
  show({ preview: figures, headline: 'Cost preview' });
  if (figures.blockers.length > 0) return show({ headline: `Not submitted: ${figures.blockers.join('; ')}`, final: true });

  if (preview.prepared.expected > ports.defaults.confirmAbove || ports.defaults.confirmAbove === 0) {
    const what = `${count(figures.valid - figures.duplicates - figures.cached, 'item')} to ${PROVIDER_LIMITS[provider].displayName}${mode === 'sync' ? ' one by one (sync, full price)' : ' as a batch'}`;
    const agreed = await ports.confirm(
      `Submit ${what} for about ${formatDollars(figures.expected)}?`,
      `At most ${formatDollars(figures.max)}. The same items sent one by one without dedup would cost about ${formatDollars(figures.naiveSync)}.`,
      'Submit',
    );
    if (!agreed) return show({ headline: 'Not submitted: you chose not to.', final: true });
  }

  show({ headline: 'Submitting…' });
  let outcome;
  try {
    outcome = await ports.service.submit(preview, { signal });
  } catch (error) {
    if (error instanceof SubmitRefused) return show({ headline: `Not submitted: ${error.message}`, final: true });
    throw error;
  }
  ports.kick();
  show({ jobId: outcome.jobId, runKey });
  if (!outcome.submitted) show({ notes: [...output.notes, `Not sent yet: ${outcome.reason}. Fix it, then resume the job from the Jobs view.`] });
  return run.follow === false ? showNow(ports, outcome.jobId, output) : followJob(ports, outcome.jobId, output, signal);
}

async function showNow(ports: Pick<JobCellPorts, 'service' | 'parserFor' | 'show'>, jobId: string, base: JobOutput): Promise<JobOutput> {
  const output = await jobOutputNow(ports.service.store, ports.parserFor, jobId, base);
  ports.show(output);
  return output;
}

/**
 * The job as it stands now, over `base` (the cell's output: its preview, try and notes): its
 * progress, and once it has ended its first rows and failures by class.
 */
export async function jobOutputNow(store: WorkspaceStore, parserFor: JobCellPorts['parserFor'], jobId: string, base: JobOutput): Promise<JobOutput> {
  const job = store.index.job(jobId);
  if (!job) return { ...base, jobId, headline: `Job ${jobId} is no longer in this workspace (deleted).`, final: true };
  const output: JobOutput = { ...base, jobId, headline: headlineOf(job), progress: jobProgress(store, job), final: isFinalJob(job) };
  return output.final ? withResults(store, parserFor, job, output) : output;
}

/**
 * Shows the job as it moves until it ends or `signal` stops the following (the job goes on:
 * it lives in the store, and the host's polling drives it). Used on a run, on reopening a
 * notebook, and after a resubmission from the output.
 */
export async function followJob(ports: Pick<JobCellPorts, 'service' | 'parserFor' | 'show' | 'changed'>, jobId: string, base: JobOutput, signal: AbortSignal): Promise<JobOutput> {
  let output = base;
  for (;;) {
    output = await jobOutputNow(ports.service.store, ports.parserFor, jobId, output);
    ports.show(output);
    if (output.final) return output;
    if (signal.aborted) break;
    try {
      await ports.changed(signal);
    } catch {
      if (!signal.aborted) throw new Error('following the job stopped unexpectedly');
    }
    if (signal.aborted) break;
  }
  output = { ...output, headline: `Stopped following ${jobId}; the job goes on (the Jobs view tracks it). Run the cell again to follow it.` };
  ports.show(output);
  return output;
}

async function withResults(store: WorkspaceStore, parserFor: JobCellPorts['parserFor'], job: JobRow, output: JobOutput): Promise<JobOutput> {
  const parse = parserFor(job.provider as ProviderId);
  const { rows } = await resultRows(store, job.id, parse, { limit: OUTPUT_ROW_LIMIT });
  return { ...output, rows, failures: failureClasses(store, job.id) };
}

/** The try: a small sync-mode job over the first items; its answers are then reused by the batch (the result cache). */
async function tryFirst(
  ports: JobCellPorts,
  run: JobCellRun,
  identity: RunIdentity,
  size: number,
  show: (changes: Partial<JobOutput>) => JobOutput,
): Promise<JobOutput['trial'] | undefined> {
  const store = ports.service.store;
  const key = runKeyOf(identity);
  let job = jobWithRunKey(store, key);
  if (!job) {
    show({ headline: `Trying ${size} item${size === 1 ? '' : 's'} through the sync API…` });
    const sample = await writeSample(run.inputFile, size, path.join(store.root, 'tries'), key);
    const preview = await ports.service.preview({
      file: sample,
      provider: identity.provider as ProviderId,
      providerSettings: identity.providerSettings as ProviderSettings | undefined,
      model: run.options.model,
      name: `${run.options.name ?? path.basename(run.inputFile)} (try of ${size})`,
      mode: 'sync',
      runKey: key,
      outputJson: run.options.checks?.json,
      outputSchema: run.options.checks?.schema,
      outputBuffer: ports.defaults.outputBuffer,
      failureAlertRate: 1,
      signal: run.signal,
    });
    const blockers = preview.blockers.map((b) => b.message);
    if (blockers.length > 0) {
      show({ headline: `Not tried: ${blockers.join('; ')}`, final: true });
      return undefined;
    }
    if (preview.prepared.expected > ports.defaults.confirmAbove || ports.defaults.confirmAbove === 0) {
      const agreed = await ports.confirm(
        `Try ${size} item${size === 1 ? '' : 's'} one by one for about ${formatDollars(preview.prepared.expected)}?`,
        `At most ${formatDollars(preview.prepared.reservation)}, at the sync price. The batch reuses their answers.`,
        'Try',
      );
      if (!agreed) {
        show({ headline: 'Not tried: you chose not to.', final: true });
        return undefined;
      }
    }
    try {
      const outcome = await ports.service.submit(preview, { signal: run.signal });
      job = store.index.job(outcome.jobId);
    } catch (error) {
      if (!(error instanceof SubmitRefused)) throw error;
      show({ headline: `Not tried: ${error.message}`, final: true });
      return undefined;
    }
  }
  if (!job) throw new Error('the try job was not found after it was submitted');
  // Small and sync: driven here to the end rather than left to the polling.
  await ports.service.engine.run(job.id, { signal: run.signal });
  const { rows } = await resultRows(store, job.id, ports.parserFor(job.provider as ProviderId), { limit: size });
  const trial = { jobId: job.id, count: rows.length, spent: store.index.actualCost(job.id), rows };
  show({ trial });
  return trial;
}

/** The first `size` request lines of the input, as a file of their own (the try's source). */
async function writeSample(input: string, size: number, dir: string, key: string): Promise<string> {
  const lines: string[] = [];
  for await (const line of readLines(createReadStream(input, { highWaterMark: 1 << 16 }) as AsyncIterable<Uint8Array>)) {
    const text = Buffer.from(line.bytes).toString('utf8');
    if (text.trim() === '') continue;
    lines.push(text);
    if (lines.length >= size) break;
  }
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, `${key}.jsonl`);
  await writeFile(file, `${lines.join('\n')}\n`);
  return file;
}

function headlineOf(job: JobRow): string {
  if (job.blockedReason !== null) return `Waiting for you: ${job.blockedReason}`;
  switch (job.status) {
    case 'completed':
      return 'Finished: every item has its answer.';
    case 'completed_with_failures':
      return 'Finished, with failures.';
    case 'cancelled':
      return 'Cancelled. Work already finished is kept.';
    default:
      return job.cancelRequested ? 'Cancelling…' : (job.waitingReason ?? 'Waiting for the provider…');
  }
}
