// Read-only commands: `jobs`, `status <job>`, `dead-letter <job>`. They open the workspace
// without the writer lock, so they work while another process watches.
import { readJobFigures } from '../app/jobFigures';
import { savingLine, spendLine, tokensLine } from '../app/jobFiguresText';
import { formatDollars } from '../core/budget';
import type { WorkspaceStore } from '../store/workspaceStore';
import type { ItemRow, JobRow } from '../store/stateIndex';
import { openStore, parseCommand, writeJson } from './cliOptions';
import { UsageError } from './usageError';

export async function runJobs(args: string[]): Promise<number> {
  const { values } = parseCommand(args, {});
  const store = await openStore(values, 'llm-batch jobs', true);
  try {
    const jobs = store.index.jobs().map((job) => jobSummary(store, job));
    if (values.json) writeJson({ jobs });
    else if (jobs.length === 0) process.stdout.write('No jobs in this workspace yet. Start one with: llm-batch submit <file.jsonl>\n');
    else {
      for (const job of jobs) {
        const state = job.waitsForYou === null ? job.state : job.waitsForYou.startsWith('not submitted') ? 'not submitted' : 'waits for you';
        process.stdout.write(`${job.id}  ${state.padEnd(23)}  ${job.name}  ${formatCounts(job.items)}  ${formatDollars(job.actualCost)} (est. ${formatDollars(job.estimatedCost)})\n`);
      }
    }
    return 0;
  } finally {
    await store.close();
  }
}

export async function runStatus(args: string[]): Promise<number> {
  const { values, positionals } = parseCommand(args, {});
  const store = await openStore(values, 'llm-batch status', true);
  try {
    const job = requireJob(store, positionals[0]);
    const summary = jobSummary(store, job);
    const batches = store.index.batches(job.id).map((b) => ({
      key: b.key,
      remoteId: b.remoteId,
      strike: b.strike,
      state: b.state,
      rawStatus: b.rawStatus,
      items: b.itemCount,
      completed: b.completed,
      failed: b.failed,
      collected: b.collected,
    }));
    if (values.json) writeJson({ ...summary, batches });
    else {
      process.stdout.write(`${job.id}  ${job.name}\n  state     ${summary.state}\n  provider  ${job.provider} (${job.model})\n  items     ${formatCounts(summary.items)}\n`);
      process.stdout.write(`  cost      ${formatDollars(summary.actualCost)} actual, estimated ${formatDollars(job.estimateExpected)} (at most ${formatDollars(job.estimateMax)})\n`);
      process.stdout.write(`  tokens    ${tokensLine(summary.figures)}\n  saved     ${savingLine(summary.figures)}\n  spent on  ${spendLine(summary.figures)}\n`);
      if (job.alert) process.stdout.write(`  alert     ${job.alert}\n`);
      if (job.blockedReason) process.stdout.write(`  waits     ${job.blockedReason}\n  next      llm-batch resume ${job.id}   (or discard it: llm-batch cancel ${job.id})\n`);
      if (job.waitingReason) process.stdout.write(`  waiting   ${job.waitingReason}\n`);
      for (const b of batches) process.stdout.write(`  batch ${b.key}  ${b.state}  ${b.remoteId ?? '(not created yet)'}  ${b.items} items\n`);
    }
    return 0;
  } finally {
    await store.close();
  }
}

export async function runDeadLetter(args: string[]): Promise<number> {
  const { values, positionals } = parseCommand(args, {});
  const store = await openStore(values, 'llm-batch dead-letter', true);
  try {
    const job = requireJob(store, positionals[0]);
    const items = deadLetteredItems(store, job.id).map(({ item, source }) => ({
      custom_id: item.id,
      line: item.line,
      strike: source.strike,
      class: source.failureClass,
      code: source.failureCode,
      reason: source.failureMessage,
      ...(item === source ? {} : { duplicate_of: source.id }),
    }));
    if (values.json) writeJson({ jobId: job.id, items });
    else if (items.length === 0) process.stdout.write('No dead-lettered items.\n');
    else {
      for (const i of items) {
        const twin = i.duplicate_of === undefined ? '' : ` (duplicate of ${i.duplicate_of})`;
        process.stdout.write(`${job.sourceFile}:${i.line}  ${i.custom_id}  ${i.class ?? ''}${i.code ? ` (${i.code})` : ''}: ${i.reason ?? ''}${twin}\n`);
      }
    }
    return 0;
  } finally {
    await store.close();
  }
}

/**
 * Every line of the job that ended in dead letter, in line order: the dead-lettered items and the
 * duplicates that share their fate (a `deduped` item whose twin is dead-lettered), each with the
 * item whose failure it reports. `results` reports a duplicate with its twin's state, so leaving
 * duplicates out here would make the two commands disagree about which lines failed.
 */
export function deadLetteredItems(store: WorkspaceStore, jobId: string): { item: ItemRow; source: ItemRow }[] {
  const dead = store.index.items(jobId, { states: ['dead_letter'] });
  const byId = new Map(dead.map((item) => [item.id, item]));
  const rows = dead.map((item) => ({ item, source: item }));
  for (let afterLine = 0; ; ) {
    const page = store.index.items(jobId, { states: ['deduped'], afterLine, limit: PAGE });
    if (page.length === 0) break;
    for (const item of page) {
      const source = item.twin === null ? undefined : byId.get(item.twin);
      if (source) rows.push({ item, source });
    }
    afterLine = page[page.length - 1]?.line ?? Infinity;
  }
  return rows.sort((a, b) => a.item.line - b.item.line);
}

const PAGE = 5_000;

/**
 * A job id that names no job: a fact about the workspace, not a mistake in how the command was
 * called, so it is reported on its own (exit 1) rather than with the whole usage text (exit 2).
 */
export class UnknownJobError extends Error {
  override readonly name = 'UnknownJobError';
  constructor(
    readonly jobId: string,
    workspace: string,
  ) {
    super(`no job ${jobId} in this workspace (${workspace}); list its jobs with: llm-batch jobs`);
  }
}

export function requireJob(store: WorkspaceStore, jobId: string | undefined): JobRow {
  if (jobId === undefined) throw new UsageError('name a job (see llm-batch jobs)');
  const job = store.index.job(jobId);
  if (!job) throw new UnknownJobError(jobId, store.root);
  return job;
}

export function jobSummary(store: WorkspaceStore, job: JobRow) {
  const figures = readJobFigures(store.index, job);
  return {
    id: job.id,
    name: job.name,
    state: job.status,
    provider: job.provider,
    model: job.model,
    createdAt: job.createdAt,
    items: store.index.countsByState(job.id),
    estimatedCost: job.estimateExpected,
    actualCost: store.index.actualCost(job.id),
    alert: job.alert,
    /** Set when the job waits for the user: "not submitted: …", or the provider refused our access. */
    waitsForYou: job.blockedReason,
    /** Set while a batch refused for capacity waits to be sent again: the provider's words and when. */
    waitingForCapacity: job.waitingReason,
    /** Estimate vs actual, the savings and spend by strike (see the README's table). */
    figures,
  };
}

function formatCounts(counts: Partial<Record<string, number>>): string {
  return Object.entries(counts)
    .map(([state, n]) => `${state} ${n ?? 0}`)
    .join(', ');
}
