// A notebook's job cell against the OpenAI emulator, through the one submit service: a run
// submits once and follows to the end; running the unchanged cell again attaches (no second
// batch, also after a reload); changed inputs make a new job and say so; stopping the following
// leaves the job running, and following again after a reopen sees it finish; a try sends a few
// items through the sync API once, and the batch reuses their answers; a decline or the cell's
// own budget submits nothing.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { assembleJobs } from '../../src/app/assembleJobs';
import { followJob, jobOutputNow, runJobCell } from '../../src/app/notebook/jobCellRunner';
import type { JobCellOptions, JobCellPorts } from '../../src/app/notebook/jobCellRunner';
import { createOpenAiProvider } from '../../src/providers/openai/openaiProvider';
import { resultParserFor } from '../../src/providers/resultParsers';
import type { JobOutput } from '../../src/shared/notebookOutputs';
import { WorkspaceStore } from '../../src/store/workspaceStore';
import { startOpenAiEmulator } from '../emulators/openai/server';
import type { RunningEmulator } from '../emulators/openai/server';
import { FAST_ENGINE } from './harness';

function requests(texts: readonly string[]): string {
  return `${texts
    .map((text, i) =>
      JSON.stringify({ custom_id: `row-${i + 1}`, method: 'POST', url: '/v1/chat/completions', body: { model: 'gpt-4o-mini', messages: [{ role: 'user', content: text }], max_tokens: 20 } }),
    )
    .join('\n')}\n`;
}

interface Notebook {
  readonly dir: string;
  ports: JobCellPorts;
  shown: JobOutput[];
  /** The questions the user was asked, and the answer every one gets. */
  asked: string[];
  answer: boolean;
  file(name: string, texts: readonly string[]): string;
  reopen(): Promise<void>;
  close(): Promise<void>;
}

async function openNotebook(emulator: RunningEmulator, dir = mkdtempSync(path.join(tmpdir(), 'notebook-cell-'))): Promise<Notebook> {
  const open = async () => {
    const store = await WorkspaceStore.open(dir, { purpose: 'notebook test' });
    const { service, engine } = assembleJobs(store, {
      providerFor: () => createOpenAiProvider({ provider: 'openai', apiKey: 'sk-test', baseUrl: emulator.openaiBaseUrl, maxRetries: 0 }),
      config: FAST_ENGINE,
      budget: () => ({}),
    });
    const ports: JobCellPorts = {
      service,
      parserFor: resultParserFor,
      settingsFor: () => undefined,
      defaults: { provider: 'openai', outputBuffer: 0.25, failureAlertRate: 0.5, confirmAbove: 0, trySize: 5 },
      confirm: async (question) => {
        nb.asked.push(question);
        return nb.answer;
      },
      show: (output) => {
        if (output.kind === 'job') nb.shown.push(output);
      },
      // The host's polling drives jobs; here each wait is one step of every unfinished job.
      changed: async () => {
        for (const job of engine.drivableJobs()) await engine.step(job.id).catch(() => undefined);
        await new Promise((resolve) => setTimeout(resolve, 20));
      },
      kick: () => undefined,
    };
    return { store, ports };
  };
  let current = await open();
  const nb: Notebook = {
    dir,
    ports: current.ports,
    shown: [],
    asked: [],
    answer: true,
    file(name, texts) {
      const file = path.join(dir, name);
      writeFileSync(file, requests(texts));
      return file;
    },
    async reopen() {
      await current.store.close();
      current = await open();
      nb.ports = current.ports;
    },
    close: () => current.store.close(),
  };
  return nb;
}

const run = (nb: Notebook, inputFile: string, options: JobCellOptions = {}, extra: { previous?: JobOutput; only?: 'try'; signal?: AbortSignal } = {}) =>
  runJobCell(nb.ports, { options, inputFile, signal: extra.signal ?? new AbortController().signal, previous: extra.previous, only: extra.only });

function chatCalls(emulator: RunningEmulator): number {
  return emulator.requests().filter((r) => r.method === 'POST' && r.path.endsWith('/chat/completions')).length;
}

describe('notebook job cell', () => {
  let emulator: RunningEmulator;
  before(async () => {
    emulator = await startOpenAiEmulator({ apiKey: 'sk-test', timeScale: { validatingMs: 20, inProgressMs: 40, finalizingMs: 20 } });
  });
  after(async () => {
    await emulator.close();
  });

  it('submits once, follows to the end, and an unchanged re-run (also after a reload) attaches instead of submitting again', async () => {
    emulator.reset();
    const nb = await openNotebook(emulator);
    try {
      const input = nb.file('requests.jsonl', ['alpha', 'beta', 'gamma [[fail:server_error]]']);
      const first = await run(nb, input);
      assert.equal(first.final, true);
      assert.ok(first.jobId);
      // The first batch, then the ladder's two retry batches for the failing item.
      const batches = emulator.batches().length;
      assert.equal(batches, 3);
      assert.equal(nb.asked.length, 1, 'confirmed once (threshold 0)');
      assert.equal(first.progress?.counts['succeeded'], 2);
      assert.equal(first.rows?.length, 3, 'the finished output shows the rows');
      assert.deepEqual(first.rows?.map((row) => row.input), ['alpha', 'beta', 'gamma [[fail:server_error]]']);
      assert.ok(first.failures && first.failures.length > 0, 'failures grouped by class');
      assert.ok(first.preview && first.preview.naiveSync > first.preview.expected, 'the saving against naive sync calls shows');

      const again = await run(nb, input, {}, { previous: first });
      assert.equal(again.jobId, first.jobId, 'attached to the same job');
      assert.match(again.notes.join(' '), /unchanged/);
      await nb.reopen();
      const afterReload = await run(nb, input, {}, { previous: again });
      assert.equal(afterReload.jobId, first.jobId);
      assert.equal(emulator.batches().length, batches, 'no batch submitted again');
      assert.equal(nb.asked.length, 1, 'nothing more to confirm');
    } finally {
      await nb.close();
    }
  });

  it('changed inputs make a new job, and the output says which job it replaces', async () => {
    emulator.reset();
    const nb = await openNotebook(emulator);
    try {
      const input = nb.file('requests.jsonl', ['one', 'two']);
      const first = await run(nb, input);
      nb.file('requests.jsonl', ['one', 'two', 'three']);
      const second = await run(nb, input, {}, { previous: first });
      assert.notEqual(second.jobId, first.jobId);
      assert.match(second.notes.join(' '), new RegExp(`changed since job ${first.jobId ?? ''}`));
      // A changed option is a change too.
      const third = await run(nb, input, { model: 'gpt-4o' }, { previous: second });
      assert.notEqual(third.jobId, second.jobId);
      assert.equal(emulator.batches().length, 3);
    } finally {
      await nb.close();
    }
  });

  it('stopping the following leaves the job running; following again after a reopen sees it finish', async () => {
    emulator.reset();
    const slow = await startOpenAiEmulator({ apiKey: 'sk-test', timeScale: { validatingMs: 300, inProgressMs: 600, finalizingMs: 100 } });
    const nb = await openNotebook(slow);
    try {
      const input = nb.file('requests.jsonl', ['slow one', 'slow two']);
      const stop = new AbortController();
      const shownBefore = nb.shown.length;
      const running = run(nb, input, {}, { signal: stop.signal });
      // Stop following once the job is submitted.
      while (!nb.shown.slice(shownBefore).some((o) => o.jobId !== undefined)) await new Promise((resolve) => setTimeout(resolve, 10));
      stop.abort();
      const stopped = await running;
      assert.equal(stopped.final, false);
      assert.match(stopped.headline, /Stopped following/);
      const jobId = stopped.jobId ?? '';
      assert.notEqual(nb.ports.service.store.index.job(jobId)?.status, 'cancelled', 'the job itself goes on');

      await nb.reopen();
      const followed = await followJob(nb.ports, jobId, stopped, new AbortController().signal);
      assert.equal(followed.final, true);
      assert.equal(followed.progress?.counts['succeeded'], 2);
      assert.equal(slow.batches().length, 1);
    } finally {
      await nb.close();
      await slow.close();
    }
  });

  it('try first: a few items once through the sync API, shown with their cost; the batch reuses their answers, and a re-run tries nothing again', async () => {
    emulator.reset();
    const nb = await openNotebook(emulator);
    try {
      const input = nb.file('requests.jsonl', ['q1', 'q2', 'q3', 'q4', 'q5', 'q6', 'q7']);
      const tried = await run(nb, input, { try: 3 }, { only: 'try' });
      assert.equal(tried.trial?.count, 3);
      assert.deepEqual(tried.trial?.rows.map((row) => row.state), ['succeeded', 'succeeded', 'succeeded']);
      assert.ok((tried.trial?.spent ?? 0) > 0, 'the try costs something, and says so');
      assert.equal(chatCalls(emulator), 3);
      assert.equal(emulator.batches().length, 0, 'a try creates no batch');

      const full = await run(nb, input, { try: 3 });
      assert.equal(chatCalls(emulator), 3, 'the try is not sent again');
      assert.equal(nb.ports.service.store.index.jobs().length, 2, 'the try job is found again, not made twice');
      assert.equal(full.preview?.cached, 3, 'the tried items are not paid twice');
      assert.equal(full.final, true);
      assert.equal(full.progress?.counts['cached'], 3);
      assert.equal(full.progress?.counts['succeeded'], 4);
      // A tried item was not sent again, and still shows what it asked (from its source line).
      assert.equal(full.rows?.find((row) => row.id === 'row-1')?.state, 'cached');
      assert.equal(full.rows?.find((row) => row.id === 'row-1')?.input, 'q1');
      const [batch] = emulator.batches();
      assert.equal(emulator.batches().length, 1);
      assert.equal((batch?.object['request_counts'] as { total?: number } | undefined)?.total, 4, 'the batch carries only the untried items');
    } finally {
      await nb.close();
    }
  });

  it('without following (the notebook in VS Code), a run returns once the job is submitted, and the job shown later is the job as it stands', async () => {
    emulator.reset();
    const slow = await startOpenAiEmulator({ apiKey: 'sk-test', timeScale: { validatingMs: 200, inProgressMs: 400, finalizingMs: 100 } });
    const nb = await openNotebook(slow);
    try {
      const input = nb.file('requests.jsonl', ['first', 'second']);
      const submitted = await runJobCell(nb.ports, { options: {}, inputFile: input, follow: false, signal: new AbortController().signal });
      assert.ok(submitted.jobId);
      assert.equal(submitted.final, false, 'the run did not wait for the batch');
      let now = submitted;
      for (let i = 0; i < 200 && !now.final; i++) {
        await nb.ports.changed(new AbortController().signal);
        now = await jobOutputNow(nb.ports.service.store, resultParserFor, submitted.jobId, submitted);
      }
      assert.equal(now.final, true);
      assert.equal(now.progress?.counts['succeeded'], 2);
      assert.equal(now.rows?.length, 2, 'a finished job shows its rows');
      assert.ok(now.preview, 'over the cell\'s own output (its preview)');
      assert.equal(slow.batches().length, 1);
    } finally {
      await nb.close();
      await slow.close();
    }
  });

  it('a declined confirmation or a preview over the cell budget submits nothing', async () => {
    emulator.reset();
    const nb = await openNotebook(emulator);
    try {
      const input = nb.file('requests.jsonl', ['x', 'y']);
      nb.answer = false;
      const declined = await run(nb, input);
      assert.match(declined.headline, /Not submitted/);
      nb.answer = true;
      const capped = await run(nb, input, { budget: 1e-9 });
      assert.match(capped.headline, /over the cell's budget/);
      assert.deepEqual(nb.ports.service.store.index.jobs(), []);
      assert.equal(emulator.batches().length, 0);
    } finally {
      await nb.close();
    }
  });
});
