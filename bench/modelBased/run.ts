// bench/modelBased: the model-based engine test over many seeds, for every provider (see
// test/engine/modelBasedRun.ts). Prints pass/fail per provider and seed and, for each failing one,
// what broke and the command that replays it.
// Run: node --import tsx bench/modelBased/run.ts --seeds 200 [--first 1] [--operations 30] [--provider bedrock]
// Exit code 1 when any seed failed.
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { ProviderId } from '../../src/core/providerLimits';
import { PROVIDERS } from '../../test/engine/engineProviders';
import { describeFailure, replayCommand, runModelSequence } from '../../test/engine/modelBasedRun';

const { values } = parseArgs({
  options: {
    seeds: { type: 'string', default: '200' },
    first: { type: 'string', default: '1' },
    operations: { type: 'string', default: '30' },
    verbose: { type: 'boolean', default: false },
    /** One provider only; every provider by default. */
    provider: { type: 'string' },
  },
});
if (values.provider !== undefined && !(PROVIDERS as readonly string[]).includes(values.provider)) throw new Error(`--provider must be one of ${PROVIDERS.join(', ')}`);
const providers: readonly ProviderId[] = values.provider !== undefined ? [values.provider as ProviderId] : PROVIDERS;
const count = Number(values.seeds);
const first = Number(values.first);
const operations = Number(values.operations);

async function main(): Promise<void> {
  const failed: string[] = [];
  const reach = new Map<string, number>();
  const started = Date.now();
  for (const provider of providers) {
    for (let seed = first; seed < first + count; seed++) {
      const result = await runModelSequence(seed, { operations, provider });
      for (const [what, n] of Object.entries(result.coverage)) reach.set(what, (reach.get(what) ?? 0) + n);
      const summary = `${result.jobs} jobs, ${result.items} items, ${result.remoteBatches} batches, ${(result.ms / 1000).toFixed(1)} s`;
      if (result.failures.length === 0) {
        console.log(`${provider} seed ${seed}: pass (${summary})`);
        continue;
      }
      failed.push(`${provider} ${seed}`);
      console.log(`${provider} seed ${seed}: FAIL (${summary})`);
      const shown = result.failures.slice(0, 12).map((f) => `  - ${f}`);
      if (result.failures.length > shown.length) shown.push(`  … and ${result.failures.length - shown.length} more (--verbose, or the replay command, shows all)`);
      console.log(values.verbose ? describeFailure(result) : shown.join('\n'));
      // Timing at the emulator varies between runs, so a rare race may not come back on replay: keep what this run did.
      const traceFile = path.join(tmpdir(), `model-based-${provider}-seed-${seed}.txt`);
      writeFileSync(traceFile, `${describeFailure(result)}\n`);
      console.log(`  replay: ${replayCommand(seed, provider)}\n  this run's operations and engine log: ${traceFile}`);
    }
  }
  console.log('\nwhat the seeds exercised, in all:');
  for (const [what, n] of [...reach.entries()].sort(([a], [b]) => a.localeCompare(b))) console.log(`  ${what}: ${n}`);
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  const runs = count * providers.length;
  console.log(`\n${runs - failed.length} of ${runs} runs (${count} seeds × ${providers.length} providers) passed in ${seconds} s${failed.length > 0 ? `; failing: ${failed.join(', ')}` : ''}`);
  if (failed.length > 0) process.exitCode = 1;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 2;
});
