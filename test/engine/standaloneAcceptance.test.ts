// The acceptance run, as a user would do it: the standalone emulator in its own process
// (`npm run emulator`), and the CLI: submit → watch → results on a 10,000-item file with injected
// per-item failures, then retry-failed and dead-letter. Also: a second writer gets a clear message.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { acquireWorkspaceLock } from '../../src/store/workspaceLock';

const root = path.resolve(__dirname, '../..');
const ITEMS = 10_000;

describe('CLI against the standalone emulator', () => {
  let emulator: ChildProcess;
  let baseUrl: string;
  let workspace: string;

  before(async () => {
    workspace = mkdtempSync(path.join(tmpdir(), 'acceptance-'));
    emulator = spawn(process.execPath, ['--import', 'tsx', 'scripts/emulator.ts', '--provider', 'openai', '--port', '0', '--time-scale', 'fast'], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
    baseUrl = await new Promise<string>((resolve, reject) => {
      let out = '';
      emulator.stdout?.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        const match = /^listening on (http:\/\/127\.0\.0\.1:\d+)$/m.exec(out);
        if (match?.[1]) resolve(`${match[1]}/v1`);
      });
      emulator.once('exit', (code) => reject(new Error(`emulator exited with ${code}`)));
    });
  });
  after(() => {
    emulator.kill('SIGTERM');
  });

  function cli(...args: string[]) {
    const result = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args, '--workspace', workspace, '--base-url', baseUrl], {
      cwd: root,
      encoding: 'utf8',
      env: { ...process.env, OPENAI_API_KEY: 'sk-test' },
      maxBuffer: 64 * 1024 * 1024,
    });
    return { code: result.status, stdout: result.stdout, stderr: result.stderr };
  }

  it(`submit → watch → results on ${ITEMS.toLocaleString('en-US')} items; retry-failed; dead-letter`, { timeout: 300_000 }, () => {
    const file = path.join(workspace, 'big.jsonl');
    const lines = Array.from({ length: ITEMS }, (_, i) => {
      const marker = i % 500 === 1 ? ' [[fail:server_error]]' : i % 500 === 2 ? ' [[fail:context_length_exceeded]]' : i % 500 === 3 ? ' [[fail-once:server_error]]' : '';
      return JSON.stringify({ custom_id: `row-${i}`, method: 'POST', url: '/v1/chat/completions', body: { model: 'gpt-4o-mini', messages: [{ role: 'user', content: `Review ${i}: fine.${marker}` }], max_completion_tokens: 5 } });
    });
    writeFileSync(file, `${lines.join('\n')}\n`);

    const submitted = cli('submit', file, '--yes', '--json');
    assert.equal(submitted.code, 0, submitted.stderr);
    const { jobId } = JSON.parse(submitted.stdout) as { jobId: string };

    const watched = cli('watch', jobId, '--json');
    assert.equal(watched.code, 1, 'the job ends with failures (dead letters), so watch exits 1');
    const summary = JSON.parse(watched.stdout) as { state: string; items: Record<string, number> };
    assert.equal(summary.state, 'completed_with_failures');
    // 20 always-500 items and 20 context-length items end in dead letter; fail-once items succeed in the strike-1 batch.
    assert.deepEqual(summary.items, { dead_letter: 40, succeeded: ITEMS - 40 });

    const results = cli('results', jobId);
    assert.equal(results.code, 0);
    const records = results.stdout.trim().split('\n').map((line) => JSON.parse(line) as { custom_id: string; line: number; state: string; content?: string });
    assert.equal(records.length, ITEMS);
    assert.deepEqual(records.slice(0, 2).map((r) => [r.custom_id, r.line, r.state, r.content]), [
      ['row-0', 1, 'succeeded', 'Echo: Review 0: fine.'],
      ['row-1', 2, 'dead_letter', undefined],
    ]);
    assert.ok(records.every((r, i) => r.line === i + 1), 'results come in input order');

    const status = JSON.parse(cli('status', jobId, '--json').stdout) as { items: Record<string, number>; batches: unknown[] };
    assert.deepEqual(status.items, summary.items);
    assert.equal(status.batches.length, 3, 'the first batch, then strike 1 and strike 2');

    const dead = JSON.parse(cli('dead-letter', jobId, '--json').stdout) as { items: { custom_id: string; class: string; reason: string }[] };
    assert.equal(dead.items.length, 40);
    assert.deepEqual([...new Set(dead.items.map((i) => i.class))].sort(), ['invalid_request', 'transient']);
    assert.ok(dead.items.every((i) => i.reason.length > 0), 'every dead letter has a reason');

    // Without a terminal to confirm on, a resubmission that costs money needs --yes.
    const unconfirmed = cli('retry-failed', jobId);
    assert.equal(unconfirmed.code, 1);
    assert.match(unconfirmed.stderr, /^Resubmit \d+ failed items? of job-[\w-]+ for at most \$[\d.]+\?/m);
    assert.match(unconfirmed.stderr, /Nothing was resubmitted/);
    const retried = cli('retry-failed', jobId, '--yes', '--json');
    assert.equal(retried.code, 0, retried.stderr);
    const { ids, reserved } = JSON.parse(retried.stdout) as { ids: string[]; reserved: number };
    assert.ok(reserved > 0, 'the resubmission was reserved against the budget');
    // From the fixture: the always-500 rows are the retryable ones; context-length rows are not.
    const transient = Array.from({ length: ITEMS }, (_, i) => i)
      .filter((i) => i % 500 === 1)
      .map((i) => `row-${i}`);
    assert.deepEqual([...ids].sort(), [...transient].sort(), 'exactly the retryable failures were resubmitted');
    assert.equal(cli('watch', jobId, '--json').code, 1);
    const after = JSON.parse(cli('dead-letter', jobId, '--json').stdout) as { items: unknown[] };
    assert.equal(after.items.length, 40, 'the always-failing items end in dead letter again, with reasons');
  });

  it('gives a second writer a clear message and leaves the workspace intact', async () => {
    // This test process is the first writer: it holds the workspace lock as `llm-batch watch` would.
    const lock = await acquireWorkspaceLock(path.join(workspace, '.llm-batch'), 'llm-batch watch');
    try {
      const second = cli('retry-failed', 'anything');
      assert.equal(second.code, 1);
      assert.match(second.stderr, new RegExp(`^llm-batch: Another LLM Batch Runner process is writing to .*\\.llm-batch \\(pid ${process.pid} on host ".*", since .*, llm-batch watch\\)\\.`, 'm'));
      const jobs = cli('jobs', '--json');
      assert.equal(jobs.code, 0, 'readers still work while the writer holds the lock');
      assert.equal((JSON.parse(jobs.stdout) as { jobs: unknown[] }).jobs.length, 1);
    } finally {
      await lock.release();
    }
  });
});
