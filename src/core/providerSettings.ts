// The non-secret settings that say where a job's batches go (an Azure resource, a Vertex project,
// a Bedrock region and bucket). A job remembers them, so every later command on it needs no
// provider flags; credentials and base URLs are never part of them.
import type { ProviderId } from './providerLimits';

export interface ProviderSettings {
  /** Azure: the resource endpoint; dated API style when apiVersion is set. */
  readonly endpoint?: string | undefined;
  readonly apiVersion?: string | undefined;
  /** Vertex AI: the Google Cloud project and location; Vertex and Bedrock: the bucket staged through. */
  readonly project?: string | undefined;
  readonly location?: string | undefined;
  readonly bucket?: string | undefined;
  /** Bedrock: the AWS region and the service role the batch job runs as. */
  readonly region?: string | undefined;
  readonly roleArn?: string | undefined;
  /** Bedrock: whether records hold InvokeModel bodies (default) or Converse requests. */
  readonly invocationType?: 'InvokeModel' | 'Converse' | undefined;
}

/** The settings each provider reads; a job keeps only its provider's. */
export const PROVIDER_SETTING_KEYS: Readonly<Record<ProviderId, readonly (keyof ProviderSettings)[]>> = {
  openai: [],
  azure: ['endpoint', 'apiVersion'],
  anthropic: [],
  gemini: [],
  vertex: ['project', 'location', 'bucket'],
  bedrock: ['region', 'bucket', 'roleArn', 'invocationType'],
};

/** `settings` reduced to what `provider` reads, without empty values; undefined when nothing is left. */
export function settingsFor(provider: ProviderId, settings: ProviderSettings | undefined): ProviderSettings | undefined {
  if (!settings) return undefined;
  const kept: Record<string, string> = {};
  for (const key of PROVIDER_SETTING_KEYS[provider]) {
    const value = settings[key];
    if (value !== undefined && value !== '') kept[key] = value;
  }
  return Object.keys(kept).length > 0 ? (kept as ProviderSettings) : undefined;
}
