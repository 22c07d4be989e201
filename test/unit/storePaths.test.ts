// A `.llm-batch/` written by someone else (a cloned repository) must not make the store read,
// upload or write anything outside it: ids follow one pattern, store paths stay inside.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { createPricer } from '../../src/core/pricing';
import { Engine } from '../../src/engine/engine';
import type { BatchProvider } from '../../src/providers/batchProvider';
import { StateIndex, fileLines } from '../../src/store/stateIndex';
import type { ItemSeed } from '../../src/store/storeEvents';
import { recordProblem } from '../../src/store/storePaths';
import { WorkspaceStore } from '../../src/store/workspaceStore';
import { FAST_ENGINE } from '../engine/harness';

const AT = '2026-11-27T00:00:00.000Z';

function jobCreated(jobId: string, itemsFile: string, seq: number) {
  return {
    seq,
    at: AT,
    type: 'job.created',
    jobId,
    name: 'cloned',
    sourceFile: 'in.jsonl',
    sourceSha256: '',
    provider: 'openai',
    model: 'gpt-4o-mini',
    endpoint: '/v1/chat/completions',
    createdAt: AT,
    estimate: { expected: 0, max: 0 },
    options: { outputJson: false, failureAlertRate: 0.05 },
    itemsFile,
    itemCount: 1,
  };
}

function seedLine(batchKey: string, inputFile: string): string {
  const seed: ItemSeed = { id: 'a', line: 1, hash: 'h', model: 'gpt-4o-mini', state: 'queued', batchKey, input: { file: inputFile, offset: 0, length: 10 }, estimatedCost: 0 };
  return `${JSON.stringify(seed)}\n`;
}

/** `<base>/ws` with its store, and `<base>/elsewhere/x` and `<base>/outside.jsonl` beside it, where a hostile journal points. */
function clonedWorkspace() {
  const base = mkdtempSync(path.join(tmpdir(), 'store-paths-'));
  const workspace = path.join(base, 'ws');
  const root = path.join(workspace, '.llm-batch');
  mkdirSync(path.join(root, 'jobs', 'job-1'), { recursive: true });
  writeFileSync(path.join(root, 'jobs', 'job-1', 'items.jsonl'), seedLine('job-1.s1.b1', 'jobs/job-1/in.jsonl'));
  writeFileSync(path.join(root, 'jobs', 'job-1', 'in.jsonl'), '{"x":"y"}\n');
  writeFileSync(path.join(base, 'outside.jsonl'), '{"secret":"do not upload"}\n');
  mkdirSync(path.join(base, 'elsewhere', 'x'), { recursive: true });
  writeFileSync(path.join(base, 'elsewhere', 'x', 'items.jsonl'), seedLine('x.s1.b1', '../../../outside.jsonl'));
  return { base, workspace, root };
}

describe('store paths', () => {
  it('resolve() and jobDir() refuse any path that leaves .llm-batch, naming it', async () => {
    const workspace = mkdtempSync(path.join(tmpdir(), 'store-paths-'));
    const store = await WorkspaceStore.open(workspace, { purpose: 'test' });
    try {
      assert.equal(store.resolve('jobs/job-1/in.jsonl'), path.join(workspace, '.llm-batch', 'jobs', 'job-1', 'in.jsonl'));
      for (const bad of ['../outside.jsonl', 'jobs/job-1/../../../outside.jsonl', '/etc/passwd', 'jobs\\..\\..\\x', 'C:/x', 'jobs/./x', '']) {
        assert.throws(() => store.resolve(bad), { name: 'StorePathError', message: new RegExp(`^Refusing ${escape(JSON.stringify(bad))}: .*stays inside ${escape(store.root)}`) }, bad);
      }
      assert.equal(store.jobDir('job-20261127-000000-abc123'), 'jobs/job-20261127-000000-abc123');
      for (const bad of ['../../../elsewhere/x', '..', '.hidden', 'a/b', 'a\\b', '']) {
        assert.throws(() => store.jobDir(bad), { name: 'StorePathError', message: /is not a valid id/ }, bad);
      }
    } finally {
      await store.close();
    }
  });

  it('a journal from elsewhere cannot add a job or a batch that names paths outside the store; the rest opens, with a notice', async () => {
    const { base, workspace, root } = clonedWorkspace();
    const records = [
      jobCreated('job-1', 'jobs/job-1/items.jsonl', 1),
      { seq: 2, at: AT, type: 'batch.intent', jobId: 'job-1', batchKey: 'job-1.s1.b1', strike: 1, inputFile: '../../outside.jsonl', itemCount: 1 },
      jobCreated('../../../elsewhere/x', 'jobs/../../../elsewhere/x/items.jsonl', 3),
      { seq: 4, at: AT, type: 'job.state', jobId: '../../../elsewhere/x', state: 'running' },
    ];
    writeFileSync(path.join(root, 'journal.jsonl'), records.map((r) => `${JSON.stringify(r)}\n`).join(''));

    for (const readOnly of [true, false]) {
      const notices: string[] = [];
      const store = await WorkspaceStore.open(workspace, { purpose: 'test', readOnly, onNotice: (m) => notices.push(m) });
      assert.deepEqual(
        store.index.jobs().map((job) => job.id),
        ['job-1'],
      );
      assert.deepEqual(store.index.batches('job-1'), [], 'the intent whose input file is outside was refused');
      assert.equal(notices.length, 1, notices.join('\n'));
      assert.match(notices[0] ?? '', /^Ignored 3 record\(s\) .*journal seq 2 \(batch\.intent\): inputFile: store path "\.\.\/\.\.\/outside\.jsonl" leaves .*journal seq 3 \(job\.created\): job id "\.\.\/\.\.\/\.\.\/elsewhere\/x" is not a valid id/);
      await store.close(); // the writer snapshots: refused records are archived inside the store
    }
    assert.equal(existsSync(path.join(base, 'elsewhere', 'x', 'history.jsonl')), false, 'nothing was written outside the workspace');
    assert.equal(existsSync(path.join(root, 'jobs', '_', 'history.jsonl')), true, 'the refused records are kept inside the store');

    // Reopened from the snapshot and the histories alike, the refused records stay refused.
    writeFileSync(path.join(root, 'state.sqlite'), 'damaged');
    const rebuilt = await WorkspaceStore.open(workspace, { purpose: 'test' });
    assert.deepEqual(
      rebuilt.index.jobs().map((job) => job.id),
      ['job-1'],
    );
    await rebuilt.close();
  });

  it('never journals an event whose id or file would leave the store', async () => {
    const workspace = mkdtempSync(path.join(tmpdir(), 'store-paths-'));
    const store = await WorkspaceStore.open(workspace, { purpose: 'test' });
    try {
      await assert.rejects(store.commit([{ type: 'job.state', jobId: '../x', state: 'completed' }]), /^Error: Not journaled: a job\.state event .*job id "\.\.\/x" is not a valid id/);
      await assert.rejects(
        store.commit([{ type: 'batch.intent', jobId: 'job-1', batchKey: 'job-1.s1.b1', strike: 1, inputFile: 'jobs/job-1/../../../x.jsonl', itemCount: 1 }]),
        /inputFile: store path .* leaves/,
      );
      const [record] = await store.commit([{ type: 'job.state', jobId: 'job-1', state: 'completed' }]);
      assert.equal(record?.seq, 1, 'the refused events took no seq');
    } finally {
      await store.close();
    }
  });

  it('a state index from elsewhere whose batch names an input file outside the store gets nothing uploaded', async () => {
    const { workspace, root } = clonedWorkspace();
    // The snapshot is not replayed through the checks: build one as a hostile writer would.
    const index = await StateIndex.open();
    await index.apply(jobCreated('job-1', 'jobs/job-1/items.jsonl', 1), fileLines(root));
    await index.apply({ seq: 2, at: AT, type: 'batch.intent', jobId: 'job-1', batchKey: 'job-1.s1.b1', strike: 1, inputFile: '../../outside.jsonl', itemCount: 1 }, fileLines(root));
    writeFileSync(path.join(root, 'state.sqlite'), index.export());
    index.close();

    const calls: string[] = [];
    const provider = new Proxy({} as BatchProvider, {
      get: (_target, name) => {
        if (name === 'then') return undefined;
        if (name === 'list') return () => (async function* () {})();
        return (...args: unknown[]) => {
          calls.push(`${String(name)} ${String(args[0])}`);
          return Promise.resolve(name === 'upload' ? 'file-1' : undefined);
        };
      },
    });
    const store = await WorkspaceStore.open(workspace, { purpose: 'test' });
    try {
      const engine = new Engine({ store, providerFor: () => provider, pricer: createPricer(), config: FAST_ENGINE });
      await assert.rejects(engine.step('job-1'), /Refusing "\.\.\/\.\.\/outside\.jsonl"/);
      assert.deepEqual(
        calls.filter((call) => call.startsWith('upload') || call.startsWith('create')),
        [],
      );
    } finally {
      await store.close();
    }
  });

  it('recordProblem accepts what the engine journals', () => {
    const fine = [
      { type: 'job.created', jobId: 'job-import-batch_abc-1f2e', itemsFile: 'jobs/job-import-batch_abc-1f2e/items.jsonl' },
      { type: 'batch.collected', jobId: 'job-1', batchKey: 'job-1.s2.r3', outputFile: 'jobs/job-1/job-1.s2.r3.output.jsonl', outcomes: [{ id: 'a', ref: { file: 'jobs/job-1/x.jsonl', offset: 0, length: 1 } }] },
      { type: 'item.syncAborted', jobId: 'job-1', id: 'a', state: 'failed', strike: 2, batchKey: null },
    ];
    for (const record of fine) assert.equal(recordProblem(record), undefined, JSON.stringify(record));
    assert.match(recordProblem({ type: 'item.syncResult', jobId: 'job-1', outcome: { id: 'a', ref: { file: '../../x', offset: 0, length: 1 } } }) ?? '', /result reference/);
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
