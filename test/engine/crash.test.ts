// Kill -9 at seeded moments — across submit, poll, download, the retry ladder and snapshots —
// at least 50 times, restarting after each kill. Afterwards every item is accounted for exactly
// once, the provider saw no batch created twice, and nothing was paid for twice.
//
// Seeded and replayable: the seed is printed at the start (and in any failure message); run
// `LLM_BATCH_SEED=<seed> node scripts/runTests.mjs engine/crash` to replay it. Every choice comes
// from that seed: for each run, whether the kill comes after the child's Nth new journal record
// (plus a short delay), the moment the emulator has answered the child's Kth request of one kind
// (upload, create, list, poll, download, sync call: e.g. right after its first create, before the
// answer can be journaled), or after a delay from spawn; and N, the kind, K and the delays.
// What the seed cannot pin down: the child keeps running between its Nth fsync (or the answer)
// and the moment the SIGKILL lands (the journal is polled every ~2 ms; signal delivery and
// scheduling); how many polls a run makes depends on timing; delays are wall-clock,
// so start-up speed and machine load shift them; the emulator's batches advance with wall-clock
// time; job and batch ids are random (and the emulator's output order is seeded by the batch id).
// So a replay repeats the same schedule of kill points, not a byte-identical run: a failure that
// hangs on a narrow race may need a few replays, or a loop over the same seed.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { STORE_DIR, WorkspaceStore } from '../../src/store/workspaceStore';
import { buildCliBundle } from '../support/cliBundle';
import { seedFromEnv, seededRandom } from '../support/seededRandom';
import { startOpenAiEmulator } from '../emulators/openai/server';
import type { RunningEmulator } from '../emulators/openai/server';

const KILLS = 50;
const SEED = seedFromEnv('LLM_BATCH_SEED');
const REPLAY = `replay with: LLM_BATCH_SEED=${SEED} node scripts/runTests.mjs engine/crash`;
const FINAL_STATES = new Set(['succeeded', 'dead_letter', 'deduped', 'cached', 'cancelled']);

describe('crash loop', () => {
  let emulator: RunningEmulator;
  let cli: string;
  let workspace: string;

  before(async () => {
    emulator = await startOpenAiEmulator({ timeScale: { validatingMs: 30, inProgressMs: 150, finalizingMs: 30 } });
    workspace = mkdtempSync(path.join(tmpdir(), 'crash-loop-'));
    // A bundle starts in a fraction of tsx's time, so the kills land across the job's life, not its start-up.
    cli = await buildCliBundle(workspace);
  });
  after(async () => {
    await emulator.close();
  });

  /** Provider requests a kill can follow, as the emulator logs them (method and path). */
  const PROVIDER_CALLS: Readonly<Record<string, RegExp>> = {
    upload: /^POST \/v1\/files$/,
    create: /^POST \/v1\/batches$/,
    list: /^GET \/v1\/batches$/,
    poll: /^GET \/v1\/batches\/[^/]+$/,
    download: /^GET \/v1\/files\/[^/]+\/content$/,
    sync: /^POST \/v1\/chat\/completions$/,
  };
  const CALL_NAMES = Object.keys(PROVIDER_CALLS);

  /**
   * When to kill a run: after N more journal records than `afterSeq` (then `thenMs`), at once when
   * the emulator has answered the run's Kth `call`, or `ms` after spawn.
   */
  type KillPoint =
    | { kind: 'records'; afterSeq: number; records: number; thenMs: number }
    | { kind: 'answer'; call: string; nth: number }
    | { kind: 'delay'; ms: number };

  /** Every run draws the same six numbers, whatever it uses, so the stream stays aligned on replay. */
  function chooseKillPoint(random: () => number, lastSeq: number): KillPoint {
    const kind = random();
    const records = 1 + Math.floor(random() * 14);
    const thenMs = Math.floor(random() * 30);
    const call = CALL_NAMES[Math.floor(random() * CALL_NAMES.length)] ?? 'create';
    const nth = 1 + Math.floor(random() * 3);
    const ms = Math.floor(random() * 1200);
    if (kind < 1 / 3) return { kind: 'records', afterSeq: lastSeq, records, thenMs };
    if (kind < 2 / 3) return { kind: 'answer', call, nth };
    return { kind: 'delay', ms };
  }

  /** The highest seq among the journal's whole lines now (0 when it has none; a torn last line is not counted). */
  async function journalSeq(): Promise<number> {
    const text = await readFile(path.join(workspace, STORE_DIR, 'journal.jsonl'), 'utf8').catch(() => '');
    let highest = 0;
    for (const match of text.matchAll(/^\{"seq":(\d+),.*\n/gm)) highest = Math.max(highest, Number(match[1]));
    return highest;
  }

  function run(args: string[], kill?: KillPoint): Promise<{ code: number | null; killed: boolean; stdout: string; stderr: string }> {
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
      let exited = false;
      const killNow = () => {
        if (!exited) killed = child.kill('SIGKILL');
      };
      let timer: NodeJS.Timeout | undefined;
      let unsubscribe = (): void => undefined;
      if (kill?.kind === 'delay') timer = setTimeout(killNow, kill.ms);
      if (kill?.kind === 'answer') {
        // Only this child talks to the emulator while it runs (the test's own reads come after the loop).
        const call = PROVIDER_CALLS[kill.call];
        let answered = 0;
        unsubscribe = emulator.onResponse((entry) => {
          if (call?.test(`${entry.method} ${entry.path}`) && ++answered === kill.nth) killNow();
        });
      }
      if (kill?.kind === 'records') {
        // Snapshots empty the journal every few records, but seqs keep rising: watch the highest one.
        const target = kill.afterSeq + kill.records;
        const watch = async (): Promise<void> => {
          while (!exited && (await journalSeq()) < target) await new Promise((r) => setTimeout(r, 2));
          if (!exited) timer = setTimeout(killNow, kill.thenMs);
        };
        void watch();
      }
      child.on('exit', (code) => {
        exited = true;
        clearTimeout(timer);
        unsubscribe();
        resolve({ code, killed, stdout, stderr });
      });
    });
  }

  /** A run that was not killed ended as the command promises: submitted, or followed to a final state. */
  function assertClean(args: readonly string[], result: { code: number | null; stdout: string; stderr: string }): void {
    if (args[0] === 'submit') assert.match(result.stdout, /Submitted job-/, `submit: ${result.stderr}`);
    else assert.match(result.stdout, / (completed|completed_with_failures)\n$/, `watch: ${result.stderr}`);
  }

  /** The job a kill left unfinished (if any), and the last seq the workspace holds. */
  async function workspaceState(): Promise<{ pending: string | undefined; lastSeq: number }> {
    const store = await WorkspaceStore.open(workspace, { purpose: 'crash test reader', readOnly: true });
    try {
      const pending = store.index.jobs().find((job) => !['completed', 'completed_with_failures', 'cancelled', 'failed'].includes(job.status))?.id;
      return { pending, lastSeq: store.index.lastSeq };
    } finally {
      await store.close();
    }
  }

  async function unfinishedJob(): Promise<string | undefined> {
    return (await workspaceState()).pending;
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

  it(`accounts for every item exactly once after ${KILLS} kill -9s (seed ${SEED})`, { timeout: 600_000 }, async (t) => {
    t.diagnostic(`seed ${SEED}; ${REPLAY}`);
    console.log(`crash loop seed ${SEED} (${REPLAY})`);
    try {
      const tally = await killLoop();
      t.diagnostic(
        `${tally.records} kills after journal records, ${tally.answer} on a provider's answer, ${tally.delay} after a delay; ${tally.clean} runs ended before their kill point`,
      );
    } catch (error) {
      // Reporters print the stack, which was captured with the original message: amend both.
      if (error instanceof Error) {
        const hint = `(seed ${SEED}; ${REPLAY})`;
        error.message = `${error.message}\n${hint}`;
        if (error.stack !== undefined) error.stack = error.stack.replace(/\n {4}at /, `\n${hint}\n    at `);
      }
      throw error;
    }
  });

  async function killLoop(): Promise<{ records: number; answer: number; delay: number; clean: number }> {
    const random = seededRandom(SEED);
    const tally = { records: 0, answer: 0, delay: 0, clean: 0 };
    let kills = 0;
    let jobs = 0;
    const files: string[] = [];
    while (kills < KILLS) {
      const { pending, lastSeq } = await workspaceState();
      const killPoint = chooseKillPoint(random, lastSeq);
      let args: string[];
      if (pending) args = ['watch', pending];
      else {
        files.push(writeJobFile(++jobs));
        args = ['submit', files.at(-1) ?? '', '--yes'];
      }
      const result = await run(args, killPoint);
      if (result.killed) {
        kills++;
        tally[killPoint.kind]++;
      } else {
        tally.clean++;
        assertClean(args, result);
      }
    }
    // Finish everything without kills.
    for (let pending = await unfinishedJob(); pending; pending = await unfinishedJob()) assertClean(['watch', pending], await run(['watch', pending]));

    const store = await WorkspaceStore.open(workspace, { purpose: 'crash test check', readOnly: true });
    try {
      const allJobs = store.index.jobs();
      assert.ok(allJobs.length >= 1);
      for (const job of allJobs) {
        const items = store.index.items(job.id);
        const lines = readFileSync(job.sourceFile, 'utf8').trim().split('\n').length;
        assert.equal(items.length, lines, `${job.id}: every line of the file is one item`);
        assert.equal(new Set(items.map((item) => item.id)).size, items.length);
        for (const item of items) assert.ok(FINAL_STATES.has(item.state), `${job.id}/${item.id} ended ${item.state}`);
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
      // Strike 3 reaches only the always-failing items here (from the fixture: items 3, 13 and 23
      // of every job answer server_error every time): a 200 from a sync call would be a bug, and
      // each of them is tried (the SDK retries a 500 twice) but never more than once per item.
      const alwaysFailing = allJobs.length * 3;
      const syncRequests = emulator.requests().filter((r) => r.method === 'POST' && r.path.endsWith('/chat/completions'));
      assert.equal(syncRequests.filter((r) => r.status === 200).length, 0);
      assert.ok(syncRequests.length <= alwaysFailing * 3, `${syncRequests.length} sync requests for ${alwaysFailing} always-failing items: an item was called twice`);
      assert.ok(syncRequests.length > 0, 'the crash loop exercised the sync strike');
    } finally {
      await store.close();
    }
    return tally;
  }
});
