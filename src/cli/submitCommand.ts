// `llm-batch submit <file>`: estimate, show the cost, ask (unless --yes), refuse over budget,
// then create the job and submit its batches. `watch` follows it to the end.
import { readFile } from 'node:fs/promises';
import { formatDollars } from '../core/budget';
import { formatEstimateReport } from '../core/formatEstimateReport';
import { DEFAULT_OUTPUT_BUFFER } from '../core/tokens';
import { DEFAULT_ENGINE_CONFIG } from '../engine/engineConfig';
import { SubmitRefused } from '../engine/submitRefused';
import { blockerText, standingBlockers } from '../shared/blockers';
import type { Blocker } from '../shared/blockers';
import type { EstimateReport } from '../shared/estimateReport';
import { BUDGET_OPTIONS, PROVIDER_SETTING_OPTIONS, budgetCaps, nonNegativeNumber, openEngine, parseCommand, parseProvider, readPrices, settingsFromFlags, writeJson } from './cliOptions';
import { confirm } from './confirm';
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
    'failure-alert': { type: 'string' },
    ...BUDGET_OPTIONS,
    ...PROVIDER_SETTING_OPTIONS,
  });
  const [file, ...extra] = positionals;
  if (file === undefined || extra.length > 0) throw new UsageError('submit takes exactly one JSONL file');
  const provider = parseProvider(values.provider);
  const outputSchema = values['output-schema'] === undefined ? undefined : await readSchema(values['output-schema']);
  const failureAlertRate = nonNegativeNumber('--failure-alert', values['failure-alert']) ?? DEFAULT_ENGINE_CONFIG.failureAlertRate;

  const session = await openEngine(values, 'llm-batch submit', budgetCaps(values));
  try {
    const preview = await session.service.preview({
      file,
      provider: provider ?? 'openai',
      providerSettings: settingsFromFlags(values),
      model: values.model,
      name: values.name,
      outputSchema,
      outputJson: values['output-json'],
      outputBuffer: DEFAULT_OUTPUT_BUFFER,
      pricing: await readPrices(values.prices),
      failureAlertRate,
    });
    const { report } = preview.prepared.estimate;
    if (!values.json) process.stdout.write(formatEstimateReport(report));
    const blockers = standingBlockers(preview.blockers, { skipInvalid: values['skip-invalid'] });
    if (blockers.length > 0) return refused(values.json, blockers, report);
    const requests = report.totals.valid - report.totals.duplicates - report.totals.cached;
    const question = `\nSubmit ${requests} requests in ${report.totals.chunks} batch(es) for about ${formatDollars(report.totals.cost.batchAfterDedup)} (at most ${formatDollars(report.totals.cost.batchAfterDedupMax)})? [y/N] `;
    if (!values.yes && !(await confirm(question))) {
      process.stderr.write('Nothing was submitted.\n');
      return 1;
    }
    let outcome;
    try {
      outcome = await session.service.submit(preview, { skipInvalid: values['skip-invalid'] });
    } catch (error) {
      if (error instanceof SubmitRefused) return refused(values.json, error.blockers, report);
      throw error;
    }
    const { jobId } = outcome;
    if (!outcome.submitted) {
      if (values.json) writeJson({ submitted: false, jobId, reasons: [outcome.reason], estimate: report });
      else process.stderr.write(`\n${jobId} was not submitted: ${outcome.reason}\n${nextSteps(jobId)}\n`);
      return 1;
    }
    const job = session.store.index.job(jobId);
    if (values.json) writeJson({ submitted: true, jobId, state: job?.status, batches: session.store.index.batches(jobId).length, estimate: report.totals.cost });
    else process.stdout.write(`\nSubmitted ${jobId}. Follow it with: llm-batch watch ${jobId}\n`);
    return 0;
  } finally {
    await session.store.close();
  }
}

/** How to go on with a job that waits for the user. */
export function nextSteps(jobId: string): string {
  return `Submit it again with: llm-batch resume ${jobId}   (or discard it: llm-batch cancel ${jobId})`;
}

function refused(json: boolean | undefined, blockers: readonly Blocker[], report: EstimateReport): number {
  if (json) writeJson({ submitted: false, reasons: blockers.map((b) => b.message), blockers, estimate: report });
  else process.stderr.write(`\nNot submitted: ${blockerText(blockers)}\n`);
  return 1;
}

async function readSchema(file: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    throw new UsageError(`cannot read output schema ${file}: ${(error as Error).message}`);
  }
}
