import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { calcPrice } from '@pydantic/genai-prices';
import { DEFAULT_BATCH_MULTIPLIERS, GENAI_PRICES_PROVIDER, createPricer } from '../../src/core/pricing';
import type { RequestPrice } from '../../src/core/pricing';
import { PROVIDER_IDS } from '../../src/core/providerLimits';

/** Dollar figures are sums of products of decimals; compare them to 1e-12 relative. */
function near(actual: number, expected: number, label = ''): void {
  assert.ok(Math.abs(actual - expected) <= 1e-12 * Math.max(1, Math.abs(expected)), `${label}: ${actual} ≠ ${expected}`);
}

function priced(price: RequestPrice | null, sync: number, batch: number, label = ''): void {
  assert.ok(price !== null, `${label}: no price`);
  near(price.sync, sync, `${label} sync`);
  near(price.batch, batch, `${label} batch`);
}

describe('price source', () => {
  it('names genai-prices and the installed version, with the data date', () => {
    const pricer = createPricer();
    const require = createRequire(import.meta.url);
    // The package's exports map hides package.json, so read it beside the resolved entry point.
    const entry = require.resolve('@pydantic/genai-prices');
    const manifest: unknown = JSON.parse(readFileSync(entry.replace(/dist[\\/]index\.c?js$/, 'package.json'), 'utf8'));
    assert.ok(typeof manifest === 'object' && manifest !== null && 'version' in manifest);
    assert.equal(pricer.source.name, '@pydantic/genai-prices');
    assert.equal(pricer.source.version, manifest.version, 'bump GENAI_PRICES_SOURCE (version and date) with the dependency');
    assert.match(pricer.source.date, /^\d{4}-\d{2}-\d{2}$/);
    assert.equal(pricer.source.date, '2026-09-23');
  });

  it('maps every provider to a genai-prices provider id', () => {
    assert.deepEqual(GENAI_PRICES_PROVIDER, { openai: 'openai', azure: 'azure', anthropic: 'anthropic', gemini: 'google', vertex: 'google', bedrock: 'aws' });
  });

  it('defaults every batch multiplier to 0.5', () => {
    for (const provider of PROVIDER_IDS) assert.equal(DEFAULT_BATCH_MULTIPLIERS[provider], 0.5, provider);
  });
});

describe('createPricer: package prices', () => {
  const pricer = createPricer();

  it('gpt-4o-mini, 1,000 in / 500 out at $0.15 / $0.60 per MTok', () => {
    // 1,000 × 0.15 / 1e6 = 0.00015; 500 × 0.60 / 1e6 = 0.0003; total 0.00045; batch half.
    priced(pricer.price('openai', 'gpt-4o-mini', 1_000, 500), 0.00045, 0.000225);
  });

  it('a dated snapshot name resolves to its model (gpt-4o-2024-08-06 at $2.50 / $10)', () => {
    // 1,000 × 2.5 / 1e6 = 0.0025; 500 × 10 / 1e6 = 0.005.
    priced(pricer.price('openai', 'gpt-4o-2024-08-06', 1_000, 500), 0.0075, 0.00375);
  });

  it('azure: an OpenAI model name gets the OpenAI price', () => {
    priced(pricer.price('azure', 'gpt-4o', 1_000, 500), 0.0075, 0.00375);
    priced(pricer.price('azure', 'gpt-4o-mini', 1_000, 500), 0.00045, 0.000225);
  });

  it('anthropic: claude-3-5-haiku at $0.80 / $4', () => {
    // 2,000 × 0.8 / 1e6 = 0.0016; 1,000 × 4 / 1e6 = 0.004.
    priced(pricer.price('anthropic', 'claude-3-5-haiku-20241022', 2_000, 1_000), 0.0056, 0.0028);
  });

  it('gemini: models/ prefix is accepted (gemini-2.5-flash at $0.30 / $2.50)', () => {
    // 1,000 × 0.3 / 1e6 = 0.0003; 1,000 × 2.5 / 1e6 = 0.0025.
    priced(pricer.price('gemini', 'models/gemini-2.5-flash', 1_000, 1_000), 0.0028, 0.0014);
  });

  it('bedrock: model ids, inference profiles and ARNs (claude-3-haiku at $0.25 / $1.25)', () => {
    // 1,000 × 0.25 / 1e6 = 0.00025; 1,000 × 1.25 / 1e6 = 0.00125.
    for (const model of [
      'anthropic.claude-3-haiku-20240307-v1:0',
      'us.anthropic.claude-3-haiku-20240307-v1:0',
      'arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-haiku-20240307-v1:0',
    ]) {
      priced(pricer.price('bedrock', model, 1_000, 1_000), 0.0015, 0.00075, model);
    }
  });

  it('embeddings have an input price only (text-embedding-3-small at $0.02)', () => {
    // 1,000 × 0.02 / 1e6 = 0.00002.
    priced(pricer.price('openai', 'text-embedding-3-small', 1_000, 0), 0.00002, 0.00001);
  });

  it('zero, negative or non-finite token counts cost nothing', () => {
    priced(pricer.price('openai', 'gpt-4o-mini', 0, 0), 0, 0);
    priced(pricer.price('openai', 'gpt-4o-mini', -5, Number.NaN), 0, 0);
  });

  it('returns the same figure from the cache on a second call', () => {
    const first = pricer.price('openai', 'gpt-4o-mini', 1_234, 56);
    assert.deepEqual(pricer.price('openai', 'gpt-4o-mini', 1_234, 56), first);
  });
});

describe('createPricer: long-context tiers apply per request', () => {
  const pricer = createPricer();

  it('gemini-2.5-pro at exactly 200,000 input tokens stays on the base tier ($1.25 / $10)', () => {
    // 200,000 × 1.25 / 1e6 = 0.25; 1,000 × 10 / 1e6 = 0.01.
    priced(pricer.price('gemini', 'gemini-2.5-pro', 200_000, 1_000), 0.26, 0.13);
  });

  it('gemini-2.5-pro above 200,000 input tokens uses the higher tier for input and output ($2.50 / $15)', () => {
    // 200,001 × 2.5 / 1e6 = 0.5000025; 1,000 × 15 / 1e6 = 0.015.
    priced(pricer.price('gemini', 'gemini-2.5-pro', 200_001, 1_000), 0.5150025, 0.25750125);
  });

  it('claude-sonnet-4-5 above 200k input tokens uses $6 / $22.50', () => {
    // 250,000 × 6 / 1e6 = 1.5; 1,000 × 22.5 / 1e6 = 0.0225.
    priced(pricer.price('anthropic', 'claude-sonnet-4-5-20250929', 250_000, 1_000), 1.5225, 0.76125);
  });

  it('two 150k requests each stay on the base tier, unlike one 300k request', () => {
    // Each: 150,000 × 1.25 / 1e6 = 0.1875. One 300k request: 300,000 × 2.5 / 1e6 = 0.75.
    const one = pricer.price('gemini', 'gemini-2.5-pro', 150_000, 0);
    assert.ok(one !== null);
    near(one.sync * 2, 0.375, 'two requests');
    priced(pricer.price('gemini', 'gemini-2.5-pro', 300_000, 0), 0.75, 0.375, 'one request');
  });

  it('agrees with genai-prices calcPrice on base and tiered requests', () => {
    const cases = [
      ['openai', 'openai', 'gpt-4o-mini', 1_000, 500],
      ['openai', 'openai', 'gpt-4.1', 12_345, 678],
      ['gemini', 'google', 'gemini-2.5-pro', 250_000, 4_000],
      ['anthropic', 'anthropic', 'claude-sonnet-4-5', 210_000, 9_000],
      ['bedrock', 'aws', 'amazon.nova-pro-v1:0', 3_000, 700],
    ] as const;
    for (const [provider, genaiProvider, model, input, output] of cases) {
      const reference = calcPrice({ input_tokens: input, output_tokens: output }, model, { providerId: genaiProvider });
      assert.ok(reference !== null, model);
      const ours = pricer.price(provider, model, input, output);
      assert.ok(ours !== null, model);
      near(ours.sync, reference.total_price, model);
    }
  });
});

describe('createPricer: overrides and multipliers', () => {
  it('an override prices a model the data does not know', () => {
    const pricer = createPricer({ overrides: { 'my-gpt4o-deploy': { inputPerMTok: 2, outputPerMTok: 8 } } });
    // 1,000 × 2 / 1e6 = 0.002; 500 × 8 / 1e6 = 0.004.
    priced(pricer.price('azure', 'my-gpt4o-deploy', 1_000, 500), 0.006, 0.003);
  });

  it('an override wins over the package data', () => {
    const pricer = createPricer({ overrides: { 'gpt-4o-mini': { inputPerMTok: 1, outputPerMTok: 1 } } });
    // (1,000 + 500) × 1 / 1e6 = 0.0015.
    priced(pricer.price('openai', 'gpt-4o-mini', 1_000, 500), 0.0015, 0.00075);
  });

  it('options.batchMultipliers replaces the provider default', () => {
    const pricer = createPricer({ batchMultipliers: { openai: 0.6 } });
    // 0.00045 × 0.6 = 0.00027.
    priced(pricer.price('openai', 'gpt-4o-mini', 1_000, 500), 0.00045, 0.00027);
    // Other providers keep 0.5.
    priced(pricer.price('anthropic', 'claude-3-5-haiku-20241022', 2_000, 1_000), 0.0056, 0.0028);
  });

  it("an override's batchMultiplier wins over both", () => {
    const pricer = createPricer({
      batchMultipliers: { azure: 0.6 },
      overrides: { 'my-gpt4o-deploy': { inputPerMTok: 2, outputPerMTok: 8, batchMultiplier: 0.4 } },
    });
    // 0.006 × 0.4 = 0.0024.
    priced(pricer.price('azure', 'my-gpt4o-deploy', 1_000, 500), 0.006, 0.0024);
  });

  it('an override without batchMultiplier uses the configured provider multiplier', () => {
    const pricer = createPricer({ batchMultipliers: { azure: 0.6 }, overrides: { dep: { inputPerMTok: 2, outputPerMTok: 8 } } });
    // 0.006 × 0.6 = 0.0036.
    priced(pricer.price('azure', 'dep', 1_000, 500), 0.006, 0.0036);
  });
});

describe('createPricer: unknown models', () => {
  const pricer = createPricer();

  it('returns null for a model with no known price', () => {
    assert.equal(pricer.price('openai', 'no-such-model-xyz', 1_000, 500), null);
    assert.equal(pricer.price('azure', 'my-gpt4o-deploy', 1_000, 500), null);
    assert.equal(pricer.price('gemini', 'gemini-does-not-exist', 1_000, 500), null);
    // Asked twice: the cached miss is still a miss.
    assert.equal(pricer.price('openai', 'no-such-model-xyz', 1_000, 500), null);
  });

  it('explains how to add a price, naming the model and the provider', () => {
    assert.equal(
      pricer.unknownModelMessage('openai', 'x'),
      'No price known for model "x" on OpenAI. Add it to a prices file and pass --prices FILE: {"models": {"x": {"inputPerMTok": 1.25, "outputPerMTok": 10}}}',
    );
    const azure = pricer.unknownModelMessage('azure', 'my-gpt4o-deploy');
    assert.match(azure, /^No price known for model "my-gpt4o-deploy" on Azure OpenAI\./);
    assert.match(azure, /deployment/);
    assert.match(azure, /\{"models": \{"my-gpt4o-deploy": \{"inputPerMTok": 1\.25, "outputPerMTok": 10\}\}\}$/);
  });

  it('escapes quotes in the model name so the suggested JSON stays valid', () => {
    const message = pricer.unknownModelMessage('anthropic', 'we"ird');
    const json = message.slice(message.indexOf('{'));
    assert.deepEqual(JSON.parse(json), { models: { 'we"ird': { inputPerMTok: 1.25, outputPerMTok: 10 } } });
  });
});

describe('createPricer: prompt-cache tokens from a result', () => {
  const pricer = createPricer();

  it('prices cache reads and writes at their own rates, with the batch discount on the whole (claude-haiku-4-5: $1, $0.10, $1.25 per M)', () => {
    // 1M input tokens of which 500k were read from the cache and 100k written to it, no output.
    const price = pricer.price('anthropic', 'claude-haiku-4-5', 1_000_000, 0, { readTokens: 500_000, writeTokens: 100_000 });
    assert.ok(price);
    assert.ok(Math.abs(price.sync - (0.4 + 0.05 + 0.125)) < 1e-9, `sync ${price.sync}`);
    assert.ok(Math.abs(price.batch - 0.575 * DEFAULT_BATCH_MULTIPLIERS.anthropic) < 1e-9, `batch ${price.batch}`);
    const uncached = pricer.price('anthropic', 'claude-haiku-4-5', 1_000_000, 0);
    assert.ok(uncached && Math.abs(uncached.sync - 1) < 1e-9, 'without cache use, every input token at the input rate');
  });

  it('never counts more cached tokens than the input holds', () => {
    const price = pricer.price('anthropic', 'claude-haiku-4-5', 1_000, 0, { readTokens: 5_000, writeTokens: 5_000 });
    assert.ok(price && Math.abs(price.sync - (1_000 * 0.1) / 1_000_000) < 1e-12);
  });
});
