// Read-only commands: `jobs`, `status <job>`, `dead-letter <job>`. They open the workspace
// without the writer lock, so they work while another process watches.
import { formatDollars } from '../core/budget';
import type { WorkspaceStore } from '../store/workspaceStore';
import type { JobRow } from '../store/stateIndex';
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
        process.stdout.write(`${job.id}  ${job.state.padEnd(23)}  ${job.name}  ${formatCounts(job.items)}  ${formatDollars(job.actualCost)}\n`);
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
      if (job.alert) process.stdout.write(`  alert     ${job.alert}\n`);
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
    const items = store.index.items(job.id, { states: ['dead_letter'] }).map((item) => ({
      custom_id: item.id,
      line: item.line,
      strike: item.strike,
      class: item.failureClass,
      code: item.failureCode,
      reason: item.failureMessage,
    }));
    if (values.json) writeJson({ jobId: job.id, items });
    else if (items.length === 0) process.stdout.write('No dead-lettered items.\n');
    else for (const i of items) process.stdout.write(`${job.sourceFile}:${i.line}  ${i.custom_id}  ${i.class ?? ''}${i.code ? ` (${i.code})` : ''}: ${i.reason ?? ''}\n`);
    return 0;
  } finally {
    await store.close();
  }
}

export function requireJob(store: WorkspaceStore, jobId: string | undefined): JobRow {
  if (jobId === undefined) throw new UsageError('name a job (see llm-batch jobs)');
  const job = store.index.job(jobId);
  if (!job) throw new UsageError(`no job ${jobId} in this workspace`);
  return job;
}

export function jobSummary(store: WorkspaceStore, job: JobRow) {
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
  };
}

function formatCounts(counts: Partial<Record<string, number>>): string {
  return Object.entries(counts)
    .map(([state, n]) => `${state} ${n ?? 0}`)
    .join(', ');
}
