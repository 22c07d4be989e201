// Typed access to the extension's settings. Endpoints, base URLs, the settings that say where a
// job's batches go (a Vertex project, a Bedrock region, bucket and role), budget caps and the
// failure-alert rate are machine-scoped and read only from the user's own (global) settings: a
// cloned repository's workspace settings must never be able to send a key to another host, stage
// data in someone else's bucket, lift a spending cap or silence the alert that says a job is failing.
import * as vscode from 'vscode';
import type { BudgetCaps } from '../core/budget';
import { PROVIDER_IDS, PROVIDER_LIMITS, isProviderId } from '../core/providerLimits';
import type { ProviderId } from '../core/providerLimits';
import { settingsFor } from '../core/providerSettings';
import type { ProviderSettings } from '../core/providerSettings';
import { isLoopbackUrl } from '../engine/engineConfig';
import type { EngineConfig } from '../engine/engineConfig';
import { SETTING_NAMES, providerEntry } from '../providers/registry';

const SECTION = 'llmBatch';

export interface Endpoint {
  readonly baseUrl: string | undefined;
  readonly apiVersion: string | undefined;
}

/** The user's global value of a setting; whatever a workspace or folder says is ignored. */
function userValue<T>(key: string): T | undefined {
  return vscode.workspace.getConfiguration(SECTION).inspect<T>(key)?.globalValue;
}

/** Spending caps from the user's settings only: a workspace cannot lift (or remove) them. */
export function budgetCaps(): BudgetCaps {
  return { daily: positive(userValue<number>('budget.daily')), monthly: positive(userValue<number>('budget.monthly')) };
}

export function defaultProvider(): ProviderId {
  const value = vscode.workspace.getConfiguration(SECTION).get<string>('defaultProvider');
  return value !== undefined && isProviderId(value) ? value : 'openai';
}

export function outputBuffer(): number {
  return vscode.workspace.getConfiguration(SECTION).get<number>('outputBuffer') ?? 0.25;
}

const DEFAULT_FAILURE_ALERT_RATE = 0.05;

/** The share of failed items that raises a job's alert, from the user's settings only (a share: 0–1). */
export function failureAlertRate(): number {
  const value = userValue<number>('failureAlertRate');
  return typeof value === 'number' && value >= 0 && value <= 1 ? value : DEFAULT_FAILURE_ALERT_RATE;
}

/**
 * Where each provider's settings live under `llmBatch.`: the base URL every client of it goes to
 * (the local emulator, a proxy; never remembered by a job), and the settings a job remembers.
 * Azure has no base URL of its own: its endpoint is the resource, and a job remembers it.
 */
export const PROVIDER_SETTING_PATHS: Readonly<Record<ProviderId, { readonly baseUrl?: string; readonly settings: Readonly<Partial<Record<keyof ProviderSettings, string>>> }>> = {
  openai: { baseUrl: 'openai.baseUrl', settings: {} },
  azure: { settings: { endpoint: 'azure.endpoint', apiVersion: 'azure.apiVersion' } },
  anthropic: { baseUrl: 'anthropic.baseUrl', settings: {} },
  gemini: { baseUrl: 'gemini.baseUrl', settings: {} },
  vertex: { baseUrl: 'vertex.baseUrl', settings: { project: 'vertex.project', location: 'vertex.location', bucket: 'vertex.bucket' } },
  bedrock: { baseUrl: 'bedrock.baseUrl', settings: { region: 'bedrock.region', bucket: 'bedrock.bucket', roleArn: 'bedrock.roleArn', invocationType: 'bedrock.invocationType' } },
};

/** The user's global string value, trimmed; undefined when empty. */
function userText(key: string): string | undefined {
  const value = userValue<string>(key);
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

/** The base URL the user points every client of `provider` at, if any (user settings only). */
export function userBaseUrl(provider: ProviderId): string | undefined {
  const key = PROVIDER_SETTING_PATHS[provider].baseUrl;
  return key === undefined ? undefined : userText(key);
}

/** The user's settings for `provider` (user settings only), as a new job remembers them. */
export function userProviderSettings(provider: ProviderId): ProviderSettings | undefined {
  const values: Record<string, string | undefined> = {};
  for (const [name, key] of Object.entries(PROVIDER_SETTING_PATHS[provider].settings)) values[name] = userText(key);
  // A bucket pasted as a URI (gs://b, s3://b/) is the bucket's name to the adapters.
  values['bucket'] = values['bucket']?.replace(/^(gs|s3):\/\//, '').replace(/\/+$/, '') || undefined;
  const invocationType = values['invocationType'];
  // The manifest's enum is only advice to the settings editor: settings.json can say anything.
  if (invocationType !== 'InvokeModel' && invocationType !== 'Converse') values['invocationType'] = undefined;
  return settingsFor(provider, values as ProviderSettings);
}

/** Where `provider`'s calls go, from the user's settings only: Azure's endpoint, else the base URL. */
export function endpointFor(provider: ProviderId): Endpoint {
  if (provider === 'azure') return { baseUrl: userText('azure.endpoint'), apiVersion: userText('azure.apiVersion') };
  return { baseUrl: userBaseUrl(provider), apiVersion: undefined };
}

/** A loopback URL some provider is pointed at (the local emulator), so the engine polls at its pace. */
export function loopbackBaseUrl(): string | undefined {
  return PROVIDER_IDS.map((provider) => endpointFor(provider).baseUrl).find((url) => isLoopbackUrl(url));
}

/**
 * Why `provider` cannot take a submission with `settings` (the user's, or a job's over them), or
 * undefined when it can: the settings it cannot go without, named as the user sets them. Without
 * them a job would be journaled and then sit unsubmittable, so the cost preview lists this as a
 * blocker instead.
 */
export function providerSetupProblem(provider: ProviderId, settings: ProviderSettings | undefined = userProviderSettings(provider)): string | undefined {
  const missing = providerEntry(provider).requiredSettings.filter((key) => !settings?.[key]);
  if (missing.length === 0) return undefined;
  const paths = PROVIDER_SETTING_PATHS[provider].settings;
  const named = missing.map((key) => `${SETTING_NAMES[key].what} (llmBatch.${paths[key] ?? key})`);
  return `${PROVIDER_LIMITS[provider].displayName} needs ${named.join(', ')}: set ${missing.length === 1 ? 'it' : 'them'} in your user settings (workspace settings are ignored for these).`;
}

/** Polling overrides in seconds; absent ones keep the engine's defaults for the endpoint. */
export function engineOverrides(): Partial<EngineConfig> {
  const config = vscode.workspace.getConfiguration(SECTION);
  const seconds = (key: string) => {
    const value = positive(config.get<number>(key));
    return value === undefined ? undefined : value * 1000;
  };
  const overrides: { -readonly [K in keyof EngineConfig]?: EngineConfig[K] } = {};
  const initial = seconds('polling.initialSeconds');
  const max = seconds('polling.maxSeconds');
  if (initial !== undefined) overrides.pollInitialMs = initial;
  if (max !== undefined) overrides.pollMaxMs = max;
  overrides.failureAlertRate = failureAlertRate();
  return overrides;
}

function positive(value: number | undefined): number | undefined {
  return typeof value === 'number' && value > 0 ? value : undefined;
}
