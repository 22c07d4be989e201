// The adapters ship as bundles of their own (scripts/nodeBundles.mjs), each with its own copy of
// the seam's error classes. The engine must still know an access refusal thrown from such a copy:
// a key revoked mid-run blocks the job with the reason, not a retry on every poll.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { build } from 'esbuild';
import type { Plugin } from 'esbuild';
import { assembleJobs } from '../../src/app/assembleJobs';
import { ProviderAccessError, isProviderAccessError } from '../../src/providers/batchProvider';
import type * as OpenAiAdapter from '../../src/providers/openai/openaiProvider';
import { WorkspaceStore } from '../../src/store/workspaceStore';
import { startOpenAiEmulator } from '../emulators/openai/server';
import type { RunningEmulator } from '../emulators/openai/server';
import { FAST_ENGINE } from './harness';

const KEY = 'sk-right';
const root = path.resolve(__dirname, '../..');

/** The OpenAI adapter's bundle, built as the product builds it, and loaded from it. */
async function openAiBundle(dir: string): Promise<typeof OpenAiAdapter> {
  const bundles = (await import(pathToFileURL(path.join(root, 'scripts/nodeBundles.mjs')).href)) as { providerBundleEntries(): Record<string, string>; reexports: Plugin };
  const entries = bundles.providerBundleEntries();
  await build({ bundle: true, platform: 'node', format: 'cjs', target: 'node20', logLevel: 'error', absWorkingDir: root, entryPoints: { 'providers/openai': entries['providers/openai'] ?? '' }, outdir: dir, plugins: [bundles.reexports] });
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a built bundle, loaded as the registry loads it
  return require(path.join(dir, 'providers/openai.js')) as typeof OpenAiAdapter;
}

describe('an adapter loaded from its own bundle', () => {
  let emulator: RunningEmulator;
  let adapter: typeof OpenAiAdapter;
  const dir = mkdtempSync(path.join(tmpdir(), 'adapter-bundle-'));
  before(async () => {
    emulator = await startOpenAiEmulator({ apiKey: KEY, timeScale: { validatingMs: 20, inProgressMs: 40, finalizingMs: 20 } });
    adapter = await openAiBundle(path.join(dir, 'dist'));
  });
  after(async () => {
    await emulator.close();
  });

  it('throws its own copy of ProviderAccessError, which the guard knows and instanceof does not', async () => {
    const refused = adapter.createOpenAiProvider({ provider: 'openai', apiKey: 'sk-wrong', baseUrl: emulator.openaiBaseUrl, maxRetries: 0 });
    const error = await refused.list()[Symbol.asyncIterator]().next().then(
      () => assert.fail('a wrong key must be refused'),
      (e: unknown) => e,
    );
    assert.equal(error instanceof ProviderAccessError, false, 'the bundle has its own class');
    assert.equal(isProviderAccessError(error), true);
  });

  it('a key refused mid-run blocks the job with the reason, as with the adapter built in', { timeout: 30_000 }, async () => {
    const credentials = { key: KEY };
    const store = await WorkspaceStore.open(path.join(dir, 'workspace'), { purpose: 'adapter bundle test' });
    try {
      const { service } = assembleJobs(store, {
        providerFor: () => adapter.createOpenAiProvider({ provider: 'openai', apiKey: credentials.key, baseUrl: emulator.openaiBaseUrl, maxRetries: 0 }),
        config: FAST_ENGINE,
        budget: () => ({}),
      });
      const file = path.join(dir, 'revoked.jsonl');
      writeFileSync(
        file,
        ['a', 'b']
          .map((text, i) => JSON.stringify({ custom_id: `item-${i}`, method: 'POST', url: '/v1/chat/completions', body: { model: 'gpt-4o-mini', messages: [{ role: 'user', content: text }], max_completion_tokens: 20 } }))
          .join('\n') + '\n',
      );
      const { jobId } = await service.submit(await service.preview({ file, provider: 'openai', outputBuffer: 0.25, failureAlertRate: 0.05 }));
      credentials.key = 'sk-revoked';
      await assert.rejects(service.engine.run(jobId), (error: Error) => error.name === 'JobBlocked' && /API key|401/i.test(error.message));
      assert.match(store.index.job(jobId)?.blockedReason ?? '', /401|key/i);
    } finally {
      await store.close();
    }
  });
});
