// The engine and the submit service over one store, assembled the same way for the CLI and the
// extension host: the only place an Engine is built outside the tests.
import type { BudgetCaps } from '../core/budget';
import { createPricer } from '../core/pricing';
import type { Pricer, PricingOptions } from '../core/pricing';
import type { ProviderId } from '../core/providerLimits';
import type { ProviderSettings } from '../core/providerSettings';
import { Engine } from '../engine/engine';
import type { EngineConfig } from '../engine/engineConfig';
import type { BatchProvider } from '../providers/batchProvider';
import type { WorkspaceStore } from '../store/workspaceStore';
import { JobService } from './jobService';

export interface AssemblyDeps {
  /** The adapter for a provider with a job's settings; throws with what is missing (a key, a region). */
  readonly providerFor: (provider: ProviderId, settings?: ProviderSettings) => BatchProvider;
  readonly config: EngineConfig;
  readonly budget: () => BudgetCaps;
  readonly pricing?: PricingOptions | undefined;
  readonly log?: ((message: string) => void) | undefined;
}

export interface JobsAssembly {
  readonly engine: Engine;
  readonly service: JobService;
  readonly pricer: Pricer;
}

export function assembleJobs(store: WorkspaceStore, deps: AssemblyDeps): JobsAssembly {
  const pricer = createPricer(deps.pricing);
  const engine = new Engine({ store, providerFor: deps.providerFor, pricer, config: deps.config, log: deps.log });
  const service = new JobService({ store, engine, providerFor: deps.providerFor, budget: deps.budget });
  return { engine, service, pricer };
}
