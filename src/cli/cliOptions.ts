// Flags every job command shares, and how they become a store, providers and an engine. Keys
// come only from the environment (OPENAI_API_KEY, AZURE_OPENAI_API_KEY) — never from flags,
// which end up in shell history.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { ParseArgsConfig } from 'node:util';
import { assembleJobs } from '../app/assembleJobs';
import type { JobService } from '../app/jobService';
import type { BudgetCaps } from '../core/budget';
import type { Pricer } from '../core/pricing';
import { pricesFileSchema } from '../core/pricesFile';
import { isProviderId } from '../core/providerLimits';
import type { ProviderId } from '../core/providerLimits';
import type { Engine } from '../engine/engine';
import { engineConfigFor } from '../engine/engineConfig';
import type { BatchProvider } from '../providers/batchProvider';
import { createOpenAiProvider } from '../providers/openaiProvider';
import { WorkspaceStore } from '../store/workspaceStore';
import { azureApiVersion } from './azureApiVersion';
import { UsageError } from './usageError';

export const COMMON_OPTIONS = {
  workspace: { type: 'string' },
  'base-url': { type: 'string' },
  'api-version': { type: 'string' },
  prices: { type: 'string' },
  json: { type: 'boolean', default: false },
} as const satisfies ParseArgsConfig['options'];

export interface CommonValues {
  readonly workspace?: string | undefined;
  readonly 'base-url'?: string | undefined;
  readonly 'api-version'?: string | undefined;
  readonly prices?: string | undefined;
  readonly json?: boolean | undefined;
}

export function parseCommand<O extends NonNullable<ParseArgsConfig['options']>>(args: string[], options: O) {
  try {
    return parseArgs({ args, allowPositionals: true, strict: true, options: { ...COMMON_OPTIONS, ...options } });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

export function parseProvider(value: string | undefined): ProviderId | undefined {
  if (value === undefined) return undefined;
  if (!isProviderId(value)) throw new UsageError(`unknown provider "${value}" (expected openai, azure, anthropic, gemini or bedrock)`);
  return value;
}

/** A flag's number, refusing anything negative or not a number; undefined when the flag is absent. */
export function nonNegativeNumber(flag: string, value: string | undefined): number | undefined {
  if (value === undefined || value === '') return undefined;
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed < 0) throw new UsageError(`${flag} must be a number of 0 or more, got "${value}"`);
  return parsed;
}

export async function readPrices(file: string | undefined) {
  if (file === undefined) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    throw new UsageError(`cannot read prices file ${file}: ${(error as Error).message}`);
  }
  const parsed = pricesFileSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new UsageError(`prices file ${file}: field "${issue?.path.join('.') ?? ''}": ${issue?.message ?? 'invalid'}`);
  }
  return { overrides: parsed.data.models };
}

/** The base URL a provider's calls go to: the flag, else the provider's usual environment variable. */
export function baseUrlFor(provider: ProviderId, values: CommonValues): string | undefined {
  if (values['base-url']) return values['base-url'];
  if (provider === 'azure') return process.env['AZURE_OPENAI_ENDPOINT'];
  if (provider === 'openai') return process.env['OPENAI_BASE_URL'];
  return undefined;
}

export function providerFactory(values: CommonValues): (provider: ProviderId) => BatchProvider {
  const made = new Map<ProviderId, BatchProvider>();
  return (provider) => {
    let adapter = made.get(provider);
    if (adapter) return adapter;
    const baseUrl = baseUrlFor(provider, values);
    if (provider === 'openai') {
      adapter = createOpenAiProvider({ provider: 'openai', apiKey: requireKey('OPENAI_API_KEY'), ...(baseUrl ? { baseUrl } : {}) });
    } else if (provider === 'azure') {
      if (!baseUrl) throw new UsageError('Azure OpenAI needs its endpoint: set AZURE_OPENAI_ENDPOINT or pass --base-url');
      const apiVersion = azureApiVersion(values['api-version']);
      adapter = createOpenAiProvider({ provider: 'azure', apiKey: requireKey('AZURE_OPENAI_API_KEY'), endpoint: baseUrl, ...(apiVersion ? { apiVersion } : {}) });
    } else {
      throw new UsageError(`submitting to ${provider} is not supported yet (estimate works for every provider)`);
    }
    made.set(provider, adapter);
    return adapter;
  };
}

function requireKey(name: string): string {
  const key = process.env[name];
  if (!key) throw new UsageError(`set ${name} in the environment (keys are never taken from flags)`);
  return key;
}

export function workspaceDir(values: CommonValues): string {
  return path.resolve(values.workspace ?? process.cwd());
}

export function openStore(values: CommonValues, purpose: string, readOnly = false): Promise<WorkspaceStore> {
  // LLM_BATCH_SNAPSHOT_EVERY: how many journal records between snapshots (the crash tests make it small).
  const snapshotEvery = Number(process.env['LLM_BATCH_SNAPSHOT_EVERY']) || undefined;
  return WorkspaceStore.open(workspaceDir(values), { purpose, readOnly, snapshotEvery, onNotice: (message) => process.stderr.write(`llm-batch: ${message}\n`) });
}

export interface EngineSession {
  readonly store: WorkspaceStore;
  readonly engine: Engine;
  readonly service: JobService;
  readonly pricer: Pricer;
  readonly providerFor: (provider: ProviderId) => BatchProvider;
}

export const BUDGET_OPTIONS = {
  'daily-budget': { type: 'string' },
  'monthly-budget': { type: 'string' },
} as const satisfies ParseArgsConfig['options'];

/** Caps from --daily-budget / --monthly-budget, else LLM_BATCH_DAILY_BUDGET / LLM_BATCH_MONTHLY_BUDGET. */
export function budgetCaps(values: { readonly 'daily-budget'?: string | undefined; readonly 'monthly-budget'?: string | undefined }): BudgetCaps {
  return {
    daily: nonNegativeNumber('--daily-budget', values['daily-budget'] ?? process.env['LLM_BATCH_DAILY_BUDGET']),
    monthly: nonNegativeNumber('--monthly-budget', values['monthly-budget'] ?? process.env['LLM_BATCH_MONTHLY_BUDGET']),
  };
}

/**
 * A writable store with the engine and the submit service on it; the engine's timings shrink
 * against a loopback endpoint. Jobs with work at the provider that a stopped process left are
 * carried on first.
 */
export async function openEngine(values: CommonValues, purpose: string, budget: BudgetCaps = budgetCaps({})): Promise<EngineSession> {
  const pricing = await readPrices(values.prices);
  const store = await openStore(values, purpose);
  const providerFor = providerFactory(values);
  const { engine, service, pricer } = assembleJobs(store, {
    providerFor,
    pricing,
    budget: () => budget,
    config: engineConfigFor(values['base-url'] ?? process.env['OPENAI_BASE_URL'] ?? process.env['AZURE_OPENAI_ENDPOINT']),
    log: (message) => {
      if (!values.json) process.stderr.write(`llm-batch: ${message}\n`);
    },
  });
  try {
    await engine.resumeUnfinished();
  } catch (error) {
    await store.close();
    throw error;
  }
  return { store, engine, service, pricer, providerFor };
}

export function writeJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}
