// A workspace, an in-process emulator, a store and an engine wired as the CLI wires them, with
// the emulator's clock and the engine's waits shrunk so whole lifecycles run in a second or two.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createPricer } from '../../src/core/pricing';
import { Engine } from '../../src/engine/engine';
import type { EngineConfig } from '../../src/engine/engineConfig';
import { prepareJob } from '../../src/engine/createJob';
import type { SubmitRequest } from '../../src/engine/createJob';
import type { BatchProvider } from '../../src/providers/batchProvider';
import { createOpenAiProvider } from '../../src/providers/openaiProvider';
import { WorkspaceStore } from '../../src/store/workspaceStore';
import { startOpenAiEmulator } from '../emulators/openai/server';
import type { RunningEmulator } from '../emulators/openai/server';
import type { FaultConfig } from '../emulators/openai/faults';
import type { TimeScale } from '../emulators/openai/batchRunner';

export const FAST_ENGINE: EngineConfig = { pollInitialMs: 30, pollMaxMs: 100, retryWaitsMs: [20, 20], syncRatePerSecond: 1000, syncRetryBaseMs: 5, failureAlertRate: 0.05 };

export interface Harness {
  readonly emulator: RunningEmulator;
  readonly workspace: string;
  store: WorkspaceStore;
  engine: Engine;
  /** The provider the harness's engine talks to the emulator through. */
  readonly provider: BatchProvider;
  /** An engine over the current store that talks through `provider` instead (e.g. a wrapper that fails on purpose). */
  engineWith(provider: BatchProvider): Engine;
  /** Writes a JSONL file of chat requests into the workspace; returns its path. */
  file(name: string, texts: readonly string[], options?: { model?: string; json?: boolean }): string;
  /** Estimates, checks the budget and creates the job (nothing uploaded yet). */
  submit(file: string, request?: Partial<SubmitRequest>): Promise<string>;
  /**
   * Closes and reopens the store and engine, as a restarted process would. `asIfKilled` skips the
   * snapshot a clean close takes, leaving the journal exactly as a `kill -9` would.
   */
  reopen(options?: { asIfKilled?: boolean }): Promise<void>;
  close(): Promise<void>;
}

export async function startHarness(faults: FaultConfig = {}, options: { timeScale?: TimeScale } = {}): Promise<Harness> {
  const emulator = await startOpenAiEmulator({ timeScale: options.timeScale ?? { validatingMs: 20, inProgressMs: 40, finalizingMs: 20 }, faults });
  const workspace = mkdtempSync(path.join(tmpdir(), 'engine-test-'));
  const pricer = createPricer();
  const provider = createOpenAiProvider({ provider: 'openai', apiKey: 'test', baseUrl: emulator.openaiBaseUrl, maxRetries: 2 });
  const engineOver = (store: WorkspaceStore, through: BatchProvider) => new Engine({ store, providerFor: () => through, pricer, config: FAST_ENGINE });
  const open = async () => {
    const store = await WorkspaceStore.open(workspace, { purpose: 'engine test', snapshotEvery: 7 });
    return { store, engine: engineOver(store, provider) };
  };
  const harness: Harness = {
    emulator,
    workspace,
    provider,
    ...(await open()),
    engineWith: (through) => engineOver(harness.store, through),
    file(name, texts, options = {}) {
      const file = path.join(workspace, name);
      const lines = texts.map((text, i) =>
        JSON.stringify({
          custom_id: `item-${i + 1}`,
          method: 'POST',
          url: '/v1/chat/completions',
          body: {
            model: options.model ?? 'gpt-4o-mini',
            messages: [{ role: 'user', content: text }],
            max_completion_tokens: 20,
            ...(options.json ? { response_format: { type: 'json_object' } } : {}),
          },
        }),
      );
      writeFileSync(file, `${lines.join('\n')}\n`);
      return file;
    },
    async submit(file, request = {}) {
      const prepared = await prepareJob(harness.store, { file, provider: 'openai', outputBuffer: 0.25, budget: {}, failureAlertRate: 0.05, ...request });
      return prepared.create();
    },
    async reopen({ asIfKilled = false } = {}) {
      await (asIfKilled ? harness.store.closeWithoutSnapshot() : harness.store.close());
      Object.assign(harness, await open());
    },
    async close() {
      await harness.store.close();
      await emulator.close();
    },
  };
  return harness;
}

/** Tags of every batch the emulator ever created: a repeated one would be a double submission. */
export function createdBatchKeys(emulator: RunningEmulator): string[] {
  return emulator.batches().map((batch) => batch.metadata?.['llmb_batch'] ?? '(untagged)');
}
