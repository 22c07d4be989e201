// The acceptance run for all six providers, as a user would do it from the CLI: the same
// portable JSONL with fault markers is estimated, submitted (`submit --provider P --base-url URL
// --yes --json`), followed (`watch`), read (`status`, `results`, `dead-letter`) and its failures
// retried through each provider's emulator. Every provider must end every item the same way, with
// results in input order; a file in Anthropic's, Gemini's and Bedrock's own format goes through too.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { buildCliBundle } from '../support/cliBundle';
import { PROVIDER_RIGS } from '../support/providerEmulators';
import type { AnyEmulator, ProviderRig } from '../support/providerEmulators';

const ITEMS = 120;

/** Line i's marker: a few items fail for good, one is refused as invalid, two fail once, one answers empty. */
function marker(i: number): string {
  if (i === 3 || i === 50) return ' [[fail:server_error]]';
  if (i === 7) return ' [[fail:context_length_exceeded]]';
  if (i === 11 || i === 60) return ' [[fail-once:server_error]]';
  if (i === 15) return ' [[empty]]';
  return '';
}

function portableFile(dir: string): string {
  const file = path.join(dir, 'portable.jsonl');
  const lines = Array.from({ length: ITEMS }, (_, i) =>
    JSON.stringify({
      custom_id: `row-${i}`,
      method: 'POST',
      url: '/v1/chat/completions',
      body: { model: 'gpt-4o-mini', messages: [{ role: 'system', content: 'Answer in one word.' }, { role: 'user', content: `Review ${i}: fine.${marker(i)}` }], max_tokens: 16 },
    }),
  );
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

interface Record_ {
  custom_id: string;
  line: number;
  state: string;
  content?: string;
}

describe('every provider, from the CLI', () => {
  let cliBundle: string;
  let dir: string;
  const outcomes = new Map<string, Map<string, string>>();

  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'every-provider-'));
    // A bundle starts in a fraction of tsx's time: six providers × six commands add up.
    cliBundle = await buildCliBundle(dir);
  });

  /** Runs the CLI without blocking this process: the emulator answering it lives here. */
  function runner(rig: ProviderRig, emulator: AnyEmulator, workspace: string) {
    return (...args: string[]) =>
      new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
        // `estimate` sends nothing, so it takes no base URL.
        const reach = args[0] === 'estimate' ? [] : ['--base-url', rig.baseUrl(emulator)];
        const env = { PATH: process.env['PATH'] ?? '', HOME: workspace, ...rig.env };
        execFile(process.execPath, [cliBundle, ...args, '--workspace', workspace, ...reach], { env, maxBuffer: 64 * 1024 * 1024, timeout: 120_000 }, (error, stdout, stderr) => {
          const code = error === null ? 0 : typeof error.code === 'number' ? error.code : null;
          resolve({ code, stdout, stderr });
        });
      });
  }

  for (const rig of PROVIDER_RIGS) {
    it(`${rig.provider}: the portable file is submitted, completed, retried and read like every other provider's`, { timeout: 240_000 }, async () => {
      const emulator = await rig.start();
      try {
        const workspace = mkdtempSync(path.join(dir, `${rig.provider}-`));
        const cli = runner(rig, emulator, workspace);
        const file = portableFile(workspace);

        const estimated = await cli('estimate', file, '--provider', rig.provider, '--model', rig.model, '--json');
        assert.equal(estimated.code, 0, estimated.stderr);
        assert.equal((JSON.parse(estimated.stdout) as { totals: { valid: number } }).totals.valid, ITEMS);

        const submitted = await cli('submit', file, '--provider', rig.provider, '--model', rig.model, ...rig.submitFlags, '--yes', '--json');
        assert.equal(submitted.code, 0, submitted.stderr + submitted.stdout);
        const { jobId } = JSON.parse(submitted.stdout) as { jobId: string };

        // No provider flags from here on: the job remembers its provider and settings.
        const watched = await cli('watch', jobId, '--json');
        assert.equal(watched.code, 1, `the job ends with dead letters, so watch exits 1: ${watched.stderr}`);
        const summary = JSON.parse(watched.stdout) as { state: string; items: Record<string, number> };
        assert.equal(summary.state, 'completed_with_failures');
        assert.deepEqual(summary.items, { dead_letter: 4, succeeded: ITEMS - 4 }, watched.stderr);

        const status = JSON.parse((await cli('status', jobId, '--json')).stdout) as { items: Record<string, number>; provider?: string };
        assert.deepEqual(status.items, summary.items);

        const results = await cli('results', jobId);
        assert.equal(results.code, 0, results.stderr);
        const records = results.stdout.trim().split('\n').map((line) => JSON.parse(line) as Record_);
        assert.equal(records.length, ITEMS);
        assert.ok(records.every((r, i) => r.line === i + 1 && r.custom_id === `row-${i}`), 'results come in input order');
        assert.equal(records[0]?.content, 'Echo: Review 0: fine.');
        outcomes.set(rig.provider, new Map(records.map((r) => [r.custom_id, r.state])));

        const dead = JSON.parse((await cli('dead-letter', jobId, '--json')).stdout) as { items: { custom_id: string; class: string; reason: string }[] };
        assert.deepEqual(dead.items.map((i) => i.custom_id).sort(), ['row-15', 'row-3', 'row-50', 'row-7']);
        assert.equal(dead.items.find((i) => i.custom_id === 'row-7')?.class, 'invalid_request');
        assert.ok(dead.items.every((i) => i.reason.length > 0), 'every dead letter has a reason');

        // The user resubmits the retryable failures; they fail again the same way, and nothing is lost.
        const batchesBefore = emulator.batchCount();
        const retried = await cli('retry-failed', jobId, '--yes', '--json');
        assert.equal(retried.code, 0, retried.stderr);
        assert.deepEqual((JSON.parse(retried.stdout) as { ids: string[] }).ids.sort(), ['row-15', 'row-3', 'row-50']);
        assert.equal((await cli('watch', jobId, '--json')).code, 1);
        const again = JSON.parse((await cli('dead-letter', jobId, '--json')).stdout) as { items: unknown[] };
        assert.equal(again.items.length, 4);
        if (rig.minRequests > 3) assert.equal(emulator.batchCount(), batchesBefore, `below ${rig.provider}'s minimum, a resubmission goes one by one through the sync API`);
        else assert.ok(emulator.batchCount() > batchesBefore, 'the resubmission went as a batch');
      } finally {
        await emulator.close();
      }
    });
  }

  /** Line i of a file in the provider's own format, carrying the same markers as the portable file. */
  const NATIVE_LINES: Readonly<Record<string, (i: number, model: string) => unknown>> = {
    anthropic: (i, model) => ({ custom_id: `row-${i}`, params: { model, max_tokens: 16, messages: [{ role: 'user', content: `Review ${i}: fine.${marker(i)}` }] } }),
    gemini: (i) => ({ key: `row-${i}`, request: { contents: [{ role: 'user', parts: [{ text: `Review ${i}: fine.${marker(i)}` }] }], generationConfig: { maxOutputTokens: 16 } } }),
    bedrock: (i) => ({
      recordId: `row${i}`,
      modelInput: { anthropic_version: 'bedrock-2023-05-31', max_tokens: 16, messages: [{ role: 'user', content: [{ type: 'text', text: `Review ${i}: fine.${marker(i)}` }] }] },
    }),
  };

  for (const rig of PROVIDER_RIGS.filter((r) => NATIVE_LINES[r.provider] !== undefined)) {
    it(`${rig.provider}: a file in its own line format goes through too`, { timeout: 240_000 }, async () => {
      const emulator = await rig.start();
      try {
        const workspace = mkdtempSync(path.join(dir, `${rig.provider}-native-`));
        const cli = runner(rig, emulator, workspace);
        const file = path.join(workspace, 'native.jsonl');
        const toLine = NATIVE_LINES[rig.provider];
        assert.ok(toLine);
        writeFileSync(file, `${Array.from({ length: ITEMS }, (_, i) => JSON.stringify(toLine(i, rig.model))).join('\n')}\n`);
        const submitted = await cli('submit', file, '--provider', rig.provider, '--model', rig.model, ...rig.submitFlags, '--yes', '--json');
        assert.equal(submitted.code, 0, submitted.stderr + submitted.stdout);
        const { jobId } = JSON.parse(submitted.stdout) as { jobId: string };
        const watched = await cli('watch', jobId, '--json');
        const summary = JSON.parse(watched.stdout) as { state: string; items: Record<string, number> };
        assert.deepEqual(summary.items, { dead_letter: 4, succeeded: ITEMS - 4 }, watched.stderr);
        const records = (await cli('results', jobId)).stdout.trim().split('\n').map((line) => JSON.parse(line) as Record_);
        assert.ok(records.every((r, i) => r.line === i + 1), 'results come in input order');
        assert.equal(records[0]?.content, 'Echo: Review 0: fine.');
      } finally {
        await emulator.close();
      }
    });
  }

  it('every provider ended every item the same way', () => {
    const reference = outcomes.get('openai');
    assert.ok(reference, 'the openai run finished');
    for (const [provider, states] of outcomes) assert.deepEqual([...states], [...reference], `${provider} differs from openai`);
    assert.equal(outcomes.size, PROVIDER_RIGS.length);
  });

  after(() => undefined);
});
