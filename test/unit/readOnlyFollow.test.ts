// A read-only window follows the writer without reloading its index every 3 s: it reloads only
// when the journal or the snapshot changed, and a notice its reloads repeat is shown once.
import assert from 'node:assert/strict';
import { mkdtempSync, renameSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { noticeOnce } from '../../src/host/noticeOnce';
import { StoreChangeDetector } from '../../src/store/storeChanges';
import type { StoreEvent } from '../../src/store/storeEvents';
import { WorkspaceStore } from '../../src/store/workspaceStore';

const alert = (message: string): StoreEvent => ({ type: 'job.alert', jobId: 'job-1', failureRate: 0, message });

describe('following a writer read-only', () => {
  it('reloads only after the writer appended to the journal or replaced the snapshot', async () => {
    const workspace = mkdtempSync(path.join(tmpdir(), 'follow-test-'));
    try {
      const writer = await WorkspaceStore.open(workspace, { purpose: 'test writer', snapshotEvery: Number.MAX_SAFE_INTEGER });
      const changes = new StoreChangeDetector(writer.root);
      changes.loaded(await changes.current());
      assert.equal(await changes.changed(), undefined, 'nothing written: no reload');
      assert.equal(await changes.changed(), undefined, 'asking again changes nothing');

      await writer.commit([alert('one')]);
      const afterCommit = await changes.changed();
      assert.ok(afterCommit !== undefined, 'a journal append is seen');
      assert.ok((await changes.changed()) !== undefined, 'until the reload that saw it is marked loaded');
      changes.loaded(afterCommit);
      assert.equal(await changes.changed(), undefined);

      await writer.close(); // snapshots, then truncates the journal
      const afterSnapshot = await changes.changed();
      assert.ok(afterSnapshot !== undefined, 'a snapshot (and the journal cut after it) is seen');
      changes.loaded(afterSnapshot);
      assert.equal(await changes.changed(), undefined);
    } finally {
      rmSync(workspace, { recursive: true, force: true });
    }
  });

  it('sees a snapshot replaced by one of the same size and modification time (a rename: another file)', async () => {
    const root = mkdtempSync(path.join(tmpdir(), 'follow-test-'));
    try {
      const snapshot = path.join(root, 'state.sqlite');
      const mtime = new Date('2026-12-01T00:00:00.000Z');
      writeFileSync(snapshot, 'aaaa');
      utimesSync(snapshot, mtime, mtime);
      const changes = new StoreChangeDetector(root);
      changes.loaded(await changes.current());
      writeFileSync(`${snapshot}.tmp`, 'bbbb');
      utimesSync(`${snapshot}.tmp`, mtime, mtime);
      renameSync(`${snapshot}.tmp`, snapshot);
      assert.ok((await changes.changed()) !== undefined);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('counts a file that appears or disappears as a change, and reports any other stat failure', async () => {
    const root = mkdtempSync(path.join(tmpdir(), 'follow-test-'));
    try {
      const changes = new StoreChangeDetector(root);
      changes.loaded(await changes.current());
      writeFileSync(path.join(root, 'journal.jsonl'), '');
      const appeared = await changes.changed();
      assert.ok(appeared !== undefined, 'a journal created');
      changes.loaded(appeared);
      rmSync(path.join(root, 'journal.jsonl'));
      assert.ok((await changes.changed()) !== undefined, 'a journal removed');

      const denied = new StoreChangeDetector(root, () => Promise.reject(Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' })));
      await assert.rejects(denied.changed(), /EACCES/);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('shows each notice of the reloads once', () => {
    const shown: string[] = [];
    const notice = noticeOnce((message) => shown.push(message));
    notice('The state index could not be read');
    notice('Ignored 2 record(s)');
    notice('The state index could not be read');
    notice('Ignored 2 record(s)');
    assert.deepEqual(shown, ['The state index could not be read', 'Ignored 2 record(s)']);
  });
});
