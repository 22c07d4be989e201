// Typed access to the extension's settings. Endpoints, budget caps and the failure-alert rate are
// machine-scoped and read only from the user's own (global) settings: a cloned repository's
// workspace settings must never be able to send a key to another host, lift a spending cap or
// silence the alert that says a job is failing.
import * as vscode from 'vscode';
import type { BudgetCaps } from '../core/budget';
import type { ProviderId } from '../core/providerLimits';
import type { EngineConfig } from '../engine/engineConfig';

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
  return vscode.workspace.getConfiguration(SECTION).get<'openai' | 'azure'>('defaultProvider') ?? 'openai';
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

/** Only the user's global value counts, whatever a workspace says. */
export function endpointFor(provider: ProviderId): Endpoint {
  const global = (key: string) => {
    const value = userValue<string>(key);
    return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
  };
  if (provider === 'azure') return { baseUrl: global('azure.endpoint'), apiVersion: global('azure.apiVersion') };
  return { baseUrl: global('openai.baseUrl'), apiVersion: undefined };
}

/**
 * Why `provider` cannot take a submission with the settings as they are, or undefined when it can.
 * Azure OpenAI has no default host: without the user's `llmBatch.azure.endpoint` a job would be
 * journaled and then sit unsubmittable, so the cost preview lists this as a blocker instead.
 */
export function providerSetupProblem(provider: ProviderId): string | undefined {
  if (provider === 'azure' && endpointFor('azure').baseUrl === undefined) {
    return 'Azure OpenAI needs your resource endpoint: set llmBatch.azure.endpoint in your user settings (workspace settings are ignored for endpoints).';
  }
  return undefined;
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
