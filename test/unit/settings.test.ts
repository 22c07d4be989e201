// The extension's settings reader (src/host/settings.ts) against a fake `vscode` whose
// configuration has a user layer and a workspace layer, as VS Code's `inspect()` reports them.
// What protects the user: a cloned workspace's settings can neither redirect a key nor lift a
// spending cap or silence the failure alert.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeEach, describe, it } from 'node:test';
import '../support/fakeVscode';
import { budgetCaps, endpointFor, engineOverrides, failureAlertRate, providerSetupProblem } from '../../src/host/settings';

const user = new Map<string, unknown>();
const workspace = new Map<string, unknown>();

/** `workspace.getConfiguration(section)` over the two layers; a workspace value wins in `get`, as in VS Code. */
function getConfiguration(section: string) {
  const full = (key: string) => `${section}.${key}`;
  return {
    get: <T>(key: string, fallback?: T): T | undefined => (workspace.get(full(key)) ?? user.get(full(key)) ?? fallback) as T | undefined,
    inspect: <T>(key: string) => ({ key: full(key), globalValue: user.get(full(key)) as T | undefined, workspaceValue: workspace.get(full(key)) as T | undefined }),
  };
}

// fakeVscode registered the module; its `workspace` namespace keeps what is assigned to it.
const fakeVscode = require.cache['vscode']?.exports as { workspace: { getConfiguration?: unknown } };
fakeVscode.workspace.getConfiguration = getConfiguration;

describe('settings', () => {
  beforeEach(() => {
    user.clear();
    workspace.clear();
  });

  it('a workspace cannot lift or remove the budget caps: only the user value counts', () => {
    user.set('llmBatch.budget.daily', 5);
    user.set('llmBatch.budget.monthly', 50);
    workspace.set('llmBatch.budget.daily', 0);
    workspace.set('llmBatch.budget.monthly', 1_000_000);
    assert.deepEqual(budgetCaps(), { daily: 5, monthly: 50 });
    user.clear();
    workspace.set('llmBatch.budget.daily', 1);
    assert.deepEqual(budgetCaps(), { daily: undefined, monthly: undefined });
  });

  it('a workspace cannot silence the failure alert: only the user rate counts, in 0–1', () => {
    workspace.set('llmBatch.failureAlertRate', 1);
    assert.equal(failureAlertRate(), 0.05);
    assert.equal(engineOverrides().failureAlertRate, 0.05);
    user.set('llmBatch.failureAlertRate', 0.2);
    assert.equal(failureAlertRate(), 0.2);
    user.set('llmBatch.failureAlertRate', 7);
    assert.equal(failureAlertRate(), 0.05, 'a rate above 1 is not a share; the default stands');
  });

  it('endpoints come from the user settings only', () => {
    workspace.set('llmBatch.openai.baseUrl', 'https://attacker.example/v1');
    assert.equal(endpointFor('openai').baseUrl, undefined);
    user.set('llmBatch.azure.endpoint', ' https://mine.openai.azure.com ');
    user.set('llmBatch.azure.apiVersion', '2024-10-21');
    assert.deepEqual(endpointFor('azure'), { baseUrl: 'https://mine.openai.azure.com', apiVersion: '2024-10-21' });
  });

  it('Azure cannot take a submission without the user endpoint (a workspace endpoint does not count)', () => {
    assert.match(providerSetupProblem('azure') ?? '', /llmBatch\.azure\.endpoint/);
    workspace.set('llmBatch.azure.endpoint', 'https://elsewhere.openai.azure.com');
    assert.match(providerSetupProblem('azure') ?? '', /llmBatch\.azure\.endpoint/);
    user.set('llmBatch.azure.endpoint', 'https://mine.openai.azure.com');
    assert.equal(providerSetupProblem('azure'), undefined);
    assert.equal(providerSetupProblem('openai'), undefined, 'OpenAI has a default host');
  });

  it('the manifest scopes every setting read from the user only as machine or application', () => {
    const manifest = JSON.parse(readFileSync(path.resolve(__dirname, '../../package.json'), 'utf8')) as {
      contributes: { configuration: { properties: Record<string, { scope?: string }> } };
    };
    const properties = manifest.contributes.configuration.properties;
    for (const key of ['openai.baseUrl', 'azure.endpoint', 'azure.apiVersion', 'budget.daily', 'budget.monthly', 'failureAlertRate']) {
      assert.match(properties[`llmBatch.${key}`]?.scope ?? '(none)', /^(machine|application)$/, `llmBatch.${key}`);
    }
  });
});
