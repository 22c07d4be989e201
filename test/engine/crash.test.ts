// Kill -9 at random moments — across submit, poll, download, the retry ladder and snapshots —
// at least 50 times, restarting after each kill. Afterwards every item is accounted for exactly
// once, the provider saw no batch created twice, and nothing was paid for twice.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { build } from 'esbuild';
import { WorkspaceStore } from '../../src/store/workspaceStore';
import { startOpenAiEmulator } from '../emulators/openai/server';
import type { RunningEmulator } from '../emulators/openai/server';

const KILLS = 50;
const FINAL_STATES = new Set(['succeeded', 'dead_letter', 'deduped', 'cached', 'cancelled']);
const root = path.resolve(__dirname, '../..');

describe('crash loop', () => {
  let emulator: RunningEmulator;
  let cli: string;
  let workspace: string;

  before(async () => {
    emulator = await startOpenAiEmulator({ timeScale: { validatingMs: 30, inProgressMs: 150, finalizingMs: 30 } });
    workspace = mkdtempSync(path.join(tmpdir(), 'crash-loop-'));
    // A bundle starts in a fraction of tsx's time, so the kills land across the job's life, not its start-up.
    cli = path.join(workspace, 'cli.js');
    await build({ entryPoints: [path.join(root, 'src/cli/main.ts')], bundle: true, platform: 'node', format: 'cjs', target: 'node20', outfile: cli, logLevel: 'error' });
    copyFileSync(require.resolve('sql.js/dist/sql-wasm.wasm'), path.join(workspace, 'sql-wasm.wasm'));
  });
  after(async () => {
    await emulator.close();
  });

  function run(args: string[], killAfterMs?: number): Promise<{ code: number | null; killed: boolean; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
      const child = spawn(process.execPath, [cli, ...args, '--workspace', workspace, '--base-url', emulator.openaiBaseUrl], {
        env: { ...process.env, OPENAI_API_KEY: 'test', LLM_BATCH_SNAPSHOT_EVERY: '3' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      let killed = false;
      const timer = killAfterMs === undefined ? undefined : setTimeout(() => (killed = child.kill('SIGKILL')), killAfterMs);
      child.on('exit', (code) => {
        clearTimeout(timer);
        resolve({ code, killed, stdout, stderr });
      });
    });
  }

  /** A run that was not killed ended as the command promises: submitted, or followed to a final state. */
  function assertClean(args: readonly string[], result: { code: number | null; stdout: string; stderr: string }): void {
    if (args[0] === 'submit') assert.match(result.stdout, /Submitted job-/, `submit: ${result.stderr}`);
    else assert.match(result.stdout, / (completed|completed_with_failures)\n$/, `watch: ${result.stderr}`);
  }

  async function unfinishedJob(): Promise<string | undefined> {
    const store = await WorkspaceStore.open(workspace, { purpose: 'crash test reader', readOnly: true });
    try {
      return store.index.jobs().find((job) => !['completed', 'completed_with_failures', 'cancelled', 'failed'].includes(job.status))?.id;
    } finally {
      await store.close();
    }
  }

  function writeJobFile(n: number): string {
    const file = path.join(workspace, `crash-${n}.jsonl`);
    // Items 25..29 repeat items 0..4 exactly: duplicates.
    const texts = Array.from({ length: 30 }, (_, index) => {
      const i = index % 25;
      const marker = i % 10 === 3 ? ' [[fail:server_error]]' : i % 10 === 5 ? ' [[fail-once:server_error]]' : i % 10 === 7 ? ' [[fail:context_length_exceeded]]' : '';
      return `job ${n} item ${i}${marker}`;
    });
    const lines = texts.map((text, i) =>
      JSON.stringify({ custom_id: `c${i}`, method: 'POST', url: '/v1/chat/completions', body: { model: 'gpt-4o-mini', messages: [{ role: 'user', content: text }] } }),
    );
    writeFileSync(file, `${lines.join('\n')}\n`);
    return file;
  }

  it(`accounts for every item exactly once after ${KILLS} kill -9s`, { timeout: 600_000 }, async () => {
    let kills = 0;
    let jobs = 0;
    const files: string[] = [];
    while (kills < KILLS) {
      const pending = await unfinishedJob();
      const delay = Math.floor(Math.random() * 1200);
      let args: string[];
      if (pending) args = ['watch', pending];
      else {
        files.push(writeJobFile(++jobs));
        args = ['submit', files.at(-1) ?? '', '--yes'];
      }
      const result = await run(args, delay);
      if (result.killed) kills++;
      else assertClean(args, result);
    }
    // Finish everything without kills.
    for (let pending = await unfinishedJob(); pending; pending = await unfinishedJob()) assertClean(['watch', pending], await run(['watch', pending]));

    const store = await WorkspaceStore.open(workspace, { purpose: 'crash test check', readOnly: true });
    try {
      const allJobs = store.index.jobs();
      assert.ok(allJobs.length >= 1);
      let strike3 = 0;
      for (const job of allJobs) {
        const items = store.index.items(job.id);
        const lines = readFileSync(job.sourceFile, 'utf8').trim().split('\n').length;
        assert.equal(items.length, lines, `${job.id}: every line of the file is one item`);
        assert.equal(new Set(items.map((item) => item.id)).size, items.length);
        for (const item of items) assert.ok(FINAL_STATES.has(item.state), `${job.id}/${item.id} ended ${item.state}`);
        strike3 += items.filter((item) => item.strike === 3).length;
        const byId = new Map(items.map((item) => [item.id, item]));
        // The outcomes the markers dictate, whatever the kills did.
        for (const [id, item] of byId) {
          const i = Number(id.slice(1));
          if (i >= 25) assert.equal(item.state, 'deduped');
          else if (i % 10 === 7) assert.equal(item.state, 'dead_letter', `${id} context_length_exceeded`);
          else if (i % 10 === 3) assert.equal(item.state, 'dead_letter', `${id} server_error`);
          else assert.equal(item.state, 'succeeded', `${job.id}/${id}: ${item.failureMessage ?? ''}`);
        }
      }

      // The provider's view: no batch created twice, and no item answered twice in batch outputs.
      const created = emulator.batches();
      const tags = created.map((b) => b.metadata?.['llmb_batch'] ?? '');
      assert.equal(new Set(tags).size, tags.length, `a batch was created twice: ${tags.join(', ')}`);
      const successes = new Map<string, number>();
      for (const batch of created) {
        if (!batch.outputFileId) continue;
        const response = await fetch(`${emulator.openaiBaseUrl}/files/${batch.outputFileId}/content`, { headers: { authorization: 'Bearer test' } });
        for (const line of (await response.text()).split('\n').filter(Boolean)) {
          const id = `${batch.metadata?.['llmb_job']}/${(JSON.parse(line) as { custom_id: string }).custom_id}`;
          successes.set(id, (successes.get(id) ?? 0) + 1);
        }
      }
      for (const [id, count] of successes) assert.equal(count, 1, `${id} was answered ${count} times`);
      assert.ok(successes.size > 0);
      // Strike 3 reaches only the always-failing items here: a 200 from a sync call would be a bug,
      // and each of them is tried (the SDK retries a 500 twice) but never more than once per item.
      const syncRequests = emulator.requests().filter((r) => r.method === 'POST' && r.path.endsWith('/chat/completions'));
      assert.equal(syncRequests.filter((r) => r.status === 200).length, 0);
      assert.ok(syncRequests.length <= strike3 * 3, `${syncRequests.length} sync requests for ${strike3} items at strike 3: an item was called twice`);
      assert.ok(strike3 > 0, 'the crash loop exercised the sync strike');
    } finally {
      await store.close();
    }
  });
});
