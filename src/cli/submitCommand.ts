// `llm-batch submit <file>`: estimate, show the cost, ask (unless --yes), refuse over budget,
// then create the job and submit its batches. `watch` follows it to the end.
import { readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline/promises';
import { formatDollars } from '../core/budget';
import { formatEstimateReport } from '../core/formatEstimateReport';
import { DEFAULT_OUTPUT_BUFFER } from '../core/tokens';
import { DEFAULT_ENGINE_CONFIG } from '../engine/engineConfig';
import { prepareJob } from '../engine/createJob';
import { nonNegativeNumber, openEngine, parseCommand, parseProvider, readPrices, writeJson } from './cliOptions';
import { UsageError } from './usageError';

export async function runSubmit(args: string[]): Promise<number> {
  const { values, positionals } = parseCommand(args, {
    provider: { type: 'string' },
    model: { type: 'string' },
    name: { type: 'string' },
    yes: { type: 'boolean', default: false },
    'skip-invalid': { type: 'boolean', default: false },
    'output-schema': { type: 'string' },
    'output-json': { type: 'boolean', default: false },
    'daily-budget': { type: 'string' },
    'monthly-budget': { type: 'string' },
    'failure-alert': { type: 'string' },
  });
  const [file, ...extra] = positionals;
  if (file === undefined || extra.length > 0) throw new UsageError('submit takes exactly one JSONL file');
  const provider = parseProvider(values.provider);
  if (provider !== undefined && provider !== 'openai' && provider !== 'azure') throw new UsageError('submit supports --provider openai or azure for now');
  const outputSchema = values['output-schema'] === undefined ? undefined : await readSchema(values['output-schema']);
  const budget = { daily: nonNegativeNumber('--daily-budget', values['daily-budget'] ?? process.env['LLM_BATCH_DAILY_BUDGET']), monthly: nonNegativeNumber('--monthly-budget', values['monthly-budget'] ?? process.env['LLM_BATCH_MONTHLY_BUDGET']) };

  const session = await openEngine(values, 'llm-batch submit');
  try {
    const prepared = await prepareJob(session.store, {
      file,
      provider: provider ?? 'openai',
      model: values.model,
      name: values.name,
      outputSchema,
      outputJson: values['output-json'],
      outputBuffer: DEFAULT_OUTPUT_BUFFER,
      pricing: await readPrices(values.prices),
      budget,
      failureAlertRate: nonNegativeNumber('--failure-alert', values['failure-alert']) ?? DEFAULT_ENGINE_CONFIG.failureAlertRate,
    });
    const { report } = prepared.estimate;
    if (!values.json) process.stdout.write(formatEstimateReport(report));
    const blockers = prepared.blockers.filter((b) => !(values['skip-invalid'] && b.includes('invalid line(s)')));
    if (blockers.length > 0) {
      const message = `Not submitted: ${blockers.join('; ')}`;
      if (values.json) writeJson({ submitted: false, reasons: blockers, estimate: report });
      else process.stderr.write(`\n${message}\n`);
      return 1;
    }
    if (!values.yes && !(await confirm(`\nSubmit ${report.totals.valid - report.totals.duplicates - report.totals.cached} requests in ${report.totals.chunks} batch(es) for about ${formatDollars(report.totals.cost.batchAfterDedup)} (at most ${formatDollars(report.totals.cost.batchAfterDedupMax)})? [y/N] `))) {
      process.stderr.write('Nothing was submitted.\n');
      return 1;
    }
    const jobId = await prepared.create({ skipInvalid: values['skip-invalid'] });
    // Submits every batch now (journaled first); polling is `watch`'s job.
    await session.engine.step(jobId);
    const job = session.store.index.job(jobId);
    if (values.json) writeJson({ submitted: true, jobId, state: job?.status, batches: session.store.index.batches(jobId).length, estimate: report.totals.cost });
    else process.stdout.write(`\nSubmitted ${jobId}. Follow it with: llm-batch watch ${jobId}\n`);
    return 0;
  } finally {
    await session.store.close();
  }
}

async function readSchema(file: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    throw new UsageError(`cannot read output schema ${file}: ${(error as Error).message}`);
  }
}


async function confirm(question: string): Promise<boolean> {
  if (!process.stdin.isTTY) {
    process.stderr.write('\nNo terminal to confirm on: pass --yes to submit without asking.\n');
    return false;
  }
  const readline = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await readline.question(question)).trim());
  } finally {
    readline.close();
  }
}
