// Collecting a finished remote batch: fetch its results as soon as it ends (providers delete
// them), read every file the adapter wrote, match every line to its item by id — never by position —
// and decide each item's outcome. An id in neither file failed; a repeated output line counts
// once; a "successful" answer that is empty or fails the job's checks is `invalid_output`.
import { createReadStream } from 'node:fs';
import { readLines } from '../core/jsonlReader';
import type { FailureClass } from '../core/itemOutcome';
import type { OutputCheck } from '../core/outputChecks';
import type { Pricer } from '../core/pricing';
import { cacheUseOf } from '../core/itemOutcome';
import type { ProviderId } from '../core/providerLimits';
import type { BatchProvider, BatchSubmission, RemoteBatch, ResultKind } from '../providers/batchProvider';
import type { BatchRow, ItemRow } from '../store/stateIndex';
import type { RecordedOutcome, StoreEvent } from '../store/storeEvents';
import type { WorkspaceStore } from '../store/workspaceStore';

export interface CollectContext {
  readonly store: WorkspaceStore;
  readonly provider: BatchProvider;
  readonly providerId: ProviderId;
  readonly pricer: Pricer;
  readonly check: OutputCheck;
  readonly signal?: AbortSignal | undefined;
}

/** What an item that appears in neither file failed with, by how the batch ended. */
const MISSING: Readonly<Record<string, { failureClass: FailureClass; message: string }>> = {
  expired: { failureClass: 'expired', message: 'the batch expired before this item ran' },
  cancelled: { failureClass: 'cancelled', message: 'the batch was cancelled before this item ran' },
  failed: { failureClass: 'transient', message: 'the batch failed before this item ran' },
  completed: { failureClass: 'transient', message: 'missing from both the output and the error file' },
};

export async function collectBatch(context: CollectContext, batch: BatchRow, remote: RemoteBatch, submission: BatchSubmission): Promise<StoreEvent> {
  const { store, provider } = context;
  const items = store.index.itemsOfBatch(batch.key).filter((item) => item.state === 'submitted');
  const byId = new Map(items.map((item) => [item.id, item]));
  const outcomes = new Map<string, RecordedOutcome>();

  const files: { outputFile?: string; errorFile?: string } = {};
  const pathOf = (kind: ResultKind) => `${store.jobDir(batch.jobId)}/${batch.key}.${kind}.jsonl`;
  for (const kind of await provider.fetchResults(remote, submission, (kind) => store.resolve(pathOf(kind)), context.signal)) {
    const storePath = pathOf(kind);
    if (kind === 'output') files.outputFile = storePath;
    else files.errorFile = storePath;
    await readOutcomes(context, storePath, byId, outcomes);
  }

  const missing = MISSING[remote.state] ?? MISSING['completed'];
  for (const item of items) {
    if (outcomes.has(item.id)) continue;
    outcomes.set(item.id, {
      id: item.id,
      ok: false,
      failureClass: missing?.failureClass,
      code: remote.state === 'failed' ? remote.errors[0]?.code : undefined,
      message: remote.state === 'failed' && remote.errors[0] ? `the batch failed: ${remote.errors[0].message}` : missing?.message,
      inputTokens: 0,
      outputTokens: 0,
      cost: 0,
    });
  }
  return { type: 'batch.collected', jobId: batch.jobId, batchKey: batch.key, ...files, outcomes: [...outcomes.values()] };
}

async function readOutcomes(context: CollectContext, storePath: string, items: ReadonlyMap<string, ItemRow>, outcomes: Map<string, RecordedOutcome>): Promise<void> {
  const decoder = new TextDecoder();
  for await (const line of readLines(createReadStream(context.store.resolve(storePath)))) {
    const outcome = context.provider.parseResultLine(decoder.decode(line.bytes));
    if (!outcome) continue;
    const item = items.get(outcome.customId);
    // An id we did not send, or a line repeated by the provider: the first answer stands.
    if (!item || outcomes.has(item.id)) continue;
    const ref = { file: storePath, offset: line.offset, length: line.bytes.length };
    const usage = outcome.usage ?? { inputTokens: 0, outputTokens: 0 };
    const price = outcome.usage ? context.pricer.price(context.providerId, item.model, usage.inputTokens, usage.outputTokens, cacheUseOf(usage)) : null;
    const cost = price?.batch ?? 0;
    // The same usage at the sync price: what the batch saved (the job's figures).
    const syncCost = price?.sync ?? 0;
    if (outcome.ok) {
      const problem = context.check(outcome.content);
      outcomes.set(
        item.id,
        problem === undefined
          ? { id: item.id, ok: true, inputTokens: usage.inputTokens, outputTokens: usage.outputTokens, cost, syncCost, ref }
          : { id: item.id, ok: false, failureClass: 'invalid_output', message: problem, inputTokens: usage.inputTokens, outputTokens: usage.outputTokens, cost, syncCost, ref },
      );
    } else {
      outcomes.set(item.id, {
        id: item.id,
        ok: false,
        failureClass: outcome.failureClass,
        code: outcome.code,
        message: outcome.message,
        inputTokens: usage.inputTokens,
        outputTokens: usage.outputTokens,
        cost,
        syncCost,
        ref,
      });
    }
  }
}
