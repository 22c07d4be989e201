// The ingest benchmark (not a test): how fast the estimate path reads, validates, dedups, plans
// and tokenizes a large JSONL file, as ratios to what this machine does with the same bytes in a
// bare loop, measured in the same run on the same file. Each measured path runs in a fresh child
// process (bundled like the CLI, workers and all), so its peak memory is its own.
//
//   npm run bench:ingest [-- --size MB] [--repeat N] [--workers N] [--alone] [--paths a,b] [--shapes realistic,short]
//
// --workers and --alone set the worker pool of the "workers" paths: by default it is the CLI's
// (a worker per core but one, and the main thread analysing too when they are busy); --alone
// leaves the main thread to reading and tallying.
//
// With --repeat N each path runs N times (alternating, so a burst of load elsewhere hits all paths
// alike): the fastest time is reported, and the highest peak memory.
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, totalmem } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';
import { defaultWorkerCount } from '../../src/core/workerLineAnalyzer';
import { ensureData } from './generate';
import type { DataShape } from './generate';
import { MEASURED_PATHS } from './paths';
import type { MeasuredPath, Measurement } from './paths';

const root = path.resolve(__dirname, '../..');
const dataDir = path.join(root, 'bench', '.data');
const buildDir = path.join(dataDir, 'build');

/** The goals (docs/PERFORMANCE.md). */
const GOAL_VALIDATE_SHARE = 0.5; // of the bare split + JSON.parse loop
const GOAL_TOKENS_MB_S = 20;
const GOAL_PEAK_BYTES = 300 * 1_000_000;

const MB = 1_000_000;

interface Args {
  sizeMb: number;
  repeat: number;
  workers: number | undefined;
  alone: boolean;
  paths: readonly MeasuredPath[];
  shapes: readonly DataShape[];
}

function parse(): Args {
  const { values } = parseArgs({
    options: {
      size: { type: 'string', default: '200' },
      repeat: { type: 'string', default: '1' },
      workers: { type: 'string' },
      alone: { type: 'boolean', default: false },
      paths: { type: 'string', default: MEASURED_PATHS.join(',') },
      shapes: { type: 'string', default: 'realistic,short' },
    },
  });
  const sizeMb = Number(values.size);
  if (!Number.isInteger(sizeMb) || sizeMb < 1) throw new Error(`--size must be a whole number of MB, got ${values.size}`);
  const repeat = Number(values.repeat);
  if (!Number.isInteger(repeat) || repeat < 1) throw new Error(`--repeat must be 1 or more, got ${values.repeat}`);
  const workers = values.workers === undefined ? undefined : Number(values.workers);
  if (workers !== undefined && !(Number.isInteger(workers) && workers >= 1)) throw new Error(`--workers must be 1 or more, got ${values.workers}`);
  const paths = values.paths.split(',').filter((p): p is MeasuredPath => (MEASURED_PATHS as readonly string[]).includes(p));
  const shapes = values.shapes.split(',').filter((s): s is DataShape => s === 'realistic' || s === 'short');
  // The bare loop is every ratio's denominator.
  if (!paths.includes('json-parse')) paths.unshift('json-parse');
  return { sizeMb, repeat, workers, alone: values.alone, paths, shapes };
}

/** The measuring scripts and the estimate worker, bundled the way scripts/build.mjs bundles the CLI. */
async function bundle(): Promise<{ ours: string; bare: string }> {
  mkdirSync(buildDir, { recursive: true });
  await build({
    absWorkingDir: root,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    logLevel: 'warning',
    entryPoints: { measure: 'bench/ingest/measure.ts', bare: 'bench/ingest/bare.ts', estimateWorker: 'src/core/estimateWorker.ts' },
    outdir: buildDir,
  });
  // The tokenizer's rank tables beside the bundles, where src/core/tokens.ts looks for them.
  await build({
    absWorkingDir: root,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    logLevel: 'warning',
    entryPoints: {
      'bpeRanks-o200k_base': require.resolve('gpt-tokenizer/cjs/bpeRanks/o200k_base'),
      'bpeRanks-cl100k_base': require.resolve('gpt-tokenizer/cjs/bpeRanks/cl100k_base'),
    },
    outdir: buildDir,
  });
  return { ours: path.join(buildDir, 'measure.js'), bare: path.join(buildDir, 'bare.js') };
}

function runChild(script: string, measured: MeasuredPath, file: string, args: Args): Measurement {
  const childArgs = [script, measured, file, args.workers === undefined ? 'default' : String(args.workers), args.alone ? 'alone' : 'share'];
  const child = spawnSync(process.execPath, childArgs, { encoding: 'utf8', maxBuffer: 1 << 20 });
  if (child.status !== 0) throw new Error(`${measured} failed (exit ${child.status}):\n${child.stderr}`);
  const last = child.stdout.trim().split('\n').pop() ?? '';
  return JSON.parse(last) as Measurement;
}

const mbPerS = (m: Measurement): number => m.bytes / MB / m.seconds;
const pass = (ok: boolean): string => (ok ? 'PASS' : 'MISS');

const LABELS: Readonly<Record<MeasuredPath, string>> = {
  'read-sha256': 'raw read + SHA-256',
  'json-parse': 'bare split + JSON.parse',
  'validate-workers': 'ours: validate+dedup+plan, pool',
  'estimate-workers': 'ours: full estimate, pool',
  'validate-inline': 'ours: validate+dedup+plan, inline',
  'estimate-inline': 'ours: full estimate, inline',
  tokens: 'exact OpenAI tokenization only',
};

function report(shape: DataShape, results: readonly Measurement[]): string[] {
  const bare = results.find((m) => m.path === 'json-parse');
  const baseline = bare === undefined ? Number.NaN : mbPerS(bare);
  const out: string[] = [];
  const first = results[0];
  const lines = bare?.lines ?? 0;
  out.push(`\n${shape} file: ${((first?.bytes ?? 0) / MB).toFixed(0)} MB, ${lines.toLocaleString('en-US')} lines (${((first?.bytes ?? 0) / Math.max(1, lines)).toFixed(0)} bytes/line)`);
  out.push(`  ${'path'.padEnd(38)} ${'seconds'.padStart(8)} ${'MB/s'.padStart(8)} ${'x bare'.padStart(7)} ${'CPU s'.padStart(6)} ${'peak RSS'.padStart(9)}  goals`);
  for (const m of results) {
    const rate = mbPerS(m);
    const ratio = rate / baseline;
    const goals: string[] = [];
    if (m.path === 'validate-workers') goals.push(`≥ ${GOAL_VALIDATE_SHARE * 100}% of bare: ${pass(ratio >= GOAL_VALIDATE_SHARE)}`);
    if (m.path === 'tokens' && shape === 'realistic') goals.push(`≥ ${GOAL_TOKENS_MB_S} MB/s: ${pass(rate >= GOAL_TOKENS_MB_S)}`);
    if (m.path.includes('workers') || m.path.includes('inline')) goals.push(`peak < ${GOAL_PEAK_BYTES / MB} MB: ${pass(m.maxRss < GOAL_PEAK_BYTES)}`);
    out.push(
      `  ${LABELS[m.path].padEnd(38)} ${m.seconds.toFixed(2).padStart(8)} ${rate.toFixed(1).padStart(8)} ${ratio.toFixed(2).padStart(7)} ` +
        `${(m.path === 'tokens' ? '-' : m.cpuSeconds.toFixed(2)).padStart(6)} ${`${(m.maxRss / MB).toFixed(0)} MB`.padStart(9)}  ${goals.join('; ')}`,
    );
  }
  const estimates = results.filter((m) => m.totals !== undefined && m.path !== 'tokens');
  const full = estimates.find((m) => m.path.startsWith('estimate'));
  if (full?.totals) {
    const t = full.totals;
    out.push(
      `  items ${t.items.toLocaleString('en-US')}, invalid ${t.invalid}, duplicates ${t.duplicates.toLocaleString('en-US')} (${((100 * t.duplicates) / Math.max(1, t.valid)).toFixed(1)}%), ` +
        `chunks ${t.chunks}, input tokens ${t.inputTokens.toLocaleString('en-US')} (${(t.inputTokens / Math.max(1, t.valid)).toFixed(0)} per request)`,
    );
  }
  // Workers and inline must agree: a cheap check that the fast paths did not change the answer.
  const disagree = estimates.filter((m) => {
    const twin = estimates.find((o) => o !== m && o.path.split('-')[0] === m.path.split('-')[0]);
    return twin?.totals !== undefined && JSON.stringify(twin.totals) !== JSON.stringify(m.totals);
  });
  if (disagree.length > 0) out.push(`  WARNING: workers and inline totals differ: ${disagree.map((m) => `${m.path} ${JSON.stringify(m.totals)}`).join(' vs ')}`);
  return out;
}

async function main(): Promise<void> {
  const args = parse();
  const started = performance.now();
  console.log(
    `ingest benchmark: ${args.sizeMb} MB per file; ${availableParallelism()} cores (${cpus()[0]?.model ?? 'unknown CPU'}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.versions.node}; ` +
      `worker pool: ${args.workers ?? defaultWorkerCount()} worker(s)${args.alone ? ', main thread not analysing' : ' + the main thread when they are busy'}` +
      `${args.workers === undefined && !args.alone ? ' (the CLI default)' : ''}`,
  );
  const loadBefore = loadavg()[0] ?? 0;
  if (loadBefore > 0.5) console.log(`note: load average ${loadBefore.toFixed(2)} before starting: other work on this machine will slow every path`);
  const scripts = await bundle();
  const lines: string[] = [];
  for (const shape of args.shapes) {
    const t0 = performance.now();
    const { file, generated } = ensureData(dataDir, shape, args.sizeMb);
    if (generated) console.log(`generated ${path.relative(root, file)} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    const best = new Map<MeasuredPath, Measurement>();
    for (let round = 1; round <= args.repeat; round++) {
      for (const measured of args.paths) {
        if (measured === 'tokens' && shape !== 'realistic') continue;
        process.stdout.write(`  ${shape} ${round}/${args.repeat}: ${measured} ...`);
        const bare = measured === 'read-sha256' || measured === 'json-parse';
        const result = runChild(bare ? scripts.bare : scripts.ours, measured, file, args);
        process.stdout.write(` ${result.seconds.toFixed(2)} s\n`);
        const previous = best.get(measured);
        const faster = previous === undefined || result.seconds < previous.seconds ? result : previous;
        best.set(measured, { ...faster, maxRss: Math.max(result.maxRss, previous?.maxRss ?? 0) });
      }
    }
    const results = args.paths.flatMap((measured) => best.get(measured) ?? []);
    lines.push(...report(shape, results));
  }
  console.log(lines.join('\n'));
  console.log(
    `\nratios are to the bare split + JSON.parse loop on the same file; MB = 10^6 bytes; CPU s is every thread of the child; ` +
      `peak RSS is each child's maxRSS. load average ${loadBefore.toFixed(2)} before, ${(loadavg()[0] ?? 0).toFixed(2)} after; total ${((performance.now() - started) / 1000).toFixed(0)} s`,
  );
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
