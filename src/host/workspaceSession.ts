// The workspace's jobs as the extension host sees them: the store (writer, or a read-only
// follower when another window or a CLI holds the lock), the engine, and a polling loop that
// steps every unfinished job and tells the views when something moved. Resumes on reopen.
import path from 'node:path';
import * as vscode from 'vscode';
import { assembleJobs } from '../app/assembleJobs';
import { StateChangeLog } from '../app/stateChangeLog';
import type { JobService } from '../app/jobService';
import { PROVIDER_IDS, PROVIDER_LIMITS } from '../core/providerLimits';
import type { ProviderId } from '../core/providerLimits';
import { settingsFor } from '../core/providerSettings';
import type { ProviderSettings } from '../core/providerSettings';
import { FINAL_JOB_STATES } from '../engine/engine';
import type { Engine } from '../engine/engine';
import { JobBlocked } from '../engine/jobBlocked';
import { engineConfigFor } from '../engine/engineConfig';
import type { BatchProvider } from '../providers/batchProvider';
import { withCallLog } from '../providers/callLog';
import type { ProviderConnection } from '../providers/providerConfig';
import { createProvider } from '../providers/registry';
import type { JobRow } from '../store/stateIndex';
import { StoreChangeDetector } from '../store/storeChanges';
import { LockHeldError } from '../store/workspaceLock';
import { STORE_DIR, WorkspaceStore } from '../store/workspaceStore';
import { credentialsFor } from './apiKeys';
import type { ApiKeys } from './apiKeys';
import { noticeOnce } from './noticeOnce';
import { PROVIDER_SETTING_PATHS, budgetCaps, engineOverrides, loopbackBaseUrl, providerSetupProblem, userBaseUrl, userProviderSettings } from './settings';
import { sendDestination } from './sendDestination';

export interface JobTransition {
  readonly job: JobRow;
  readonly previous: JobRow | undefined;
}

const FOLLOW_INTERVAL_MS = 3_000;

export class WorkspaceSession implements vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  private readonly transitioned = new vscode.EventEmitter<JobTransition>();
  /** Fires after any state change the views should show. */
  readonly onDidChange = this.changed.event;
  /** Fires when a job's status or alert changes (for notifications). */
  readonly onDidTransition = this.transitioned.event;

  /** Each provider as the user set it up: their settings, base URL and credentials (read on load and on every change). */
  private connections = new Map<ProviderId, ProviderConnection>();
  /** Adapters made so far, by provider and the job's settings; emptied when keys or settings change. */
  private readonly adapters = new Map<string, BatchProvider>();
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  private readonly stopping = new AbortController();
  private followTimer: ReturnType<typeof setInterval> | undefined;
  private configWatch: vscode.Disposable | undefined;

  private constructor(
    readonly workspaceDir: string,
    private current: WorkspaceStore,
    readonly engine: Engine | undefined,
    /** The submit service: every submit, resubmit, cancel and resume goes through it. */
    readonly service: JobService | undefined,
    /** Why this window only follows, if it does. */
    readonly readOnlyReason: string | undefined,
    private readonly keys: ApiKeys,
    private readonly log: vscode.LogOutputChannel,
  ) {
    // Each job and batch state change at info, however it came (the loop, a command, another writer).
    const states = new StateChangeLog((message) => log.info(message));
    states.observe(current.index);
    this.onDidChange(() => states.observe(this.current.index));
  }

  static async open(workspaceDir: string, keys: ApiKeys, log: vscode.LogOutputChannel): Promise<WorkspaceSession> {
    const onNotice = (message: string) => {
      log.warn(message);
      void vscode.window.showWarningMessage(message);
    };
    let store: WorkspaceStore;
    try {
      store = await WorkspaceStore.open(workspaceDir, { purpose: 'VS Code window', onNotice });
    } catch (error) {
      if (!(error instanceof LockHeldError)) throw error;
      log.info(`following read-only: ${error.message}`);
      // Taken before the first read: whatever the writer does from here on is reloaded.
      const changes = new StoreChangeDetector(path.join(workspaceDir, STORE_DIR));
      const before = await changes.current();
      const readerNotice = noticeOnce(onNotice);
      const reader = await WorkspaceStore.open(workspaceDir, { purpose: 'VS Code window (read-only)', readOnly: true, onNotice: readerNotice });
      changes.loaded(before);
      const session = new WorkspaceSession(workspaceDir, reader, undefined, undefined, error.message, keys, log);
      session.follow(changes, readerNotice);
      return session;
    }
    const holder: { session?: WorkspaceSession } = {};
    const { engine, service } = assembleJobs(store, {
      providerFor: (provider, settings) => holder.session?.providerFor(provider, settings) ?? failNoProvider(provider),
      budget: budgetCaps,
      config: engineConfigFor(loopbackBaseUrl(), engineOverrides()),
      log: (message) => log.info(message),
    });
    const session = new WorkspaceSession(workspaceDir, store, engine, service, undefined, keys, log);
    holder.session = session;
    await session.reloadProviders();
    // A new key, base URL or endpoint takes effect for the next call, without reloading the window.
    keys.onDidChange(() => void session.reloadProviders());
    session.configWatch = vscode.workspace.onDidChangeConfiguration((event) => {
      if (event.affectsConfiguration('llmBatch')) void session.reloadProviders();
    });
    session.kick();
    return session;
  }

  get store(): WorkspaceStore {
    return this.current;
  }

  get readOnly(): boolean {
    return this.engine === undefined;
  }

  /** Starts (or wakes) the polling loop: after a submit, a retry, a cancel, or on open. */
  kick(): void {
    if (!this.engine) return;
    if (this.wake) {
      this.wake();
      return;
    }
    this.loop ??= this.pollLoop().finally(() => {
      this.loop = undefined;
    });
  }

  /** Tells the views to redraw (after an action that changed the store directly). */
  notifyChanged(): void {
    this.changed.fire();
  }

  /**
   * An adapter for the provider: the user's settings for it with the job's own over them (what it
   * was submitted with), the user's base URL, and the key from secret storage (or the cloud's
   * credential chain). Throws saying what is missing, in the words of the extension's settings.
   */
  providerFor(provider: ProviderId, settings?: ProviderSettings): BatchProvider {
    const own = settingsFor(provider, settings);
    const cacheKey = `${provider}:${JSON.stringify(own ?? {})}`;
    const made = this.adapters.get(cacheKey);
    if (made) return made;
    const base = this.connections.get(provider) ?? failNoProvider(provider);
    const connection: ProviderConnection = { ...base, ...own };
    const redirected = azureEndpointRedirect(base, own);
    if (redirected) throw new Error(redirected);
    const setup = providerSetupProblem(provider, connection);
    if (setup) throw new Error(setup);
    const local = PROVIDER_SETTING_PATHS[provider].baseUrl ?? PROVIDER_SETTING_PATHS[provider].settings.endpoint ?? '';
    // Each call at debug level in the Output channel (method, subject, outcome, duration; never a key or a prompt).
    const adapter = withCallLog(createProvider(connection, `run “LLM Batch: Set API Key”, or point llmBatch.${local} at a local emulator.`), (level, message) => this.log[level](message));
    this.adapters.set(cacheKey, adapter);
    return adapter;
  }

  /** Where a submission to `provider` goes and as whom, for the cost preview (never a whole key). */
  destinationOf(provider: ProviderId): string {
    return sendDestination(this.connections.get(provider) ?? { provider });
  }

  /** Reads every provider's settings and credentials afresh; adapters are made again on demand. */
  async reloadProviders(): Promise<void> {
    const connections = new Map<ProviderId, ProviderConnection>();
    for (const provider of PROVIDER_IDS) {
      const settings = userProviderSettings(provider);
      const baseUrl = userBaseUrl(provider);
      // Azure's calls go to its endpoint: that is where a loopback address means the emulator.
      const reaches = baseUrl ?? settings?.endpoint;
      connections.set(provider, { ...settings, provider, baseUrl, ...credentialsFor(provider, reaches, await this.keys.get(provider)) });
    }
    this.connections = connections;
    this.adapters.clear();
  }

  private async pollLoop(): Promise<void> {
    const engine = this.engine;
    if (!engine) return;
    const signal = this.stopping.signal;
    while (!signal.aborted) {
      // Jobs that wait for the user (a refused key, never submitted) stay as they are until they act.
      const unfinished = engine.drivableJobs();
      if (unfinished.length === 0) return;
      let wakeAt = Infinity;
      for (const before of unfinished) {
        try {
          const result = await engine.step(before.id, signal);
          wakeAt = Math.min(wakeAt, result.wakeAt);
        } catch (error) {
          if (signal.aborted) return;
          if (error instanceof JobBlocked) void vscode.window.showWarningMessage(`LLM Batch: ${error.message}. Fix it, then “Resume Job”.`);
          this.log.warn(`job ${before.id}: ${error instanceof Error ? error.message : String(error)}`);
          wakeAt = Math.min(wakeAt, Date.now() + 10_000);
        }
        const after = this.store.index.job(before.id);
        if (after && (after.status !== before.status || after.alert !== before.alert)) this.transitioned.fire({ job: after, previous: before });
      }
      this.changed.fire();
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.max(50, Math.min(wakeAt, Date.now() + 60_000) - Date.now()));
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = undefined;
    }
  }

  /**
   * A read-only window reloads the index only when the writer's journal or snapshot changed
   * (reloading a million-item index every 3 s kept the window busy for nothing). Notices a reload
   * repeats (a damaged snapshot, refused records) are shown once.
   */
  private follow(changes: StoreChangeDetector, onNotice: (message: string) => void): void {
    let reloading = false;
    this.followTimer = setInterval(() => {
      if (reloading) return;
      reloading = true;
      void this.reloadIfChanged(changes, onNotice)
        .catch((error: unknown) => this.log.warn(`reloading the workspace state failed: ${String(error)}`))
        .finally(() => {
          reloading = false;
        });
    }, FOLLOW_INTERVAL_MS);
  }

  private async reloadIfChanged(changes: StoreChangeDetector, onNotice: (message: string) => void): Promise<void> {
    const fingerprint = await changes.changed();
    if (fingerprint === undefined) return;
    const fresh = await WorkspaceStore.open(this.workspaceDir, { purpose: 'VS Code window (read-only)', readOnly: true, onNotice });
    if (this.stopping.signal.aborted) {
      await fresh.close();
      return;
    }
    changes.loaded(fingerprint);
    const previous = this.current;
    this.current = fresh;
    await previous.close();
    this.changed.fire();
  }

  dispose(): void {
    this.stopping.abort();
    this.wake?.();
    if (this.followTimer) clearInterval(this.followTimer);
    this.configWatch?.dispose();
    const loop = this.loop ?? Promise.resolve();
    void loop.finally(() => this.current.close());
    this.changed.dispose();
    this.transitioned.dispose();
  }
}

export function isFinal(job: JobRow): boolean {
  return FINAL_JOB_STATES.has(job.status);
}

function failNoProvider(provider: ProviderId): never {
  throw new Error(`no provider for ${provider} yet`);
}

/**
 * The Azure key goes only to the endpoint in the user's own settings. A job remembers the endpoint
 * it was submitted to, and a job's record lives in the workspace: one that names another endpoint
 * (the user moved to another resource, or a cloned workspace brought the record) is refused, with
 * the endpoint to set back, rather than sent the key or polled where its batches are not.
 */
function azureEndpointRedirect(user: ProviderConnection, job: ProviderSettings | undefined): string | undefined {
  if (user.provider !== 'azure' || job?.endpoint === undefined) return undefined;
  const same = (a: string | undefined, b: string) => a !== undefined && a.replace(/\/+$/, '') === b.replace(/\/+$/, '');
  if (same(user.endpoint, job.endpoint)) return undefined;
  const name = PROVIDER_LIMITS.azure.displayName;
  return `This job was submitted to the ${name} endpoint ${job.endpoint}, but llmBatch.azure.endpoint is ${user.endpoint ?? 'not set'}: the key is sent only to the endpoint in your user settings, so set it to ${job.endpoint} to go on with this job.`;
}
