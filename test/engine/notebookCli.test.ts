// `llm-batch notebook` runs the sample notebook headless against the emulator: the same cells,
// the same submit service; the file records the run; running it again attaches to the same jobs
// (no second batch, no second try); without --yes and with nobody to say yes, nothing is spent.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseNotebookFile } from '../../src/core/notebook/notebookFile';
import { startOpenAiEmulator } from '../emulators/openai/server';
import type { RunningEmulator } from '../emulators/openai/server';
import { buildCliBundle } from '../support/cliBundle';

const SAMPLE = path.join(__dirname, '..', '..', 'examples', 'notebook');

describe('llm-batch notebook', () => {
  let emulator: RunningEmulator;
  let cli: string;
  before(async () => {
    emulator = await startOpenAiEmulator({ apiKey: 'sk-test', timeScale: { validatingMs: 20, inProgressMs: 40, finalizingMs: 20 } });
    cli = await buildCliBundle(mkdtempSync(path.join(tmpdir(), 'notebook-cli-')));
  });
  after(async () => {
    await emulator.close();
  });

  const run = (dir: string, args: readonly string[]) =>
    new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      const env = { ...process.env, OPENAI_API_KEY: 'sk-test' };
      execFile(process.execPath, [cli, 'notebook', ...args, '--workspace', dir, '--base-url', emulator.openaiBaseUrl], { cwd: dir, env, timeout: 120_000 }, (error, stdout, stderr) => {
        resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr });
      });
    });

  it('runs the sample top to bottom, writes the outputs into the file, and a second run attaches instead of paying again', async () => {
    emulator.reset();
    const dir = mkdtempSync(path.join(tmpdir(), 'notebook-cli-run-'));
    cpSync(SAMPLE, dir, { recursive: true });
    const first = await run(dir, ['triage.llmbatch', '--yes']);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stderr, /built 20 requests/);
    const saved = parseNotebookFile(readFileSync(path.join(dir, 'triage.llmbatch'), 'utf8'), 'triage.llmbatch');
    const job = saved.cells.map((cell) => cell.output).find((output) => output?.kind === 'job');
    assert.ok(job?.kind === 'job' && job.jobId, 'the job cell records its job');
    assert.equal(job.final, true);
    assert.equal(job.trial?.count, 5);
    const batches = emulator.batches().length;
    const calls = emulator.requests().filter((r) => r.path.endsWith('/chat/completions')).length;

    const second = await run(dir, ['triage.llmbatch', '--yes']);
    assert.equal(second.code, 0, second.stderr);
    assert.match(second.stderr, /unchanged/);
    assert.equal(emulator.batches().length, batches, 'no batch submitted again');
    assert.equal(emulator.requests().filter((r) => r.path.endsWith('/chat/completions')).length, calls, 'no item tried again');
  });

  it('without --yes and no one to answer, nothing is tried or submitted', async () => {
    emulator.reset();
    const dir = mkdtempSync(path.join(tmpdir(), 'notebook-cli-no-'));
    cpSync(SAMPLE, dir, { recursive: true });
    const declined = await run(dir, ['triage.llmbatch']);
    assert.equal(declined.code, 1);
    assert.match(declined.stderr, /Not tried/);
    assert.equal(emulator.batches().length, 0);
    assert.equal(emulator.requests().filter((r) => r.path.endsWith('/chat/completions')).length, 0);
  });
});
