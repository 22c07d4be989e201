// API keys live only in VS Code's SecretStorage, one per provider that takes a key (OpenAI, Azure
// OpenAI, Anthropic, Gemini): never in settings, logs or the workspace's database. Vertex AI and
// Bedrock use their cloud's own credential chains (Google's application default credentials, the
// AWS chain), so there is nothing to ask for. Against a loopback endpoint (the local emulator) no
// provider needs credentials at all.
import * as vscode from 'vscode';
import { PROVIDER_IDS, PROVIDER_LIMITS } from '../core/providerLimits';
import type { ProviderId } from '../core/providerLimits';
import { isLoopbackUrl } from '../engine/engineConfig';
import type { ProviderConnection } from '../providers/providerConfig';
import { providerEntry } from '../providers/registry';

const secretName = (provider: ProviderId) => `llmBatch.apiKey.${provider}`;

/** The providers whose key the user sets here; the others sign in through their cloud's tools. */
export const KEY_PROVIDERS: readonly ProviderId[] = PROVIDER_IDS.filter((id) => providerEntry(id).usesApiKey);

export type Credentials = Pick<ProviderConnection, 'apiKey' | 'accessToken' | 'awsCredentials'>;

/**
 * What a connection to `provider` at `baseUrl` carries. Against a loopback URL every provider gets
 * a stand-in, so the Google and AWS SDKs never probe a metadata server (which hangs offline) and
 * the emulator needs no key; elsewhere the stored key, or nothing for the credential chains.
 */
export function credentialsFor(provider: ProviderId, baseUrl: string | undefined, storedKey: string | undefined): Credentials {
  const local = isLoopbackUrl(baseUrl);
  if (providerEntry(provider).usesApiKey) return { apiKey: storedKey ?? (local ? 'local-emulator' : undefined) };
  if (!local) return {};
  if (provider === 'vertex') return { accessToken: 'local-emulator' };
  if (provider === 'bedrock') return { awsCredentials: { accessKeyId: 'local', secretAccessKey: 'local' } };
  return {};
}

export class ApiKeys {
  private readonly cache = new Map<ProviderId, string | undefined>();
  readonly onDidChange: vscode.Event<vscode.SecretStorageChangeEvent>;

  constructor(private readonly secrets: vscode.SecretStorage) {
    this.onDidChange = secrets.onDidChange;
    secrets.onDidChange(() => this.cache.clear());
  }

  /** The stored key of a provider that takes one; undefined when none is set (or it takes none). */
  async get(provider: ProviderId): Promise<string | undefined> {
    if (!providerEntry(provider).usesApiKey) return undefined;
    if (!this.cache.has(provider)) this.cache.set(provider, await this.secrets.get(secretName(provider)));
    return this.cache.get(provider);
  }

  /** Asks for a key in a password box and stores it; returns false when the user backs out. */
  async prompt(provider?: ProviderId): Promise<boolean> {
    const chosen =
      provider ??
      (
        await vscode.window.showQuickPick(
          KEY_PROVIDERS.map((id) => ({ id, label: PROVIDER_LIMITS[id].displayName })),
          { title: 'Set API key for…' },
        )
      )?.id;
    if (!chosen || !providerEntry(chosen).usesApiKey) return false;
    const key = await vscode.window.showInputBox({
      title: `${PROVIDER_LIMITS[chosen].displayName} API key`,
      prompt: 'Stored in VS Code’s secret storage on this machine only. Leave empty to remove it.',
      password: true,
      ignoreFocusOut: true,
    });
    if (key === undefined) return false;
    if (key.trim() === '') await this.secrets.delete(secretName(chosen));
    else await this.secrets.store(secretName(chosen), key.trim());
    this.cache.delete(chosen);
    return true;
  }
}
