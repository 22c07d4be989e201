// A workspace, an in-process emulator, a store and an engine wired as the CLI wires them, with
// the emulator's clock and the engine's waits shrunk so whole lifecycles run in a second or two.
// OpenAI's by default; any provider's with `{ provider }` (see engineProviders.ts).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createPricer } from '../../src/core/pricing';
import { Engine } from '../../src/engine/engine';
import type { EngineConfig } from '../../src/engine/engineConfig';
import { prepareJob } from '../../src/engine/createJob';
import type { SubmitRequest } from '../../src/engine/createJob';
import type { BatchProvider } from '../../src/providers/batchProvider';
import { createOpenAiProvider } from '../../src/providers/openai/openaiProvider';
import { WorkspaceStore } from '../../src/store/workspaceStore';
import { startOpenAiEmulator } from '../emulators/openai/server';
import type { RunningEmulator } from '../emulators/openai/server';
import type { FaultConfig } from '../emulators/openai/faults';
import type { TimeScale } from '../emulators/openai/batchRunner';
import type { ProviderId } from '../../src/core/providerLimits';
import { providerRig } from './engineProviders';
import type { ProviderEmulator, ProviderRig } from './engineProviders';

export const FAST_ENGINE: EngineConfig = { pollInitialMs: 30, pollMaxMs: 100, retryWaitsMs: [20, 20], syncRatePerSecond: 1000, syncRetryBaseMs: 5, failureAlertRate: 0.05 };

export interface Harness<E = RunningEmulator> {
  /** The emulator: the OpenAI one itself by default; with `provider`, the provider-neutral view of that provider's. */
  readonly emulator: E;
  /** The provider the jobs go to, and its rig (models, settings, what it cannot fault). */
  readonly rig: ProviderRig;
  readonly workspace: string;
  /** How many `pad-N` lines `file` adds after the test's own (the provider's minimum batch size, or 0). */
  readonly padding: number;
  store: WorkspaceStore;
  engine: Engine;
  /** The provider the harness's engine talks to the emulator through. */
  readonly provider: BatchProvider;
  /** An engine over the current store that talks through `provider` instead (e.g. a wrapper that fails on purpose). */
  engineWith(provider: BatchProvider): Engine;
  /**
   * Writes a JSONL file of chat requests in the portable (OpenAI) shape into the workspace; returns
   * its path. `model` defaults to the provider's usual one (`rig.models[0]`); `submit` converts the
   * lines for the provider. `json` asks for a JSON answer where the provider's lines can (see rig.askForJson).
   */
  file(name: string, texts: readonly string[], options?: { model?: string; json?: boolean }): string;
  /** Estimates, checks the budget and creates the job for the harness's provider (nothing uploaded yet). */
  submit(file: string, request?: Partial<SubmitRequest>): Promise<string>;
  /**
   * Closes and reopens the store and engine, as a restarted process would. `asIfKilled` skips the
   * snapshot a clean close takes, leaving the journal exactly as a `kill -9` would.
   */
  reopen(options?: { asIfKilled?: boolean }): Promise<void>;
  close(): Promise<void>;
}

/** The OpenAI harness, with the OpenAI emulator itself (tests of OpenAI's own wire). */
export function startHarness(faults?: FaultConfig, options?: { timeScale?: TimeScale }): Promise<Harness>;
/** A harness for `provider`'s emulator and adapter, seen through the provider-neutral view (faults in the OpenAI vocabulary). */
export function startHarness(faults: FaultConfig, options: { provider: ProviderId }): Promise<Harness<ProviderEmulator>>;
export async function startHarness(faults: FaultConfig = {}, options: { timeScale?: TimeScale; provider?: ProviderId } = {}): Promise<Harness<RunningEmulator> | Harness<ProviderEmulator>> {
  if (options.provider !== undefined) {
    const rig = providerRig(options.provider);
    const emulator = await rig.start({ faults });
    return closingOnFailure(emulator, () => assemble(emulator, rig, rig.adapter(emulator, 'test'), () => emulator.close()));
  }
  const emulator = await startOpenAiEmulator({ timeScale: options.timeScale ?? { validatingMs: 20, inProgressMs: 40, finalizingMs: 20 }, faults });
  return closingOnFailure(emulator, () => {
    const provider = createOpenAiProvider({ provider: 'openai', apiKey: 'test', baseUrl: emulator.openaiBaseUrl, maxRetries: 2 });
    return assemble(emulator, providerRig('openai'), provider, () => emulator.close());
  });
}

/** A harness that fails to start closes its emulator: an open server would keep the test process alive forever. */
async function closingOnFailure<H>(emulator: { close(): Promise<void> }, build: () => Promise<H>): Promise<H> {
  try {
    return await build();
  } catch (error) {
    await emulator.close();
    throw error;
  }
}

async function assemble<E>(emulator: E, rig: ProviderRig, provider: BatchProvider, closeEmulator: () => Promise<void>): Promise<Harness<E>> {
  const workspace = mkdtempSync(path.join(tmpdir(), 'engine-test-'));
  const pricer = createPricer();
  const engineOver = (store: WorkspaceStore, through: BatchProvider) => new Engine({ store, providerFor: () => through, pricer, config: FAST_ENGINE });
  const open = async () => {
    const store = await WorkspaceStore.open(workspace, { purpose: 'engine test', snapshotEvery: 7 });
    return { store, engine: engineOver(store, provider) };
  };
  const harness: Harness<E> = {
    emulator,
    rig,
    workspace,
    padding: rig.minRequests > 1 ? rig.minRequests : 0,
    provider,
    ...(await open()),
    engineWith: (through) => engineOver(harness.store, through),
    file(name, texts, options = {}) {
      const file = path.join(workspace, name);
      // A provider with a minimum batch size (Bedrock: 100) gets as many plain lines more, after
      // the test's own (`pad-N`, each asking something unique), so the file is a batch it takes.
      const padding = Array.from({ length: harness.padding }, (_, i) => ({ id: `pad-${i + 1}`, text: `${name} filler ${i + 1}` }));
      const lines = [...texts.map((text, i) => ({ id: `item-${i + 1}`, text })), ...padding].map(({ id, text }) => {
        const body = { model: options.model ?? rig.models[0], messages: [{ role: 'user', content: text }], max_completion_tokens: 20 };
        return JSON.stringify({ custom_id: id, method: 'POST', url: '/v1/chat/completions', body: options.json && rig.askForJson ? rig.askForJson(body) : body });
      });
      writeFileSync(file, `${lines.join('\n')}\n`);
      return file;
    },
    async submit(file, request = {}) {
      const prepared = await prepareJob(harness.store, { file, provider: rig.provider, providerSettings: rig.settings, outputBuffer: 0.25, budget: {}, failureAlertRate: 0.05, ...request });
      return prepared.create();
    },
    async reopen({ asIfKilled = false } = {}) {
      await (asIfKilled ? harness.store.closeWithoutSnapshot() : harness.store.close());
      Object.assign(harness, await open());
    },
    async close() {
      await harness.store.close();
      await closeEmulator();
    },
  };
  return harness;
}

/**
 * The intent (batch key) of every batch the emulator made: from its tags, or, where the provider
 * carries none (Anthropic), from the journal's record of its remote id. A batch the journal does
 * not know shows as `(not journaled: id)`. A repeated key would be a double submission.
 */
export function createdIntentKeys(h: Harness<ProviderEmulator>): string[] {
  const journaled = new Map(h.store.index.jobs().flatMap((job) => h.store.index.batches(job.id).map((b) => [b.remoteId, b.key] as const)));
  return h.emulator.batches().map((batch) => batch.batchKey ?? journaled.get(batch.remoteId) ?? `(not journaled: ${batch.remoteId})`);
}

/** Tags of every batch the emulator ever created: a repeated one would be a double submission. */
export function createdBatchKeys(emulator: RunningEmulator): string[] {
  return emulator.batches().map((batch) => batch.metadata?.['llmb_batch'] ?? '(untagged)');
}
