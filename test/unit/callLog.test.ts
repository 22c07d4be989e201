// The provider-call log at the seam: each call logged once at debug with its method, subject,
// outcome and duration — and no prompt and no key ever, even when the adapter's errors and
// answers quote them (a fake adapter fed a marker prompt and a key-shaped string).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ProviderAccessError } from '../../src/providers/batchProvider';
import type { BatchProvider, BatchSubmission, RemoteBatch, SyncOutcome } from '../../src/providers/batchProvider';
import { withCallLog } from '../../src/providers/callLog';
import type { CallLogLevel } from '../../src/providers/callLog';

const PROMPT = 'MARKER-PROMPT-7f3a: tell me about the secret garden';
const KEY = 'sk-proj-AbCdEf0123456789AbCdEf0123456789XyZ';

const remote = (remoteId: string, state: RemoteBatch['state'] = 'in_progress'): RemoteBatch => ({
  remoteId,
  state,
  rawStatus: state,
  counts: { total: 10, completed: 3, failed: 1 },
  tags: { jobId: 'job-1', batchKey: 'job-1.s0.b1' },
  resultRefs: [],
  inputRef: undefined,
  endpoint: undefined,
  model: undefined,
  createdAt: 0,
  expiresAt: undefined,
  errors: [{ code: 'bad', message: `the provider quotes ${PROMPT} and ${KEY}`, line: 1 }],
});

/** An HTTP error as the SDKs raise it: a status, a code, and a message that quotes the key and the prompt. */
class FakeApiError extends Error {
  override readonly name = 'AuthenticationError';
  readonly status = 401;
  readonly code = 'invalid_api_key';
  constructor() {
    super(`Incorrect API key provided: ${KEY}. Request was: ${PROMPT}`);
  }
}

function fakeAdapter(): BatchProvider {
  return {
    id: 'openai',
    async verifyAccess() {
      throw new FakeApiError();
    },
    async stage() {
      return `file-${KEY}`;
    },
    async create() {
      return remote('batch_abc123');
    },
    async findCreated() {
      return { kind: 'none' };
    },
    async retrieve(remoteId) {
      return remote(remoteId, 'completed');
    },
    async *list() {
      yield remote('batch_1');
      yield remote('batch_2');
    },
    async cancel(remoteId) {
      return remote(remoteId, 'cancelling');
    },
    async fetchResults() {
      return ['output'];
    },
    parseResultLine: () => undefined,
    async readInput() {
      throw new ProviderAccessError('auth', `refused ${KEY} for ${PROMPT}`, 403);
    },
    async callSync(call): Promise<SyncOutcome> {
      const text = JSON.stringify(call.line);
      if (call.customId === 'fails') {
        return { ok: false, customId: call.customId, failureClass: 'transient', code: 'server_error', message: `echo ${text} ${KEY}`, httpStatus: 500, usage: undefined, resultLine: text, retryAfterMs: undefined };
      }
      return { ok: true, customId: call.customId, content: `answer to ${text}`, usage: undefined, resultLine: `{"echo":${text}}`, retryAfterMs: undefined };
    },
  };
}

const submission: BatchSubmission = {
  tags: { jobId: 'job-1', batchKey: 'job-1.s0.b1' },
  inputPath: '/tmp/in.jsonl',
  itemCount: 1,
  model: 'gpt-4o-mini',
  endpoint: '/v1/chat/completions',
};

async function runEveryMethod(adapter: BatchProvider): Promise<void> {
  const line = { custom_id: 'x', body: { messages: [{ role: 'user', content: PROMPT }], api_key: KEY } };
  await adapter.verifyAccess().catch(() => undefined);
  const staged = await adapter.stage(submission);
  await adapter.create(submission, staged);
  await adapter.findCreated(submission, staged, 0);
  await adapter.retrieve('batch_abc123');
  for await (const _ of adapter.list()) void _;
  await adapter.cancel('batch_abc123');
  await adapter.fetchResults(remote('batch_abc123', 'completed'), submission, () => '/tmp/out.jsonl');
  await adapter.readInput(remote('batch_abc123'), '/tmp/in.jsonl').catch(() => undefined);
  await adapter.callSync({ line, customId: 'ok-item', model: 'gpt-4o-mini', endpoint: '/v1/chat/completions' });
  await adapter.callSync({ line, customId: 'fails', model: 'gpt-4o-mini', endpoint: '/v1/chat/completions' });
}

describe('provider call log', () => {
  it('logs no prompt and no key, whatever the adapter was given or answered', async () => {
    const lines: string[] = [];
    await runEveryMethod(withCallLog(fakeAdapter(), (_level, message) => lines.push(message)));
    assert.equal(lines.length, 11, 'one line per call');
    const all = lines.join('\n');
    assert.doesNotMatch(all, /MARKER-PROMPT|secret garden/, 'no prompt text');
    assert.doesNotMatch(all, /sk-proj|AbCdEf0123456789/, 'no key');
  });

  it('logs each call at debug: method, subject, outcome (status, remote id, state) and duration', async () => {
    const lines: { level: CallLogLevel; message: string }[] = [];
    let clock = 1_000;
    const adapter = withCallLog(fakeAdapter(), (level, message) => lines.push({ level, message }), () => (clock += 5));
    await runEveryMethod(adapter);
    assert.ok(lines.every((line) => line.level === 'debug'));
    const messages = lines.map((line) => line.message);
    assert.deepEqual(messages, [
      'openai verifyAccess: failed (AuthenticationError, status 401, code invalid_api_key), 5 ms',
      'openai stage job-1.s0.b1 /v1/chat/completions: ok, staged, 5 ms',
      'openai create job-1.s0.b1 /v1/chat/completions: batch_abc123 in_progress, 4/10 done, 5 ms',
      'openai findCreated job-1.s0.b1 /v1/chat/completions: none found, 5 ms',
      'openai retrieve batch_abc123: batch_abc123 completed, 4/10 done, 5 ms',
      'openai list: ok, 2 batch(es), 5 ms',
      'openai cancel batch_abc123: batch_abc123 cancelling, 4/10 done, 5 ms',
      'openai fetchResults batch_abc123: ok, output, 5 ms',
      'openai readInput batch_abc123: failed (ProviderAccessError, status 403), 5 ms',
      'openai callSync /v1/chat/completions ok-item: ok, 5 ms',
      'openai callSync /v1/chat/completions fails: failed, status 500, transient, server_error, 5 ms',
    ]);
  });

  it('passes results and errors through unchanged', async () => {
    const adapter = withCallLog(fakeAdapter(), () => undefined);
    assert.equal((await adapter.retrieve('batch_9')).remoteId, 'batch_9');
    await assert.rejects(adapter.verifyAccess(), FakeApiError);
    await assert.rejects(adapter.readInput(remote('b'), '/tmp/x'), ProviderAccessError);
  });

  it('redacts a key-shaped id rather than log it', async () => {
    const lines: string[] = [];
    await withCallLog(fakeAdapter(), (_level, message) => lines.push(message)).retrieve(KEY);
    assert.doesNotMatch(lines.join('\n'), /sk-proj/);
    assert.match(lines.join('\n'), /\[redacted\]/);
  });
});
