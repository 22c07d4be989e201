import assert from 'node:assert/strict';
import { appendFileSync, chmodSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import fsPromises, { mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it, mock } from 'node:test';
import { StateIndex } from '../../src/store/stateIndex';
import type { StoreEvent } from '../../src/store/storeEvents';
import { WorkspaceNotWritableError, WorkspaceStore } from '../../src/store/workspaceStore';

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

  it('saves the index it rebuilt from the job histories at once, so the next command still sees every job', async () => {
    const { workspace, store, jobId } = await storeWithJob(2);
    await store.close();
    const snapshot = path.join(workspace, '.llm-batch', 'state.sqlite');
    writeFileSync(snapshot, 'this is not a database');
    const rebuilt = await WorkspaceStore.open(workspace, { purpose: 'test' });
    // What is on disk right after the open, before anything else is committed or closed.
    const saved = await StateIndex.open(readFileSync(snapshot));
    assert.equal(saved.job(jobId)?.status, 'running');
    assert.deepEqual(saved.countsByState(jobId), { submitted: 3 });
    saved.close();
    await rebuilt.closeWithoutSnapshot(); // a process that stops without ever snapshotting again
    const notices: string[] = [];
    const next = await WorkspaceStore.open(workspace, { purpose: 'test', onNotice: (m) => notices.push(m) });
    assert.deepEqual(next.index.countsByState(jobId), { submitted: 3 });
    assert.deepEqual(notices, [], 'the second open reads the saved snapshot: nothing to rebuild');
    await next.close();
  });

  it('rebuilds a missing snapshot from the job histories, replays the journal on top once, and resumes the unfinished job', async () => {
    const { workspace, store, jobId } = await storeWithJob(2);
    await store.snapshot(); // seqs 1-4 archived in the job's history, journal truncated
    await store.commit([{ type: 'batch.status', jobId, batchKey: 'job-1.s1.b1', state: 'in_progress', rawStatus: 'in_progress', counts: { total: 3, completed: 1, failed: 0 } }]);
    await store.closeWithoutSnapshot(); // seq 5 only in the journal
    const storeDir = path.join(workspace, '.llm-batch');
    // A crash between archiving and truncating leaves records both in a history and in the journal.
    const journalText = readFileSync(path.join(storeDir, 'journal.jsonl'), 'utf8');
    appendFileSync(path.join(storeDir, 'jobs', jobId, 'history.jsonl'), journalText);
    rmSync(path.join(storeDir, 'state.sqlite'));

    const notices: string[] = [];
    const reopened = await WorkspaceStore.open(workspace, { purpose: 'test', onNotice: (m) => notices.push(m) });
    assert.equal(reopened.index.job(jobId)?.status, 'running', 'the unfinished job is there to be resumed');
    assert.deepEqual(reopened.index.countsByState(jobId), { submitted: 3 }, 'job.created was not applied again over the later batch.created');
    assert.equal(reopened.index.batch('job-1.s1.b1')?.completed, 1);
    assert.equal(reopened.index.spendSince('2026-11'), 0.004);
    assert.equal(notices.length, 1);
    assert.match(notices[0] ?? '', /state\.sqlite was missing although 1 job history exist; it was rebuilt from them and the journal, and saved\./);
    assert.ok(existsSync(path.join(storeDir, 'state.sqlite')), 'the rebuilt index is saved at once');
    // New records continue the numbering after everything the histories hold.
    const [next] = await reopened.commit([{ type: 'job.state', jobId, state: 'completed' }]);
    assert.equal(next?.seq, 6);
    await reopened.close();
  });

  it('reads every archived record after a crash left a torn line at the end of a job history', async () => {
    const { workspace, store, jobId } = await storeWithJob(2);
    await store.snapshot();
    const history = path.join(workspace, '.llm-batch', 'jobs', jobId, 'history.jsonl');
    appendFileSync(history, '{"seq":5,"at":"2026-1'); // the archiving process stopped mid-write
    await store.commit([{ type: 'job.state', jobId, state: 'completed' }]);
    await store.close(); // archives seq 5 again after the torn line
    writeFileSync(path.join(workspace, '.llm-batch', 'state.sqlite'), 'damaged');
    const notices: string[] = [];
    const reopened = await WorkspaceStore.open(workspace, { purpose: 'test', onNotice: (m) => notices.push(m) });
    assert.equal(reopened.index.job(jobId)?.status, 'completed', 'the record archived after the torn line is read');
    assert.ok(notices.some((m) => /Skipped 1 unreadable line\(s\) in the job histories \(jobs\/job-1\/history\.jsonl line 5\)/.test(m)), notices.join('\n'));
    await reopened.close();
  });

  it('a reader warns when the journal is damaged before its last line, and stays silent on a torn last line', async () => {
    const { workspace, store, jobId } = await storeWithJob();
    await store.commit([{ type: 'job.state', jobId, state: 'completed' }]);
    await store.closeWithoutSnapshot();
    const file = path.join(workspace, '.llm-batch', 'journal.jsonl');
    const lines = readFileSync(file, 'utf8').split('\n').filter(Boolean);

    writeFileSync(file, `${lines.join('\n')}\n{"seq":6,"at":"2026`); // a writer mid-append
    const quiet: string[] = [];
    const whileWriting = await WorkspaceStore.open(workspace, { purpose: 'reader', readOnly: true, onNotice: (m) => quiet.push(m) });
    assert.equal(whileWriting.index.job(jobId)?.status, 'completed');
    assert.deepEqual(quiet, []);
    await whileWriting.close();

    writeFileSync(file, `${lines.slice(0, 3).join('\n')}\nnot json\n${lines.slice(3).join('\n')}\n`);
    const notices: string[] = [];
    const reader = await WorkspaceStore.open(workspace, { purpose: 'reader', readOnly: true, onNotice: (m) => notices.push(m) });
    assert.equal(reader.index.job(jobId)?.status, 'submitting', 'what precedes the damage is shown');
    assert.equal(notices.length, 1);
    assert.match(notices[0] ?? '', /journal\.jsonl is damaged at line 4 .*the jobs shown stop before that line and may be out of date/);
    await reader.close();
  });

  it('says the workspace is read-only when its folder cannot be written', async () => {
    for (const code of ['EACCES', 'EROFS', 'ENOENT']) {
      const workspace = mkdtempSync(path.join(tmpdir(), 'store-test-'));
      const refused = mock.method(fsPromises, 'mkdir', (target: string) =>
        Promise.reject(Object.assign(new Error(`${code}: refused, mkdir '${target}'`), { code, syscall: 'mkdir', path: target })),
      );
      try {
        await assert.rejects(WorkspaceStore.open(workspace, { purpose: 'test' }), (error: Error) => {
          assert.ok(error instanceof WorkspaceNotWritableError, `${code}: ${error.message}`);
          assert.match(error.message, new RegExp(`^The workspace folder .* is read-only: .*\\.llm-batch.* cannot be written \\(${code} on mkdir\\)`));
          return true;
        });
      } finally {
        refused.mock.restore();
      }
    }
  });

  it('says the workspace is read-only when its folder is not writable (as a user without write permission)', async (t) => {
    if (process.getuid?.() === 0 || process.platform === 'win32') {
      t.skip('permissions do not stop root (or Windows ACLs differ); the case above fakes the refusal instead');
      return;
    }
    const workspace = mkdtempSync(path.join(tmpdir(), 'store-test-'));
    chmodSync(workspace, 0o555);
    try {
      await assert.rejects(WorkspaceStore.open(workspace, { purpose: 'test' }), { name: 'WorkspaceNotWritableError', message: /is read-only/ });
    } finally {
      chmodSync(workspace, 0o755);
    }
  });

  it('refuses a second writer in the same process with a clear message', async () => {
    const { workspace, store } = await storeWithJob();
    await assert.rejects(WorkspaceStore.open(workspace, { purpose: 'second' }), { name: 'LockHeldError', message: /^This process \(pid \d+\) already holds the lock on .*\.llm-batch/ });
    await store.close();
  });
});
