// Why a job waits and where its work is, as this window knows it now: the endpoint its calls go
// to (never a key), the remote ids of its batches still open, the last problem the engine got
// over and when it checks the job next. For the Jobs view's tooltip and the job summary.
import { isProviderId } from '../core/providerLimits';
import type { JobRow } from '../store/stateIndex';
import { jobEndpoint } from './jobsViewFormat';
import type { JobWhereabouts } from './jobsViewFormat';
import { endpointFor } from './settings';
import type { WorkspaceSession } from './workspaceSession';

export function whereaboutsOf(session: WorkspaceSession, job: JobRow): JobWhereabouts {
  const endpoint = jobEndpoint(job, isProviderId(job.provider) ? endpointFor(job.provider).baseUrl : undefined);
  const openRemoteIds = session.store.index
    .batches(job.id)
    .filter((batch) => !batch.collected && batch.remoteId !== null)
    .map((batch) => batch.remoteId ?? '');
  return { endpoint, openRemoteIds, lastProblem: session.engine?.lastProblem(job.id), nextCheckAt: session.engine?.nextStepAt(job.id) };
}
