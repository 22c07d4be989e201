// `llm-batch watch <job>`: resumes whatever a stopped process left (reconcile, then submit what
// was never submitted) and follows the job to its end, printing progress.
import { openEngine, parseCommand, writeJson } from './cliOptions';
import { jobSummary, requireJob } from './inspectCommands';

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
    const final = await session.engine.run(job.id, {
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
    if (values.json) writeJson(jobSummary(session.store, final));
    else process.stdout.write(`${final.id} ${final.status}\n`);
    return final.status === 'completed' ? 0 : 1;
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    await session.store.close();
  }
}
