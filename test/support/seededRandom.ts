// One deterministic PRNG (mulberry32) for everything that needs repeatable "random" data: fuzz
// cases in tests, the emulator's shuffled output order, the benchmark's generated text.

/** Numbers in [0, 1), the same sequence for the same seed on every run. */
export function seededRandom(seed: number): () => number {
  let a = seed | 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * The seed of a randomized test: `process.env[name]` when set (to replay a printed seed), else a
 * fresh one. Callers print it, so any run can be replayed with `name=<seed>`.
 */
export function seedFromEnv(name = 'LLM_BATCH_SEED'): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return Math.floor(Math.random() * 0x1_0000_0000);
  const seed = Number(raw);
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffff_ffff) throw new Error(`${name} must be an integer from 0 to ${0xffff_ffff}, got "${raw}"`);
  return seed;
}
