// `kill -9` during a submit, on every provider: right after the provider answered the create (the
// batch exists, the journal does not know it yet), right after the input was staged, and at seeded
// random moments. `watch` then finishes the job, and the provider holds exactly the batches the
// journal knows: none was created twice. Anthropic cannot tag a batch, so a lost create is found by
// time and size; when that is ambiguous the job must wait for the user, never submit again.
// `LLM_BATCH_SEED=<seed> node scripts/runTests.mjs engine/everyProviderCrash` replays the delays.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { WorkspaceStore } from '../../src/store/workspaceStore';
import { buildCliBundle } from '../support/cliBundle';
import { PROVIDER_RIGS } from '../support/providerEmulators';
import type { AnyEmulator, ProviderRig } from '../support/providerEmulators';
import { seedFromEnv, seededRandom } from '../support/seededRandom';

const SEED = seedFromEnv('LLM_BATCH_SEED');
const REPLAY = `replay with: LLM_BATCH_SEED=${SEED} node scripts/runTests.mjs engine/everyProviderCrash`;
/** Enough for Bedrock's 100-record minimum, with a few failures for the retry ladder. */
const ITEMS = 110;

type KillPoint = { readonly kind: 'answer'; readonly call: RegExp; readonly label: string } | { readonly kind: 'delay'; readonly ms: number };

interface Run {
  readonly code: number | null;
  readonly killed: boolean;
  readonly stdout: string;
  readonly stderr: string;
}

describe('kill -9 during a submit, on every provider', () => {
  let cliBundle: string;
  let dir: string;

  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'every-provider-crash-'));
    cliBundle = await buildCliBundle(dir);
  });

  function run(rig: ProviderRig, emulator: AnyEmulator, workspace: string, args: readonly string[], kill?: KillPoint): Promise<Run> {
    return new Promise((resolve) => {
      const child = spawn(process.execPath, [cliBundle, ...args, '--workspace', workspace, '--base-url', rig.baseUrl(emulator)], {
        env: { PATH: process.env['PATH'] ?? '', HOME: workspace, LLM_BATCH_SNAPSHOT_EVERY: '3', ...rig.env },
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
      const timer = kill?.kind === 'delay' ? setTimeout(killNow, kill.ms) : undefined;
      // Only this child talks to the emulator while it runs: the first matching answer is its own.
      const unsubscribe =
        kill?.kind === 'answer'
          ? emulator.onResponse((entry) => {
              if (entry.status < 300 && kill.call.test(`${entry.method} ${entry.path}`)) killNow();
            })
          : () => undefined;
      child.on('exit', (code) => {
        exited = true;
        clearTimeout(timer);
        unsubscribe();
        resolve({ code, killed, stdout, stderr });
      });
    });
  }

  /** Every remote batch id the workspace journaled, and its jobs' item counts by state. */
  async function journaled(workspace: string): Promise<{ remoteIds: string[]; jobs: { id: string; status: string; blockedReason: string | null; items: number; settled: number }[] }> {
    const store = await WorkspaceStore.open(workspace, { purpose: 'crash test reader', readOnly: true });
    try {
      const jobs = store.index.jobs();
      return {
        remoteIds: jobs.flatMap((job) => store.index.batches(job.id).flatMap((batch) => (batch.remoteId === null ? [] : [batch.remoteId]))),
        jobs: jobs.map((job) => {
          const counts = store.index.countsByState(job.id);
          const items = Object.values(counts).reduce((a, b) => a + b, 0);
          const settled = (counts['succeeded'] ?? 0) + (counts['dead_letter'] ?? 0) + (counts['cancelled'] ?? 0);
          return { id: job.id, status: job.status, blockedReason: job.blockedReason, items, settled };
        }),
      };
    } finally {
      await store.close();
    }
  }

  function writeFile(workspace: string, round: number): string {
    const file = path.join(workspace, `round-${round}.jsonl`);
    const lines = Array.from({ length: ITEMS }, (_, i) => {
      const marker = i === 5 ? ' [[fail:server_error]]' : i === 9 ? ' [[fail-once:server_error]]' : '';
      return JSON.stringify({
        custom_id: `r${round}-${i}`,
        method: 'POST',
        url: '/v1/chat/completions',
        body: { model: 'gpt-4o-mini', messages: [{ role: 'user', content: `round ${round} item ${i}${marker}` }], max_tokens: 8 },
      });
    });
    writeFileSync(file, `${lines.join('\n')}\n`);
    return file;
  }

  for (const rig of PROVIDER_RIGS) {
    it(`${rig.provider}: no batch is created twice, whenever the submit is killed (seed ${SEED})`, { timeout: 300_000 }, async (t) => {
      t.diagnostic(`seed ${SEED}; ${REPLAY}`);
      const random = seededRandom(SEED ^ rig.provider.length);
      const kills: KillPoint[] = [
        { kind: 'answer', call: rig.createCall, label: 'create answered' },
        ...(rig.stageCall ? [{ kind: 'answer', call: rig.stageCall, label: 'input staged' } as const] : []),
        { kind: 'delay', ms: 300 + Math.floor(random() * 1500) },
        { kind: 'delay', ms: 300 + Math.floor(random() * 1500) },
      ];
      const emulator = await rig.start();
      try {
        const workspace = mkdtempSync(path.join(dir, `${rig.provider}-`));
        for (const [round, kill] of kills.entries()) {
          const what = kill.kind === 'answer' ? kill.label : `${kill.ms} ms`;
          const submitted = await run(rig, emulator, workspace, ['submit', writeFile(workspace, round), '--provider', rig.provider, '--model', rig.model, ...rig.submitFlags, '--yes', '--json'], kill);
          const state = await journaled(workspace);
          const job = state.jobs.at(-1);
          if (!submitted.killed) assert.equal(submitted.code, 0, `round ${round} (${what}): ${submitted.stderr}`);
          if (job === undefined || state.jobs.length <= round) {
            // Killed before the job was journaled: nothing of it may exist at the provider.
            assert.equal(emulator.batchCount(), state.remoteIds.length, `round ${round} (${what}): a batch exists that no job knows`);
            continue;
          }
          const watched = await run(rig, emulator, workspace, ['watch', job.id, '--json']);
          const after = await journaled(workspace);
          const ended = after.jobs.find((j) => j.id === job.id);
          assert.ok(ended);
          if (ended.blockedReason !== null) {
            // Only a provider that cannot tell its batches apart may stop here, and it says why.
            assert.equal(rig.provider, 'anthropic', `round ${round} (${what}): ${ended.blockedReason}`);
            assert.match(ended.blockedReason, /cannot tell which/);
          } else {
            assert.ok(['completed', 'completed_with_failures'].includes(ended.status), `round ${round} (${what}): ${ended.status} ${watched.stderr}`);
            assert.equal(ended.settled, ended.items, `round ${round} (${what}): every item ends once`);
          }
          assert.equal(new Set(after.remoteIds).size, after.remoteIds.length, `round ${round} (${what}): one remote batch journaled twice`);
          assert.equal(emulator.batchCount(), after.remoteIds.length, `round ${round} (${what}): the provider holds a batch the journal does not know (created twice)`);
        }
      } finally {
        await emulator.close();
      }
    });
  }
});
