// Keys per provider in SecretStorage (src/host/apiKeys.ts), against the fake `vscode`: the four
// providers that take a key each keep their own; Vertex AI and Bedrock are never asked for one
// (their cloud's credential chain signs them in), and against a loopback endpoint no provider
// needs credentials — the Google and AWS ones get stand-ins so their SDKs never look for a
// metadata server offline.
import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import { fakeVscode } from '../support/fakeSettings';
import { ApiKeys, KEY_PROVIDERS, credentialsFor } from '../../src/host/apiKeys';
import type { ProviderId } from '../../src/core/providerLimits';

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
    this.listeners.forEach((listener) => listener());
    return Promise.resolve();
  }
}

/** What the quick pick offered, and what the user answers next. */
let offered: { label: string }[] = [];
let pick: (items: { id: ProviderId; label: string }[]) => unknown;
let typed: string | undefined;
let asked: string[] = [];
fakeVscode.window['showQuickPick'] = (items: { id: ProviderId; label: string }[]) => {
  offered = items;
  return Promise.resolve(pick(items));
};
fakeVscode.window['showInputBox'] = (options: { title: string }) => {
  asked.push(options.title);
  return Promise.resolve(typed);
};

function keysOver(secrets: FakeSecrets): ApiKeys {
  return new ApiKeys(secrets as unknown as ConstructorParameters<typeof ApiKeys>[0]);
}

describe('API keys per provider', () => {
  beforeEach(() => {
    offered = [];
    asked = [];
    typed = undefined;
    pick = () => undefined;
  });

  it('the key prompt offers the four providers that take a key, by their display names', async () => {
    assert.deepEqual([...KEY_PROVIDERS], ['openai', 'azure', 'anthropic', 'gemini']);
    await keysOver(new FakeSecrets()).prompt();
    assert.deepEqual(
      offered.map((item) => item.label),
      ['OpenAI', 'Azure OpenAI', 'Anthropic', 'Google Gemini'],
    );
  });

  it('each provider keeps its own key: setting Anthropic’s leaves OpenAI’s alone', async () => {
    const secrets = new FakeSecrets();
    const keys = keysOver(secrets);
    await secrets.store('llmBatch.apiKey.openai', 'sk-openai');
    pick = (items) => items.find((item) => item.id === 'anthropic');
    typed = ' sk-ant ';
    assert.equal(await keys.prompt(), true);
    assert.deepEqual(asked, ['Anthropic API key']);
    assert.equal(await keys.get('anthropic'), 'sk-ant');
    assert.equal(await keys.get('openai'), 'sk-openai');
    assert.equal(await keys.get('gemini'), undefined);
    typed = '';
    assert.equal(await keys.prompt('anthropic'), true, 'named by the cost preview: no quick pick');
    assert.equal(await keys.get('anthropic'), undefined, 'an empty key removes it');
    assert.equal(secrets.values.has('llmBatch.apiKey.anthropic'), false);
  });

  it('Vertex AI and Bedrock are never asked for a key, and a stored one is never used', async () => {
    const secrets = new FakeSecrets();
    const keys = keysOver(secrets);
    typed = 'should-not-be-asked';
    assert.equal(await keys.prompt('vertex'), false);
    assert.equal(await keys.prompt('bedrock'), false);
    assert.deepEqual(asked, []);
    await secrets.store('llmBatch.apiKey.bedrock', 'planted');
    assert.equal(await keys.get('bedrock'), undefined);
  });

  it('against a loopback endpoint every provider gets stand-in credentials; elsewhere only a stored key or the cloud chain', () => {
    const local = 'http://127.0.0.1:8080';
    const remote = 'https://bedrock.example.com';
    assert.deepEqual(credentialsFor('openai', local, undefined), { apiKey: 'local-emulator' });
    assert.deepEqual(credentialsFor('gemini', local, 'AIza-mine'), { apiKey: 'AIza-mine' }, 'a stored key still wins');
    assert.deepEqual(credentialsFor('anthropic', remote, undefined), { apiKey: undefined }, 'no key for a real host: the provider says so');
    assert.deepEqual(credentialsFor('vertex', local, undefined), { accessToken: 'local-emulator' });
    assert.deepEqual(credentialsFor('bedrock', 'http://localhost:4566', undefined), { awsCredentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
    assert.deepEqual(credentialsFor('vertex', undefined, undefined), {}, 'Google’s application default credentials');
    assert.deepEqual(credentialsFor('bedrock', remote, undefined), {}, 'the AWS credential chain');
  });
});
