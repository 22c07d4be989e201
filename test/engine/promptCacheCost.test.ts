// Anthropic bills prompt-cache reads at a tenth of the input price and cache writes at a quarter
// more, both with the batch discount. A job whose requests share a cached system prompt must be
// charged from the usage its results report — the same figure the pricer gives for those cache
// counts — not as if every input token were plain input.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { cacheUseOf } from '../../src/core/itemOutcome';
import { createPricer } from '../../src/core/pricing';
import { readResultLine } from '../../src/engine/batchInputs';
import { parseAnthropicResultLine } from '../../src/providers/anthropic/anthropicMapping';
import { startHarness } from './harness';
import type { Harness } from './harness';
import type { ProviderEmulator } from './engineProviders';

const MODEL = 'claude-haiku-4-5';

describe('prompt-cache tokens in the actual cost', () => {
  let h: Harness<ProviderEmulator>;
  before(async () => {
    h = await startHarness({}, { provider: 'anthropic' });
  });
  after(async () => {
    await h.close();
  });

  it('charges each answer from its cache reads and writes, with the batch discount', async () => {
    const system = [{ type: 'text', text: 'You classify product reviews. '.repeat(60), cache_control: { type: 'ephemeral' } }];
    const file = path.join(h.workspace, 'cached.jsonl');
    const lines = [1, 2, 3].map((n) => JSON.stringify({ custom_id: `r${n}`, params: { model: MODEL, max_tokens: 16, system, messages: [{ role: 'user', content: `Review ${n}: fine.` }] } }));
    writeFileSync(file, `${lines.join('\n')}\n`);
    const jobId = await h.submit(file);
    const job = await h.engine.run(jobId);
    assert.equal(job.status, 'completed');

    const pricer = createPricer();
    let cachedItems = 0;
    for (const item of h.store.index.items(jobId)) {
      assert.ok(item.resultFile !== null && item.resultOffset !== null && item.resultLength !== null);
      const outcome = parseAnthropicResultLine(await readResultLine(h.store, item.resultFile, item.resultOffset, item.resultLength));
      assert.ok(outcome?.usage, `${item.id} has its usage`);
      const { usage } = outcome;
      if ((usage.cacheReadTokens ?? 0) + (usage.cacheWriteTokens ?? 0) > 0) cachedItems++;
      const expected = pricer.price('anthropic', MODEL, usage.inputTokens, usage.outputTokens, cacheUseOf(usage))?.batch;
      assert.ok(expected !== undefined && Math.abs(item.cost - expected) < 1e-12, `${item.id}: cost ${item.cost}, its usage prices at ${expected}`);
    }
    assert.equal(cachedItems, 3, 'every request used the cache (one write, then reads), so the test compares cache prices');
  });
});
