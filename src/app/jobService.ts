// The one submit service: what the CLI, the cost-preview panel and the notebook call to estimate,
// submit, resubmit failed items, cancel and resume. Each action checks what it must before it
// journals anything — blockers, the budget, the key against the provider — so no path can create a
// job that a refused key strands, or a resubmission the budget never saw.
import type { BudgetCaps, BudgetDecision } from '../core/budget';
import { checkBudget } from '../core/budget';
import { DEFAULT_BATCH_MULTIPLIERS } from '../core/pricing';
import { PROVIDER_LIMITS } from '../core/providerLimits';
import type { ProviderId } from '../core/providerLimits';
import type { ProviderSettings } from '../core/providerSettings';
import { prepareJob } from '../engine/createJob';
import type { PreparedJob, SubmitRequest } from '../engine/createJob';
import type { Engine } from '../engine/engine';
import { JobBlocked } from '../engine/jobBlocked';
import { SubmitRefused } from '../engine/submitRefused';
import type { BatchProvider } from '../providers/batchProvider';
import type { Blocker } from '../shared/blockers';
import type { ItemRow } from '../store/stateIndex';
import type { JobOptions } from '../store/storeEvents';
import type { WorkspaceStore } from '../store/workspaceStore';

export interface JobServiceDeps {
  readonly store: WorkspaceStore;
  readonly engine: Engine;
  /** The adapter for a provider with a job's settings; throws (saying what is missing) without credentials or settings. */
  readonly providerFor: (provider: ProviderId, settings?: ProviderSettings) => BatchProvider;
  /** The caps as the user set them now (read at every check: settings change). */
  readonly budget: () => BudgetCaps;
}

/** What a preview needs; the caps come from the service. */
export type PreviewRequest = Omit<SubmitRequest, 'budget'>;

/** An estimate with what stands in the way of submitting it. Nothing is written until `submit`. */
export interface SubmitPreview {
  readonly provider: ProviderId;
  readonly prepared: PreparedJob;
  /** The estimate's blockers plus the service's own (no key for the provider). */
  readonly blockers: readonly Blocker[];
}

export type SubmitOutcome =
  | { readonly jobId: string; readonly submitted: true }
  /** The job exists but nothing of it reached the provider: it waits for resume or cancel. */
  | { readonly jobId: string; readonly submitted: false; readonly reason: string };

export interface RetryPreview {
  readonly jobId: string;
  readonly ids: readonly string[];
  /** What resubmitting them costs at most (their upper bounds at the batch price). */
  readonly reservation: number;
  readonly budget: BudgetDecision;
  /** Too few for one of the provider's batches (Bedrock's minimum): sent one by one through the sync API. */
  readonly bySync: boolean;
}

export class JobService {
  constructor(private readonly deps: JobServiceDeps) {}

  get store(): WorkspaceStore {
    return this.deps.store;
  }

  get engine(): Engine {
    return this.deps.engine;
  }

  /** Estimates the file against this workspace (dedup, cache, plan, budget): nothing is written. */
  async preview(request: PreviewRequest): Promise<SubmitPreview> {
    const prepared = await prepareJob(this.deps.store, { ...request, budget: this.deps.budget() });
    const provider = (prepared.estimate.files[0]?.tally.provider ?? request.provider ?? 'openai') as ProviderId;
    const blockers = [...prepared.blockers];
    const missing = this.missingCredentials(provider, request.providerSettings);
    if (missing) blockers.push(missing);
    return { provider, prepared, blockers };
  }

  /**
   * Checks the key with one cheap call, then writes and journals the job from the bytes that were
   * estimated and submits its batches. Throws SubmitRefused (nothing journaled) when a blocker
   * stands, the key or the provider fails, the spend moved past a cap, or the file changed.
   */
  async submit(preview: SubmitPreview, options: { skipInvalid?: boolean; signal?: AbortSignal } = {}): Promise<SubmitOutcome> {
    await this.verifyAccess(preview.provider, preview.prepared.providerSettings, '', options.signal);
    const jobId = await preview.prepared.create({ skipInvalid: options.skipInvalid ?? false });
    return this.firstStep(jobId, options.signal);
  }

  /** The retryable failed items of a job (or of `ids`), what resubmitting them reserves, and the budget's answer. */
  previewRetry(jobId: string, ids?: readonly string[]): RetryPreview {
    const items = this.deps.engine.retryableItems(jobId, ids);
    const job = this.deps.store.index.job(jobId);
    const provider = (job?.provider ?? 'openai') as ProviderId;
    // A sync-mode job's bounds are at the sync price already.
    const syncJob = job !== undefined && (JSON.parse(job.options) as JobOptions).mode === 'sync';
    const bySync = items.length > 0 && (syncJob || items.length < PROVIDER_LIMITS[provider].minRequests);
    // Sync calls cost the full price, twice the batch price the upper bounds are in.
    const reservation = bySync && !syncJob ? upperBound(items) / DEFAULT_BATCH_MULTIPLIERS[provider] : upperBound(items);
    return { jobId, ids: items.map((item) => item.id), reservation, budget: this.budgetFor(reservation), bySync };
  }

  /**
   * Resubmits the retryable failures as new batches planned like a first submission, after the
   * budget accepts their reservation; returns the ids resubmitted (none when nothing is retryable).
   */
  async retryFailed(jobId: string, ids?: readonly string[], signal?: AbortSignal): Promise<readonly string[]> {
    const retry = this.previewRetry(jobId, ids);
    if (retry.ids.length === 0) return [];
    if (!retry.budget.accepted) throw new SubmitRefused([{ kind: 'budget', message: retry.budget.message }]);
    await this.reserve(jobId, retry.reservation);
    // Fewer items than the provider takes in a batch (Bedrock): one sync call each instead.
    if (retry.bySync) return this.deps.engine.retryBySync(jobId, retry.ids, signal);
    const resubmitted = await this.deps.engine.retryFailed(jobId, retry.ids);
    await this.stepNamed(jobId, signal);
    return resubmitted;
  }

  /** Stops the job's batches; finished work is kept. Also discards a job that was never submitted. */
  async cancel(jobId: string, signal?: AbortSignal): Promise<void> {
    await this.deps.engine.cancel(jobId);
    await this.deps.engine.step(jobId, signal);
  }

  /**
   * Goes on with a job the user had stopped or that waits for them: lifts a block, and plans the
   * items cancelled before they ran again (after the budget accepts them). The key is checked first.
   */
  async resume(jobId: string, signal?: AbortSignal): Promise<SubmitOutcome> {
    const job = this.deps.store.index.job(jobId);
    if (!job) throw new Error(`no job ${jobId} in this workspace`);
    const cancelled = this.deps.store.index.items(jobId, { states: ['cancelled'] });
    const reservation = upperBound(cancelled);
    const budget = this.budgetFor(reservation);
    if (!budget.accepted) throw new SubmitRefused([{ kind: 'budget', message: budget.message }]);
    await this.verifyAccess(job.provider as ProviderId, (JSON.parse(job.options) as JobOptions).providerSettings, `${jobId} was not resumed: `, signal);
    if (reservation > 0) await this.reserve(jobId, reservation);
    await this.deps.engine.resume(jobId);
    return this.firstStep(jobId, signal);
  }

  /** What the budget says to reserving `amount` more, with the spend as it stands now. */
  budgetFor(amount: number): BudgetDecision {
    return checkBudget(this.deps.budget(), this.deps.store.index.spendSoFar(), amount);
  }

  /** One cheap authenticated call before anything is journaled; a refusal says why, after `context`. */
  private async verifyAccess(provider: ProviderId, settings: ProviderSettings | undefined, context: string, signal: AbortSignal | undefined): Promise<void> {
    const adapter = this.requireProvider(provider, settings);
    try {
      await adapter.verifyAccess(signal);
    } catch (error) {
      signal?.throwIfAborted();
      throw new SubmitRefused([{ kind: 'provider_unreachable', message: `${context}${(error as Error).message}` }]);
    }
  }

  private async reserve(jobId: string, amount: number): Promise<void> {
    await this.deps.store.commit([{ type: 'spend.reserved', jobId, amount, day: new Date().toISOString().slice(0, 10) }]);
  }

  /** Submits what a job has waiting; a job whose work never reached the provider comes back not submitted. */
  private async firstStep(jobId: string, signal: AbortSignal | undefined): Promise<SubmitOutcome> {
    try {
      await this.deps.engine.step(jobId, signal);
    } catch (error) {
      if (error instanceof JobBlocked) return { jobId, submitted: false, reason: error.reason };
      throw new Error(`${jobId}: ${(error as Error).message}`, { cause: error });
    }
    const job = this.deps.store.index.job(jobId);
    if (job?.blockedReason) return { jobId, submitted: false, reason: job.blockedReason };
    return { jobId, submitted: true };
  }

  /** One step of a job the user named; errors carry its id. */
  private async stepNamed(jobId: string, signal: AbortSignal | undefined): Promise<void> {
    try {
      await this.deps.engine.step(jobId, signal);
    } catch (error) {
      if (error instanceof JobBlocked) throw error;
      throw new Error(`${jobId}: ${(error as Error).message}`, { cause: error });
    }
  }

  private missingCredentials(provider: ProviderId, settings: ProviderSettings | undefined): Blocker | undefined {
    try {
      this.deps.providerFor(provider, settings);
      return undefined;
    } catch (error) {
      return { kind: 'no_credentials', message: (error as Error).message };
    }
  }

  private requireProvider(provider: ProviderId, settings: ProviderSettings | undefined): BatchProvider {
    try {
      return this.deps.providerFor(provider, settings);
    } catch (error) {
      throw new SubmitRefused([{ kind: 'no_credentials', message: (error as Error).message }]);
    }
  }
}

/** What sending these items again may cost at most: each one's upper bound at the batch price. */
function upperBound(items: readonly ItemRow[]): number {
  return items.reduce((sum, item) => sum + Math.max(item.estimatedMax, item.estimatedCost), 0);
}
