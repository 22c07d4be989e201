// The read-only job commands (`dead-letter`, `results`, `status`) as a user runs them: a child
// process on a workspace whose job was written through the store, its output and exit code.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import type { ItemSeed, StoreEvent } from '../../src/store/storeEvents';
import { WorkspaceStore } from '../../src/store/workspaceStore';

const root = path.resolve(__dirname, '../..');
const JOB = 'job-inspect';
const BATCH = `${JOB}.s1.b1`;

function cli(workspace: string, ...args: string[]) {
  const result = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args, '--workspace', workspace], { cwd: root, encoding: 'utf8' });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/**
 * Four lines: `a` and `c` were sent; `b` repeats `a` and `d` repeats `c` (deduped, never sent).
 * `a` failed as an invalid request and was dead-lettered; `c` is still running.
 */
async function workspaceWithDeadLetter(): Promise<string> {
  const workspace = mkdtempSync(path.join(tmpdir(), 'cli-inspect-'));
  const store = await WorkspaceStore.open(workspace, { purpose: 'test' });
  await mkdir(store.resolve(store.jobDir(JOB)), { recursive: true });
  const seeds: ItemSeed[] = [
    { id: 'a', line: 1, hash: 'ha', model: 'gpt-4o-mini', state: 'queued', batchKey: BATCH, estimatedCost: 0.001 },
    { id: 'b', line: 2, hash: 'ha', model: 'gpt-4o-mini', state: 'deduped', twin: 'a', estimatedCost: 0 },
    { id: 'c', line: 3, hash: 'hc', model: 'gpt-4o-mini', state: 'queued', batchKey: BATCH, estimatedCost: 0.001 },
    { id: 'd', line: 4, hash: 'hc', model: 'gpt-4o-mini', state: 'deduped', twin: 'c', estimatedCost: 0 },
  ];
  const itemsFile = `${store.jobDir(JOB)}/items.jsonl`;
  writeFileSync(store.resolve(itemsFile), seeds.map((seed) => `${JSON.stringify(seed)}\n`).join(''));
  const events: StoreEvent[] = [
    {
      type: 'job.created',
      jobId: JOB,
      name: 'reviews',
      sourceFile: 'reviews.jsonl',
      sourceSha256: '',
      provider: 'openai',
      model: 'gpt-4o-mini',
      endpoint: '/v1/chat/completions',
      createdAt: '2026-11-27T00:00:00.000Z',
      estimate: { expected: 0.002, max: 0.004 },
      options: { outputJson: false, failureAlertRate: 0.05 },
      itemsFile,
      itemCount: seeds.length,
    },
    { type: 'batch.intent', jobId: JOB, batchKey: BATCH, strike: 1, inputFile: `${store.jobDir(JOB)}/${BATCH}.input.jsonl`, itemCount: 2 },
    { type: 'batch.created', jobId: JOB, batchKey: BATCH, remoteId: 'batch_inspect', adopted: false },
    {
      type: 'batch.collected',
      jobId: JOB,
      batchKey: BATCH,
      outcomes: [{ id: 'a', ok: false, failureClass: 'invalid_request', code: 'context_length_exceeded', message: 'too long', inputTokens: 0, outputTokens: 0, cost: 0 }],
    },
    { type: 'items.deadLettered', jobId: JOB, ids: ['a'] },
  ];
  await store.commit(events);
  await store.close();
  return workspace;
}

describe('llm-batch dead-letter', () => {
  let workspace = '';
  before(async () => {
    workspace = await workspaceWithDeadLetter();
  });

  it('lists the duplicates of a dead-lettered item with it, so dead-letter and results agree on which lines failed for good', () => {
    const dead = cli(workspace, 'dead-letter', JOB, '--json');
    assert.equal(dead.code, 0, dead.stderr);
    const { items } = JSON.parse(dead.stdout) as { items: { custom_id: string; line: number; class: string; code: string; duplicate_of?: string }[] };
    assert.deepEqual(
      items.map((i) => [i.custom_id, i.line, i.class, i.code, i.duplicate_of]),
      [
        ['a', 1, 'invalid_request', 'context_length_exceeded', undefined],
        ['b', 2, 'invalid_request', 'context_length_exceeded', 'a'],
      ],
    );

    const results = cli(workspace, 'results', JOB);
    assert.equal(results.code, 0, results.stderr);
    const records = results.stdout
      .trim()
      .split('\n')
      .map((text) => JSON.parse(text) as { custom_id: string; state: string });
    assert.deepEqual(
      records.filter((r) => r.state === 'dead_letter').map((r) => r.custom_id),
      items.map((i) => i.custom_id),
    );

    const text = cli(workspace, 'dead-letter', JOB);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /^reviews\.jsonl:2 {2}b {2}invalid_request \(context_length_exceeded\): too long \(duplicate of a\)$/m);
  });
});

describe('an unknown job id', () => {
  let workspace = '';
  before(() => {
    workspace = mkdtempSync(path.join(tmpdir(), 'cli-inspect-empty-'));
  });

  it('says "no job X in this workspace" with exit 1, without the usage text', () => {
    for (const command of ['status', 'dead-letter']) {
      const result = cli(workspace, command, 'job-nope');
      assert.equal(result.code, 1, `llm-batch ${command} job-nope: ${result.stderr}`);
      assert.match(result.stderr, /^llm-batch: no job job-nope in this workspace \(.+\); list its jobs with: llm-batch jobs\n$/);
      assert.doesNotMatch(result.stdout + result.stderr, /Usage: llm-batch/);
    }
  });

  it('still treats a missing job id as a usage error (exit 2, usage shown)', () => {
    const result = cli(workspace, 'status');
    assert.equal(result.code, 2);
    assert.match(result.stderr, /name a job/);
    assert.match(result.stderr, /Usage: llm-batch/);
  });
});
