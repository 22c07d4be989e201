// Commands that change a job: `retry-failed <job>`, `cancel <job>` and `resume <job>`, each through
// the submit service so the budget, the key and the one-driver rule hold as they do for submit.
import { formatDollars } from '../core/budget';
import { SubmitRefused } from '../engine/submitRefused';
import { BUDGET_OPTIONS, budgetCaps, openEngine, parseCommand, writeJson } from './cliOptions';
import { confirm } from './confirm';
import { requireJob } from './inspectCommands';
import { nextSteps } from './submitCommand';
import { count } from '../shared/wording';

export async function runRetryFailed(args: string[]): Promise<number> {
  const { values, positionals } = parseCommand(args, { yes: { type: 'boolean', default: false }, ...BUDGET_OPTIONS });
  const session = await openEngine(values, 'llm-batch retry-failed', budgetCaps(values));
  try {
    const job = requireJob(session.store, positionals[0]);
    const retry = session.service.previewRetry(job.id);
    if (retry.ids.length === 0) {
      if (values.json) writeJson({ jobId: job.id, resubmitted: 0, ids: [] });
      else process.stdout.write('Nothing to retry: no failed items with a retryable failure.\n');
      return 0;
    }
    if (!retry.budget.accepted) return refusedRetry(values.json, job.id, retry.budget.message);
    const question = `Resubmit ${count(retry.ids.length, 'failed item')} of ${job.id} for at most ${formatDollars(retry.reservation)}? [y/N] `;
    if (!values.yes && !(await confirm(question))) {
      process.stderr.write('Nothing was resubmitted.\n');
      return 1;
    }
    let ids: readonly string[];
    try {
      ids = await session.service.retryFailed(job.id, retry.ids);
    } catch (error) {
      if (error instanceof SubmitRefused) return refusedRetry(values.json, job.id, error.message);
      throw error;
    }
    if (values.json) writeJson({ jobId: job.id, resubmitted: ids.length, ids, reserved: retry.reservation });
    else process.stdout.write(`Resubmitted ${count(ids.length, 'item')} of ${job.id}. Follow with: llm-batch watch ${job.id}\n`);
    return 0;
  } finally {
    await session.store.close();
  }
}

function refusedRetry(json: boolean | undefined, jobId: string, message: string): number {
  if (json) writeJson({ jobId, resubmitted: 0, ids: [], reasons: [message] });
  else process.stderr.write(`Not resubmitted (${jobId}): ${message}\n`);
  return 1;
}

export async function runCancel(args: string[]): Promise<number> {
  const { values, positionals } = parseCommand(args, {});
  const session = await openEngine(values, 'llm-batch cancel');
  try {
    const job = requireJob(session.store, positionals[0]);
    await session.service.cancel(job.id);
    const state = session.store.index.job(job.id)?.status;
    if (values.json) writeJson({ jobId: job.id, cancelRequested: true, state });
    else process.stdout.write(`Cancel requested for ${job.id}; finished work is kept. Resume it with: llm-batch resume ${job.id}\n`);
    return 0;
  } finally {
    await session.store.close();
  }
}

export async function runResume(args: string[]): Promise<number> {
  const { values, positionals } = parseCommand(args, BUDGET_OPTIONS);
  const session = await openEngine(values, 'llm-batch resume', budgetCaps(values));
  try {
    const job = requireJob(session.store, positionals[0]);
    let outcome;
    try {
      outcome = await session.service.resume(job.id);
    } catch (error) {
      if (error instanceof SubmitRefused) return refusedRetry(values.json, job.id, error.message);
      throw error;
    }
    if (values.json) writeJson({ ...outcome, state: session.store.index.job(job.id)?.status });
    else if (outcome.submitted) process.stdout.write(`Resumed ${job.id}. Follow it with: llm-batch watch ${job.id}\n`);
    else process.stderr.write(`${job.id} was not submitted: ${outcome.reason}\n${nextSteps(job.id)}\n`);
    return outcome.submitted ? 0 : 1;
  } finally {
    await session.store.close();
  }
}
