// Adopting a remote batch that was started elsewhere (a script, the provider's console): its
// requests are downloaded (in the provider's own line format) and become the job's items, and the batch is recorded as already
// created, so `watch` polls, collects and runs the retry ladder on it like any other.
import { createReadStream } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { requestHash, toHex } from '../core/canonicalHash';
import { readLines } from '../core/jsonlReader';
import { detectFormat, parseLine } from '../core/lineFormats';
import type { ProviderId } from '../core/providerLimits';
import type { ProviderSettings } from '../core/providerSettings';
import type { BatchProvider, RemoteBatch } from '../providers/batchProvider';
import type { ItemSeed, StoreEvent } from '../store/storeEvents';
import type { WorkspaceStore } from '../store/workspaceStore';

/** Remote batches this workspace does not track yet. */
export async function untrackedBatches(store: WorkspaceStore, provider: BatchProvider, signal?: AbortSignal): Promise<RemoteBatch[]> {
  const known = new Set(store.index.jobs().flatMap((job) => store.index.batches(job.id).map((batch) => batch.remoteId)));
  const found: RemoteBatch[] = [];
  for await (const remote of provider.list(signal)) {
    if (!known.has(remote.remoteId) && remote.tags === undefined) found.push(remote);
  }
  return found;
}

export async function importBatch(
  store: WorkspaceStore,
  providerId: ProviderId,
  provider: BatchProvider,
  remote: RemoteBatch,
  providerSettings?: ProviderSettings,
  signal?: AbortSignal,
): Promise<string> {
  const jobId = `job-import-${remote.remoteId.replace(/[^a-zA-Z0-9_-]/g, '')}-${randomBytes(2).toString('hex')}`;
  const dir = store.jobDir(jobId);
  await mkdir(store.resolve(dir), { recursive: true });
  const batchKey = `${jobId}.s0.b1`;
  const inputFile = `${dir}/${batchKey}.input.jsonl`;
  await provider.readInput(remote, store.resolve(inputFile), signal);

  const seeds: ItemSeed[] = [];
  const models = new Set<string>();
  let endpoint = remote.endpoint ?? '';
  const decoder = new TextDecoder();
  for await (const line of readLines(createReadStream(store.resolve(inputFile)))) {
    const text = decoder.decode(line.bytes).trim();
    if (!text) continue;
    const json = JSON.parse(text) as Record<string, unknown>;
    const format = detectFormat(json);
    const parsed = format === undefined ? undefined : parseLine(format, json);
    if (parsed === undefined || 'error' in parsed) throw new Error(`batch ${remote.remoteId}: input line ${line.number} is not a request line we can read`);
    // Gemini, Vertex and Bedrock name the model on the batch, not the line.
    const modelName = parsed.model ?? remote.model ?? '';
    models.add(modelName);
    endpoint ||= parsed.url ?? '';
    seeds.push({
      id: parsed.id,
      line: line.number,
      hash: toHex(requestHash(providerId, modelName, parsed.url, parsed.request)),
      model: modelName,
      state: 'queued',
      batchKey,
      input: { file: inputFile, offset: line.offset, length: line.bytes.length },
      estimatedCost: 0,
    });
  }
  const itemsFile = `${dir}/items.jsonl`;
  await writeFile(store.resolve(itemsFile), seeds.map((seed) => `${JSON.stringify(seed)}\n`).join(''), { flush: true });

  const events: StoreEvent[] = [
    {
      type: 'job.created',
      jobId,
      name: `imported ${remote.remoteId}`,
      sourceFile: store.resolve(inputFile),
      sourceSha256: '',
      provider: providerId,
      model: [...models].join(', '),
      endpoint,
      createdAt: new Date(remote.createdAt).toISOString(),
      estimate: { expected: 0, max: 0 },
      options: { outputJson: false, failureAlertRate: 0.05, ...(providerSettings === undefined ? {} : { providerSettings }) },
      itemsFile,
      itemCount: seeds.length,
    },
    { type: 'batch.intent', jobId, batchKey, strike: 0, inputFile, itemCount: seeds.length },
    ...(remote.inputRef === undefined ? [] : [{ type: 'batch.staged', jobId, batchKey, ref: remote.inputRef } as const]),
    { type: 'batch.created', jobId, batchKey, remoteId: remote.remoteId, adopted: true },
    {
      type: 'batch.status',
      jobId,
      batchKey,
      state: remote.state,
      rawStatus: remote.rawStatus,
      counts: remote.counts,
      resultRefs: remote.resultRefs,
    },
  ];
  await store.commit(events);
  return jobId;
}
