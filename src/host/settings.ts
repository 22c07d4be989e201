// Typed access to the extension's settings. Endpoints are machine-scoped and read only from the
// user's own (global) settings: a cloned repository's workspace settings must never be able to
// send a key to another host.
import * as vscode from 'vscode';
import type { BudgetCaps } from '../core/budget';
import type { ProviderId } from '../core/providerLimits';
import type { EngineConfig } from '../engine/engineConfig';

const SECTION = 'llmBatch';

export interface Endpoint {
  readonly baseUrl: string | undefined;
  readonly apiVersion: string | undefined;
}

export function budgetCaps(): BudgetCaps {
  const config = vscode.workspace.getConfiguration(SECTION);
  return { daily: positive(config.get<number>('budget.daily')), monthly: positive(config.get<number>('budget.monthly')) };
}

export function defaultProvider(): ProviderId {
  return vscode.workspace.getConfiguration(SECTION).get<'openai' | 'azure'>('defaultProvider') ?? 'openai';
}

export function outputBuffer(): number {
  return vscode.workspace.getConfiguration(SECTION).get<number>('outputBuffer') ?? 0.25;
}

export function failureAlertRate(): number {
  return vscode.workspace.getConfiguration(SECTION).get<number>('failureAlertRate') ?? 0.05;
}

/** Only the user's global value counts, whatever a workspace says. */
export function endpointFor(provider: ProviderId): Endpoint {
  const config = vscode.workspace.getConfiguration(SECTION);
  const global = (key: string) => {
    const value = config.inspect<string>(key)?.globalValue;
    return value && value.trim() !== '' ? value.trim() : undefined;
  };
  if (provider === 'azure') return { baseUrl: global('azure.endpoint'), apiVersion: global('azure.apiVersion') };
  return { baseUrl: global('openai.baseUrl'), apiVersion: undefined };
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
