// Job and batch state changes as the Output channel logs them at info: each once, from any
// writer, with nothing logged for what was already so when the window first looked.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { StateChangeLog } from '../../src/app/stateChangeLog';
import type { JournalRecord } from '../../src/store/journal';
import { StateIndex } from '../../src/store/stateIndex';
import type { StoreEvent } from '../../src/store/storeEvents';

const seeds = [JSON.stringify({ id: 'a', line: 1, hash: 'h1', model: 'm', state: 'queued', batchKey: 'job-1.s0.b1', estimatedCost: 0.001 })];
const lines = () =>
  (async function* () {
    yield* seeds;
  })();

let seq = 0;
async function apply(index: StateIndex, event: StoreEvent): Promise<void> {
  await index.apply({ seq: ++seq, at: '2026-12-02T00:00:00.000Z', ...event } as unknown as JournalRecord, lines);
}

const created = (jobId: string): StoreEvent => ({
  type: 'job.created',
  jobId,
  name: `${jobId}.jsonl`,
  sourceFile: 'in.jsonl',
  sourceSha256: '',
  provider: 'openai',
  model: 'm',
  endpoint: '/v1/chat/completions',
  createdAt: '2026-12-02T00:00:00.000Z',
  estimate: { expected: 1, max: 2 },
  options: { failureAlertRate: 0.5 },
  itemsFile: `jobs/${jobId}/items.jsonl`,
  itemCount: 1,
});

describe('state change log', () => {
  it('logs each job and batch change once, and nothing for the state found at first', async () => {
    const index = await StateIndex.open();
    await apply(index, created('job-1'));
    await apply(index, { type: 'batch.intent', jobId: 'job-1', batchKey: 'job-1.s0.b1', strike: 0, inputFile: 'jobs/job-1/b1.jsonl', itemCount: 1 });
    const logged: string[] = [];
    const log = new StateChangeLog((message) => logged.push(message));
    log.observe(index);
    assert.deepEqual(logged, [], 'what was already so is not a change');

    await apply(index, { type: 'batch.created', jobId: 'job-1', batchKey: 'job-1.s0.b1', remoteId: 'batch_1', adopted: false });
    log.observe(index);
    log.observe(index);
    assert.deepEqual(logged, ['job job-1 (job-1.jsonl): submitting → running', 'batch job-1.s0.b1 of job job-1: not sent yet → validating (batch_1)']);

    logged.length = 0;
    await apply(index, { type: 'batch.status', jobId: 'job-1', batchKey: 'job-1.s0.b1', state: 'completed', rawStatus: 'completed', counts: { total: 1, completed: 1, failed: 0 } });
    await apply(index, { type: 'job.state', jobId: 'job-1', state: 'completed' });
    await apply(index, created('job-2'));
    log.observe(index);
    assert.deepEqual(logged, ['job job-1 (job-1.jsonl): running → completed', 'batch job-1.s0.b1 of job job-1: validating → completed (batch_1)', 'job job-2 (job-2.jsonl): submitting']);

    logged.length = 0;
    await apply(index, { type: 'job.deleted', jobId: 'job-2' });
    log.observe(index);
    assert.deepEqual(logged, ['job job-2: deleted']);
  });
});
