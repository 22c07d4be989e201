// A kill between `create` and journaling its outcome: the provider has the batch, the journal has
// only its intent (and the upload). On restart the engine must find the batch by its tags
// (`metadata.llmb_batch`) in the provider's list and adopt it: paying for the same requests twice
// is the failure this protects against. The "kill" freezes the engine inside `create` right after
// the provider answered (the call never returns, so nothing more is journaled), then the store is
// closed without a snapshot and reopened, as a restarted process would find it.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import OpenAI, { toFile } from 'openai';
import type { BatchProvider, RemoteBatch } from '../../src/providers/batchProvider';
import { exportResults } from '../../src/engine/exportResults';
import { parseOpenAiResultLine } from '../../src/providers/openai/openaiMapping';
import type { Engine } from '../../src/engine/engine';
import { createdBatchKeys, startHarness } from './harness';
import type { Harness } from './harness';

/** The provider, except that `create` reaches the provider and then never returns: the process "dies" there. */
function dyingAfterCreate(real: BatchProvider): { provider: BatchProvider; created: Promise<RemoteBatch> } {
  let reached: (remote: RemoteBatch) => void = () => undefined;
  const created = new Promise<RemoteBatch>((resolve) => (reached = resolve));
  const create: BatchProvider['create'] = async (request, signal) => {
    reached(await real.create(request, signal));
    return new Promise<never>(() => undefined);
  };
  // A Proxy rather than a copy, so methods added to the interface later still reach the real provider.
  const provider = new Proxy(real, { get: (target, key, receiver) => (key === 'create' ? create : Reflect.get(target, key, receiver)) });
  return { provider, created };
}

/** Steps until the provider has created the batch (the first step normally does), then leaves that engine frozen. */
async function stepUntilCreated(engine: Engine, jobId: string, created: Promise<RemoteBatch>): Promise<RemoteBatch> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const remote = await Promise.race([engine.step(jobId).then(() => undefined), created]);
    if (remote) return remote;
  }
  throw new Error(`the engine never created a batch for ${jobId}`);
}

describe('a batch created just before a kill', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(async () => {
    await h.close();
  });
  beforeEach(() => {
    h.emulator.reset();
  });

  // Different texts per test: a repeated request would be answered from the result cache, with no batch.
  const questionsFor = (name: string): string[] => [1, 2, 3].map((n) => `${name}: question ${n}`);

  async function killAfterCreate(name: string): Promise<{ jobId: string; remote: RemoteBatch }> {
    const jobId = await h.submit(h.file(`${name}.jsonl`, questionsFor(name)));
    const dying = dyingAfterCreate(h.provider);
    const remote = await stepUntilCreated(h.engineWith(dying.provider), jobId, dying.created);
    await h.reopen({ asIfKilled: true });
    // The state the test is about: the provider has a batch the journal does not know.
    const [batch, ...more] = h.store.index.batches(jobId);
    assert.equal(more.length, 0);
    assert.equal(batch?.remoteId, null, 'the created batch was never journaled');
    assert.equal(h.emulator.batches().length, 1);
    return { jobId, remote };
  }

  async function assertAdoptedAndFinished(name: string, jobId: string, remote: RemoteBatch): Promise<void> {
    const job = await h.engine.run(jobId);
    assert.equal(job.status, 'completed');
    assert.deepEqual(
      h.store.index.batches(jobId).map((b) => b.remoteId),
      [remote.remoteId],
      'the journal adopted the batch the killed process created',
    );
    const ours = createdBatchKeys(h.emulator).filter((key) => key !== '(untagged)');
    assert.equal(ours.length, 1, `one batch for one chunk, got ${ours.length}: ${ours.join(', ')}`);
    const records = [];
    for await (const record of exportResults(h.store, jobId, parseOpenAiResultLine)) records.push(record);
    // Expected from the fixture: the emulator's model echoes each question.
    assert.deepEqual(
      records.map((r) => [r.custom_id, r.state, r.content]),
      questionsFor(name).map((text, i) => [`item-${i + 1}`, 'succeeded', `Echo: ${text}`]),
    );
  }

  it('is found by its tags and adopted on restart: no second batch is created', async () => {
    const { jobId, remote } = await killAfterCreate('killed-after-create');
    await assertAdoptedAndFinished('killed-after-create', jobId, remote);
    assert.equal(h.emulator.createCalls(), 1, 'the restart sent no second create');
  });

  it('is found even when other batches push it past the first page of the provider list', async () => {
    const { jobId, remote } = await killAfterCreate('killed-after-create-paged');
    // Someone else's script creates 120 batches meanwhile (the list pages by 100, newest first).
    const client = new OpenAI({ apiKey: 'test', baseURL: h.emulator.openaiBaseUrl, maxRetries: 0 });
    const line = JSON.stringify({ custom_id: 'other', method: 'POST', url: '/v1/chat/completions', body: { model: 'gpt-4o-mini', messages: [] } });
    const file = await client.files.create({ file: await toFile(Buffer.from(`${line}\n`), 'other.jsonl'), purpose: 'batch' });
    for (let i = 0; i < 120; i++) await client.batches.create({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' });
    await assertAdoptedAndFinished('killed-after-create-paged', jobId, remote);
    assert.equal(h.emulator.createCalls(), 121, 'the restart sent no second create');
  });
});
