// `llm-batch estimate <file...>`: validate and price files without spending anything.
import { stat } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { estimateFiles } from '../core/estimate';
import { DEFAULT_OUTPUT_BUFFER } from '../core/tokens';
import { createWorkerAnalyzer, shouldUseWorkers } from '../core/workerLineAnalyzer';
import { formatEstimateReport } from '../core/formatEstimateReport';
import { nonNegativeNumber, parseProvider, readPrices } from './cliOptions';
import { progressReporter } from './progress';
import { UsageError } from './usageError';

export async function runEstimate(args: string[]): Promise<number> {
  const { values, positionals } = parseOrThrow(args);
  if (positionals.length === 0) throw new UsageError('estimate needs at least one JSONL file');
  await Promise.all(positionals.map(assertReadableFile));

  const provider = parseProvider(values.provider);
  const outputBuffer = nonNegativeNumber('--output-buffer', values['output-buffer']) ?? DEFAULT_OUTPUT_BUFFER;
  const pricing = await readPrices(values.prices);
  const analyzerOptions = { provider, model: values.model, outputBuffer, pricing };

  const sizes = await Promise.all(positionals.map(async (file) => (await stat(file)).size));
  const workers = nonNegativeNumber('--workers', values.workers);
  const analyzer = shouldUseWorkers(sizes, workers) ? createWorkerAnalyzer(analyzerOptions, workers) : undefined;
  const progress = progressReporter(process.stderr);
  try {
    const { report } = await estimateFiles(positionals, { ...analyzerOptions, analyzer, onProgress: progress.update });
    progress.done();
    process.stdout.write(values.json ? `${JSON.stringify(report, null, 2)}\n` : formatEstimateReport(report));
    return report.invalid.length > 0 || report.problems.length > 0 ? 1 : 0;
  } finally {
    progress.done();
    await analyzer?.close();
  }
}

function parseOrThrow(args: string[]) {
  try {
    return parseArgs({
      args,
      allowPositionals: true,
      strict: true,
      options: {
        // Accepted like on every command (the help promises it), so scripts can pass the same
        // flags to each; an estimate reads no workspace state, and files are named as given.
        workspace: { type: 'string' },
        provider: { type: 'string' },
        model: { type: 'string' },
        prices: { type: 'string' },
        'output-buffer': { type: 'string' },
        workers: { type: 'string' },
        json: { type: 'boolean', default: false },
      },
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

async function assertReadableFile(file: string): Promise<void> {
  const info = await stat(file).catch(() => undefined);
  if (!info) throw new UsageError(`cannot read ${file}: no such file`);
  if (!info.isFile()) throw new UsageError(`${file} is not a file`);
}

