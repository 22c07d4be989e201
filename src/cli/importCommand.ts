// `llm-batch import [--provider P] [ids…]`: adopt remote batches started elsewhere. Each provider
// is reached the way it is configured (its key and base URL from the environment; Azure's dated
// API from OPENAI_API_VERSION or --api-version; region, bucket, project… from flags), and the
// imported job remembers those settings like a submitted one.
import { importBatch, untrackedBatches } from '../engine/importBatch';
import { azureApiVersion } from './azureApiVersion';
import { settingsFor } from '../core/providerSettings';
import { PROVIDER_SETTING_OPTIONS, openEngine, parseCommand, parseProvider, settingsFromFlags, writeJson } from './cliOptions';

export async function runImport(args: string[]): Promise<number> {
  const { values, positionals } = parseCommand(args, { provider: { type: 'string' }, ...PROVIDER_SETTING_OPTIONS });
  const providerId = parseProvider(values.provider) ?? 'openai';
  const session = await openEngine({ ...values, 'api-version': azureApiVersion(values['api-version']) }, 'llm-batch import');
  try {
    const settings = settingsFor(providerId, settingsFromFlags(values));
    const provider = session.providerFor(providerId, settings);
    const wanted = new Set(positionals);
    const candidates = (await untrackedBatches(session.store, provider)).filter((remote) => wanted.size === 0 || wanted.has(remote.remoteId));
    const jobs = [];
    for (const remote of candidates) jobs.push({ remoteId: remote.remoteId, jobId: await importBatch(session.store, providerId, provider, remote, settings) });
    if (values.json) writeJson({ imported: jobs });
    else if (jobs.length === 0) process.stdout.write('No untracked batches to import.\n');
    else for (const job of jobs) process.stdout.write(`Imported ${job.remoteId} as ${job.jobId}. Follow it with: llm-batch watch ${job.jobId}\n`);
    return 0;
  } finally {
    await session.store.close();
  }
}
