// The submit service's money and data promises, each named after what it protects: a refused key
// leaves no job that a later command pays for; the bytes sent are the bytes priced; a full disk
// leaves no half-made job and no lock; spend counts once however often a job is retried; cancelled
// is not failed, and a cancelled job resumes.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { appendFileSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { assembleJobs } from '../../src/app/assembleJobs';
import type { JobService, SubmitPreview } from '../../src/app/jobService';
import { SubmitRefused } from '../../src/engine/submitRefused';
import { createOpenAiProvider } from '../../src/providers/openai/openaiProvider';
import { WorkspaceStore } from '../../src/store/workspaceStore';
import { startOpenAiEmulator } from '../emulators/openai/server';
import type { RunningEmulator } from '../emulators/openai/server';
import { FAST_ENGINE } from './harness';

const KEY = 'sk-right';

function requests(texts: readonly string[]): string {
  return `${texts
    .map((text, i) =>
      JSON.stringify({ custom_id: `item-${i + 1}`, method: 'POST', url: '/v1/chat/completions', body: { model: 'gpt-4o-mini', messages: [{ role: 'user', content: text }], max_completion_tokens: 20 } }),
    )
    .join('\n')}\n`;
}

interface Workspace {
  readonly dir: string;
  store: WorkspaceStore;
  service: JobService;
  /** The key the next provider call uses ('' = none configured). */
  key: string;
  file(name: string, texts: readonly string[]): string;
  preview(file: string): Promise<SubmitPreview>;
  reopen(): Promise<void>;
  close(): Promise<void>;
}

async function openWorkspace(emulator: RunningEmulator, dir = mkdtempSync(path.join(tmpdir(), 'job-service-')), budget: { daily?: number } = {}): Promise<Workspace> {
  // The provider lookup reads the key at call time, so a test changes it between calls.
  const credentials = { key: KEY };
  const open = async () => {
    const store = await WorkspaceStore.open(dir, { purpose: 'job service test' });
    const { service } = assembleJobs(store, {
      providerFor: (provider) => {
        if (!credentials.key) throw new Error(`No API key for ${provider}`);
        return createOpenAiProvider({ provider: 'openai', apiKey: credentials.key, baseUrl: emulator.openaiBaseUrl, maxRetries: 0 });
      },
      config: FAST_ENGINE,
      budget: () => budget,
    });
    return { store, service };
  };
  const ws: Workspace = {
    dir,
    get key() {
      return credentials.key;
    },
    set key(key: string) {
      credentials.key = key;
    },
    ...(await open()),
    file(name, texts) {
      const file = path.join(dir, name);
      writeFileSync(file, requests(texts));
      return file;
    },
    preview(file) {
      return ws.service.preview({ file, provider: 'openai', outputBuffer: 0.25, failureAlertRate: 0.05 });
    },
    async reopen() {
      await ws.store.close();
      Object.assign(ws, await open());
    },
    close: () => ws.store.close(),
  };
  return ws;
}

async function refusal(promise: Promise<unknown>): Promise<SubmitRefused> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof SubmitRefused) return error;
    throw error;
  }
  assert.fail('expected the submission to be refused');
}

describe('submit service', () => {
  let emulator: RunningEmulator;
  before(async () => {
    emulator = await startOpenAiEmulator({ apiKey: KEY, timeScale: { validatingMs: 20, inProgressMs: 40, finalizingMs: 20 } });
  });
  after(async () => {
    await emulator.close();
  });

  it('a refused or missing key journals no job, and a later good submit creates exactly one batch (no ghost jobs)', async () => {
    emulator.reset();
    const ws = await openWorkspace(emulator);
    try {
      const file = ws.file('five.jsonl', ['a', 'b', 'c', 'd', 'e']);
      for (const key of ['sk-wrong', 'sk-also-wrong', '']) {
        ws.key = key;
        const preview = await ws.preview(file);
        if (key === '') assert.deepEqual(preview.blockers.map((b) => b.kind), ['no_credentials']);
        const refused = await refusal(ws.service.submit(preview));
        assert.equal(refused.blockers[0]?.kind, key === '' ? 'no_credentials' : 'provider_unreachable');
        if (key !== '') assert.match(refused.message, /API key was refused/);
      }
      assert.deepEqual(ws.store.index.jobs(), [], 'nothing was journaled');
      ws.key = KEY;
      const outcome = await ws.service.submit(await ws.preview(file));
      assert.equal(outcome.submitted, true);
      await ws.service.engine.run(outcome.jobId);
      assert.equal(emulator.batches().length, 1, 'one remote batch for one good submit');
      assert.equal(ws.store.index.jobs().length, 1);
    } finally {
      await ws.close();
    }
  });

  it('a job whose first submission never reached the provider waits for the user: no other command submits it', async () => {
    emulator.reset();
    const ws = await openWorkspace(emulator);
    try {
      // The key is good, then every upload fails: the job exists, nothing reached the provider.
      emulator.setFaults({ endpointFaults: [{ endpoint: 'POST /files', times: 1_000, status: 503 }] });
      const outcome = await ws.service.submit(await ws.preview(ws.file('stranded.jsonl', ['x', 'y'])));
      assert.equal(outcome.submitted, false);
      const jobId = outcome.jobId;
      assert.match(ws.store.index.job(jobId)?.blockedReason ?? '', /^not submitted: /);
      emulator.setFaults({});

      // Another submit, and a restarted process resuming jobs, leave it alone.
      const other = await ws.service.submit(await ws.preview(ws.file('other.jsonl', ['z'])));
      assert.equal(other.submitted, true);
      await ws.reopen();
      await ws.service.engine.resumeUnfinished();
      await ws.service.engine.run(other.jobId);
      assert.deepEqual(
        emulator.batches().map((b) => b.metadata?.['llmb_job']),
        [other.jobId],
        'only the job the user submitted reached the provider',
      );
      assert.notEqual(ws.store.index.job(jobId)?.blockedReason, null);

      // Resuming it is the explicit ask: it is submitted once and completes.
      const resumed = await ws.service.resume(jobId);
      assert.equal(resumed.submitted, true);
      assert.equal((await ws.service.engine.run(jobId)).status, 'completed');
      assert.equal(emulator.batches().filter((b) => b.metadata?.['llmb_job'] === jobId).length, 1);
    } finally {
      await ws.close();
    }
  });

  it('a job a stopped process journaled but never sent is not sent by resuming jobs; only a resume or a watch of it sends it', async () => {
    emulator.reset();
    const ws = await openWorkspace(emulator);
    try {
      // What a kill right after the job was journaled leaves: the job and its intents, nothing sent.
      const jobId = await (await ws.preview(ws.file('killed-early.jsonl', ['a', 'b']))).prepared.create();
      await ws.reopen();
      await ws.service.engine.resumeUnfinished();
      assert.equal(emulator.batches().length, 0, 'no command that did not name it sent it');
      assert.deepEqual(ws.service.engine.drivableJobs(), []);
      assert.equal((await ws.service.resume(jobId)).submitted, true);
      assert.equal((await ws.service.engine.run(jobId)).status, 'completed');
      assert.equal(emulator.batches().length, 1);
    } finally {
      await ws.close();
    }
  });

  it('a key refused mid-run stops the job with the reason instead of retrying every poll; resume goes on', { timeout: 30_000 }, async () => {
    emulator.reset();
    const ws = await openWorkspace(emulator);
    try {
      const outcome = await ws.service.submit(await ws.preview(ws.file('revoked.jsonl', ['a', 'b'])));
      const jobId = outcome.jobId;
      ws.key = 'sk-revoked';
      await assert.rejects(ws.service.engine.run(jobId), (error: Error) => error.name === 'JobBlocked' && /API key|401/i.test(error.message));
      assert.match(ws.store.index.job(jobId)?.blockedReason ?? '', /401|key/i);
      assert.deepEqual(ws.service.engine.drivableJobs(), [], 'a blocked job is not polled by itself');
      ws.key = KEY;
      assert.equal((await ws.service.resume(jobId)).submitted, true);
      assert.equal((await ws.service.engine.run(jobId)).status, 'completed');
      assert.equal(emulator.batches().length, 1);
    } finally {
      await ws.close();
    }
  });

  it('says why a job seems stuck: the last error its polling got over, until a poll goes through', async () => {
    emulator.reset();
    const ws = await openWorkspace(emulator);
    try {
      const { jobId } = await ws.service.submit(await ws.preview(ws.file('stuck.jsonl', ['a'])));
      emulator.setFaults({ endpointFaults: [{ endpoint: 'GET /batches/{id}', times: 1_000, status: 503 }] });
      await new Promise((resolve) => setTimeout(resolve, FAST_ENGINE.pollInitialMs * 2));
      await ws.service.engine.step(jobId);
      assert.match(ws.service.engine.lastProblem(jobId)?.message ?? '', /^checking batch_\w+ failed, will retry: .*503/);
      emulator.setFaults({});
      assert.equal((await ws.service.engine.run(jobId)).status, 'completed');
      assert.equal(ws.service.engine.lastProblem(jobId), undefined);
    } finally {
      await ws.close();
    }
  });

  it('sends the bytes that were priced: a file changed after its estimate is refused, nothing journaled or uploaded', async () => {
    emulator.reset();
    const ws = await openWorkspace(emulator);
    try {
      const file = ws.file('changing.jsonl', ['one', 'two']);
      const preview = await ws.preview(file);
      // The user edits the file while the confirm prompt (or the preview panel) is open.
      appendFileSync(file, requests(['three']).replace('item-1', 'item-3'));
      const refused = await refusal(ws.service.submit(preview));
      assert.deepEqual(
        refused.blockers.map((b) => b.kind),
        ['file_changed'],
      );
      assert.match(refused.message, /estimate it again/);
      assert.deepEqual(ws.store.index.jobs(), []);
      assert.deepEqual(readdirSync(path.join(ws.dir, '.llm-batch', 'jobs')), [], 'the half-made job folder is gone');
      assert.equal(emulator.requests().filter((r) => r.method === 'POST' && r.path.endsWith('/files')).length, 0);
    } finally {
      await ws.close();
    }
  });

  it('counts a job’s spend once however often its failures are resubmitted, and reserves each resubmission', async () => {
    emulator.reset();
    const ws = await openWorkspace(emulator);
    try {
      const file = ws.file('flaky.jsonl', ['fine', 'broken [[fail:server_error]]', 'fine too']);
      const outcome = await ws.service.submit(await ws.preview(file));
      const jobId = outcome.jobId;
      await ws.service.engine.run(jobId);
      const today = new Date().toISOString().slice(0, 10);
      const actual = () => ws.store.index.actualCost(jobId);
      assert.ok(actual() > 0);
      assert.ok(Math.abs(ws.store.index.spendSince(today) - actual()) < 1e-12, 'settled once');
      for (let round = 0; round < 3; round++) {
        const retry = ws.service.previewRetry(jobId);
        assert.deepEqual(retry.ids, ['item-2']);
        assert.ok(retry.reservation > 0, 'a resubmission has a price');
        await ws.service.retryFailed(jobId);
        assert.ok(ws.store.index.openReservation(jobId) > 0, 'the resubmission is reserved until it settles');
        await ws.service.engine.run(jobId);
        assert.equal(ws.store.index.openReservation(jobId), 0);
        assert.ok(Math.abs(ws.store.index.spendSince(today) - actual()) < 1e-12, `after retry ${round + 1}: spend ${ws.store.index.spendSince(today)} vs actual ${actual()}`);
      }
    } finally {
      await ws.close();
    }
  });

  it('refuses a resubmission the budget cannot take, before anything is sent', async () => {
    emulator.reset();
    const ws = await openWorkspace(emulator, undefined, {});
    const dir = ws.dir;
    try {
      const outcome = await ws.service.submit(await ws.preview(ws.file('once.jsonl', ['fine', 'broken [[fail:server_error]]'])));
      await ws.service.engine.run(outcome.jobId);
    } finally {
      await ws.close();
    }
    const tight = await openWorkspace(emulator, dir, { daily: 0 });
    try {
      const [job] = tight.store.index.jobs();
      const before = emulator.batches().length;
      const refused = await refusal(tight.service.retryFailed(job?.id ?? ''));
      assert.equal(refused.blockers[0]?.kind, 'budget');
      assert.equal(emulator.batches().length, before);
    } finally {
      await tight.close();
    }
  });

  it('cancelled is not failed: no failure alert, and resume submits the cancelled remainder', async () => {
    emulator.reset();
    const ws = await openWorkspace(emulator);
    try {
      const outcome = await ws.service.submit(await ws.preview(ws.file('cancel.jsonl', ['a', 'b', 'c', 'd'])));
      const jobId = outcome.jobId;
      await ws.service.cancel(jobId);
      const cancelled = await ws.service.engine.run(jobId);
      assert.equal(cancelled.status, 'cancelled');
      assert.equal(cancelled.alert, null, 'no failure-rate alert for cancelled items');
      const stopped = ws.store.index.countsByState(jobId).cancelled ?? 0;
      assert.ok(stopped > 0);

      const resumed = await ws.service.resume(jobId);
      assert.equal(resumed.submitted, true);
      const done = await ws.service.engine.run(jobId);
      assert.equal(done.status, 'completed');
      assert.equal(ws.store.index.countsByState(jobId).succeeded, 4);
    } finally {
      await ws.close();
    }
  });

  it('resume right after a cancel: a batch the cancel still reaches comes back and its items are sent again', async () => {
    emulator.reset();
    const ws = await openWorkspace(emulator);
    try {
      const { jobId } = await ws.service.submit(await ws.preview(ws.file('cancel-then-resume.jsonl', ['a', 'b', 'c'])));
      await ws.service.cancel(jobId);
      const [first] = ws.store.index.batches(jobId);
      assert.ok(first && first.state !== 'cancelled' && !first.collected, 'the cancel is still on its way when the user resumes');
      await ws.service.resume(jobId);
      const done = await ws.service.engine.run(jobId);
      assert.equal(done.status, 'completed');
      assert.equal(ws.store.index.countsByState(jobId).succeeded, 3);
      assert.equal(ws.store.index.batch(first.key)?.state, 'cancelled', 'the first batch was cancelled at the provider');
    } finally {
      await ws.close();
    }
  });

  it('a full disk while writing the job leaves no job, no half-made folder and no lock', { skip: !canMountTmpfs() && 'needs root to mount a tiny tmpfs' }, async () => {
    emulator.reset();
    const dir = mkdtempSync(path.join(tmpdir(), 'job-service-full-'));
    mkdirSync(path.join(dir, '.llm-batch'));
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=256k', 'tmpfs', path.join(dir, '.llm-batch')]);
    try {
      const ws = await openWorkspace(emulator, dir);
      try {
        const big = Array.from({ length: 400 }, (_, i) => `request ${i} ${'x'.repeat(1200)}`);
        const file = path.join(tmpdir(), `full-disk-${process.pid}.jsonl`);
        writeFileSync(file, requests(big));
        await assert.rejects(
          async () => ws.service.submit(await ws.preview(file)),
          (error: Error) => /could not write the job's files/.test(error.message) && /ENOSPC/.test(error.message),
        );
        assert.deepEqual(ws.store.index.jobs(), []);
        assert.deepEqual(readdirSync(path.join(dir, '.llm-batch', 'jobs')), []);
        assert.equal(emulator.batches().length, 0);
      } finally {
        await ws.close();
      }
      // The lock was released: another writer opens the workspace.
      const again = await WorkspaceStore.open(dir, { purpose: 'after a full disk' });
      await again.close();
    } finally {
      execFileSync('umount', [path.join(dir, '.llm-batch')]);
    }
  });
});

function canMountTmpfs(): boolean {
  if (process.getuid?.() !== 0) return false;
  const probe = mkdtempSync(path.join(tmpdir(), 'mount-probe-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=16k', 'tmpfs', probe], { stdio: 'ignore' });
    execFileSync('umount', [probe], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
