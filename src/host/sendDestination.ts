// Where a submission will go and as whom, in one line for the cost preview: the host its calls go
// to and the account they are made as — the last four characters of a key, a Google Cloud
// project, an AWS account from the role — never a whole key. Free of `vscode` for unit tests.
import { PROVIDER_LIMITS } from '../core/providerLimits';
import { isLoopbackUrl } from '../engine/engineConfig';
import type { ProviderConnection } from '../providers/providerConfig';

/** Each provider's usual host, when no base URL or endpoint is set. */
function usualHost(connection: ProviderConnection): string {
  switch (connection.provider) {
    case 'openai':
      return 'api.openai.com';
    case 'azure':
      return 'the Azure endpoint (not set)';
    case 'anthropic':
      return 'api.anthropic.com';
    case 'gemini':
      return 'generativelanguage.googleapis.com';
    case 'vertex':
      return `${connection.location ?? 'us-central1'}-aiplatform.googleapis.com`;
    case 'bedrock':
      return `bedrock.${connection.region ?? '(region not set)'}.amazonaws.com`;
  }
}

function account(connection: ProviderConnection): string {
  // Against a loopback address the stand-in credentials (apiKeys.credentialsFor) are nobody's.
  if (isLoopbackUrl(connection.baseUrl ?? connection.endpoint)) return 'no account (a local endpoint)';
  if (connection.apiKey) return `key …${connection.apiKey.slice(-4)}`;
  if (connection.provider === 'vertex') return connection.project ? `project ${connection.project}` : 'no project set';
  if (connection.provider === 'bedrock') {
    const awsAccount = /^arn:aws[\w-]*:iam::(\d{12}):/.exec(connection.roleArn ?? '')?.[1];
    return awsAccount ? `AWS account ${awsAccount}` : 'the AWS credential chain';
  }
  return 'no key';
}

export function sendDestination(connection: ProviderConnection): string {
  const where = connection.baseUrl ?? connection.endpoint ?? usualHost(connection);
  return `${PROVIDER_LIMITS[connection.provider].displayName} at ${where}, as ${account(connection)}`;
}
