// The job lifecycle. `step(jobId)` looks at the durable state and does the next thing for each
// batch — submit an intent, poll, collect, route failures, finish — journaling every change
// before the action it permits. Because each step starts from the store, a process killed
// anywhere resumes by simply stepping again: an intent whose create was sent is looked for at
// the provider (its tags, its idempotency key, or for Anthropic its time and size) before anything
// is created again (never a second batch), and unfinished work is picked up where it stopped.
import { AsyncLocalStorage } from 'node:async_hooks';
import { createOutputCheck } from '../core/outputChecks';
import type { OutputCheck } from '../core/outputChecks';
import type { Pricer } from '../core/pricing';
import { cacheUseOf } from '../core/itemOutcome';
import { PROVIDER_LIMITS } from '../core/providerLimits';
import type { ProviderId } from '../core/providerLimits';
import { TERMINAL_STATES, isCapacityRefusedError, isProviderAccessError } from '../providers/batchProvider';
import type { BatchProvider, BatchSubmission, FoundBatch, RemoteBatch, SyncOutcome } from '../providers/batchProvider';
import type { ProviderSettings } from '../core/providerSettings';
import type { BatchRow, ItemRow, JobRow } from '../store/stateIndex';
import type { JobOptions, JobState, ResultRef, StoreEvent } from '../store/storeEvents';
import type { WorkspaceStore } from '../store/workspaceStore';
import { readItemLines } from './batchInputs';
import { capacityBackoffMs, capacityRefusalOf, capacityRefusalOfCreate, capacityWaitReason } from './capacityRefusal';
import { collectBatch } from './collectBatch';
import { planRetryIntents } from './retryBatches';
import type { EngineConfig } from './engineConfig';
import { FIRST_BATCH_STRIKE, SYNC_STRIKE, byNextStrike, ladderWaitMs, routeFailures } from './retryLadder';
import { appendSyncResult, findSyncAnswers } from './syncResults';
import { JobBlocked } from './jobBlocked';
import { TokenBucket } from './tokenBucket';

export interface EngineDeps {
  readonly store: WorkspaceStore;
  /** The adapter for a provider, reached with a job's settings; throws with what is missing (a key, a region). */
  readonly providerFor: (provider: ProviderId, settings?: ProviderSettings) => BatchProvider;
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

/** An error a job's step got over and will retry, for views that say why a job seems stuck. */
export interface JobProblem {
  readonly message: string;
  /** When it happened (epoch ms). */
  readonly at: number;
}

export const FINAL_JOB_STATES: ReadonlySet<JobState> = new Set(['completed', 'completed_with_failures', 'failed', 'cancelled']);

export class Engine {
  private readonly polls = new Map<string, { at: number; interval: number }>();
  /** The last error a job's step got over and will retry, until a step goes through cleanly. */
  private readonly problems = new Map<string, JobProblem>();
  /** Problems noted so far: a step that adds none clears its job's. */
  private problemCount = 0;
  /** When each job's last step said it next has something to do (epoch ms), for views that say when it is checked next. */
  private readonly nextSteps = new Map<string, number>();
  private readonly ladderReady = new Map<string, number>();
  private readonly cancelSent = new Set<string>();
  private readonly buckets = new Map<string, TokenBucket>();
  private readonly checks = new Map<string, OutputCheck>();
  /** The tail of each job's queue of actors (see `exclusive`). */
  private readonly jobLocks = new Map<string, Promise<void>>();
  /** The jobs the current call chain already holds, so a locked method may call another. */
  private readonly heldJobs = new AsyncLocalStorage<ReadonlySet<string>>();
  private readonly now: () => number;

  constructor(private readonly deps: EngineDeps) {
    this.now = deps.now ?? Date.now;
  }

  private get store(): WorkspaceStore {
    return this.deps.store;
  }

  /**
   * Steps until the job is final; sleeps between steps as polling and the ladder require.
   * Throws JobBlocked when the job waits for the user (see `job.blocked`).
   */
  async run(jobId: string, options: { signal?: AbortSignal | undefined; onStep?: ((job: JobRow) => void) | undefined } = {}): Promise<JobRow> {
    for (;;) {
      options.signal?.throwIfAborted();
      const { done, wakeAt } = await this.step(jobId, options.signal);
      const job = this.requireJob(jobId);
      options.onStep?.(job);
      if (done) return job;
      if (job.blockedReason !== null) throw new JobBlocked(job.id, job.blockedReason);
      await sleep(Math.max(0, Math.min(wakeAt, this.now() + this.deps.config.pollMaxMs) - this.now()), options.signal);
    }
  }

  /** Jobs that a stopped process left unfinished. */
  unfinishedJobs(): JobRow[] {
    return this.store.index.jobs().filter((job) => !FINAL_JOB_STATES.has(job.status));
  }

  /**
   * The unfinished jobs the engine drives without being asked: not blocked, and with work the
   * provider has seen (a crash must not strand it). A job that never reached the provider is
   * submitted only by a command that names it: a refused key must not turn into a batch paid
   * for later by an unrelated command.
   */
  drivableJobs(): JobRow[] {
    return this.unfinishedJobs().filter((job) => job.blockedReason === null && this.reachedProvider(job.id));
  }

  /** Whether any batch of the job was staged, sent or created at the provider, or any item sent by a sync call. */
  reachedProvider(jobId: string): boolean {
    return (
      this.store.index.batches(jobId).some((batch) => batch.stagedRef !== null || batch.submittingAt !== null || batch.remoteId !== null) ||
      this.store.index.items(jobId, { batchKey: 'sync', limit: 1 }).length > 0
    );
  }

  /**
   * One step for every drivable job: whatever a killed process left is reconciled against the
   * provider and carried on. Every writing command starts with this.
   */
  async resumeUnfinished(signal?: AbortSignal): Promise<void> {
    for (const job of this.drivableJobs()) {
      try {
        await this.step(job.id, signal);
      } catch (error) {
        signal?.throwIfAborted();
        // A job that now waits for the user said so when it was blocked; it is not retried.
        if (!(error instanceof JobBlocked)) this.log(`resuming ${job.id} failed, will retry: ${errorText(error)}`);
      }
    }
  }

  /**
   * Does the next thing for each batch of the job. A job that waits for the user (blocked) is not
   * touched. When the provider refuses our access, or the job's first submission fails before
   * anything reached the provider, the job is blocked with the reason and JobBlocked is thrown.
   */
  async step(jobId: string, signal?: AbortSignal): Promise<StepResult> {
    return this.exclusive(jobId, () => this.stepExclusive(jobId, signal));
  }

  private async stepExclusive(jobId: string, signal: AbortSignal | undefined): Promise<StepResult> {
    const job = this.requireJob(jobId);
    if (FINAL_JOB_STATES.has(job.status)) return { done: true, wakeAt: Infinity };
    if (job.blockedReason !== null) return { done: false, wakeAt: Infinity };
    try {
      const problemsBefore = this.problemCount;
      const result = await this.stepJob(job, signal);
      if (this.problemCount === problemsBefore) this.problems.delete(jobId);
      if (result.done || !Number.isFinite(result.wakeAt)) this.nextSteps.delete(jobId);
      else this.nextSteps.set(jobId, result.wakeAt);
      return result;
    } catch (error) {
      // No step said when it will act next: the driver decides (a blocked job waits for the user).
      this.nextSteps.delete(jobId);
      if (!isProviderAccessError(error)) throw error;
      throw await this.block(job.id, error.message);
    }
  }

  /** Why a job that is not blocked may still seem stuck: the last error its steps got over, if any. */
  lastProblem(jobId: string): JobProblem | undefined {
    return this.problems.get(jobId);
  }

  /**
   * When the job next has something to do (a poll, the end of a backoff or of the ladder's wait;
   * epoch ms), as its last step in this process said; undefined when no step said so (finished,
   * blocked, never stepped here). A driver that steps jobs as they come due (the extension's loop,
   * `run`, `watch`) checks it then.
   */
  nextStepAt(jobId: string): number | undefined {
    return this.nextSteps.get(jobId);
  }

  private noteProblem(jobId: string, message: string): void {
    this.problemCount++;
    this.problems.set(jobId, { message, at: this.now() });
    this.log(`${jobId}: ${message}`);
  }

  /** Journals that the job waits for the user; returns the error that says so, for the caller to throw. */
  private async block(jobId: string, reason: string): Promise<JobBlocked> {
    this.log(`${jobId} waits for you: ${reason}`);
    await this.store.commit([{ type: 'job.blocked', jobId, reason }]);
    return new JobBlocked(jobId, reason);
  }

  private async stepJob(job: JobRow, signal: AbortSignal | undefined): Promise<StepResult> {
    const jobId = job.id;
    const provider = this.providerOf(job);
    let wakeAt = Infinity;
    const later = (at: number) => {
      wakeAt = Math.min(wakeAt, at);
    };

    await this.abandonOrphanedSyncCalls(job, provider);
    if (job.cancelRequested) await this.cancelOpenWork(job, provider, signal);

    const batches = this.store.index.batches(jobId);
    // A chunk refused for capacity waits out its backoff before it is sent again.
    const intents = batches.filter((b) => b.state === 'intent' && (b.notBefore === null || b.notBefore <= this.now()));
    for (const waiting of batches) if (waiting.state === 'intent' && waiting.notBefore !== null && waiting.notBefore > this.now()) later(waiting.notBefore);
    if (intents.length > 0 && !job.cancelRequested && isSyncMode(job)) {
      if (await this.sendBySync(job, intents, provider, signal)) later(this.now());
    } else if (intents.length > 0 && !job.cancelRequested) {
      try {
        for (const batch of intents) await this.submitOrDefer(job, batch, provider, later, signal);
      } catch (error) {
        signal?.throwIfAborted();
        // A job that now waits for the user (a batch the provider cannot tell apart) says so at once.
        if (isProviderAccessError(error) || error instanceof JobBlocked) throw error;
        if (!this.reachedProvider(jobId)) {
          // Nothing of this job reached the provider: it waits for the user, never for the
          // next command that happens to resume jobs.
          const reason = `not submitted: ${errorText(error)}`;
          throw await this.block(jobId, reason);
        }
        this.noteProblem(jobId, `submitting failed, will retry: ${errorText(error)}`);
        later(this.now() + this.deps.config.pollInitialMs);
      }
    }

    for (const batch of this.store.index.batches(jobId)) {
      if (batch.remoteId === null || batch.collected) continue;
      try {
        await this.pollAndCollect(job, batch, provider, later, signal);
      } catch (error) {
        signal?.throwIfAborted();
        // A refused key is not a hiccup: polling again every interval would only repeat it.
        if (isProviderAccessError(error)) throw error;
        this.noteProblem(jobId, `checking ${batch.remoteId ?? batch.key} failed, will retry: ${errorText(error)}`);
        later(this.now() + this.deps.config.pollInitialMs);
      }
    }

    const open = this.store.index.batches(jobId).some((b) => !b.collected);
    const counts = this.store.index.countsByState(jobId);
    if (open || (counts.queued ?? 0) > 0 || (counts.submitted ?? 0) > 0) return { done: false, wakeAt };

    if ((counts.failed ?? 0) > 0) {
      // Step again at once when the ladder acted; otherwise when its wait is over.
      const acted = await this.routeFailed(this.requireJob(jobId), provider, later, signal);
      return { done: false, wakeAt: acted ? this.now() : wakeAt };
    }
    this.forgetLadder(jobId);
    await this.finish(this.requireJob(jobId));
    return { done: true, wakeAt: Infinity };
  }

  /** Asks the provider to stop the job's batches; unsent work is cancelled, sent work is kept. */
  async cancel(jobId: string): Promise<void> {
    return this.exclusive(jobId, async () => {
      const job = this.requireJob(jobId);
      if (FINAL_JOB_STATES.has(job.status) || job.cancelRequested) return;
      await this.store.commit([{ type: 'job.cancelRequested', jobId }]);
    });
  }

  /**
   * Resubmits, as one new batch, exactly the failed and dead-lettered items whose failure is
   * retryable (or only those of `ids` among them).
   */
  async retryFailed(jobId: string, ids?: readonly string[]): Promise<string[]> {
    return this.exclusive(jobId, async () => {
      const job = this.requireJob(jobId);
      const retryable = this.retryableFailures(jobId, ids);
      if (retryable.length === 0) return [];
      const events: StoreEvent[] = [];
      if (FINAL_JOB_STATES.has(job.status)) events.push({ type: 'job.state', jobId, state: 'running' });
      // A resubmission starts the ladder again, planned like a first submission.
      events.push(...(await planRetryIntents(this.store, job, retryable, FIRST_BATCH_STRIKE, 'm')));
      await this.store.commit(events);
      return retryable.map((item) => item.id);
    });
  }

  /** Sends the chosen failed items once each through the sync API, now (the inspector's "retry one by one"). */
  async retryBySync(jobId: string, ids: readonly string[], signal?: AbortSignal): Promise<string[]> {
    // Inside the job's lock the items are read afresh: one the poll loop just sent is no longer failed.
    return this.exclusive(jobId, async () => {
      const job = this.requireJob(jobId);
      const wanted = new Set(ids);
      const items = this.store.index.items(jobId, { states: ['failed', 'dead_letter'] }).filter((item) => wanted.has(item.id));
      if (items.length === 0) return [];
      if (FINAL_JOB_STATES.has(job.status)) await this.store.commit([{ type: 'job.state', jobId, state: 'running' }]);
      try {
        await this.syncStrike(job, items, this.providerOf(job), signal);
      } catch (error) {
        // The items were put back; the job waits for the user like any refused access.
        if (!isProviderAccessError(error)) throw error;
        throw await this.block(jobId, error.message);
      }
      return items.map((item) => item.id);
    });
  }

  /** The user gives up on failed items: they go to dead letter with that reason. */
  async moveToDeadLetter(jobId: string, ids: readonly string[]): Promise<void> {
    return this.exclusive(jobId, async () => {
      const wanted = new Set(ids);
      const failed = this.store.index.items(jobId, { states: ['failed'] }).filter((item) => wanted.has(item.id));
      if (failed.length === 0) return;
      await this.store.commit([{ type: 'items.deadLettered', jobId, ids: failed.map((item) => item.id) }]);
    });
  }

  /** The failed and dead-lettered items (of `ids`, or all) that a retry would resubmit. */
  retryableItems(jobId: string, ids?: readonly string[]): ItemRow[] {
    return this.retryableFailures(jobId, ids);
  }

  /**
   * The user resumes a job: a block is lifted, a cancel withdrawn, and items that were cancelled
   * before they ran are planned again, at the strike they had (a resumed item is not a strike).
   * Returns the ids resubmitted.
   */
  async resume(jobId: string): Promise<string[]> {
    return this.exclusive(jobId, async () => {
      const job = this.requireJob(jobId);
      const cancelled = this.store.index.items(jobId, { states: ['cancelled'] });
      const events: StoreEvent[] = [{ type: 'job.resumed', jobId }];
      if (cancelled.length > 0) {
        if (FINAL_JOB_STATES.has(job.status)) events.push({ type: 'job.state', jobId, state: 'running' });
        events.push(...(await planRetryIntents(this.store, job, cancelled, 'keep', 'u')));
      }
      await this.store.commit(events);
      this.cancelSent.clear();
      return cancelled.map((item) => item.id);
    });
  }

  private retryableFailures(jobId: string, ids: readonly string[] | undefined): ItemRow[] {
    const wanted = ids && new Set(ids);
    return this.store.index
      .items(jobId, { states: ['failed', 'dead_letter'] })
      .filter((item) => (!wanted || wanted.has(item.id)) && routeFailures([{ ...item, strike: 0 }], false).nextBatch.length === 1);
  }

  // ---- submit ------------------------------------------------------------------------------

  /** The provider's adapter for a job, with the settings it was submitted with (region, bucket…). */
  private providerOf(job: JobRow): BatchProvider {
    return this.deps.providerFor(job.provider as ProviderId, (JSON.parse(job.options) as JobOptions).providerSettings);
  }

  /** Remote batches this workspace already journaled for any batch: none of them can be another batch's. */
  private knownRemoteIds(): ReadonlySet<string> {
    const ids = new Set<string>();
    for (const job of this.store.index.jobs()) for (const batch of this.store.index.batches(job.id)) if (batch.remoteId !== null) ids.add(batch.remoteId);
    return ids;
  }

  private submissionOf(job: JobRow, batch: BatchRow): BatchSubmission {
    return {
      tags: { jobId: job.id, batchKey: batch.key },
      inputPath: this.store.resolve(batch.inputFile),
      itemCount: batch.itemCount,
      model: this.store.index.modelOfBatch(batch.key) ?? job.model,
      endpoint: job.endpoint,
    };
  }

  /**
   * Looks at the provider for the batch an earlier create of this intent may have made, and adopts
   * it when found (true). When the provider cannot tell which of several batches it is, the job
   * waits for the user (JobBlocked) rather than risk a second batch or a batch left running.
   */
  private async adoptIfCreated(job: JobRow, batch: BatchRow, provider: BatchProvider, signal: AbortSignal | undefined): Promise<boolean> {
    // Journals from before the seam have no submitting mark: an upload alone may have been created from.
    const since = batch.submittingAt ?? Date.parse(job.createdAt);
    const found = withoutKnownBatches(await provider.findCreated(this.submissionOf(job, batch), batch.stagedRef ?? undefined, since, signal), this.knownRemoteIds());
    if (found.kind === 'none') return false;
    if (found.kind === 'ambiguous') {
      throw await this.block(
        job.id,
        `batch ${batch.key} may already exist at ${provider.id} as one of ${found.candidates.join(', ')}, and the provider cannot tell which; ` +
          'it was not sent again, to avoid paying twice. Cancel the extra batches at the provider, then resume the job or cancel it',
      );
    }
    const remote = found.kind === 'found' ? found.remote : await provider.retrieve(found.remoteId, signal);
    this.log(`${batch.key}: adopting ${remote.remoteId}, created before a restart`);
    await this.store.commit([{ type: 'batch.created', jobId: job.id, batchKey: batch.key, remoteId: remote.remoteId, adopted: true }, statusEvent(batch, remote)]);
    this.polls.set(batch.key, { at: this.now(), interval: this.deps.config.pollInitialMs });
    return true;
  }

  /**
   * Sends an intent: staged once, then created, each step journaled before the next. An intent
   * whose create was sent before (the process stopped before the answer was journaled) is first
   * looked for at the provider, and adopted when found; when the provider cannot tell which of
   * several batches it is, the job waits for the user rather than risk a second batch.
   */
  private async submit(job: JobRow, batch: BatchRow, provider: BatchProvider, signal: AbortSignal | undefined): Promise<void> {
    const submission = this.submissionOf(job, batch);
    if ((batch.submittingAt !== null || batch.stagedRef !== null) && (await this.adoptIfCreated(job, batch, provider, signal))) return;
    let staged = batch.stagedRef ?? undefined;
    if (staged === undefined) {
      staged = await provider.stage(submission, signal);
      if (staged !== undefined) await this.store.commit([{ type: 'batch.staged', jobId: job.id, batchKey: batch.key, ref: staged }]);
    }
    await this.store.commit([{ type: 'batch.submitting', jobId: job.id, batchKey: batch.key, sentAt: this.now() }]);
    const created = await provider.create(submission, staged, signal);
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
    if (!job.cancelRequested && (await this.requeueIfRefusedForCapacity(job, batch, remote, later))) {
      this.polls.delete(batch.key);
      return;
    }
    // Download at once: providers delete result files after a while.
    const event = await collectBatch(
      { store: this.store, provider, providerId: job.provider as ProviderId, pricer: this.deps.pricer, check: this.checkFor(job), signal },
      batch,
      remote,
      this.submissionOf(job, batch),
    );
    await this.store.commit([event]);
    this.polls.delete(batch.key);
    await this.alertIfFailing(this.requireJob(job.id));
  }

  /**
   * A batch refused as a whole for capacity (the enqueued-token quota) ran nothing and cost
   * nothing: its items take no strike. The same chunk (same input file, same items, same strike)
   * becomes a new intent, sent after a backoff that doubles with each refusal in a row, and the
   * job says why it waits. Returns false for any other ending.
   */
  private async requeueIfRefusedForCapacity(job: JobRow, batch: BatchRow, remote: RemoteBatch, later: (at: number) => void): Promise<boolean> {
    const refusal = capacityRefusalOf(remote);
    if (!refusal) return false;
    const refusals = batch.capacityRefusals + 1;
    const notBefore = this.now() + capacityBackoffMs(refusals, this.deps.config.retryWaitsMs[0], refusal.hintMs);
    const batches = this.store.index.batches(job.id);
    const items = this.store.index.itemsOfBatch(batch.key).filter((item) => item.state === 'queued' || item.state === 'submitted').length;
    const runningBatches = batches.filter((b) => b.key !== batch.key && b.remoteId !== null && !b.collected).length;
    const reason = capacityWaitReason(refusal, { batchKey: batch.key, items, refusals, resendAt: notBefore, runningBatches });
    this.log(`${job.id}: ${reason}`);
    await this.store.commit([
      {
        type: 'batch.capacityRefused',
        jobId: job.id,
        batchKey: batch.key,
        retryKey: `${job.id}.s${batch.strike}.c${batches.length + 1}`,
        strike: batch.strike,
        inputFile: batch.inputFile,
        itemCount: items,
        notBefore,
        refusals,
        reason,
      },
    ]);
    later(notBefore);
    return true;
  }

  /**
   * Submits the intent; a create refused for capacity (Azure's fail-fast regions) is no failure:
   * the intent waits, with the same backoff as a batch refused after creation.
   */
  private async submitOrDefer(job: JobRow, batch: BatchRow, provider: BatchProvider, later: (at: number) => void, signal: AbortSignal | undefined): Promise<void> {
    try {
      await this.submit(job, batch, provider, signal);
    } catch (error) {
      if (!isCapacityRefusedError(error)) throw error;
      const refusal = capacityRefusalOfCreate(error);
      const refusals = batch.capacityRefusals + 1;
      const notBefore = this.now() + capacityBackoffMs(refusals, this.deps.config.retryWaitsMs[0], refusal.hintMs);
      const runningBatches = this.store.index.batches(job.id).filter((b) => b.remoteId !== null && !b.collected).length;
      const reason = capacityWaitReason(refusal, { batchKey: batch.key, items: batch.itemCount, refusals, resendAt: notBefore, runningBatches, atCreate: true });
      this.log(`${job.id}: ${reason}`);
      await this.store.commit([{ type: 'batch.deferred', jobId: job.id, batchKey: batch.key, notBefore, refusals, reason }]);
      later(notBefore);
    }
  }

  // ---- the ladder --------------------------------------------------------------------------

  /** Routes the failed items one rung up the ladder; true when it changed anything. */
  private async routeFailed(job: JobRow, provider: BatchProvider, later: (at: number) => void, signal: AbortSignal | undefined): Promise<boolean> {
    const failed = this.store.index.items(job.id, { states: ['failed'] });
    const decision = routeFailures(failed, job.cancelRequested, job.resumed);
    const events: StoreEvent[] = [];
    if (decision.deadLetter.length > 0) events.push({ type: 'items.deadLettered', jobId: job.id, ids: decision.deadLetter });
    if (decision.cancelled.length > 0) events.push({ type: 'items.cancelled', jobId: job.id, ids: decision.cancelled });
    // A cancel the user withdrew reached a batch anyway: its items go again, as a resume promises.
    if (decision.resubmit.length > 0) events.push(...(await planRetryIntents(this.store, job, decision.resubmit, 'keep', 'u')));
    if (events.length > 0) await this.store.commit(events);
    let acted = events.length > 0;

    // A provider with a minimum batch size (Bedrock: 100 records) cannot take a retry batch of
    // fewer items: those go straight to the last rung, one sync call each, rather than a batch
    // the provider would refuse (docs/DESIGN.md, "Batches below a provider's minimum").
    const minimum = PROVIDER_LIMITS[job.provider as ProviderId]?.minRequests ?? 1;
    const sync = [...decision.sync];
    for (const [strike, items] of byNextStrike(decision.nextBatch)) {
      if (items.length < minimum) {
        sync.push(...items);
        continue;
      }
      if (!this.ladderWaitOver(job.id, strike, later)) continue;
      // Planned like the first submission: one model per batch, within the provider's limits.
      await this.store.commit(await planRetryIntents(this.store, job, items, strike, 'r'));
      this.ladderReady.delete(`${job.id}:${strike}`);
      acted = true;
    }
    if (sync.length === 0) this.ladderReady.delete(`${job.id}:${SYNC_STRIKE}`);
    else if (this.ladderWaitOver(job.id, SYNC_STRIKE, later)) {
      // The wait stays over until the strike is done: it may take several steps (see SYNC_SLICE_MS).
      await this.syncStrike(job, sync, provider, signal, this.now() + SYNC_SLICE_MS);
      acted = true;
    }
    return acted;
  }

  /** The configured pause before a strike (see ladderWaitMs), counted from the first time it is due. */
  private ladderWaitOver(jobId: string, strike: number, later: (at: number) => void): boolean {
    const key = `${jobId}:${strike}`;
    const readyAt = this.ladderReady.get(key) ?? this.now() + ladderWaitMs(strike, this.deps.config.retryWaitsMs);
    this.ladderReady.set(key, readyAt);
    if (readyAt <= this.now()) return true;
    later(readyAt);
    return false;
  }

  private forgetLadder(jobId: string): void {
    for (const key of this.ladderReady.keys()) if (key.startsWith(`${jobId}:`)) this.ladderReady.delete(key);
  }

  /**
   * A sync-mode job's planned batches go item by item through the sync API, at the full price,
   * journaled like the ladder's sync strike (so a crash mid-call is handled the same way). A batch
   * whose items have all been sent is closed. Returns true when the slice ran out with items left.
   */
  private async sendBySync(job: JobRow, intents: readonly BatchRow[], provider: BatchProvider, signal: AbortSignal | undefined): Promise<boolean> {
    const until = this.now() + SYNC_SLICE_MS;
    for (const batch of intents) {
      const queued = () => this.store.index.itemsOfBatch(batch.key).filter((item) => item.state === 'queued');
      await this.syncStrike(job, queued(), provider, signal, until);
      if (queued().length > 0) return true;
      const counts = this.store.index.countsByStateInBatch(job.id, 'sync');
      await this.store.commit([
        {
          type: 'batch.status',
          jobId: job.id,
          batchKey: batch.key,
          state: 'completed',
          rawStatus: 'sent one by one through the sync API',
          counts: { total: batch.itemCount, completed: counts.succeeded ?? 0, failed: (counts.failed ?? 0) + (counts.dead_letter ?? 0) },
        },
        { type: 'batch.collected', jobId: job.id, batchKey: batch.key, outcomes: [] },
      ]);
    }
    return false;
  }

  /**
   * Strike 3: each item through the sync API, paced by the provider/model's token bucket, each
   * call and outcome journaled as it lands. Stops at `until` (the rest go on the next step, so
   * the job's lock is not held for a whole strike).
   */
  private async syncStrike(job: JobRow, items: readonly ItemRow[], provider: BatchProvider, signal: AbortSignal | undefined, until = Infinity): Promise<void> {
    const lines = await readItemLines(this.store, items);
    const bucketKey = `${job.provider}:${job.model}`;
    let bucket = this.buckets.get(bucketKey);
    if (!bucket) {
      bucket = new TokenBucket(this.deps.config.syncRatePerSecond);
      this.buckets.set(bucketKey, bucket);
    }
    for (const item of items) {
      if (this.now() >= until) return;
      const line = JSON.parse(lines.get(item.id)?.toString('utf8') ?? '{}') as Record<string, unknown>;
      await this.syncCall(job, item, line, provider, bucket, signal);
    }
  }

  /**
   * One item's sync strike: a call, and again (up to syncAttempts in all) while the provider
   * answers 429 or 5xx, waiting as it asks. Every attempt is journaled (started, then its
   * outcome), and every answer is written to the job's sync results file before the outcome that
   * points at it, so a paid answer is never lost. A refusal of our access (key, permission,
   * model) puts the item back as it was and stops the run: no item is to blame.
   */
  private async syncCall(
    job: JobRow,
    item: ItemRow,
    line: Readonly<Record<string, unknown>>,
    provider: BatchProvider,
    bucket: TokenBucket,
    signal: AbortSignal | undefined,
  ): Promise<void> {
    const attempts = Math.max(1, this.deps.config.syncAttempts ?? 3);
    const check = this.checkFor(job);
    for (let attempt = 1; ; attempt++) {
      for (let wait = bucket.take(); wait > 0; wait = bucket.take()) await sleep(wait, signal);
      await this.store.commit([{ type: 'item.syncStarted', jobId: job.id, id: item.id }]);
      let outcome: SyncOutcome;
      try {
        outcome = await provider.callSync({ line, customId: item.id, model: item.model, endpoint: job.endpoint }, signal);
      } catch (error) {
        if (isProviderAccessError(error)) {
          await this.store.commit([
            { type: 'item.syncAborted', jobId: job.id, id: item.id, state: item.state === 'dead_letter' ? 'dead_letter' : 'failed', strike: item.strike, batchKey: item.batchKey },
          ]);
        }
        throw error;
      }
      const usage = outcome.usage ?? { inputTokens: 0, outputTokens: 0 };
      const cost = outcome.usage ? (this.deps.pricer.price(job.provider as ProviderId, item.model, usage.inputTokens, usage.outputTokens, cacheUseOf(usage))?.sync ?? 0) : 0;
      const ref: ResultRef | undefined = outcome.resultLine === undefined ? undefined : await appendSyncResult(this.store, job.id, outcome.resultLine);
      const problem = outcome.ok ? check(outcome.content) : undefined;
      await this.store.commit([
        {
          type: 'item.syncResult',
          jobId: job.id,
          outcome:
            outcome.ok && problem === undefined
              ? { id: item.id, ok: true, inputTokens: usage.inputTokens, outputTokens: usage.outputTokens, cost, ref }
              : {
                  id: item.id,
                  ok: false,
                  failureClass: outcome.ok ? 'invalid_output' : outcome.failureClass,
                  code: outcome.ok ? undefined : outcome.code,
                  message: outcome.ok ? problem : outcome.message,
                  inputTokens: usage.inputTokens,
                  outputTokens: usage.outputTokens,
                  cost,
                  ref,
                },
        },
      ]);
      const pause = attempt < attempts ? syncRetryPause(outcome, attempt, this.deps.config.syncRetryBaseMs ?? 1_000) : undefined;
      if (pause === undefined) return;
      this.log(`${job.id}/${item.id}: sync call ${attempt} of ${attempts} answered ${outcome.ok ? 'ok' : (outcome.httpStatus ?? outcome.failureClass)}, calling again in ${pause} ms`);
      await sleep(pause, signal);
    }
  }

  /**
   * A sync call journaled as started but never answered was cut off by a crash: the provider
   * may have run (and billed) it. An answer that reached the job's sync results file before the
   * crash is taken as the outcome; otherwise sending it again could pay twice, so it goes to dead
   * letter with that reason, and `retry-failed` sends it once more if the user wants.
   */
  private async abandonOrphanedSyncCalls(job: JobRow, provider: BatchProvider): Promise<void> {
    const orphans = this.store.index.items(job.id, { states: ['submitted'] }).filter((item) => item.batchKey === 'sync');
    if (orphans.length === 0) return;
    const answers = await findSyncAnswers(this.store, job.id, new Set(orphans.map((item) => item.id)), (line) => provider.parseResultLine(line));
    const check = this.checkFor(job);
    const events: StoreEvent[] = [];
    const unknown: string[] = [];
    for (const item of orphans) {
      const answer = answers.get(item.id);
      // Only an answer that passes the job's checks: one that failed them was recorded before.
      if (!answer || check(answer.outcome.content) !== undefined) {
        unknown.push(item.id);
        continue;
      }
      const usage = answer.outcome.usage ?? { inputTokens: 0, outputTokens: 0 };
      const cost = answer.outcome.usage ? (this.deps.pricer.price(job.provider as ProviderId, item.model, usage.inputTokens, usage.outputTokens, cacheUseOf(usage))?.sync ?? 0) : 0;
      events.push({ type: 'item.syncResult', jobId: job.id, outcome: { id: item.id, ok: true, inputTokens: usage.inputTokens, outputTokens: usage.outputTokens, cost, ref: answer.ref } });
    }
    if (unknown.length > 0) {
      events.push({
        type: 'items.deadLettered',
        jobId: job.id,
        ids: unknown,
        reason: 'the process stopped during this item’s sync call, so its outcome is unknown; it was not sent again to avoid paying twice',
      });
    }
    await this.store.commit(events);
  }

  private async cancelOpenWork(job: JobRow, provider: BatchProvider, signal: AbortSignal | undefined): Promise<void> {
    for (const unsure of this.store.index.batches(job.id)) {
      // An intent whose create was sent may exist at the provider: found, it is adopted and stopped
      // like any running batch; cancelling it as "never sent" would leave it running, unfollowed.
      if (!unsure.collected && unsure.state === 'intent' && unsure.submittingAt !== null) await this.adoptIfCreated(job, unsure, provider, signal);
    }
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
    // Cancelled is not failed: what the user stopped says nothing about the provider or the prompts.
    if (job.alert !== null || job.cancelRequested) return;
    const counts = this.store.index.countsByState(job.id);
    const total = Object.values(counts).reduce((a, b) => a + b, 0);
    const failing = (counts.failed ?? 0) + (counts.dead_letter ?? 0) - this.store.index.countFailedAs(job.id, 'cancelled');
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

  /**
   * One actor drives a job at a time (the poll loop, a user's retry, cancel…): each waits for the
   * one before it, then reads the job afresh, so no two act on the same stale item list (a sync
   * call paid twice). A call chain that holds the job's lock may call another locked method.
   */
  private async exclusive<T>(jobId: string, work: () => Promise<T>): Promise<T> {
    const held = this.heldJobs.getStore();
    if (held?.has(jobId)) return work();
    const before = this.jobLocks.get(jobId) ?? Promise.resolve();
    let release = (): void => undefined;
    const mine = new Promise<void>((resolve) => {
      release = resolve;
    });
    const tail = before.then(() => mine);
    this.jobLocks.set(jobId, tail);
    await before;
    try {
      return await this.heldJobs.run(new Set([...(held ?? []), jobId]), work);
    } finally {
      release();
      if (this.jobLocks.get(jobId) === tail) this.jobLocks.delete(jobId);
    }
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

/**
 * What the provider found, without the batches already journaled for other batch keys: a provider
 * that matches by size and time (Anthropic) may offer a sibling chunk of the same job. A lone
 * candidate left of several is returned by id, to be retrieved.
 */
function withoutKnownBatches(found: FoundBatch, known: ReadonlySet<string>): FoundBatch | { readonly kind: 'one'; readonly remoteId: string } {
  if (found.kind === 'found') return known.has(found.remote.remoteId) ? { kind: 'none' } : found;
  if (found.kind !== 'ambiguous') return found;
  const candidates = found.candidates.filter((id) => !known.has(id));
  if (candidates.length === 0) return { kind: 'none' };
  if (candidates.length === 1 && candidates[0] !== undefined) return { kind: 'one', remoteId: candidates[0] };
  return { kind: 'ambiguous', candidates };
}

function statusEvent(batch: BatchRow, remote: RemoteBatch): StoreEvent {
  return {
    type: 'batch.status',
    jobId: batch.jobId,
    batchKey: batch.key,
    state: remote.state,
    rawStatus: remote.rawStatus,
    counts: remote.counts,
    resultRefs: remote.resultRefs,
  };
}

/** How long one sync strike may hold the job before the next step takes over (cancel gets in between). */
const SYNC_SLICE_MS = 5_000;

function isSyncMode(job: JobRow): boolean {
  return (JSON.parse(job.options) as JobOptions).mode === 'sync';
}
/** The longest a 429's retry-after is waited out within a strike; a longer one ends the strike's tries. */
const MAX_SYNC_RETRY_PAUSE_MS = 60_000;

/**
 * The pause before calling again, or undefined when this outcome is final: only a 429 or a
 * server error (the provider answered and billed nothing) is worth another call. A lost
 * connection or a timeout may have been billed, so it is not sent again blindly.
 */
function syncRetryPause(outcome: SyncOutcome, attempt: number, baseMs: number): number | undefined {
  if (outcome.ok || outcome.httpStatus === undefined) return undefined;
  const status = outcome.httpStatus;
  if (status !== 429 && status !== 408 && status !== 409 && status < 500) return undefined;
  const pause = Math.max(baseMs * 2 ** (attempt - 1), outcome.retryAfterMs ?? 0);
  return pause <= MAX_SYNC_RETRY_PAUSE_MS ? pause : undefined;
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
