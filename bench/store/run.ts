// bench/store: the durable store at the scale of a 1M-item job. Prints insert (job.created
// applying 1M item rows), snapshot, reopen and replay times, the journal's cost per event with
// and without group commit, peak memory, and the snapshot's cost per MB against a plain file
// write of the same bytes — as a ratio, so the figure means the same on any machine — and the
// Jobs view's queries, its top level (every job's counts by state and cost) first.
// Run: npm run bench:store [-- --items 1000000]
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { mkdir, open as openFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { ItemSeed, StoreEvent } from '../../src/store/storeEvents';
import { WorkspaceStore } from '../../src/store/workspaceStore';

const { values } = parseArgs({ options: { items: { type: 'string', default: '1000000' } } });
const ITEMS = Number(values.items);
const workspace = mkdtempSync(path.join(tmpdir(), 'bench-store-'));
const seconds = (start: bigint) => Number(process.hrtime.bigint() - start) / 1e9;
const mb = (bytes: number) => (bytes / 1e6).toFixed(1);

async function writeItemsFile(file: string, jobId: string): Promise<void> {
  const stream = createWriteStream(file);
  for (let i = 0; i < ITEMS; i++) {
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

async function main(): Promise<void> {
  const jobId = 'job-bench';
  let store = await WorkspaceStore.open(workspace, { purpose: 'bench', snapshotEvery: Number.MAX_SAFE_INTEGER });
  const itemsFile = `jobs/${jobId}/items.jsonl`;
  await mkdir(path.join(store.root, 'jobs', jobId), { recursive: true });
  await writeItemsFile(store.resolve(itemsFile), jobId);

  let start = process.hrtime.bigint();
  await store.commit([
    {
      type: 'job.created',
      jobId,
      name: 'bench',
      sourceFile: 'bench.jsonl',
      sourceSha256: '',
      provider: 'openai',
      model: 'gpt-4o-mini',
      endpoint: '/v1/chat/completions',
      createdAt: new Date().toISOString(),
      estimate: { expected: 1, max: 2 },
      options: { outputJson: false, failureAlertRate: 0.05 },
      itemsFile,
      itemCount: ITEMS,
    },
  ]);
  const insert = seconds(start);

  // Journal cost: one event at a time (an fsync each) and a burst (group commit).
  const statusEvent = (i: number): StoreEvent => ({
    type: 'batch.status',
    jobId,
    batchKey: `${jobId}.s1.b1`,
    state: 'in_progress',
    rawStatus: 'in_progress',
    counts: { total: ITEMS, completed: i, failed: 0 },
  });
  const SEQUENTIAL = 200;
  start = process.hrtime.bigint();
  for (let i = 0; i < SEQUENTIAL; i++) await store.commit([statusEvent(i)]);
  const perEventSequential = (seconds(start) / SEQUENTIAL) * 1e6;
  const BURST = 5_000;
  start = process.hrtime.bigint();
  await Promise.all(Array.from({ length: BURST }, (_, i) => store.commit([statusEvent(i)])));
  const perEventBurst = (seconds(start) / BURST) * 1e6;

  start = process.hrtime.bigint();
  await store.snapshot();
  const snapshot = seconds(start);
  const snapshotBytes = store.index.export();

  // The same bytes through a plain write + fsync: the floor a snapshot cannot beat.
  start = process.hrtime.bigint();
  const plain = await openFile(path.join(workspace, 'plain.bin'), 'w');
  await plain.writeFile(snapshotBytes);
  await plain.sync();
  await plain.close();
  const plainWrite = seconds(start);

  // Replay: events after the snapshot are read back from the journal on open.
  await Promise.all(Array.from({ length: BURST }, (_, i) => store.commit([statusEvent(i)])));
  // Leave those events in the journal (no closing snapshot), as a process that stopped would.
  await store.closeWithoutSnapshot();
  start = process.hrtime.bigint();
  store = await WorkspaceStore.open(workspace, { purpose: 'bench reopen', snapshotEvery: Number.MAX_SAFE_INTEGER });
  const reopen = seconds(start);
  const counted = store.index.countsByState(jobId).queued ?? 0;

  // What the Jobs view asks when a user expands a job, a batch and a state group (paged by 200).
  const timed = (run: () => unknown) => {
    const begin = process.hrtime.bigint();
    run();
    return seconds(begin) * 1000;
  };
  // The view's top level, as JobsTreeProvider.getChildren() builds it after every poll: every job
  // with its counts by state and its cost (per-job totals kept by the index since schema 5).
  const topLevel = () => store.index.jobs().map((job) => [store.index.countsByState(job.id), store.index.actualCost(job.id)]);
  const view = {
    topLevel: Math.min(...Array.from({ length: 5 }, () => timed(topLevel))),
    jobCounts: timed(() => store.index.countsByState(jobId)),
    batchCounts: timed(() => store.index.countsByStateInBatch(jobId, `${jobId}.s1.b1`)),
    firstPage: timed(() => store.index.items(jobId, { states: ['queued'], batchKey: `${jobId}.s1.b1`, limit: 200 })),
    deepPage: timed(() => store.index.items(jobId, { states: ['queued'], batchKey: `${jobId}.s${1}.b${Math.max(1, Math.floor(ITEMS / 50_000))}`, afterLine: ITEMS - 1_000, limit: 200 })),
  };
  await store.close();

  const peak = process.resourceUsage().maxRSS * 1024;
  console.log(`bench/store — ${ITEMS.toLocaleString('en-US')} items`);
  console.log(`  insert (job.created → ${counted.toLocaleString('en-US')} item rows)   ${insert.toFixed(2)} s   (${((insert / ITEMS) * 1e6).toFixed(1)} µs/item)`);
  console.log(`  journal, one event per commit              ${perEventSequential.toFixed(0)} µs/event (an fsync each)`);
  console.log(`  journal, ${BURST.toLocaleString('en-US')} concurrent commits          ${perEventBurst.toFixed(1)} µs/event (group commit)`);
  console.log(`  snapshot                                    ${snapshot.toFixed(2)} s for ${mb(snapshotBytes.length)} MB = ${((snapshot / snapshotBytes.length) * 1e6 * 1000).toFixed(1)} ms/MB`);
  console.log(`  plain write + fsync of the same bytes       ${plainWrite.toFixed(2)} s = ${((plainWrite / snapshotBytes.length) * 1e6 * 1000).toFixed(1)} ms/MB`);
  console.log(`  snapshot / plain write                      ${(snapshot / plainWrite).toFixed(1)}x`);
  console.log(`  reopen (load snapshot + replay ${BURST.toLocaleString('en-US')} events)  ${reopen.toFixed(2)} s`);
  console.log(`  Jobs view: top level (every job, counts+cost) ${view.topLevel.toFixed(2)} ms (best of 5)`);
  console.log(`  Jobs view: counts by state for the job       ${view.jobCounts.toFixed(1)} ms`);
  console.log(`  Jobs view: counts by state in one batch      ${view.batchCounts.toFixed(1)} ms`);
  console.log(`  Jobs view: first page of 200 items           ${view.firstPage.toFixed(1)} ms`);
  console.log(`  Jobs view: a page near the end               ${view.deepPage.toFixed(1)} ms`);
  console.log(`  peak memory (RSS)                           ${mb(peak)} MB`);
  rmSync(workspace, { recursive: true, force: true });
}

void main();
