// What an adapter needs to reach a provider. `ProviderSettings` are the non-secret settings a job
// remembers (so a job command needs no provider flags); `ProviderConnection` adds what is looked
// up afresh each time: the base URL (an emulator, a proxy) and the credentials, which are never
// journaled, logged or written to settings.
import type { ProviderId } from '../core/providerLimits';
import type { ProviderSettings } from '../core/providerSettings';

export type { ProviderSettings } from '../core/providerSettings';

export interface AwsCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string | undefined;
}

export interface ProviderConnection extends ProviderSettings {
  readonly provider: ProviderId;
  /** Every client of the provider goes to this URL (the local emulator, a proxy); else its usual host. */
  readonly baseUrl?: string | undefined;
  /** OpenAI, Azure, Anthropic, Gemini. */
  readonly apiKey?: string | undefined;
  /** Vertex AI: a ready OAuth access token; without it, Google's application default credentials. */
  readonly accessToken?: string | undefined;
  /** Bedrock: explicit credentials; without them, the standard AWS chain (environment, profile, role). */
  readonly awsCredentials?: AwsCredentials | undefined;
  /** SDK retries of idempotent calls (never of a create) and the per-call timeout. */
  readonly maxRetries?: number | undefined;
  readonly timeoutMs?: number | undefined;
}
