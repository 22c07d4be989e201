// The model-based engine test: for each seed, a random but replayable sequence of submits (some
// files changed after their estimate), steps, kills and restarts, provider faults (endpoint
// 429/5xx, capacity refusals, cut downloads, batches that lose their output or expire, a refused
// key) and user actions (retry-failed, cancel, resume) against a provider's in-process emulator;
// then every job is driven to its end and the money and data promises are checked (see
// modelBasedRun.ts): one final outcome per item, every answer kept and filed under its own line,
// one remote batch per intent, one paid sync call per item per strike, settled spend = the items'
// cost, no open reservation. The same seeds run for every provider (OpenAI, the reference, runs a
// few more); `bench/modelBased/run.ts` runs many.
// Replay one seed, its operations printed:
//   LLM_BATCH_PROVIDER=<provider> LLM_BATCH_SEED=<seed> node --import tsx --test test/engine/modelBased.test.ts
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ProviderId } from '../../src/core/providerLimits';
import { seedFromEnv } from '../support/seededRandom';
import { PROVIDERS, providerFromEnv } from './engineProviders';
import { describeFailure, runModelSequence } from './modelBasedRun';

/** Fixed so `npm test` is the same on every run; each covers kills, faults and user actions. */
const FIXED_SEEDS = [1, 2, 3, 4, 5, 6];
/** Every other provider runs the first few of them, to keep the whole test near a minute. */
const SEEDS_PER_PROVIDER = 3;

const replaying = process.env['LLM_BATCH_SEED'] !== undefined && process.env['LLM_BATCH_SEED'] !== '';
const only = providerFromEnv();

function seedsFor(provider: ProviderId): number[] {
  if (replaying) return [seedFromEnv()];
  return provider === 'openai' ? FIXED_SEEDS : FIXED_SEEDS.slice(0, SEEDS_PER_PROVIDER);
}

for (const provider of only ? [only] : PROVIDERS) {
  describe(`model-based engine test (${provider}): random use, kills and provider faults keep every promise`, () => {
    for (const seed of seedsFor(provider)) {
      it(`seed ${seed}: every item ends once with its answer kept, one batch per intent, one paid sync call per strike, spend settled once`, async () => {
        const result = await runModelSequence(seed, { provider, ...(replaying ? { onOperation: (op: string) => console.log(`[${provider} seed ${seed}] ${op}`) } : {}) });
        if (result.failures.length > 0) assert.fail(describeFailure(result));
        assert.ok(result.jobs > 0 && result.items > 0, `${provider} seed ${seed} made no job`);
      });
    }
  });
}
