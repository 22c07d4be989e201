// The cost preview's estimate as the extension host runs it (JobService.preview with every line
// analysed on workers), while a 10 ms timer records how long this thread went without running it:
// the longest block the window would feel. `inline` runs the same preview on this thread only (how
// the host did it before), for comparison; `submit` measures the job's creation after the preview.
// Bundled by build.ts beside the estimate worker. Prints one JSON line.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { assembleJobs } from '../../src/app/assembleJobs';
import { createOffThreadAnalyzer } from '../../src/core/workerLineAnalyzer';
import { WorkspaceStore } from '../../src/store/workspaceStore';

const [file = '', mode = 'workers'] = process.argv.slice(2);
const TICK_MS = 10;

async function main(): Promise<void> {
  const workspace = mkdtempSync(path.join(tmpdir(), 'bench-host-estimate-'));
  const store = await WorkspaceStore.open(workspace, { purpose: 'bench host estimate' });
  try {
    const { service } = assembleJobs(store, {
      providerFor: () => {
        throw new Error('the benchmark sends nothing');
      },
      config: { pollInitialMs: 1000, pollMaxMs: 1000, retryWaitsMs: [1000, 1000], syncRatePerSecond: 1, syncRetryBaseMs: 1000, failureAlertRate: 0.05 },
      budget: () => ({}),
    });
    const options = { provider: 'openai' as const, outputBuffer: 0.25 };
    const analyzer = mode === 'inline' ? undefined : createOffThreadAnalyzer(options);
    // `submit`: the preview first, unmeasured; then what Confirm does (write and journal the job).
    const submitting = mode === 'submit' ? await service.preview({ file, ...options, failureAlertRate: 0.05, analyzer }) : undefined;
    let longest = 0;
    let last = performance.now();
    const ticker = setInterval(() => {
      const now = performance.now();
      if (process.env['BENCH_HOST_GAPS'] && now - last - TICK_MS > 50) console.error(`gap ${(now - last - TICK_MS).toFixed(0)} ms ending at ${(now - start).toFixed(0)} ms`);
      longest = Math.max(longest, now - last - TICK_MS);
      last = now;
    }, TICK_MS);
    const delay = monitorEventLoopDelay({ resolution: 5 });
    delay.enable();
    const start = performance.now();
    try {
      const preview = submitting ?? (await service.preview({ file, ...options, failureAlertRate: 0.05, analyzer }));
      if (submitting) await submitting.prepared.create();
      const wallMs = performance.now() - start;
      // The timer's last gap (after the preview's last await) counts too.
      await new Promise((resolve) => setTimeout(resolve, TICK_MS * 2));
      delay.disable();
      console.log(
        JSON.stringify({ mode, wallMs, longestBlockMs: longest, delayMaxMs: delay.max / 1e6, items: preview.prepared.estimate.report.totals.items, p99Ms: delay.percentile(99) / 1e6 }),
      );
    } finally {
      clearInterval(ticker);
      await analyzer?.close();
    }
  } finally {
    await store.close();
    rmSync(workspace, { recursive: true, force: true });
  }
}

void main();
