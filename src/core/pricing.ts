// Dollar prices per request, sync and batch, from @pydantic/genai-prices' bundled snapshot.
//
// Prices apply per request, never to sums: long-context tiers (gemini-2.5-pro, Claude Sonnet 4.5
// above 200k input tokens) switch the rate for the whole request when its own input crosses the
// threshold. genai-prices resolves a model once per (provider, model); the arithmetic after that
// is ours, so a million calls cost a Map lookup and a few multiplications each.
//
// No network: genai-prices can fetch fresh data through `updatePrices`; it is never called here,
// so calcPrice always reads the data shipped inside the installed package.

import { calcPrice } from '@pydantic/genai-prices';
import type { ModelPrice } from '@pydantic/genai-prices';
import { PROVIDER_LIMITS } from './providerLimits';
import type { ProviderId } from './providerLimits';

// Optional fields also accept an explicit `undefined`, so parsed settings (zod's optional output)
// can be passed straight in under exactOptionalPropertyTypes.

/** Dollars per million tokens. */
export interface PriceOverride {
  inputPerMTok: number;
  outputPerMTok: number;
  batchMultiplier?: number | undefined;
}

export interface PricingOptions {
  /** Keyed by the model name exactly as the request names it (an Azure deployment name, say). */
  overrides?: Readonly<Record<string, PriceOverride>> | undefined;
  batchMultipliers?: Partial<Record<ProviderId, number | undefined>> | undefined;
}

/**
 * Batch price as a share of the sync price. All six document 50% off both input and output
 * (docs/PROVIDER_BATCH_APIS.md); Bedrock's is "about 50% for supported models".
 */
export const DEFAULT_BATCH_MULTIPLIERS: Readonly<Record<ProviderId, number>> = {
  openai: 0.5,
  azure: 0.5,
  anthropic: 0.5,
  gemini: 0.5,
  vertex: 0.5,
  bedrock: 0.5,
};

/** Dollars. */
export interface RequestPrice {
  sync: number;
  batch: number;
}

/** Of a request's input tokens, those its provider read from or wrote to a prompt cache. */
export interface CacheUse {
  readonly readTokens?: number | undefined;
  readonly writeTokens?: number | undefined;
}

export interface PriceSource {
  name: string;
  version: string;
  /** When the price data was published (ISO date). */
  date: string;
}

export interface Pricer {
  readonly source: PriceSource;
  /**
   * null when the model has no known price: the caller reports `unknownModelMessage`. `cache`:
   * how many of the input tokens were read from or written to a prompt cache (from a result's usage).
   */
  price(provider: ProviderId, model: string, inputTokens: number, outputTokens: number, cache?: CacheUse): RequestPrice | null;
  unknownModelMessage(provider: ProviderId, model: string): string;
}

/**
 * The installed package and its data snapshot. The bundle carries no data timestamp, so the date
 * is the npm publish time of 0.1.8 (2026-09-23T10:11:04Z). A unit test reads the installed
 * package.json, so upgrading the dependency without updating this fails loudly.
 */
export const GENAI_PRICES_SOURCE: PriceSource = {
  name: '@pydantic/genai-prices',
  version: '0.1.8',
  date: '2026-09-23',
};

/** Our provider ids → genai-prices provider ids (checked against the bundled data). */
export const GENAI_PRICES_PROVIDER: Readonly<Record<ProviderId, string>> = {
  openai: 'openai',
  azure: 'azure',
  anthropic: 'anthropic',
  gemini: 'google',
  // Vertex serves the same Gemini models at the same list prices.
  vertex: 'google',
  bedrock: 'aws',
};

/** A per-million-token rate that may step up once a request's input passes a threshold. */
interface Rate {
  base: number;
  /** Ascending by `start`; a tier applies when the request's input tokens exceed `start`. */
  tiers: readonly { start: number; price: number }[];
}

interface ResolvedPrice {
  input: Rate;
  output: Rate;
  /** Input read from or written to a prompt cache, where the data prices it apart (else the input rate). */
  cacheRead: Rate | undefined;
  cacheWrite: Rate | undefined;
  /** Flat fee per request, where the data has one (`requests_kcount`, dollars per 1,000). */
  perRequest: number;
  batchMultiplier: number;
}

const FLAT_ZERO: Rate = { base: 0, tiers: [] };

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isRate(value: number): boolean {
  return Number.isFinite(value) && value >= 0;
}

/** A genai-prices price value (a number or `{base, tiers}`) as a Rate; undefined if unusable. */
function toRate(value: ModelPrice[string]): Rate | undefined {
  if (typeof value === 'number') return isRate(value) ? { base: value, tiers: [] } : undefined;
  if (!isRecord(value)) return undefined;
  const base = value['base'];
  const tiers = value['tiers'];
  if (typeof base !== 'number' || !isRate(base) || !Array.isArray(tiers)) return undefined;
  const parsed: { start: number; price: number }[] = [];
  for (const tier of tiers as unknown[]) {
    if (!isRecord(tier)) return undefined;
    const { start, price } = tier;
    if (typeof start !== 'number' || typeof price !== 'number' || !isRate(price) || !(start >= 0)) return undefined;
    parsed.push({ start, price });
  }
  parsed.sort((a, b) => a.start - b.start);
  return { base, tiers: parsed };
}

/** Same rule as genai-prices' own tier selection: the last tier whose start the input exceeds. */
function rateFor(rate: Rate, inputTokens: number): number {
  let perMTok = rate.base;
  for (const tier of rate.tiers) {
    if (inputTokens > tier.start) perMTok = tier.price;
    else break;
  }
  return perMTok;
}

/**
 * Model ids as genai-prices knows them. Gemini names may come as `models/gemini-2.5-flash` or a
 * full Vertex resource name; Bedrock ones as an ARN whose last segment is the model or inference
 * profile id. The other providers' names are used as given.
 */
function normaliseModel(provider: ProviderId, model: string): string {
  const trimmed = model.trim();
  if (provider === 'gemini' || provider === 'vertex' || provider === 'bedrock') {
    const slash = trimmed.lastIndexOf('/');
    if (slash !== -1) return trimmed.slice(slash + 1);
  }
  return trimmed;
}

/** Looks a model up in the bundled data; null when unknown or when its price has no text rates. */
function lookUp(genaiProvider: string, model: string): Omit<ResolvedPrice, 'batchMultiplier'> | null {
  let result: ReturnType<typeof calcPrice>;
  try {
    // The usage only has to be valid; the point is the resolved `model_price`, which calcPrice
    // picks with genai-prices' own matching (aliases, dated snapshots, fallback providers such
    // as Azure → OpenAI) and date constraints (today's price).
    result = calcPrice({ input_tokens: 1, output_tokens: 1 }, model, { providerId: genaiProvider });
  } catch {
    return null;
  }
  if (result === null) return null;
  const prices = result.model_price;
  const input = prices['input_mtok'] === undefined ? undefined : toRate(prices['input_mtok']);
  // Without a text input rate (audio-only, image-only entries) the model cannot be priced here.
  if (input === undefined) return null;
  const output = prices['output_mtok'] === undefined ? FLAT_ZERO : toRate(prices['output_mtok']);
  if (output === undefined) return null;
  const requests = prices['requests_kcount'];
  const perRequest = typeof requests === 'number' && isRate(requests) ? requests / 1000 : 0;
  const cacheRead = prices['cache_read_mtok'] === undefined ? undefined : toRate(prices['cache_read_mtok']);
  const cacheWrite = prices['cache_write_mtok'] === undefined ? undefined : toRate(prices['cache_write_mtok']);
  return { input, output, perRequest, cacheRead, cacheWrite };
}

function clampTokens(tokens: number): number {
  return Number.isFinite(tokens) && tokens > 0 ? tokens : 0;
}

function validMultiplier(value: number | undefined): value is number {
  return value !== undefined && Number.isFinite(value) && value >= 0;
}

export function createPricer(options: PricingOptions = {}): Pricer {
  const overrides = options.overrides ?? {};
  const batchMultiplierFor = (provider: ProviderId): number => {
    const configured = options.batchMultipliers?.[provider];
    return validMultiplier(configured) ? configured : DEFAULT_BATCH_MULTIPLIERS[provider];
  };
  const cache = new Map<ProviderId, Map<string, ResolvedPrice | null>>();

  const resolve = (provider: ProviderId, model: string): ResolvedPrice | null => {
    const override = Object.hasOwn(overrides, model) ? overrides[model] : undefined;
    if (override !== undefined && isRate(override.inputPerMTok) && isRate(override.outputPerMTok)) {
      return {
        input: { base: override.inputPerMTok, tiers: [] },
        output: { base: override.outputPerMTok, tiers: [] },
        perRequest: 0,
        cacheRead: undefined,
        cacheWrite: undefined,
        batchMultiplier: validMultiplier(override.batchMultiplier) ? override.batchMultiplier : batchMultiplierFor(provider),
      };
    }
    const name = normaliseModel(provider, model);
    let found = lookUp(GENAI_PRICES_PROVIDER[provider], name);
    // Azure prices the OpenAI models it hosts like OpenAI; genai-prices' azure entry already
    // falls back to openai, and this keeps that true whatever the data says.
    if (found === null && provider === 'azure') found = lookUp(GENAI_PRICES_PROVIDER.openai, name);
    return found === null ? null : { ...found, batchMultiplier: batchMultiplierFor(provider) };
  };

  return {
    source: GENAI_PRICES_SOURCE,

    price(provider, model, inputTokens, outputTokens, cacheUse) {
      let byModel = cache.get(provider);
      if (byModel === undefined) {
        byModel = new Map();
        cache.set(provider, byModel);
      }
      let resolved = byModel.get(model);
      if (resolved === undefined) {
        resolved = resolve(provider, model);
        byModel.set(model, resolved);
      }
      if (resolved === null) return null;
      const input = clampTokens(inputTokens);
      const output = clampTokens(outputTokens);
      // Cached input is part of `input`; its share is priced at the cache rates (the tier still
      // follows the whole prompt), then the batch discount applies to the whole, as providers bill it.
      const read = Math.min(clampTokens(cacheUse?.readTokens ?? 0), input);
      const written = Math.min(clampTokens(cacheUse?.writeTokens ?? 0), input - read);
      const inputCost =
        (input - read - written) * rateFor(resolved.input, input) +
        read * rateFor(resolved.cacheRead ?? resolved.input, input) +
        written * rateFor(resolved.cacheWrite ?? resolved.input, input);
      const sync = (inputCost + output * rateFor(resolved.output, input)) / 1_000_000 + resolved.perRequest;
      return { sync, batch: sync * resolved.batchMultiplier };
    },

    unknownModelMessage(provider, model) {
      const key = JSON.stringify(model);
      const where = PROVIDER_LIMITS[provider].displayName;
      const azureHint = provider === 'azure' ? ' Azure deployment names are free text, so name the deployment itself.' : '';
      return (
        `No price known for model ${key} on ${where}.${azureHint} ` +
        `Add it to a prices file and pass --prices FILE: {"models": {${key}: {"inputPerMTok": 1.25, "outputPerMTok": 10}}}`
      );
    },
  };
}
