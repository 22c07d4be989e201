import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { PlanBuilder } from '../../src/core/planner';
import { PROVIDER_LIMITS } from '../../src/core/providerLimits';

const hashOf = (n: number) => new Uint8Array(createHash('sha256').update(String(n)).digest());

function planOf(provider: 'openai' | 'azure' | 'anthropic' | 'bedrock', items: { model: string; length: number; inputs?: number }[]) {
  const builder = new PlanBuilder(provider);
  items.forEach((item, index) => builder.add(item.model, index + 1, item.length, hashOf(index), 0, true, item.inputs ?? 0));
  return builder.build();
}

/** Embeddings requests of `inputs` inputs each. */
const embeddings = (count: number, inputs: number) => Array.from({ length: count }, () => ({ model: 'text-embedding-3-small', length: 99, inputs }));

const many = (count: number, model = 'gpt-4o-mini', length = 99) => Array.from({ length: count }, () => ({ model, length }));

describe('PlanBuilder', () => {
  it('keeps exactly the limit in one chunk', () => {
    const chunks = planOf('openai', many(PROVIDER_LIMITS.openai.maxRequests));
    assert.equal(chunks.length, 1);
    assert.equal(chunks[0]?.lines.length, 50_000);
    assert.equal(chunks[0]?.bytes, 50_000 * 100);
  });

  it('splits 50,001 OpenAI requests into two balanced chunks', () => {
    const chunks = planOf('openai', many(50_001));
    assert.deepEqual(
      chunks.map((c) => c.lines.length),
      [25_001, 25_000],
    );
    assert.equal(chunks[1]?.lines[0], 25_002);
  });

  it('cuts at the 200 MB byte limit even under the request limit', () => {
    // 3 lines of 80 MB (+1 newline each): two fit in 200 MB, the third starts a new chunk.
    const chunks = planOf('openai', many(3, 'gpt-4o-mini', 80_000_000));
    assert.deepEqual(
      chunks.map((c) => c.bytes),
      [160_000_002, 80_000_001],
    );
    const exact = planOf('openai', [
      { model: 'm', length: 199_999_999 },
      { model: 'm', length: 0 },
    ]);
    assert.deepEqual(
      exact.map((c) => c.lines.length),
      [1, 1],
      'a chunk of exactly 200,000,000 bytes is full',
    );
  });

  it('partitions by model where the provider needs one model per batch', () => {
    const chunks = planOf('openai', [...many(2, 'gpt-4o'), ...many(3, 'gpt-4o-mini'), ...many(1, 'gpt-4o')]);
    assert.deepEqual(
      chunks.map((c) => [c.model, c.lines]),
      [
        ['gpt-4o', [1, 2, 6]],
        ['gpt-4o-mini', [3, 4, 5]],
      ],
    );
  });

  it('mixes models in one batch for Anthropic', () => {
    const chunks = planOf('anthropic', [...many(2, 'claude-haiku-4-5'), ...many(2, 'claude-sonnet-4-5')]);
    assert.equal(chunks.length, 1);
    assert.equal(chunks[0]?.model, 'claude-haiku-4-5+claude-sonnet-4-5');
    assert.deepEqual(chunks[0]?.lines, [1, 2, 3, 4]);
  });

  it('gives the same chunk ids to the same input and different ids to different input', () => {
    const a = planOf('openai', many(10));
    const b = planOf('openai', many(10));
    const c = planOf('openai', many(11));
    assert.equal(a[0]?.id, b[0]?.id);
    assert.notEqual(a[0]?.id, c[0]?.id);
    assert.match(a[0]?.id ?? '', /^chunk_[0-9a-f]{24}$/);
  });

  it('keeps each embeddings batch within 50,000 inputs across its requests', () => {
    // 30 requests of 2,048 inputs (61,440 in all): far under the request limit, over the input limit.
    const chunks = planOf('openai', embeddings(30, 2_048));
    assert.deepEqual(
      chunks.map((c) => [c.lines.length, c.embeddingInputs]),
      [
        [24, 49_152],
        [6, 12_288],
      ],
    );
    assert.deepEqual(
      chunks.flatMap((c) => c.lines),
      Array.from({ length: 30 }, (_, i) => i + 1),
      'every request once, in file order',
    );
    assert.ok(chunks.every((c) => c.embeddingInputs <= (PROVIDER_LIMITS.openai.maxEmbeddingInputs ?? 0)));
    assert.equal(planOf('azure', embeddings(30, 2_048)).length, 2, 'Azure keeps the same input limit');
  });

  it('fills an embeddings batch to exactly 50,000 inputs and cuts at one more', () => {
    const full = planOf('openai', [...embeddings(24, 2_000), ...embeddings(1, 2_000)]);
    assert.deepEqual(
      full.map((c) => c.embeddingInputs),
      [50_000],
    );
    const over = planOf('openai', [...embeddings(25, 2_000), ...embeddings(1, 1)]);
    assert.deepEqual(
      over.map((c) => [c.lines.length, c.embeddingInputs]),
      [
        [25, 50_000],
        [1, 1],
      ],
    );
  });

  it('counts no inputs where the provider has no embedding input limit', () => {
    const chunks = planOf('anthropic', Array.from({ length: 30 }, () => ({ model: 'claude-haiku-4-5', length: 99, inputs: 2_048 })));
    assert.equal(chunks.length, 1);
  });

  it('returns no chunks when nothing was added', () => {
    assert.deepEqual(new PlanBuilder('bedrock').build(), []);
  });
});
