import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import type { StoreEvent } from '../../src/store/storeEvents';
import { WorkspaceStore } from '../../src/store/workspaceStore';

async function storeWithJob(snapshotEvery = 500) {
  const workspace = mkdtempSync(path.join(tmpdir(), 'store-test-'));
  const store = await WorkspaceStore.open(workspace, { purpose: 'test', snapshotEvery });
  const jobId = 'job-1';
  await mkdir(store.resolve(store.jobDir(jobId)), { recursive: true });
  const seeds = ['a', 'b', 'c'].map((id, i) => ({ id, line: i + 1, hash: `h${i}`, model: 'gpt-4o-mini', state: 'queued', batchKey: 'job-1.s1.b1', estimatedCost: 0.001 }));
  writeFileSync(store.resolve(`${store.jobDir(jobId)}/items.jsonl`), seeds.map((s) => `${JSON.stringify(s)}\n`).join(''));
  const events: StoreEvent[] = [
    {
      type: 'job.created',
      jobId,
      name: 'one',
      sourceFile: 'one.jsonl',
      sourceSha256: '',
      provider: 'openai',
      model: 'gpt-4o-mini',
      endpoint: '/v1/chat/completions',
      createdAt: '2026-11-27T00:00:00.000Z',
      estimate: { expected: 0.003, max: 0.004 },
      options: { outputJson: false, failureAlertRate: 0.05 },
      itemsFile: `${store.jobDir(jobId)}/items.jsonl`,
      itemCount: 3,
    },
    { type: 'spend.reserved', jobId, amount: 0.004, day: '2026-11-27' },
    { type: 'batch.intent', jobId, batchKey: 'job-1.s1.b1', strike: 1, inputFile: 'jobs/job-1/in.jsonl', itemCount: 3 },
    { type: 'batch.created', jobId, batchKey: 'job-1.s1.b1', remoteId: 'batch_x', adopted: false },
  ];
  await store.commit(events);
  return { workspace, store, jobId };
}

describe('WorkspaceStore', () => {
  it('replays the journal on open after a stop without a snapshot', async () => {
    const { workspace, store, jobId } = await storeWithJob();
    await store.closeWithoutSnapshot();
    const reopened = await WorkspaceStore.open(workspace, { purpose: 'test' });
    assert.deepEqual(reopened.index.countsByState(jobId), { submitted: 3 });
    assert.equal(reopened.index.job(jobId)?.status, 'running');
    assert.equal(reopened.index.spendSince('2026-11'), 0.004);
    await reopened.close();
  });

  it('keeps a corrupt index aside and rebuilds it from the job histories, saying so', async () => {
    const { workspace, store, jobId } = await storeWithJob(2);
    await store.close(); // snapshot: history archived, journal truncated
    writeFileSync(path.join(workspace, '.llm-batch', 'state.sqlite'), 'this is not a database');
    const notices: string[] = [];
    const reopened = await WorkspaceStore.open(workspace, { purpose: 'test', onNotice: (m) => notices.push(m) });
    assert.deepEqual(reopened.index.countsByState(jobId), { submitted: 3 });
    assert.equal(reopened.index.batches(jobId)[0]?.remoteId, 'batch_x');
    assert.equal(notices.length, 1);
    assert.match(notices[0] ?? '', /could not be read .* It was kept as state\.sqlite\.corrupt-.* and rebuilt from the journal and the job files\./);
    const aside = readdirSync(path.join(workspace, '.llm-batch')).filter((f) => f.startsWith('state.sqlite.corrupt-'));
    assert.equal(aside.length, 1, 'the damaged file is kept, never overwritten');
    await reopened.close();
  });

  it('reads without the lock while a writer holds it', async () => {
    const { workspace, store, jobId } = await storeWithJob();
    const reader = await WorkspaceStore.open(workspace, { purpose: 'reader', readOnly: true });
    assert.deepEqual(reader.index.countsByState(jobId), { submitted: 3 });
    assert.throws(() => reader.commit([{ type: 'job.state', jobId, state: 'completed' }]), /opened read-only/);
    await reader.close();
    await store.close();
  });

  it('refuses a second writer in the same process with a clear message', async () => {
    const { workspace, store } = await storeWithJob();
    await assert.rejects(WorkspaceStore.open(workspace, { purpose: 'second' }), { name: 'LockHeldError', message: /^This process \(pid \d+\) already holds the lock on .*\.llm-batch/ });
    await store.close();
  });
});
