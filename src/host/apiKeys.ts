// API keys live only in VS Code's SecretStorage: never in settings, logs or the workspace's
// database. Against a loopback endpoint (the local emulator) no key is needed.
import * as vscode from 'vscode';
import type { ProviderId } from '../core/providerLimits';
import { isLoopbackUrl } from '../engine/engineConfig';

const secretName = (provider: ProviderId) => `llmBatch.apiKey.${provider}`;
const PROVIDER_NAMES: Readonly<Partial<Record<ProviderId, string>>> = { openai: 'OpenAI', azure: 'Azure OpenAI' };

export class ApiKeys {
  private readonly cache = new Map<ProviderId, string | undefined>();
  readonly onDidChange: vscode.Event<vscode.SecretStorageChangeEvent>;

  constructor(private readonly secrets: vscode.SecretStorage) {
    this.onDidChange = secrets.onDidChange;
    secrets.onDidChange(() => this.cache.clear());
  }

  async get(provider: ProviderId, baseUrl: string | undefined): Promise<string | undefined> {
    if (!this.cache.has(provider)) this.cache.set(provider, await this.secrets.get(secretName(provider)));
    return this.cache.get(provider) ?? (isLoopbackUrl(baseUrl) ? 'local-emulator' : undefined);
  }

  /** Asks for a key in a password box and stores it; returns false when the user backs out. */
  async prompt(provider?: ProviderId): Promise<boolean> {
    const chosen =
      provider ??
      (
        await vscode.window.showQuickPick(
          Object.entries(PROVIDER_NAMES).map(([id, label]) => ({ id: id as ProviderId, label })),
          { title: 'Set API key for…' },
        )
      )?.id;
    if (!chosen) return false;
    const key = await vscode.window.showInputBox({
      title: `${PROVIDER_NAMES[chosen] ?? chosen} API key`,
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
