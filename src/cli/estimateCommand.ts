// `llm-batch estimate <file...>`: validate and price files without spending anything.
import { readFile, stat } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { estimateFiles } from '../core/estimate';
import { DEFAULT_OUTPUT_BUFFER } from '../core/tokens';
import { createWorkerAnalyzer, shouldUseWorkers } from '../core/workerLineAnalyzer';
import { isProviderId } from '../core/providerLimits';
import type { ProviderId } from '../core/providerLimits';
import { pricesFileSchema } from '../core/pricesFile';
import { formatEstimateReport } from '../core/formatEstimateReport';
import { progressReporter } from './progress';
import { UsageError } from './usageError';

export async function runEstimate(args: string[]): Promise<number> {
  const { values, positionals } = parseOrThrow(args);
  if (positionals.length === 0) throw new UsageError('estimate needs at least one JSONL file');
  await Promise.all(positionals.map(assertReadableFile));

  const provider = parseProvider(values.provider);
  const outputBuffer = parseNumber('--output-buffer', values['output-buffer'], DEFAULT_OUTPUT_BUFFER);
  const pricing = values.prices === undefined ? undefined : { overrides: await readPricesFile(values.prices) };
  const analyzerOptions = { provider, model: values.model, outputBuffer, pricing };

  const sizes = await Promise.all(positionals.map(async (file) => (await stat(file)).size));
  const workers = values.workers === undefined ? undefined : parseNumber('--workers', values.workers, 0);
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

function parseProvider(value: string | undefined): ProviderId | undefined {
  if (value === undefined) return undefined;
  if (!isProviderId(value)) throw new UsageError(`unknown provider "${value}" (expected openai, azure, anthropic, gemini or bedrock)`);
  return value;
}

function parseNumber(flag: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed < 0) throw new UsageError(`${flag} must be a number of 0 or more, got "${value}"`);
  return parsed;
}

async function assertReadableFile(file: string): Promise<void> {
  const info = await stat(file).catch(() => undefined);
  if (!info) throw new UsageError(`cannot read ${file}: no such file`);
  if (!info.isFile()) throw new UsageError(`${file} is not a file`);
}

async function readPricesFile(file: string) {
  let json: unknown;
  try {
    json = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    throw new UsageError(`cannot read prices file ${file}: ${(error as Error).message}`);
  }
  const parsed = pricesFileSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new UsageError(`prices file ${file}: field "${issue?.path.join('.') ?? ''}": ${issue?.message ?? 'invalid'}`);
  }
  return parsed.data.models;
}
