// One measured path of ours on one file, in a process of its own so that its peak memory is its
// own: run.ts starts this once per path and reads the JSON line it prints last. The bare loops
// are in bare.ts, bundled apart, so that loading our code is not counted against them.
import { stat } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { estimateFiles } from '../../src/core/estimate';
import { createWorkerAnalyzer } from '../../src/core/workerLineAnalyzer';
import { countInputTokens } from '../../src/core/tokens';
import { cpuSince, forEachLine } from './lines';
import { MEASURED_PATHS } from './paths';
import type { EstimateTotals, MeasuredPath, Measurement } from './paths';

/** Time inside countInputTokens only; reading and parsing are left out of the figure. */
async function tokenize(file: string): Promise<{ seconds: number; lines: number; tokens: number }> {
  let seconds = 0;
  let tokens = 0;
  const lines = await forEachLine(file, (line) => {
    const parsed = JSON.parse(line.toString('utf8')) as { url: string; body: { model: string } };
    const start = performance.now();
    tokens += countInputTokens('openai', parsed.body.model, { url: parsed.url, body: parsed.body }).tokens;
    seconds += (performance.now() - start) / 1000;
  });
  return { seconds, lines, tokens };
}

/**
 * `workers`: undefined for the CLI's default pool, 0 to analyse on this thread only. `share`: the
 * main thread analyses too when the workers are busy (the CLI's default).
 */
async function estimate(file: string, workers: number | undefined, share: boolean, countTokens: boolean): Promise<EstimateTotals> {
  const options = { outputBuffer: 0.25, countTokens };
  const analyzer = workers === 0 ? undefined : createWorkerAnalyzer(options, workers, { shareCallingThread: share });
  try {
    const { report } = await estimateFiles([file], { ...options, analyzer });
    const { items, valid, invalid, duplicates, chunks, inputTokens } = report.totals;
    return { items, valid, invalid, duplicates, chunks, inputTokens };
  } finally {
    await analyzer?.close();
  }
}

async function measure(path: MeasuredPath, file: string, workers: number | undefined, share: boolean): Promise<Measurement> {
  const bytes = (await stat(file)).size;
  const start = performance.now();
  const cpu = process.cpuUsage();
  const done = (extra: Partial<Measurement> = {}): Measurement => ({
    path,
    bytes,
    seconds: (performance.now() - start) / 1000,
    cpuSeconds: cpuSince(cpu),
    maxRss: process.resourceUsage().maxRSS * 1024,
    ...extra,
  });
  switch (path) {
    case 'read-sha256':
    case 'json-parse':
      throw new Error(`${path} runs in bare.ts, without the core loaded`);
    case 'validate-workers':
      return done({ totals: await estimate(file, workers, share, false) });
    case 'estimate-workers':
      return done({ totals: await estimate(file, workers, share, true) });
    case 'validate-inline':
      return done({ totals: await estimate(file, 0, false, false) });
    case 'estimate-inline':
      return done({ totals: await estimate(file, 0, false, true) });
    case 'tokens': {
      const result = await tokenize(file);
      return { ...done({ lines: result.lines }), seconds: result.seconds, totals: { items: result.lines, valid: result.lines, invalid: 0, duplicates: 0, chunks: 0, inputTokens: result.tokens } };
    }
  }
}

async function main(): Promise<void> {
  const [path, file, workers, share] = process.argv.slice(2);
  if (!MEASURED_PATHS.includes(path as MeasuredPath) || file === undefined) {
    throw new Error(`usage: measure <${MEASURED_PATHS.join('|')}> <file> [workers|default] [share|alone]`);
  }
  const count = workers === undefined || workers === 'default' ? undefined : Math.max(1, Number(workers));
  const result = await measure(path as MeasuredPath, file, count, share !== 'alone');
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
