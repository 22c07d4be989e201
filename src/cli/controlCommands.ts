// Commands that change a job: `retry-failed <job>` and `cancel <job>`.
import { openEngine, parseCommand, writeJson } from './cliOptions';
import { requireJob } from './inspectCommands';

export async function runRetryFailed(args: string[]): Promise<number> {
  const { values, positionals } = parseCommand(args, {});
  const session = await openEngine(values, 'llm-batch retry-failed');
  try {
    const job = requireJob(session.store, positionals[0]);
    const ids = await session.engine.retryFailed(job.id);
    if (ids.length > 0) await session.engine.step(job.id);
    if (values.json) writeJson({ jobId: job.id, resubmitted: ids.length, ids });
    else process.stdout.write(ids.length === 0 ? 'Nothing to retry: no failed items with a retryable failure.\n' : `Resubmitted ${ids.length} item(s) as a new batch. Follow with: llm-batch watch ${job.id}\n`);
    return 0;
  } finally {
    await session.store.close();
  }
}

export async function runCancel(args: string[]): Promise<number> {
  const { values, positionals } = parseCommand(args, {});
  const session = await openEngine(values, 'llm-batch cancel');
  try {
    const job = requireJob(session.store, positionals[0]);
    await session.engine.cancel(job.id);
    await session.engine.step(job.id);
    const state = session.store.index.job(job.id)?.status;
    if (values.json) writeJson({ jobId: job.id, cancelRequested: true, state });
    else process.stdout.write(`Cancel requested for ${job.id}; finished work is kept. Follow with: llm-batch watch ${job.id}\n`);
    return 0;
  } finally {
    await session.store.close();
  }
}
