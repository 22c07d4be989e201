// After a kill between "create sent" and "create journaled", the engine asks the provider whether
// that batch exists before creating anything. Two answers only the engine can act on safely: the
// provider cannot tell which of several batches it is (Anthropic has no tags), and the batch it
// offers is one the journal already holds for another chunk (a same-size sibling).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { JobBlocked } from '../../src/engine/jobBlocked';
import type { BatchProvider, FoundBatch } from '../../src/providers/batchProvider';
import { startHarness } from './harness';
import type { Harness } from './harness';

/** The harness's provider with `findCreated` answering as told, counting creates. */
function answering(real: BatchProvider, find: () => FoundBatch): { provider: BatchProvider; creates: () => number } {
  let creates = 0;
  const provider = new Proxy(real, {
    get: (target, key, receiver) => {
      if (key === 'findCreated') return async () => find();
      if (key === 'create') {
        return async (...args: Parameters<BatchProvider['create']>) => {
          creates++;
          return target.create(...args);
        };
      }
      return Reflect.get(target, key, receiver);
    },
  });
  return { provider, creates: () => creates };
}

describe('finding a batch a killed process may have created', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(async () => {
    await h.close();
  });

  /** A job whose only batch was sent ("submitting" journaled) but whose answer was lost. */
  async function sentButNotJournaled(name: string): Promise<{ jobId: string; batchKey: string }> {
    const jobId = await h.submit(h.file(`${name}.jsonl`, [`${name} one`, `${name} two`]));
    const [batch] = h.store.index.batches(jobId);
    assert.ok(batch);
    await h.store.commit([{ type: 'batch.submitting', jobId, batchKey: batch.key, sentAt: Date.now() }]);
    return { jobId, batchKey: batch.key };
  }

  it('waits for the user when the provider cannot tell which batch it is, and creates nothing', async () => {
    const { jobId } = await sentButNotJournaled('ambiguous');
    const fake = answering(h.provider, () => ({ kind: 'ambiguous', candidates: ['msgbatch_a', 'msgbatch_b'] }));
    await assert.rejects(h.engineWith(fake.provider).step(jobId), (error: unknown) => error instanceof JobBlocked && /msgbatch_a, msgbatch_b/.test(error.reason));
    assert.equal(fake.creates(), 0, 'nothing was sent again');
    assert.match(h.store.index.job(jobId)?.blockedReason ?? '', /cannot tell which; it was not sent again, to avoid paying twice/);
  });

  it('does not adopt a batch the journal holds for another chunk: it creates this one', async () => {
    const sibling = await h.submit(h.file('sibling.jsonl', ['sibling one', 'sibling two']));
    await h.engine.step(sibling);
    const siblingRemote = h.store.index.batches(sibling)[0]?.remoteId;
    assert.ok(siblingRemote);
    const { jobId } = await sentButNotJournaled('lost');
    const remote = await h.provider.retrieve(siblingRemote);
    const fake = answering(h.provider, () => ({ kind: 'found', remote }));
    await h.engineWith(fake.provider).step(jobId);
    assert.equal(fake.creates(), 1);
    const adopted = h.store.index.batches(jobId)[0]?.remoteId;
    assert.ok(adopted !== null && adopted !== siblingRemote, 'the job got a batch of its own');
  });

  it('adopts the one candidate left when the others are journaled for other chunks', async () => {
    const sibling = await h.submit(h.file('sibling2.jsonl', ['sibling2 one', 'sibling2 two']));
    await h.engine.step(sibling);
    const siblingRemote = h.store.index.batches(sibling)[0]?.remoteId ?? '';
    const { jobId, batchKey } = await sentButNotJournaled('lost2');
    // The batch the lost create made, at the provider, unknown to the journal.
    const mine = await h.provider.create(
      { tags: { jobId, batchKey }, inputPath: h.store.resolve(h.store.index.batches(jobId)[0]?.inputFile ?? ''), itemCount: 2, model: 'gpt-4o-mini', endpoint: '/v1/chat/completions' },
      await h.provider.stage({ tags: { jobId, batchKey }, inputPath: h.store.resolve(h.store.index.batches(jobId)[0]?.inputFile ?? ''), itemCount: 2, model: 'gpt-4o-mini', endpoint: '/v1/chat/completions' }),
    );
    const fake = answering(h.provider, () => ({ kind: 'ambiguous', candidates: [siblingRemote, mine.remoteId] }));
    await h.engineWith(fake.provider).step(jobId);
    assert.equal(fake.creates(), 0);
    assert.equal(h.store.index.batches(jobId)[0]?.remoteId, mine.remoteId);
  });
});
