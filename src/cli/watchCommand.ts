// `llm-batch watch <job>`: resumes whatever a stopped process left (reconcile, then submit what
// was never submitted) and follows the job to its end, printing progress. A job that waits for
// the user (its key was refused, it never reached the provider) is not submitted by watching it:
// watch says why and how to go on.
import { JobBlocked } from '../engine/jobBlocked';
import { openEngine, parseCommand, writeJson } from './cliOptions';
import type { EngineSession } from './cliOptions';
import { jobSummary, requireJob } from './inspectCommands';
import { nextSteps } from './submitCommand';

export async function runWatch(args: string[]): Promise<number> {
  const { values, positionals } = parseCommand(args, {});
  const session = await openEngine(values, 'llm-batch watch');
  const abort = new AbortController();
  const stop = () => abort.abort(new Error('interrupted'));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    const job = requireJob(session.store, positionals[0]);
    let last = '';
    if (job.blockedReason !== null) return waitsForYou(values.json, session, job.id, job.blockedReason);
    let final;
    try {
      final = await session.engine.run(job.id, {
        signal: abort.signal,
        onStep: (current) => {
          if (values.json) return;
          const line = `${current.status}: ${Object.entries(session.store.index.countsByState(current.id))
            .map(([state, n]) => `${state} ${n}`)
            .join(', ')}`;
          if (line !== last) process.stderr.write(`${line}\n`);
          last = line;
        },
      });
    } catch (error) {
      if (error instanceof JobBlocked) return waitsForYou(values.json, session, job.id, error.reason);
      throw error;
    }
    if (values.json) writeJson(jobSummary(session.store, final));
    else process.stdout.write(`${final.id} ${final.status}\n`);
    return final.status === 'completed' ? 0 : 1;
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    await session.store.close();
  }
}

function waitsForYou(json: boolean | undefined, session: EngineSession, jobId: string, reason: string): number {
  const job = session.store.index.job(jobId);
  if (json && job) writeJson({ ...jobSummary(session.store, job), waitsForYou: reason });
  else process.stderr.write(`${jobId} waits for you: ${reason}\n${nextSteps(jobId)}\n`);
  return 1;
}
