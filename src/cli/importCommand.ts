// `llm-batch import [--provider openai|azure]`: adopt remote batches started elsewhere. Azure is
// reached the way it is configured: AZURE_OPENAI_ENDPOINT (or --base-url) and, for the dated API,
// OPENAI_API_VERSION (or --api-version), so no extra flag is needed for a dated-only setup.
import { importBatch, untrackedBatches } from '../engine/importBatch';
import { azureApiVersion } from './azureApiVersion';
import { openEngine, parseCommand, parseProvider, writeJson } from './cliOptions';
import { UsageError } from './usageError';

export async function runImport(args: string[]): Promise<number> {
  const { values, positionals } = parseCommand(args, { provider: { type: 'string' } });
  const providerId = parseProvider(values.provider) ?? 'openai';
  if (providerId !== 'openai' && providerId !== 'azure') throw new UsageError('import supports --provider openai or azure for now');
  const session = await openEngine({ ...values, 'api-version': azureApiVersion(values['api-version']) }, 'llm-batch import');
  try {
    const provider = session.providerFor(providerId);
    const wanted = new Set(positionals);
    const candidates = (await untrackedBatches(session.store, provider)).filter((remote) => wanted.size === 0 || wanted.has(remote.remoteId));
    const jobs = [];
    for (const remote of candidates) jobs.push({ remoteId: remote.remoteId, jobId: await importBatch(session.store, providerId, provider, remote) });
    if (values.json) writeJson({ imported: jobs });
    else if (jobs.length === 0) process.stdout.write('No untracked batches to import.\n');
    else for (const job of jobs) process.stdout.write(`Imported ${job.remoteId} as ${job.jobId}. Follow it with: llm-batch watch ${job.jobId}\n`);
    return 0;
  } finally {
    await session.store.close();
  }
}
