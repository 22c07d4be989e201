import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sendDestination } from '../../src/host/sendDestination';

describe('where the cost preview says a submission goes', () => {
  it('names the host and the account, and never more of a key than its last four characters', () => {
    const key = 'sk-proj-abcdefghijklmnopqrstuvwxyz0123456789WXYZ';
    const openai = sendDestination({ provider: 'openai', apiKey: key });
    assert.equal(openai, 'OpenAI at api.openai.com, as key …WXYZ');
    assert.ok(!openai.includes(key.slice(0, -4)));
    assert.equal(sendDestination({ provider: 'anthropic', baseUrl: 'http://127.0.0.1:4010', apiKey: 'local-emulator' }), 'Anthropic at http://127.0.0.1:4010, as no account (a local endpoint)');
    assert.equal(sendDestination({ provider: 'gemini' }), 'Google Gemini at generativelanguage.googleapis.com, as no key');
    assert.equal(sendDestination({ provider: 'azure', endpoint: 'https://res.openai.azure.com', apiKey: 'k-1234' }), 'Azure OpenAI at https://res.openai.azure.com, as key …1234');
    assert.equal(sendDestination({ provider: 'vertex', project: 'acme-ml', location: 'europe-west4' }), 'Google Vertex AI at europe-west4-aiplatform.googleapis.com, as project acme-ml');
    assert.equal(
      sendDestination({ provider: 'bedrock', region: 'us-west-2', roleArn: 'arn:aws:iam::123456789012:role/batch' }),
      'AWS Bedrock at bedrock.us-west-2.amazonaws.com, as AWS account 123456789012',
    );
  });
});
