// One item of a job, everything about it in one place, for the item detail view: its source line,
// the exact request bytes sent, the answer (or each attempt's error, by strike), tokens and cost
// against the estimate, the remote batches it went through, and whether it repeats another item
// or reused an earlier answer. No `vscode` here: the host's panel draws what this assembles.
//
// The index keeps only an item's latest outcome, so the attempts come from the job's journaled
// history (jobs/<id>/history.jsonl, then what the live journal holds since the last snapshot),
// read as a stream and filtered by bytes before parsing: only records naming this item are parsed.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { readLines } from '../core/jsonlReader';
import { readItemLines, readResultLine } from '../engine/batchInputs';
import { SYNC_STRIKE } from '../engine/retryLadder';
import type { ResultLineParser } from '../providers/resultParsers';
import type { JournalRecord } from '../store/journal';
import type { ItemRow, JobRow } from '../store/stateIndex';
import type { ItemState, RecordedOutcome, ResultRef, StoreEvent } from '../store/storeEvents';
import { JOURNAL } from '../store/workspaceStore';
import type { WorkspaceStore } from '../store/workspaceStore';

/** One time the item went to the provider: a batch (strikes 0–2) or a sync call (strike 3). */
export interface ItemAttempt {
  readonly strike: number;
  readonly via: 'batch' | 'sync';
  /** The batch it went in (null for a sync call), and the provider's id of that batch once created. */
  readonly batchKey: string | null;
  readonly remoteId: string | null;
  /**
   * succeeded / failed: the provider answered; `no answer`: a sync call journaled as started with
   * nothing after it (still running, or cut off by a crash); `aborted`: the provider refused our
   * access during the call, and the item was put back as it was.
   */
  readonly outcome: 'succeeded' | 'failed' | 'no answer' | 'aborted';
  readonly failureClass: string | null;
  readonly code: string | null;
  readonly message: string | null;
  readonly tokensIn: number;
  readonly tokensOut: number;
  readonly cost: number;
  /** When it was journaled (ISO). */
  readonly at: string;
  /** The provider's raw result or error line for this attempt, when it wrote one. */
  readonly rawResult: string | null;
}

/** A remote batch the item was in. */
export interface ItemBatch {
  readonly key: string;
  readonly strike: number;
  readonly remoteId: string | null;
  readonly state: string;
}

export interface ItemDetail {
  readonly job: Pick<JobRow, 'id' | 'name' | 'provider' | 'endpoint' | 'sourceFile' | 'createdAt'>;
  readonly item: ItemRow;
  readonly source: {
    readonly file: string;
    readonly line: number;
    /** The line as the file has it now; undefined when it cannot be read (see `problem`). */
    readonly text: string | undefined;
    readonly problem: string | undefined;
    /** The file was modified after the job was created: the line may not be what was sent. */
    readonly changedSinceSubmit: boolean;
  };
  /** The exact bytes sent (the batch input line); undefined for an item never sent (see `requestNote`). */
  readonly request: string | undefined;
  readonly requestNote: string | undefined;
  /** The answer of a succeeded item (a duplicate's is its twin's, a cached one's the earlier job's). */
  readonly answer: { readonly content: string | undefined; readonly raw: string; readonly from: 'own' | 'twin' | 'cache' } | undefined;
  /** Oldest first. */
  readonly attempts: readonly ItemAttempt[];
  readonly batches: readonly ItemBatch[];
  /** Why it was given up, when the journal says (a crash during a sync call, say). */
  readonly deadLetter: { readonly at: string; readonly reason: string | undefined } | undefined;
  readonly duplicateOf: string | undefined;
  readonly cachedFrom: { readonly jobId: string | undefined; readonly itemId: string | undefined } | undefined;
  /** Part of the history could not be read: the attempts shown may be incomplete. */
  readonly historyProblem: string | undefined;
}

export interface ItemDetailOptions {
  /** The job's provider's result-line parser (providers/resultParsers.ts). */
  readonly parse: ResultLineParser;
}

/** The item's detail, or undefined when the job or the item is not (or no longer) in the store. */
export async function itemDetail(store: WorkspaceStore, jobId: string, itemId: string, options: ItemDetailOptions): Promise<ItemDetail | undefined> {
  const job = store.index.job(jobId);
  const item = store.index.item(jobId, itemId);
  if (!job || !item) return undefined;

  const history = await itemHistory(store, jobId, itemId);
  const attempts = await Promise.all(history.attempts.map((attempt) => withRawResult(store, attempt)));
  const twin = item.state === 'deduped' && item.twin !== null ? store.index.item(jobId, item.twin) : undefined;

  let request: string | undefined;
  let requestNote: string | undefined;
  if (item.inputFile !== null) {
    const lines = await readItemLines(store, [item]).catch(() => undefined);
    request = lines?.get(item.id)?.toString('utf8');
    if (request === undefined) requestNote = `The batch input file ${item.inputFile} could not be read.`;
  } else if (item.state === 'deduped') {
    requestNote = `Not sent: the same request as ${item.twin ?? 'another item'}, whose answer it shares.`;
  } else if (item.state === 'cached') {
    requestNote = 'Not sent: an earlier job already had the answer to this exact request.';
  } else {
    requestNote = 'Not written to a batch yet.';
  }

  return {
    job: { id: job.id, name: job.name, provider: job.provider, endpoint: job.endpoint, sourceFile: job.sourceFile, createdAt: job.createdAt },
    item,
    source: await sourceLine(job, item.line),
    request,
    requestNote,
    answer: await answerOf(store, item, twin, options.parse),
    attempts,
    batches: batchesOf(store, item, attempts),
    deadLetter: item.state === 'dead_letter' ? history.deadLetter : undefined,
    duplicateOf: item.state === 'deduped' ? (item.twin ?? undefined) : undefined,
    cachedFrom: item.state === 'cached' ? cachedFrom(store, item) : undefined,
    historyProblem: history.problem,
  };
}

// ---- the journaled history, bounded to one item ------------------------------------------

/** An attempt as journaled: where its raw result line sits, read afterwards. */
type PendingAttempt = Omit<ItemAttempt, 'rawResult'> & { readonly ref?: ResultRef | undefined };

export interface ItemHistory {
  readonly attempts: readonly PendingAttempt[];
  readonly deadLetter: { readonly at: string; readonly reason: string | undefined } | undefined;
  /** A history file that exists but could not be read (the attempts may be incomplete). */
  readonly problem: string | undefined;
}

/**
 * The item's attempts, oldest first, from the job's records that name it. The live journal is
 * read before the archived history: a snapshot taken in between moves records from the first to
 * the second, so each is then seen twice (kept once, by seq) rather than missed.
 */
export async function itemHistory(store: WorkspaceStore, jobId: string, itemId: string): Promise<ItemHistory> {
  const needle = Buffer.from(JSON.stringify(itemId));
  const bySeq = new Map<number, JournalRecord>();
  const problems: string[] = [];
  for (const file of [JOURNAL, `${store.jobDir(jobId)}/history.jsonl`]) {
    try {
      for await (const line of readLines(createReadStream(store.resolve(file)))) {
        if (Buffer.from(line.bytes.buffer, line.bytes.byteOffset, line.bytes.byteLength).indexOf(needle) < 0) continue;
        const record = parseRecord(line.bytes);
        // A torn last line (a writer mid-append) reads as nothing; its record is archived again later.
        if (record === undefined || record['jobId'] !== jobId) continue;
        bySeq.set(record.seq, record);
      }
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') problems.push(`${file}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  const attempts: PendingAttempt[] = [];
  let deadLetter: { at: string; reason: string | undefined } | undefined;
  /** A sync call started and not (yet) answered: it shows as `no answer` unless its outcome follows. */
  let openSync: { at: string } | undefined;
  const closeOpenSync = () => {
    if (openSync) attempts.push(noAnswer(openSync.at));
    openSync = undefined;
  };
  for (const record of [...bySeq.values()].sort((a, b) => a.seq - b.seq)) {
    const event = record as unknown as StoreEvent;
    switch (event.type) {
      case 'batch.collected': {
        const outcome = event.outcomes.find((o) => o.id === itemId);
        if (!outcome) break;
        const batch = store.index.batch(event.batchKey);
        attempts.push(attemptOf(outcome, record.at, { strike: batch?.strike ?? 0, via: 'batch', batchKey: event.batchKey, remoteId: batch?.remoteId ?? null }));
        break;
      }
      case 'item.syncStarted':
        if (event.id !== itemId) break;
        closeOpenSync();
        openSync = { at: record.at };
        break;
      case 'item.syncResult':
        if (event.outcome.id !== itemId) break;
        openSync = undefined;
        attempts.push(attemptOf(event.outcome, record.at, { strike: SYNC_STRIKE, via: 'sync', batchKey: null, remoteId: null }));
        break;
      case 'item.syncAborted':
        if (event.id !== itemId) break;
        openSync = undefined;
        attempts.push({ ...noAnswer(record.at), outcome: 'aborted', message: 'the provider refused our access during this call; the item was put back as it was' });
        break;
      case 'items.deadLettered':
        if (event.ids.includes(itemId)) deadLetter = { at: record.at, reason: event.reason };
        break;
      default:
        break;
    }
  }
  closeOpenSync();
  return { attempts, deadLetter, problem: problems.length > 0 ? problems.join('; ') : undefined };
}

function parseRecord(bytes: Uint8Array): JournalRecord | undefined {
  try {
    const value = JSON.parse(new TextDecoder().decode(bytes)) as Partial<JournalRecord> | null;
    if (typeof value !== 'object' || value === null || !Number.isSafeInteger(value.seq) || typeof value.type !== 'string') return undefined;
    return value as JournalRecord;
  } catch {
    return undefined;
  }
}

function attemptOf(outcome: RecordedOutcome, at: string, where: Pick<ItemAttempt, 'strike' | 'via' | 'batchKey' | 'remoteId'>): PendingAttempt {
  return {
    ...where,
    outcome: outcome.ok ? 'succeeded' : 'failed',
    failureClass: outcome.ok ? null : (outcome.failureClass ?? 'transient'),
    code: outcome.ok ? null : (outcome.code ?? null),
    message: outcome.ok ? null : (outcome.message ?? null),
    tokensIn: outcome.inputTokens,
    tokensOut: outcome.outputTokens,
    cost: outcome.cost,
    at,
    ref: outcome.ref,
  };
}

function noAnswer(at: string): PendingAttempt {
  return { strike: SYNC_STRIKE, via: 'sync', batchKey: null, remoteId: null, outcome: 'no answer', failureClass: null, code: null, message: null, tokensIn: 0, tokensOut: 0, cost: 0, at };
}

async function withRawResult(store: WorkspaceStore, attempt: PendingAttempt): Promise<ItemAttempt> {
  const { ref, ...rest } = attempt;
  const rawResult = ref ? await readResultLine(store, ref.file, ref.offset, ref.length).catch(() => null) : null;
  return { ...rest, rawResult };
}

// ---- the rest of the picture ---------------------------------------------------------------

/** Line `line` (1-based) of the job's source file as it is now, read as a stream up to that line. */
async function sourceLine(job: JobRow, line: number): Promise<ItemDetail['source']> {
  const base = { file: job.sourceFile, line };
  try {
    const info = await stat(job.sourceFile);
    const changedSinceSubmit = info.mtimeMs > Date.parse(job.createdAt);
    for await (const raw of readLines(createReadStream(job.sourceFile))) {
      if (raw.number === line) return { ...base, text: new TextDecoder().decode(raw.bytes), problem: undefined, changedSinceSubmit };
    }
    return { ...base, text: undefined, problem: `${job.sourceFile} has fewer than ${line} lines now.`, changedSinceSubmit };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return { ...base, text: undefined, problem: code === 'ENOENT' ? `${job.sourceFile} no longer exists.` : `${job.sourceFile} cannot be read: ${(error as Error).message}`, changedSinceSubmit: false };
  }
}

async function answerOf(store: WorkspaceStore, item: ItemRow, twin: ItemRow | undefined, parse: ResultLineParser): Promise<ItemDetail['answer']> {
  const source = twin ?? item;
  const answered: readonly ItemState[] = ['succeeded', 'cached'];
  if (!answered.includes(source.state) || source.resultFile === null || source.resultOffset === null || source.resultLength === null) return undefined;
  const raw = await readResultLine(store, source.resultFile, source.resultOffset, source.resultLength);
  const outcome = parse(raw);
  return { content: outcome?.ok ? outcome.content : undefined, raw, from: twin ? 'twin' : item.state === 'cached' ? 'cache' : 'own' };
}

/** Every remote batch the item's attempts went through, then the one it sits in now if it is not among them. */
function batchesOf(store: WorkspaceStore, item: ItemRow, attempts: readonly ItemAttempt[]): ItemBatch[] {
  const keys = attempts.flatMap((attempt) => (attempt.batchKey === null ? [] : [attempt.batchKey]));
  if (item.batchKey !== null && item.batchKey !== 'sync') keys.push(item.batchKey);
  const batches: ItemBatch[] = [];
  for (const key of new Set(keys)) {
    const batch = store.index.batch(key);
    if (batch) batches.push({ key, strike: batch.strike, remoteId: batch.remoteId, state: batch.state });
  }
  return batches;
}

/**
 * Where a cached item's answer came from: the result cache names the job and item that first
 * answered this request; when it points elsewhere (that job was deleted and the answer copied
 * here), the answer's file still says which job's folder holds it.
 */
function cachedFrom(store: WorkspaceStore, item: ItemRow): ItemDetail['cachedFrom'] {
  const cached = store.index.cachedResult(item.hash);
  if (cached && cached.file === item.resultFile && cached.offset === item.resultOffset) return { jobId: cached.jobId, itemId: cached.id };
  const folder = /^jobs\/([^/]+)\//.exec(item.resultFile ?? '')?.[1];
  return { jobId: folder, itemId: undefined };
}
