// bench/hostLoad: what the extension costs the window. Prints
//   1. activation: require(dist/extension.js) + activate(), production build, median of N fresh processes;
//   2. the longest block of the host's thread during the cost preview's estimate of a 200 MB file
//      (lines analysed on workers, as the host does), beside the same preview on one thread;
//   3. the Jobs view's top level with a 1M-item job (per-job totals, no item scan).
// Goals: activation < 50 ms, no block > 100 ms. A benchmark, not a test: it prints PASS/MISS and
// never fails the build. Run: npm run bench:host [-- --runs 11 --size 200 --shape realistic|short --items 1000000 --parts activation,estimate,jobs[,submit] --no-inline]
import { execFileSync } from 'node:child_process';
import { loadavg } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ensureData } from '../ingest/generate';
import { BENCH_DIST, buildForBench } from './build';
import { measureJobsView } from './jobsView';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '11' },
    size: { type: 'string', default: '200' },
    shape: { type: 'string', default: 'realistic' },
    items: { type: 'string', default: '1000000' },
    parts: { type: 'string', default: 'activation,estimate,jobs' },
    'no-inline': { type: 'boolean', default: false },
  },
});
const parts = new Set(values.parts.split(','));
const root = path.resolve(__dirname, '../..');
const ACTIVATION_GOAL_MS = 50;
const BLOCK_GOAL_MS = 100;

const median = (values: readonly number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
};
const verdict = (ok: boolean) => (ok ? 'PASS' : 'MISS');
const load = () => loadavg().map((n) => n.toFixed(2)).join(' ');

function child<T>(script: string, args: readonly string[]): T {
  const out = execFileSync(process.execPath, [path.join(BENCH_DIST, script), ...args], { cwd: root, encoding: 'utf8', maxBuffer: 64 << 20 });
  return JSON.parse(out.trim().split('\n').pop() ?? '{}') as T;
}

async function main(): Promise<void> {
  console.log(`bench/hostLoad — Node ${process.version}, load average ${load()}`);
  if (parts.has('activation') || parts.has('estimate')) await buildForBench();

  if (parts.has('activation')) {
    const runs = Number(values.runs);
    const results = Array.from({ length: runs }, () =>
      child<{ requireMs: number; activateMs: number; totalMs: number; modules: string[] }>('activationChild.js', [path.join(BENCH_DIST, 'extension.js')]),
    );
    const total = median(results.map((r) => r.totalMs));
    const loaded = (results[0]?.modules ?? []).map((file) => path.relative(BENCH_DIST, file));
    console.log(`\nActivation (production build, median of ${runs} fresh processes)`);
    console.log(`  require(extension.js)   ${median(results.map((r) => r.requireMs)).toFixed(1)} ms`);
    console.log(`  activate()              ${median(results.map((r) => r.activateMs)).toFixed(1)} ms`);
    console.log(`  total                   ${total.toFixed(1)} ms   goal < ${ACTIVATION_GOAL_MS} ms: ${verdict(total < ACTIVATION_GOAL_MS)}`);
    console.log(`  modules loaded          ${loaded.join(', ')}`);
  }

  if (parts.has('estimate')) {
    const sizeMb = Number(values.size);
    const shape = values.shape === 'short' ? 'short' : 'realistic';
    const { file } = ensureData(path.join(root, 'bench/.data'), shape, sizeMb);
    type Block = { mode: string; wallMs: number; longestBlockMs: number; delayMaxMs: number; items: number };
    const modes = [...(values['no-inline'] ? ['workers'] : ['workers', 'inline']), ...(parts.has('submit') ? ['submit'] : [])];
    console.log(`\nHost thread during the cost preview's estimate of ${path.basename(file)} (${sizeMb} MB)`);
    for (const mode of modes) {
      const result = child<Block>('estimateChild.js', [file, mode]);
      const label = mode === 'workers' ? 'lines on workers (the host)' : mode === 'submit' ? 'then Confirm (the job made)' : 'all on one thread';
      const goal = mode !== 'inline' ? `   goal ≤ ${BLOCK_GOAL_MS} ms: ${verdict(result.longestBlockMs <= BLOCK_GOAL_MS)}` : '';
      console.log(`  ${label.padEnd(28)} longest block ${result.longestBlockMs.toFixed(0).padStart(5)} ms, wall ${(result.wallMs / 1000).toFixed(1)} s, ${result.items.toLocaleString('en-US')} items${goal}`);
    }
  }

  if (parts.has('jobs')) {
    const items = Number(values.items);
    const view = await measureJobsView(items);
    console.log(`\nJobs view top level: ${view.nodes} jobs, one of ${items.toLocaleString('en-US')} items (store built in ${view.setupS.toFixed(1)} s)`);
    console.log(`  getChildren()               ${view.topLevelMs.toFixed(2)} ms (best of 5)`);
  }
  console.log(`\nload average after: ${load()}`);
}

void main();
