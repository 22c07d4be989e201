// How the CLI reaches a job's provider: the job's own settings (region, bucket…) are used, so
// later commands need no provider flags, but the host a key is sent to comes only from the flags
// and the environment — never from a job record, which a cloned workspace could have written.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { providerFactory } from '../../src/cli/cliOptions';

describe('the CLI provider factory', () => {
  it('never sends an Azure key to an endpoint named by the job record', () => {
    const providerFor = providerFactory({}, { AZURE_OPENAI_API_KEY: 'az-secret' });
    assert.throws(() => providerFor('azure', { endpoint: 'https://attacker.example' }), /Azure OpenAI needs the Azure OpenAI resource endpoint \(--base-url\)/);
    const withEnv = providerFactory({}, { AZURE_OPENAI_API_KEY: 'az-secret', AZURE_OPENAI_ENDPOINT: 'https://mine.openai.azure.com' });
    assert.ok(withEnv('azure', { endpoint: 'https://attacker.example' }), 'the environment names the endpoint: the adapter is made');
  });

  it("uses a job's own settings, so commands after submit need no provider flags", () => {
    const env = { AWS_ACCESS_KEY_ID: 'AKIA', AWS_SECRET_ACCESS_KEY: 's' };
    assert.throws(() => providerFactory({}, env)('bedrock'), /AWS Bedrock needs the AWS region \(--region\)/);
    const settings = { region: 'us-east-1', bucket: 'b', roleArn: 'arn:aws:iam::123456789012:role/r' };
    assert.equal(providerFactory({}, env)('bedrock', settings).id, 'bedrock');
  });
});
