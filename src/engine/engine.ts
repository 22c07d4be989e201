// The job lifecycle. `step(jobId)` looks at the durable state and does the next thing for each
// batch — submit an intent, poll, collect, route failures, finish — journaling every change
// before the action it permits. Because each step starts from the store, a process killed
// anywhere resumes by simply stepping again: intents are matched against the provider's list
// before any create (never a second batch), and unfinished work is picked up where it stopped.
import { writeFile } from 'node:fs/promises';
import { createOutputCheck } from '../core/outputChecks';
import type { OutputCheck } from '../core/outputChecks';
import type { Pricer } from '../core/pricing';
import type { ProviderId } from '../core/providerLimits';
import { TERMINAL_STATES } from '../providers/batchProvider';
import type { BatchProvider, RemoteBatch } from '../providers/batchProvider';
import type { BatchRow, ItemRow, JobRow } from '../store/stateIndex';
import type { JobOptions, JobState, StoreEvent } from '../store/storeEvents';
import type { WorkspaceStore } from '../store/workspaceStore';
import { readItemLines } from './batchInputs';
import { collectBatch } from './collectBatch';
import type { EngineConfig } from './engineConfig';
import { routeFailures } from './retryLadder';
import { TokenBucket } from './tokenBucket';

export interface EngineDeps {
  readonly store: WorkspaceStore;
  readonly providerFor: (provider: ProviderId) => BatchProvider;
  readonly pricer: Pricer;
  readonly config: EngineConfig;
  readonly log?: ((message: string) => void) | undefined;
  readonly now?: (() => number) | undefined;
}

export interface StepResult {
  readonly done: boolean;
  /** When the next step has something to do (epoch ms). */
  readonly wakeAt: number;
}

export const FINAL_JOB_STATES: ReadonlySet<JobState> = new Set(['completed', 'completed_with_failures', 'failed', 'cancelled']);

/** Tags on every remote batch, so a restarted process can recognise its own. */
const TAG_JOB = 'llmb_job';
const TAG_BATCH = 'llmb_batch';

export class Engine {
  private readonly polls = new Map<string, { at: number; interval: number }>();
  private readonly ladderReady = new Map<string, number>();
  private readonly cancelSent = new Set<string>();
  private readonly buckets = new Map<string, TokenBucket>();
  private readonly checks = new Map<string, OutputCheck>();
  private readonly now: () => number;

  constructor(private readonly deps: EngineDeps) {
    this.now = deps.now ?? Date.now;
  }

  private get store(): WorkspaceStore {
    return this.deps.store;
  }

  /** Steps until the job is final; sleeps between steps as polling and the ladder require. */
  async run(jobId: string, options: { signal?: AbortSignal | undefined; onStep?: ((job: JobRow) => void) | undefined } = {}): Promise<JobRow> {
    for (;;) {
      options.signal?.throwIfAborted();
      const { done, wakeAt } = await this.step(jobId, options.signal);
      const job = this.requireJob(jobId);
      options.onStep?.(job);
      if (done) return job;
      await sleep(Math.max(0, Math.min(wakeAt, this.now() + this.deps.config.pollMaxMs) - this.now()), options.signal);
    }
  }

  /** Jobs that a stopped process left unfinished. */
  unfinishedJobs(): JobRow[] {
    return this.store.index.jobs().filter((job) => !FINAL_JOB_STATES.has(job.status));
  }

  /**
   * One step for every unfinished job: whatever a killed process left is reconciled against the
   * provider and what was never submitted is submitted. Every writing command starts with this.
   */
  async resumeUnfinished(signal?: AbortSignal): Promise<void> {
    for (const job of this.unfinishedJobs()) {
      try {
        await this.step(job.id, signal);
      } catch (error) {
        signal?.throwIfAborted();
        this.log(`resuming ${job.id} failed, will retry: ${errorText(error)}`);
      }
    }
  }

  async step(jobId: string, signal?: AbortSignal): Promise<StepResult> {
    const job = this.requireJob(jobId);
    if (FINAL_JOB_STATES.has(job.status)) return { done: true, wakeAt: Infinity };
    const provider = this.deps.providerFor(job.provider as ProviderId);
    let wakeAt = Infinity;
    const later = (at: number) => {
      wakeAt = Math.min(wakeAt, at);
    };

    await this.abandonOrphanedSyncCalls(job);
    if (job.cancelRequested) await this.cancelOpenWork(job, provider, signal);

    const batches = this.store.index.batches(jobId);
    const intents = batches.filter((b) => b.state === 'intent');
    if (intents.length > 0 && !job.cancelRequested) {
      const remote = await this.ourRemoteBatches(provider, signal);
      for (const batch of intents) {
        try {
          await this.submit(job, batch, provider, remote.get(batch.key), signal);
        } catch (error) {
          signal?.throwIfAborted();
          this.log(`submitting ${batch.key} failed, will retry: ${errorText(error)}`);
          later(this.now() + this.deps.config.pollInitialMs);
        }
      }
    }

    for (const batch of this.store.index.batches(jobId)) {
      if (batch.remoteId === null || batch.collected) continue;
      try {
        await this.pollAndCollect(job, batch, provider, later, signal);
      } catch (error) {
        signal?.throwIfAborted();
        this.log(`checking ${batch.key} failed, will retry: ${errorText(error)}`);
        later(this.now() + this.deps.config.pollInitialMs);
      }
    }

    const open = this.store.index.batches(jobId).some((b) => !b.collected);
    const counts = this.store.index.countsByState(jobId);
    if (open || (counts.queued ?? 0) > 0 || (counts.submitted ?? 0) > 0) return { done: false, wakeAt };

    if ((counts.failed ?? 0) > 0) {
      await this.routeFailed(this.requireJob(jobId), provider, later, signal);
      return { done: false, wakeAt: Math.min(wakeAt, this.now()) };
    }
    await this.finish(this.requireJob(jobId));
    return { done: true, wakeAt: Infinity };
  }

  /** Asks the provider to stop the job's batches; unsent work is cancelled, sent work is kept. */
  async cancel(jobId: string): Promise<void> {
    const job = this.requireJob(jobId);
    if (FINAL_JOB_STATES.has(job.status) || job.cancelRequested) return;
    await this.store.commit([{ type: 'job.cancelRequested', jobId }]);
  }

  /**
   * Resubmits, as one new batch, exactly the failed and dead-lettered items whose failure is
   * retryable (or only those of `ids` among them).
   */
  async retryFailed(jobId: string, ids?: readonly string[]): Promise<string[]> {
    const job = this.requireJob(jobId);
    const retryable = this.retryableFailures(jobId, ids);
    if (retryable.length === 0) return [];
    const events: StoreEvent[] = [];
    if (FINAL_JOB_STATES.has(job.status)) events.push({ type: 'job.state', jobId, state: 'running' });
    events.push(await this.retryBatchIntent(job, retryable, 1, 'm'));
    await this.store.commit(events);
    return retryable.map((item) => item.id);
  }

  /** Sends the chosen failed items once each through the sync API, now (the inspector's "retry one by one"). */
  async retryBySync(jobId: string, ids: readonly string[], signal?: AbortSignal): Promise<string[]> {
    const job = this.requireJob(jobId);
    const wanted = new Set(ids);
    const items = this.store.index.items(jobId, { states: ['failed', 'dead_letter'] }).filter((item) => wanted.has(item.id));
    if (items.length === 0) return [];
    if (FINAL_JOB_STATES.has(job.status)) await this.store.commit([{ type: 'job.state', jobId, state: 'running' }]);
    await this.syncStrike(job, items, this.deps.providerFor(job.provider as ProviderId), signal);
    return items.map((item) => item.id);
  }

  /** The user gives up on failed items: they go to dead letter with that reason. */
  async moveToDeadLetter(jobId: string, ids: readonly string[]): Promise<void> {
    const wanted = new Set(ids);
    const failed = this.store.index.items(jobId, { states: ['failed'] }).filter((item) => wanted.has(item.id));
    if (failed.length === 0) return;
    await this.store.commit([{ type: 'items.deadLettered', jobId, ids: failed.map((item) => item.id) }]);
  }

  private retryableFailures(jobId: string, ids: readonly string[] | undefined): ItemRow[] {
    const wanted = ids && new Set(ids);
    return this.store.index
      .items(jobId, { states: ['failed', 'dead_letter'] })
      .filter((item) => (!wanted || wanted.has(item.id)) && routeFailures([{ ...item, strike: 0 }], false).nextBatch.length === 1);
  }

  // ---- submit ------------------------------------------------------------------------------

  private async ourRemoteBatches(provider: BatchProvider, signal: AbortSignal | undefined): Promise<Map<string, RemoteBatch>> {
    const ours = new Map<string, RemoteBatch>();
    for await (const remote of provider.list(signal)) {
      const key = remote.metadata[TAG_BATCH];
      if (key !== undefined && !ours.has(key)) ours.set(key, remote);
    }
    return ours;
  }

  /** Adopt what a killed process already created; otherwise upload (once) and create. */
  private async submit(job: JobRow, batch: BatchRow, provider: BatchProvider, existing: RemoteBatch | undefined, signal: AbortSignal | undefined): Promise<void> {
    if (existing) {
      this.log(`${batch.key}: adopting ${existing.remoteId}, created before a restart`);
      await this.store.commit([{ type: 'batch.created', jobId: job.id, batchKey: batch.key, remoteId: existing.remoteId, adopted: true }, statusEvent(batch, existing)]);
      this.polls.set(batch.key, { at: this.now(), interval: this.deps.config.pollInitialMs });
      return;
    }
    let fileId = batch.fileId;
    if (fileId === null) {
      fileId = await provider.upload(this.store.resolve(batch.inputFile), signal);
      await this.store.commit([{ type: 'batch.uploaded', jobId: job.id, batchKey: batch.key, fileId }]);
    }
    const created = await provider.create(
      { inputPath: this.store.resolve(batch.inputFile), fileId, endpoint: job.endpoint, metadata: { [TAG_JOB]: job.id, [TAG_BATCH]: batch.key } },
      signal,
    );
    await this.store.commit([{ type: 'batch.created', jobId: job.id, batchKey: batch.key, remoteId: created.remoteId, adopted: false }, statusEvent(batch, created)]);
    this.polls.set(batch.key, { at: this.now() + this.deps.config.pollInitialMs, interval: this.deps.config.pollInitialMs });
  }

  // ---- poll and collect --------------------------------------------------------------------

  private async pollAndCollect(job: JobRow, batch: BatchRow, provider: BatchProvider, later: (at: number) => void, signal: AbortSignal | undefined): Promise<void> {
    const remoteId = batch.remoteId ?? '';
    const terminalKnown = TERMINAL_STATES.has(batch.state as never);
    const poll = this.polls.get(batch.key) ?? { at: this.now(), interval: this.deps.config.pollInitialMs };
    if (!terminalKnown && poll.at > this.now()) {
      later(poll.at);
      return;
    }
    const remote = await provider.retrieve(remoteId, signal);
    if (remote.state !== batch.state || remote.counts.completed !== batch.completed || remote.counts.failed !== batch.failed) {
      await this.store.commit([statusEvent(batch, remote)]);
    }
    if (!TERMINAL_STATES.has(remote.state)) {
      const interval = Math.min(poll.interval * 2, this.deps.config.pollMaxMs);
      this.polls.set(batch.key, { at: this.now() + poll.interval, interval });
      later(this.now() + poll.interval);
      return;
    }
    // Download at once: providers delete result files after a while.
    const event = await collectBatch(
      { store: this.store, provider, providerId: job.provider as ProviderId, pricer: this.deps.pricer, check: this.checkFor(job), signal },
      batch,
      remote,
    );
    await this.store.commit([event]);
    this.polls.delete(batch.key);
    await this.alertIfFailing(this.requireJob(job.id));
  }

  // ---- the ladder --------------------------------------------------------------------------

  private async routeFailed(job: JobRow, provider: BatchProvider, later: (at: number) => void, signal: AbortSignal | undefined): Promise<void> {
    const failed = this.store.index.items(job.id, { states: ['failed'] });
    const decision = routeFailures(failed, job.cancelRequested);
    const events: StoreEvent[] = [];
    if (decision.deadLetter.length > 0) events.push({ type: 'items.deadLettered', jobId: job.id, ids: decision.deadLetter });
    if (decision.cancelled.length > 0) events.push({ type: 'items.cancelled', jobId: job.id, ids: decision.cancelled });
    if (events.length > 0) await this.store.commit(events);

    if (decision.nextBatch.length > 0 && this.ladderWaitOver(job.id, 2, later)) {
      await this.store.commit([await this.retryBatchIntent(job, decision.nextBatch, 2, 'r')]);
    }
    if (decision.sync.length > 0 && this.ladderWaitOver(job.id, 3, later)) {
      await this.syncStrike(job, decision.sync, provider, signal);
    }
  }

  /** The configured pause before a strike (60 s, then 300 s on real providers). */
  private ladderWaitOver(jobId: string, strike: 2 | 3, later: (at: number) => void): boolean {
    const key = `${jobId}:${strike}`;
    const readyAt = this.ladderReady.get(key) ?? this.now() + (this.deps.config.retryWaitsMs[strike - 2] ?? 0);
    this.ladderReady.set(key, readyAt);
    if (readyAt <= this.now()) {
      this.ladderReady.delete(key);
      return true;
    }
    later(readyAt);
    return false;
  }

  private async retryBatchIntent(job: JobRow, items: readonly ItemRow[], strike: number, kind: 'r' | 'm'): Promise<StoreEvent> {
    const sorted = [...items].sort((a, b) => a.line - b.line);
    const lines = await readItemLines(this.store, sorted);
    // Named from the durable batch count: a crash before the intent is journaled rewrites the same file.
    const key = `${job.id}.s${strike}.${kind}${this.store.index.batches(job.id).length + 1}`;
    const inputFile = `${this.store.jobDir(job.id)}/${key}.input.jsonl`;
    const body = sorted.map((item) => `${lines.get(item.id)?.toString('utf8') ?? ''}\n`).join('');
    await writeFile(this.store.resolve(inputFile), body, { flush: true });
    return { type: 'batch.intent', jobId: job.id, batchKey: key, strike, inputFile, itemCount: sorted.length, ids: sorted.map((item) => item.id) };
  }

  /** Strike 3: each item once through the sync API, paced, each outcome journaled as it lands. */
  private async syncStrike(job: JobRow, items: readonly ItemRow[], provider: BatchProvider, signal: AbortSignal | undefined): Promise<void> {
    const lines = await readItemLines(this.store, items);
    const bucketKey = `${job.provider}:${job.model}`;
    let bucket = this.buckets.get(bucketKey);
    if (!bucket) {
      bucket = new TokenBucket(this.deps.config.syncRatePerSecond);
      this.buckets.set(bucketKey, bucket);
    }
    const check = this.checkFor(job);
    for (const item of items) {
      for (let wait = bucket.take(); wait > 0; wait = bucket.take()) await sleep(wait, signal);
      const request = JSON.parse(lines.get(item.id)?.toString('utf8') ?? '{}') as { url?: string; body?: Record<string, unknown> };
      await this.store.commit([{ type: 'item.syncStarted', jobId: job.id, id: item.id }]);
      const outcome = await provider.callSync(request.url ?? job.endpoint, request.body ?? {}, item.id, signal);
      const usage = outcome.usage ?? { inputTokens: 0, outputTokens: 0 };
      const cost = outcome.usage ? (this.deps.pricer.price(job.provider as ProviderId, item.model, usage.inputTokens, usage.outputTokens)?.sync ?? 0) : 0;
      const problem = outcome.ok ? check(outcome.content) : undefined;
      await this.store.commit([
        {
          type: 'item.syncResult',
          jobId: job.id,
          outcome:
            outcome.ok && problem === undefined
              ? { id: item.id, ok: true, inputTokens: usage.inputTokens, outputTokens: usage.outputTokens, cost }
              : {
                  id: item.id,
                  ok: false,
                  failureClass: outcome.ok ? 'invalid_output' : outcome.failureClass,
                  code: outcome.ok ? undefined : outcome.code,
                  message: outcome.ok ? problem : outcome.message,
                  inputTokens: usage.inputTokens,
                  outputTokens: usage.outputTokens,
                  cost,
                },
        },
      ]);
    }
  }

  /**
   * A sync call journaled as started but never answered was cut off by a crash: the provider
   * may have run (and billed) it. Sending it again could pay twice, so it goes to dead letter
   * with that reason; `retry-failed` sends it once more if the user wants.
   */
  private async abandonOrphanedSyncCalls(job: JobRow): Promise<void> {
    const orphans = this.store.index.items(job.id, { states: ['submitted'] }).filter((item) => item.batchKey === 'sync');
    if (orphans.length === 0) return;
    await this.store.commit([
      {
        type: 'items.deadLettered',
        jobId: job.id,
        ids: orphans.map((item) => item.id),
        reason: 'the process stopped during this item’s sync call, so its outcome is unknown; it was not sent again to avoid paying twice',
      },
    ]);
  }

  private async cancelOpenWork(job: JobRow, provider: BatchProvider, signal: AbortSignal | undefined): Promise<void> {
    for (const batch of this.store.index.batches(job.id)) {
      if (batch.collected) continue;
      if (batch.state === 'intent') {
        // Never sent: nothing to stop remotely, nothing was paid.
        const ids = this.store.index.itemsOfBatch(batch.key).map((item) => item.id);
        await this.store.commit([
          { type: 'batch.status', jobId: job.id, batchKey: batch.key, state: 'cancelled', rawStatus: 'not submitted', counts: { total: 0, completed: 0, failed: 0 } },
          { type: 'batch.collected', jobId: job.id, batchKey: batch.key, outcomes: [] },
          { type: 'items.cancelled', jobId: job.id, ids },
        ]);
      } else if (batch.remoteId && !TERMINAL_STATES.has(batch.state as never) && !this.cancelSent.has(batch.key)) {
        await provider.cancel(batch.remoteId, signal);
        this.cancelSent.add(batch.key);
      }
    }
  }

  // ---- finish ------------------------------------------------------------------------------

  private async finish(job: JobRow): Promise<void> {
    const counts = this.store.index.countsByState(job.id);
    const unfinished = (counts.dead_letter ?? 0) + (counts.cancelled ?? 0);
    const state: JobState = job.cancelRequested ? 'cancelled' : unfinished > 0 ? 'completed_with_failures' : 'completed';
    await this.store.commit([
      { type: 'job.state', jobId: job.id, state },
      { type: 'spend.settled', jobId: job.id, amount: this.store.index.actualCost(job.id), day: new Date(this.now()).toISOString().slice(0, 10) },
    ]);
    await this.store.snapshot();
  }

  private async alertIfFailing(job: JobRow): Promise<void> {
    if (job.alert !== null) return;
    const counts = this.store.index.countsByState(job.id);
    const total = Object.values(counts).reduce((a, b) => a + b, 0);
    const failing = (counts.failed ?? 0) + (counts.dead_letter ?? 0);
    const threshold = (JSON.parse(job.options) as JobOptions).failureAlertRate;
    if (total === 0 || failing / total <= threshold) return;
    const rate = failing / total;
    const message = `${(rate * 100).toFixed(1)}% of the items of ${job.name} failed (alert threshold ${(threshold * 100).toFixed(0)}%)`;
    this.log(message);
    await this.store.commit([{ type: 'job.alert', jobId: job.id, failureRate: rate, message }]);
  }

  private checkFor(job: JobRow): OutputCheck {
    let check = this.checks.get(job.id);
    if (!check) {
      const options = JSON.parse(job.options) as JobOptions;
      check = createOutputCheck({ json: options.outputJson, schema: options.outputSchema });
      this.checks.set(job.id, check);
    }
    return check;
  }

  private requireJob(jobId: string): JobRow {
    const job = this.store.index.job(jobId);
    if (!job) throw new Error(`no job ${jobId} in this workspace`);
    return job;
  }

  private log(message: string): void {
    this.deps.log?.(message);
  }
}

function statusEvent(batch: BatchRow, remote: RemoteBatch): StoreEvent {
  return {
    type: 'batch.status',
    jobId: batch.jobId,
    batchKey: batch.key,
    state: remote.state,
    rawStatus: remote.rawStatus,
    counts: remote.counts,
    outputFileId: remote.outputFileId,
    errorFileId: remote.errorFileId,
  };
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason as Error);
      return;
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason as Error);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
