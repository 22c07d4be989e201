// The Jobs view's top level with a 1M-item job, as VS Code asks for it after every poll:
// JobsTreeProvider.getChildren() (each job's node with its texts), over a store built like bench/store's.
// Runs in this process (the vscode module faked); the store's folder is removed afterwards.
import '../../test/support/fakeVscode';
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { JobsTreeProvider } from '../../src/host/jobsTreeProvider';
import type { WorkspaceSession } from '../../src/host/workspaceSession';
import type { ItemSeed } from '../../src/store/storeEvents';
import { WorkspaceStore } from '../../src/store/workspaceStore';

async function writeItems(file: string, jobId: string, items: number): Promise<void> {
  const stream = createWriteStream(file);
  for (let i = 0; i < items; i++) {
    const seed: ItemSeed = {
      id: `row-${i}`,
      line: i + 1,
      hash: (i * 2654435761).toString(16).padStart(64, '0'),
      model: 'gpt-4o-mini',
      state: 'queued',
      batchKey: `${jobId}.s1.b${Math.floor(i / 50_000) + 1}`,
      input: { file: `jobs/${jobId}/b.input.jsonl`, offset: i * 300, length: 299 },
      estimatedCost: 0.00001,
    };
    if (!stream.write(`${JSON.stringify(seed)}\n`)) await new Promise<void>((resolve) => stream.once('drain', () => resolve()));
  }
  await new Promise<void>((resolve) => stream.end(() => resolve()));
}

/** Milliseconds for the top level (best of `runs`), with `items` items in one job among `jobs`. */
export async function measureJobsView(items: number, jobs = 10, runs = 5): Promise<{ topLevelMs: number; nodes: number; setupS: number }> {
  const workspace = mkdtempSync(path.join(tmpdir(), 'bench-host-jobs-'));
  const setup = performance.now();
  const store = await WorkspaceStore.open(workspace, { purpose: 'bench jobs view', snapshotEvery: Number.MAX_SAFE_INTEGER });
  try {
    for (let j = 0; j < jobs; j++) {
      const jobId = `job-bench-${j}`;
      const count = j === 0 ? items : 100;
      const itemsFile = `jobs/${jobId}/items.jsonl`;
      await mkdir(path.join(store.root, 'jobs', jobId), { recursive: true });
      await writeItems(store.resolve(itemsFile), jobId, count);
      await store.commit([
        {
          type: 'job.created',
          jobId,
          name: `bench ${j}`,
          sourceFile: 'bench.jsonl',
          sourceSha256: '',
          provider: 'openai',
          model: 'gpt-4o-mini',
          endpoint: '/v1/chat/completions',
          createdAt: new Date().toISOString(),
          estimate: { expected: 1, max: 2 },
          options: { outputJson: false, failureAlertRate: 0.05 },
          itemsFile,
          itemCount: count,
        },
      ]);
    }
    const setupS = (performance.now() - setup) / 1000;
    const provider = new JobsTreeProvider();
    const session = { store, engine: undefined, readOnly: false, onDidChange: () => ({ dispose: () => undefined }) } as unknown as WorkspaceSession;
    provider.setSession(session);
    let best = Number.POSITIVE_INFINITY;
    let nodes = 0;
    for (let run = 0; run < runs; run++) {
      const start = performance.now();
      // The nodes carry their texts (label, description, tooltip) already; TreeItem is only their wrapper.
      const children = provider.getChildren();
      best = Math.min(best, performance.now() - start);
      nodes = children.length;
    }
    provider.dispose();
    return { topLevelMs: best, nodes, setupS };
  } finally {
    await store.close();
    rmSync(workspace, { recursive: true, force: true });
  }
}
