// The extension host's providerFor (src/host/workspaceSession.ts) on the registry, against the fake
// `vscode`: a connection is the user's settings for the provider with the job's own over them, the
// user's base URL and the key from secret storage; what is missing is named as the user sets it;
// adapters are reused per provider and settings and made again when a key changes; the Azure key
// goes only to the endpoint in the user's settings, whatever a job record in the workspace says.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { clearSettings, userSettings as user } from '../support/fakeSettings';
import { ApiKeys } from '../../src/host/apiKeys';
import { WorkspaceSession } from '../../src/host/workspaceSession';

class FakeSecrets {
  readonly values = new Map<string, string>();
  private listeners: (() => void)[] = [];
  readonly onDidChange = (listener: () => void) => {
    this.listeners.push(listener);
    return { dispose: () => undefined };
  };
  get(key: string): Promise<string | undefined> {
    return Promise.resolve(this.values.get(key));
  }
  store(key: string, value: string): Promise<void> {
    this.values.set(key, value);
    this.listeners.forEach((listener) => listener());
    return Promise.resolve();
  }
  delete(key: string): Promise<void> {
    this.values.delete(key);
    return Promise.resolve();
  }
}

const log = { trace: () => undefined, debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined } as unknown as Parameters<typeof WorkspaceSession.open>[2];
let root: string;
let secrets: FakeSecrets;
let session: WorkspaceSession;

before(() => {
  root = mkdtempSync(path.join(tmpdir(), 'session-providers-'));
});
after(() => rmSync(root, { recursive: true, force: true }));

/** A session on a workspace of its own (a disposed one closes its store in the background). */
async function open(): Promise<WorkspaceSession> {
  secrets = new FakeSecrets();
  const dir = mkdtempSync(path.join(root, 'ws-'));
  session = await WorkspaceSession.open(dir, new ApiKeys(secrets as unknown as ConstructorParameters<typeof ApiKeys>[0]), log);
  assert.equal(session.readOnly, false);
  return session;
}

describe('the host’s providers on the registry', () => {
  beforeEach(() => clearSettings());

  it('Bedrock against the local emulator needs its settings, not credentials; a job’s settings count over the user’s', async () => {
    user.set('llmBatch.bedrock.baseUrl', 'http://127.0.0.1:4566');
    user.set('llmBatch.bedrock.region', 'us-east-1');
    user.set('llmBatch.bedrock.bucket', 'batches');
    await open();
    try {
      assert.throws(() => session.providerFor('bedrock'), /^Error: AWS Bedrock needs the IAM role .*\(llmBatch\.bedrock\.roleArn\): set it in your user settings/);
      const role = { roleArn: 'arn:aws:iam::123456789012:role/batch' };
      const adapter = session.providerFor('bedrock', role);
      assert.equal(session.providerFor('bedrock', { ...role }), adapter, 'the same settings reuse the adapter');
      assert.notEqual(session.providerFor('bedrock', { ...role, region: 'eu-west-1' }), adapter, 'other settings are another adapter');
    } finally {
      session.dispose();
    }
  });

  it('says which key is missing and where it is set; a key stored later makes a new adapter', async () => {
    user.set('llmBatch.anthropic.baseUrl', 'https://gateway.example');
    await open();
    try {
      assert.throws(() => session.providerFor('anthropic'), {
        message: 'No API key for Anthropic: run “LLM Batch: Set API Key”, or point llmBatch.anthropic.baseUrl at a local emulator.',
      });
      assert.throws(() => session.providerFor('openai'), /^Error: No API key for OpenAI: run “LLM Batch: Set API Key”, or point llmBatch\.openai\.baseUrl at a local emulator\.$/);
      await secrets.store('llmBatch.apiKey.anthropic', 'sk-ant');
      await session.reloadProviders();
      const first = session.providerFor('anthropic');
      await secrets.store('llmBatch.apiKey.anthropic', 'sk-ant-2');
      await session.reloadProviders();
      assert.notEqual(session.providerFor('anthropic'), first, 'a changed key is a new adapter');
      assert.throws(() => session.providerFor('vertex'), /llmBatch\.vertex\.project/);
    } finally {
      session.dispose();
    }
  });

  it('the Azure key goes only to the user’s endpoint: a job naming another is refused with the endpoint to set', async () => {
    user.set('llmBatch.azure.endpoint', 'http://127.0.0.1:8081/');
    await open();
    try {
      assert.doesNotThrow(() => session.providerFor('azure'), 'a loopback endpoint needs no key');
      assert.doesNotThrow(() => session.providerFor('azure', { endpoint: 'http://127.0.0.1:8081' }), 'the same endpoint, without the trailing slash');
      assert.throws(
        () => session.providerFor('azure', { endpoint: 'https://attacker.example' }),
        /submitted to the Azure OpenAI endpoint https:\/\/attacker\.example, but llmBatch\.azure\.endpoint is http:\/\/127\.0\.0\.1:8081\/: the key is sent only to the endpoint in your user settings/,
      );
    } finally {
      session.dispose();
    }
  });
});
