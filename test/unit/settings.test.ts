// The extension's settings reader (src/host/settings.ts) against a fake `vscode` whose
// configuration has a user layer and a workspace layer, as VS Code's `inspect()` reports them.
// What protects the user: a cloned workspace's settings can neither redirect a key nor lift a
// spending cap or silence the failure alert.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeEach, describe, it } from 'node:test';
import { clearSettings, userSettings as user, workspaceSettings as workspace } from '../support/fakeSettings';
import {
  budgetCaps,
  defaultProvider,
  endpointFor,
  engineOverrides,
  failureAlertRate,
  loopbackBaseUrl,
  PROVIDER_SETTING_PATHS,
  providerSetupProblem,
  userBaseUrl,
  userProviderSettings,
} from '../../src/host/settings';
import { PROVIDER_IDS } from '../../src/core/providerLimits';

describe('settings', () => {
  beforeEach(() => clearSettings());

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
    const providerKeys = PROVIDER_IDS.flatMap((id) => [PROVIDER_SETTING_PATHS[id].baseUrl, ...Object.values(PROVIDER_SETTING_PATHS[id].settings)]).filter((key) => key !== undefined);
    assert.ok(providerKeys.includes('bedrock.roleArn') && providerKeys.includes('vertex.project'), 'every provider setting is checked');
    for (const key of [...providerKeys, 'budget.daily', 'budget.monthly', 'failureAlertRate']) {
      assert.match(properties[`llmBatch.${key}`]?.scope ?? '(none)', /^(machine|application)$/, `llmBatch.${key}`);
    }
  });

  it('the manifest offers every provider as the default, and the invocation types Bedrock takes', () => {
    const manifest = JSON.parse(readFileSync(path.resolve(__dirname, '../../package.json'), 'utf8')) as {
      contributes: { configuration: { properties: Record<string, { enum?: string[] }> } };
    };
    const properties = manifest.contributes.configuration.properties;
    assert.deepEqual(properties['llmBatch.defaultProvider']?.enum, [...PROVIDER_IDS]);
    assert.deepEqual(properties['llmBatch.bedrock.invocationType']?.enum, ['', 'InvokeModel', 'Converse']);
  });

  it('each provider reads its own settings from the user only: a workspace cannot set a region, bucket, role or project', () => {
    for (const [key, value] of [
      ['vertex.project', 'their-project'],
      ['vertex.bucket', 'their-bucket'],
      ['bedrock.region', 'eu-west-1'],
      ['bedrock.bucket', 'their-bucket'],
      ['bedrock.roleArn', 'arn:aws:iam::999999999999:role/theirs'],
      ['anthropic.baseUrl', 'https://attacker.example'],
      ['bedrock.baseUrl', 'https://attacker.example'],
    ] as const) {
      workspace.set(`llmBatch.${key}`, value);
    }
    for (const provider of PROVIDER_IDS) {
      assert.equal(userProviderSettings(provider), undefined, provider);
      assert.equal(userBaseUrl(provider), undefined, provider);
    }
    user.set('llmBatch.vertex.project', ' mine ');
    user.set('llmBatch.vertex.location', 'us-central1');
    user.set('llmBatch.vertex.bucket', 'my-bucket');
    user.set('llmBatch.vertex.baseUrl', 'http://127.0.0.1:9100');
    user.set('llmBatch.bedrock.region', 'us-east-1');
    user.set('llmBatch.bedrock.bucket', 'my-bedrock-bucket');
    user.set('llmBatch.bedrock.roleArn', 'arn:aws:iam::123456789012:role/batch');
    user.set('llmBatch.bedrock.invocationType', 'Converse');
    assert.deepEqual(userProviderSettings('vertex'), { project: 'mine', location: 'us-central1', bucket: 'my-bucket' });
    assert.deepEqual(userProviderSettings('bedrock'), { region: 'us-east-1', bucket: 'my-bedrock-bucket', roleArn: 'arn:aws:iam::123456789012:role/batch', invocationType: 'Converse' });
    assert.equal(userProviderSettings('gemini'), undefined, 'a provider keeps only its own settings');
    assert.equal(userBaseUrl('vertex'), 'http://127.0.0.1:9100');
    assert.equal(endpointFor('vertex').baseUrl, 'http://127.0.0.1:9100');
  });

  it('a bucket pasted as a gs:// or s3:// URI is read as the bucket’s name', () => {
    user.set('llmBatch.vertex.bucket', 'gs://my-bucket/');
    user.set('llmBatch.bedrock.bucket', 's3://my-bedrock-bucket');
    assert.deepEqual(userProviderSettings('vertex'), { bucket: 'my-bucket' });
    assert.deepEqual(userProviderSettings('bedrock'), { bucket: 'my-bedrock-bucket' });
    user.set('llmBatch.bedrock.bucket', 's3://');
    assert.equal(userProviderSettings('bedrock'), undefined);
  });

  it('an invocation type other than InvokeModel or Converse is dropped (by the model, as when empty)', () => {
    user.set('llmBatch.bedrock.region', 'us-east-1');
    user.set('llmBatch.bedrock.invocationType', 'converse; rm -rf');
    assert.deepEqual(userProviderSettings('bedrock'), { region: 'us-east-1' });
    user.set('llmBatch.bedrock.invocationType', '');
    assert.deepEqual(userProviderSettings('bedrock'), { region: 'us-east-1' });
  });

  it('names the missing settings of Vertex and Bedrock as the user sets them, and none once they are set', () => {
    const bedrock = providerSetupProblem('bedrock') ?? '';
    assert.match(bedrock, /^AWS Bedrock needs /);
    for (const key of ['llmBatch.bedrock.region', 'llmBatch.bedrock.bucket', 'llmBatch.bedrock.roleArn']) assert.ok(bedrock.includes(key), `${key} in: ${bedrock}`);
    assert.match(bedrock, /set them in your user settings/);
    user.set('llmBatch.bedrock.region', 'us-east-1');
    user.set('llmBatch.bedrock.bucket', 'b');
    assert.doesNotMatch(providerSetupProblem('bedrock') ?? '', /region/);
    assert.match(providerSetupProblem('bedrock') ?? '', /needs the IAM role .*\(llmBatch\.bedrock\.roleArn\): set it in your user settings/);
    user.set('llmBatch.bedrock.roleArn', 'arn:aws:iam::123456789012:role/batch');
    assert.equal(providerSetupProblem('bedrock'), undefined);

    assert.match(providerSetupProblem('vertex') ?? '', /^Google Vertex AI needs .*llmBatch\.vertex\.project.*llmBatch\.vertex\.location.*llmBatch\.vertex\.bucket/);
    workspace.set('llmBatch.vertex.project', 'p');
    workspace.set('llmBatch.vertex.location', 'l');
    workspace.set('llmBatch.vertex.bucket', 'b');
    assert.match(providerSetupProblem('vertex') ?? '', /llmBatch\.vertex\.project/, 'workspace values do not count');
    // A job's own settings (what it was submitted with) count.
    assert.equal(providerSetupProblem('vertex', { project: 'p', location: 'l', bucket: 'b' }), undefined);
    for (const provider of ['openai', 'anthropic', 'gemini'] as const) assert.equal(providerSetupProblem(provider), undefined, `${provider} needs no setting`);
  });

  it('the default provider may be any of the six; anything else falls back to OpenAI', () => {
    assert.equal(defaultProvider(), 'openai');
    user.set('llmBatch.defaultProvider', 'bedrock');
    assert.equal(defaultProvider(), 'bedrock');
    user.set('llmBatch.defaultProvider', 'mistral');
    assert.equal(defaultProvider(), 'openai');
  });

  it('the engine polls at the emulator’s pace when any provider is pointed at a loopback address', () => {
    assert.equal(loopbackBaseUrl(), undefined);
    user.set('llmBatch.openai.baseUrl', 'https://gateway.example/v1');
    user.set('llmBatch.bedrock.baseUrl', 'http://127.0.0.1:4566');
    assert.equal(loopbackBaseUrl(), 'http://127.0.0.1:4566');
    workspace.set('llmBatch.anthropic.baseUrl', 'http://localhost:1');
    user.delete('llmBatch.bedrock.baseUrl');
    assert.equal(loopbackBaseUrl(), undefined, 'a workspace value does not count');
    user.set('llmBatch.azure.endpoint', 'http://localhost:8081');
    assert.equal(loopbackBaseUrl(), 'http://localhost:8081', 'Azure’s endpoint is where its calls go');
  });
});
