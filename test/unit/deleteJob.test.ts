// Deleting a job never breaks another one: a later job's cached items reuse answers from the
// deleted job's downloaded files, and must keep them (results, export, cache), across restarts.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { deleteJob, deleteJobBlocker } from '../../src/engine/deleteJob';
import { exportResults } from '../../src/engine/exportResults';
import { readResultLine } from '../../src/engine/batchInputs';
import { resultParserFor } from '../../src/providers/resultParsers';
import type { ItemSeed, StoreEvent } from '../../src/store/storeEvents';
import { WorkspaceStore } from '../../src/store/workspaceStore';

const ANSWERS = { one: 'the first answer', two: 'the second answer' };
const parse = resultParserFor('openai');

function outputLine(customId: string, content: string): string {
  return JSON.stringify({
    id: `batch_req_${customId}`,
    custom_id: customId,
    response: { status_code: 200, request_id: 'r', body: { id: 'c', object: 'chat.completion', model: 'gpt-4o-mini', choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }], usage: { prompt_tokens: 5, completion_tokens: 3, total_tokens: 8 } } },
    error: null,
  });
}

function created(jobId: string, itemCount: number): StoreEvent {
  return {
    type: 'job.created',
    jobId,
    name: `${jobId}.jsonl`,
    sourceFile: `${jobId}.jsonl`,
    sourceSha256: '',
    provider: 'openai',
    model: 'gpt-4o-mini',
    endpoint: '/v1/chat/completions',
    createdAt: '2026-11-27T00:00:00.000Z',
    estimate: { expected: 0.002, max: 0.002 },
    options: { outputJson: false, failureAlertRate: 0.05 },
    itemsFile: `jobs/${jobId}/items.jsonl`,
    itemCount,
  };
}

async function writeSeeds(store: WorkspaceStore, jobId: string, seeds: readonly ItemSeed[]): Promise<void> {
  await mkdir(store.resolve(store.jobDir(jobId)), { recursive: true });
  writeFileSync(store.resolve(`${store.jobDir(jobId)}/items.jsonl`), seeds.map((s) => `${JSON.stringify(s)}\n`).join(''));
}

/**
 * job-a answered two requests (its output file on disk); job-b, submitted later, reused both from
 * the result cache (state 'cached', refs into job-a's folder) and repeats one of them (a duplicate).
 */
async function workspaceWithReusedAnswers(snapshotEvery = 4) {
  const workspace = mkdtempSync(path.join(tmpdir(), 'delete-job-'));
  const store = await WorkspaceStore.open(workspace, { purpose: 'test', snapshotEvery });
  const base = { model: 'gpt-4o-mini', estimatedCost: 0.001 } as const;

  await writeSeeds(store, 'job-a', [
    { ...base, id: 'a1', line: 1, hash: 'h1', state: 'queued', batchKey: 'job-a.s1.b1' },
    { ...base, id: 'a2', line: 2, hash: 'h2', state: 'queued', batchKey: 'job-a.s1.b1' },
  ]);
  const outputFile = 'jobs/job-a/job-a.s1.b1.output.jsonl';
  const lines = [outputLine('a1', ANSWERS.one), outputLine('a2', ANSWERS.two)];
  writeFileSync(store.resolve(outputFile), `${lines.join('\n')}\n`);
  const refs = [
    { file: outputFile, offset: 0, length: Buffer.byteLength(lines[0] ?? '') },
    { file: outputFile, offset: Buffer.byteLength(lines[0] ?? '') + 1, length: Buffer.byteLength(lines[1] ?? '') },
  ];
  await store.commit([
    created('job-a', 2),
    { type: 'batch.intent', jobId: 'job-a', batchKey: 'job-a.s1.b1', strike: 1, inputFile: 'jobs/job-a/in.jsonl', itemCount: 2 },
    { type: 'batch.created', jobId: 'job-a', batchKey: 'job-a.s1.b1', remoteId: 'batch_a', adopted: false },
    {
      type: 'batch.collected',
      jobId: 'job-a',
      batchKey: 'job-a.s1.b1',
      outputFile,
      outcomes: ['a1', 'a2'].map((id, i) => ({ id, ok: true, inputTokens: 5, outputTokens: 3, cost: 0.001, ref: refs[i] })),
    },
    { type: 'job.state', jobId: 'job-a', state: 'completed' },
  ]);

  await writeSeeds(store, 'job-b', [
    { ...base, id: 'b1', line: 1, hash: 'h1', state: 'cached', cached: refs[0] },
    { ...base, id: 'b2', line: 2, hash: 'h2', state: 'cached', cached: refs[1] },
    { ...base, id: 'b3', line: 3, hash: 'h1', state: 'deduped', twin: 'b1' },
  ]);
  await store.commit([created('job-b', 3), { type: 'job.state', jobId: 'job-b', state: 'completed' }]);
  return { workspace, store };
}

async function contentsOf(store: WorkspaceStore, jobId: string): Promise<(string | undefined)[]> {
  const contents: (string | undefined)[] = [];
  for await (const record of exportResults(store, jobId, parse)) contents.push(record.content);
  return contents;
}

describe('deleteJob', () => {
  it('keeps the answers a later job reuses from the deleted job: results, export and cache still read them', async () => {
    const { workspace, store } = await workspaceWithReusedAnswers();
    assert.deepEqual(await contentsOf(store, 'job-b'), [ANSWERS.one, ANSWERS.two, ANSWERS.one]);

    const deleted = await deleteJob(store, 'job-a');
    assert.deepEqual(deleted.kept, [{ jobId: 'job-b', results: 2 }]);
    assert.equal(store.index.job('job-a'), undefined);
    assert.equal(existsSync(path.join(workspace, '.llm-batch', 'jobs', 'job-a', 'job-a.s1.b1.output.jsonl')), false, "the deleted job's files are gone");

    assert.deepEqual(await contentsOf(store, 'job-b'), [ANSWERS.one, ANSWERS.two, ANSWERS.one]);
    for (const item of store.index.items('job-b', { states: ['cached'] })) assert.match(item.resultFile ?? '', /^jobs\/job-b\//);
    // A job submitted next still reuses the answer, now from job-b's copy.
    const cached = store.index.cachedResult('h2');
    assert.equal(cached?.jobId, 'job-b');
    assert.equal(parse(await readResultLine(store, cached?.file ?? '', cached?.offset ?? 0, cached?.length ?? 0))?.ok, true);
    await store.close();
  });

  // snapshotEvery 500: every record is still in the journal (which creates job-a, whose items
  // file is gone) when the process stops; 4: job-a's history was archived before the deletion.
  for (const snapshotEvery of [500, 4]) {
    it(`the kept answers survive a restart without a snapshot, a reader, and a rebuild from the job histories (snapshot every ${snapshotEvery})`, async () => {
      const { workspace, store } = await workspaceWithReusedAnswers(snapshotEvery);
      await deleteJob(store, 'job-a');
      await store.closeWithoutSnapshot();

      const reader = await WorkspaceStore.open(workspace, { purpose: 'reader', readOnly: true });
      assert.deepEqual(await contentsOf(reader, 'job-b'), [ANSWERS.one, ANSWERS.two, ANSWERS.one]);
      await reader.close();

      const reopened = await WorkspaceStore.open(workspace, { purpose: 'test' });
      assert.equal(reopened.index.job('job-a'), undefined);
      assert.deepEqual(await contentsOf(reopened, 'job-b'), [ANSWERS.one, ANSWERS.two, ANSWERS.one]);
      await reopened.close();
      assert.equal(existsSync(path.join(workspace, '.llm-batch', 'jobs', 'job-a')), false, "archiving the deletion does not bring the deleted job's folder back");

      writeFileSync(path.join(workspace, '.llm-batch', 'state.sqlite'), 'damaged');
      const rebuilt = await WorkspaceStore.open(workspace, { purpose: 'test' });
      assert.equal(rebuilt.index.job('job-a'), undefined);
      assert.deepEqual(await contentsOf(rebuilt, 'job-b'), [ANSWERS.one, ANSWERS.two, ANSWERS.one]);
      await rebuilt.close();
    });
  }

  it('refuses while batches of the job still run at the provider, and deletes nothing', async () => {
    const { store } = await workspaceWithReusedAnswers();
    await store.commit([
      { type: 'job.state', jobId: 'job-a', state: 'running' },
      { type: 'batch.intent', jobId: 'job-a', batchKey: 'job-a.s2.r2', strike: 2, inputFile: 'jobs/job-a/r.jsonl', itemCount: 1 },
      { type: 'batch.created', jobId: 'job-a', batchKey: 'job-a.s2.r2', remoteId: 'batch_r', adopted: false },
    ]);
    assert.match(deleteJobBlocker(store, 'job-a') ?? '', /still has 1 batch\(es\) running at the provider\. Cancel the job first; nothing was deleted\./);
    await assert.rejects(deleteJob(store, 'job-a'), /Cancel the job first/);
    assert.ok(store.index.job('job-a'));
    assert.match(deleteJobBlocker(store, 'job-x') ?? '', /^No job job-x in this workspace/);
    await store.close();
  });

  it('refuses while a batch whose create was sent (but never journaled as made) may run at the provider', async () => {
    const { store } = await workspaceWithReusedAnswers();
    await store.commit([
      { type: 'job.state', jobId: 'job-a', state: 'running' },
      { type: 'batch.intent', jobId: 'job-a', batchKey: 'job-a.s1.r1', strike: 1, inputFile: 'jobs/job-a/r.jsonl', itemCount: 1 },
      { type: 'batch.submitting', jobId: 'job-a', batchKey: 'job-a.s1.r1', sentAt: Date.now() },
    ]);
    assert.match(deleteJobBlocker(store, 'job-a') ?? '', /still has 1 batch\(es\) running at the provider/);
    await store.close();
  });
});
