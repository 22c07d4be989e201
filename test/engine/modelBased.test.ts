// The model-based engine test: for each seed, a random but replayable sequence of submits (some
// files changed after their estimate), steps, kills and restarts, provider faults (endpoint
// 429/5xx, capacity refusals, cut downloads, batches that lose their output or expire, a refused
// key) and user actions (retry-failed, cancel, resume) against the in-process emulator; then every
// job is driven to its end and the money and data promises are checked (see modelBasedRun.ts):
// one final outcome per item, every answer kept and filed under its own line, one remote batch
// per intent, one paid sync call per item per strike, settled spend = the items' cost, no open
// reservation. A fixed set of seeds runs here; `bench/modelBased/run.ts` runs many.
// Replay one seed, its operations printed: LLM_BATCH_SEED=<seed> node --import tsx --test test/engine/modelBased.test.ts
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { seedFromEnv } from '../support/seededRandom';
import { describeFailure, runModelSequence } from './modelBasedRun';

/** Fixed so `npm test` is the same on every run; each covers kills, faults and user actions. */
const FIXED_SEEDS = [1, 2, 3, 4, 5, 6];

const replaying = process.env['LLM_BATCH_SEED'] !== undefined && process.env['LLM_BATCH_SEED'] !== '';
const seeds = replaying ? [seedFromEnv()] : FIXED_SEEDS;

describe('model-based engine test: random use, kills and provider faults keep every promise', () => {
  for (const seed of seeds) {
    it(`seed ${seed}: every item ends once with its answer kept, one batch per intent, one paid sync call per strike, spend settled once`, async () => {
      const result = await runModelSequence(seed, replaying ? { onOperation: (op) => console.log(`[seed ${seed}] ${op}`) } : {});
      if (result.failures.length > 0) assert.fail(describeFailure(result));
      assert.ok(result.jobs > 0 && result.items > 0, `seed ${seed} made no job`);
    });
  }
});
