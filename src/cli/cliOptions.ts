// Flags every job command shares, and how they become a store, providers and an engine. Keys
// come only from the environment (OPENAI_API_KEY, ANTHROPIC_API_KEY, …, the AWS and Google
// credential chains) — never from flags, which end up in shell history.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { ParseArgsConfig } from 'node:util';
import { assembleJobs } from '../app/assembleJobs';
import type { JobService } from '../app/jobService';
import type { BudgetCaps } from '../core/budget';
import type { Pricer } from '../core/pricing';
import { pricesFileSchema } from '../core/pricesFile';
import { PROVIDER_IDS, isProviderId } from '../core/providerLimits';
import type { ProviderId } from '../core/providerLimits';
import type { Engine } from '../engine/engine';
import { engineConfigFor } from '../engine/engineConfig';
import type { BatchProvider } from '../providers/batchProvider';
import type { ProviderSettings } from '../core/providerSettings';
import type { ProviderConnection } from '../providers/providerConfig';
import { withCallLog } from '../providers/callLog';
import { createProvider, providerEntry } from '../providers/registry';
import { WorkspaceStore } from '../store/workspaceStore';
import { azureApiVersion } from './azureApiVersion';
import { UsageError } from './usageError';

export const COMMON_OPTIONS = {
  workspace: { type: 'string' },
  'base-url': { type: 'string' },
  'api-version': { type: 'string' },
  prices: { type: 'string' },
  json: { type: 'boolean', default: false },
  /** Each provider call on stderr (method, subject, outcome, duration; never a key or a prompt). */
  verbose: { type: 'boolean', default: false },
} as const satisfies ParseArgsConfig['options'];

/** Where a new job's batches go; a job remembers them, so later commands need none of these. */
export const PROVIDER_SETTING_OPTIONS = {
  region: { type: 'string' },
  bucket: { type: 'string' },
  'role-arn': { type: 'string' },
  project: { type: 'string' },
  location: { type: 'string' },
  'invocation-type': { type: 'string' },
} as const satisfies ParseArgsConfig['options'];

export interface CommonValues {
  readonly workspace?: string | undefined;
  readonly 'base-url'?: string | undefined;
  readonly 'api-version'?: string | undefined;
  readonly prices?: string | undefined;
  readonly json?: boolean | undefined;
  readonly verbose?: boolean | undefined;
  readonly region?: string | undefined;
  readonly bucket?: string | undefined;
  readonly 'role-arn'?: string | undefined;
  readonly project?: string | undefined;
  readonly location?: string | undefined;
  readonly 'invocation-type'?: string | undefined;
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
  if (!isProviderId(value)) throw new UsageError(`unknown provider "${value}" (expected ${PROVIDER_IDS.join(', ')})`);
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
export function baseUrlFor(provider: ProviderId, values: CommonValues, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (values['base-url']) return values['base-url'];
  return providerEntry(provider).baseUrlEnv.map((name) => env[name]).find((value) => value !== undefined && value !== '');
}

/** Settings from the flags, else the environment each cloud's own tools read. */
export function settingsFromFlags(values: CommonValues, env: NodeJS.ProcessEnv = process.env): ProviderSettings {
  const invocationType = values['invocation-type'];
  if (invocationType !== undefined && invocationType !== 'InvokeModel' && invocationType !== 'Converse') {
    throw new UsageError(`--invocation-type must be InvokeModel or Converse, got "${invocationType}"`);
  }
  return {
    endpoint: values['base-url'] ?? env['AZURE_OPENAI_ENDPOINT'],
    apiVersion: azureApiVersion(values['api-version'], env),
    region: values.region ?? env['AWS_REGION'] ?? env['AWS_DEFAULT_REGION'],
    bucket: values.bucket ?? env['LLM_BATCH_BUCKET'],
    roleArn: values['role-arn'] ?? env['LLM_BATCH_BEDROCK_ROLE_ARN'],
    project: values.project ?? env['GOOGLE_CLOUD_PROJECT'],
    location: values.location ?? env['GOOGLE_CLOUD_LOCATION'],
    invocationType,
  };
}

/**
 * Adapters made on demand, one per provider and settings. A job's own settings (what it was
 * submitted with) win over the flags; the base URL and the credentials come from the flags and
 * the environment every time.
 */
export function providerFactory(values: CommonValues, env: NodeJS.ProcessEnv = process.env): (provider: ProviderId, settings?: ProviderSettings) => BatchProvider {
  const made = new Map<string, BatchProvider>();
  return (provider, settings) => {
    const key = `${provider}:${JSON.stringify(settings ?? {})}`;
    let adapter = made.get(key);
    if (adapter) return adapter;
    const entry = providerEntry(provider);
    // A job's record may come from a cloned workspace: the host a key goes to is never taken from
    // it, only from the flags and the environment (Azure's endpoint is where its key is sent).
    const { endpoint: _fromJob, ...jobSettings } = settings ?? {};
    const connection: ProviderConnection = {
      ...settingsFromFlags(values, env),
      ...jobSettings,
      provider,
      baseUrl: baseUrlFor(provider, values, env),
      apiKey: entry.keyEnv.map((name) => env[name]).find((value) => value !== undefined && value !== ''),
      accessToken: provider === 'vertex' ? env['GOOGLE_OAUTH_ACCESS_TOKEN'] : undefined,
    };
    const keyHint = `set ${entry.keyEnv.join(' or ')} in the environment (keys are never taken from flags)`;
    try {
      adapter = createProvider(connection, keyHint);
      if (values.verbose) adapter = withCallLog(adapter, (_level, message) => process.stderr.write(`llm-batch: ${message}\n`));
    } catch (error) {
      throw new UsageError((error as Error).message);
    }
    made.set(key, adapter);
    return adapter;
  };
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
  readonly providerFor: (provider: ProviderId, settings?: ProviderSettings) => BatchProvider;
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
    config: engineConfigFor(values['base-url'] ?? anyBaseUrlFromEnv()),
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

/** A base URL set for any provider, to judge whether the endpoint is a local one (see engineConfigFor). */
function anyBaseUrlFromEnv(): string | undefined {
  return PROVIDER_IDS.flatMap((provider) => providerEntry(provider).baseUrlEnv)
    .map((name) => process.env[name])
    .find((value) => value !== undefined && value !== '');
}
