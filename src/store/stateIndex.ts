// The queryable index: a sql.js database derived from journal events only. `apply` is the one
// place state changes; everything else here reads. Applying the same record twice is harmless
// (replay skips seqs at or below `lastSeq`, and the statements are written to be idempotent).
import { createReadStream } from 'node:fs';
import readline from 'node:readline';
import type { Database, SqlValue, Statement } from 'sql.js';
import type { SpendSoFar } from '../core/budget';
import { MIGRATIONS, SCHEMA_VERSION } from './schema';
import { loadSqlJs } from './sqlEngine';
import { resolveStorePath } from './storePaths';
import type { JournalRecord } from './journal';
import type { ItemSeed, ItemState, JobState, RecordedOutcome, ResultRef, StoreEvent } from './storeEvents';

export interface JobRow {
  readonly id: string;
  readonly name: string;
  readonly sourceFile: string;
  readonly sourceSha256: string;
  readonly provider: string;
  readonly model: string;
  readonly endpoint: string;
  readonly status: JobState;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly estimateExpected: number;
  readonly estimateMax: number;
  readonly options: string;
  readonly cancelRequested: boolean;
  readonly alert: string | null;
  /** Why the engine does not drive this job until the user acts (see `job.blocked`). */
  readonly blockedReason: string | null;
  /** The user resumed it (after a cancel, or a block): work that comes back cancelled is sent again. */
  readonly resumed: boolean;
  /** Why the job is waiting before it sends more (the provider refused a batch for capacity). */
  readonly waitingReason: string | null;
  /** Expected tokens of what is sent, as estimated (null for jobs made before they were kept, schema 8). */
  readonly estimateInputTokens: number | null;
  readonly estimateOutputTokens: number | null;
  /** Every valid line sent naively at the sync price, as estimated (null before schema 8). */
  readonly estimateNaiveSync: number | null;
}

/** What a job spent at one strike (0: its first batch, 1–2: retry batches, 3: sync calls), from the per-job totals. */
export interface StrikeSpend {
  readonly strike: number;
  readonly cost: number;
  /** The same usage at the sync price. */
  readonly syncCost: number;
  readonly tokensIn: number;
  readonly tokensOut: number;
}

export interface BatchRow {
  readonly key: string;
  readonly jobId: string;
  readonly strike: number;
  readonly inputFile: string;
  readonly itemCount: number;
  /** Where the input was staged for the provider (opaque), once it was. */
  readonly stagedRef: string | null;
  /** When a create was last sent (epoch ms): the batch may exist at the provider from then on. */
  readonly submittingAt: number | null;
  readonly remoteId: string | null;
  readonly adopted: boolean;
  /** 'intent' until created, then the normalized remote state. */
  readonly state: string;
  readonly rawStatus: string | null;
  readonly total: number;
  readonly completed: number;
  readonly failed: number;
  readonly collected: boolean;
  readonly outputFile: string | null;
  readonly errorFile: string | null;
  /** An intent that must not be sent before this time (epoch ms): a capacity refusal's backoff. */
  readonly notBefore: number | null;
  /** Capacity refusals in a row of the chunk this batch carries. */
  readonly capacityRefusals: number;
}

export interface ItemRow {
  readonly jobId: string;
  readonly id: string;
  readonly line: number;
  readonly hash: string;
  readonly model: string;
  readonly state: ItemState;
  readonly strike: number;
  readonly batchKey: string | null;
  readonly inputFile: string | null;
  readonly inputOffset: number | null;
  readonly inputLength: number | null;
  readonly twin: string | null;
  readonly failureClass: string | null;
  readonly failureCode: string | null;
  readonly failureMessage: string | null;
  readonly tokensIn: number;
  readonly tokensOut: number;
  readonly cost: number;
  readonly estimatedCost: number;
  readonly estimatedMax: number;
  readonly resultFile: string | null;
  readonly resultOffset: number | null;
  readonly resultLength: number | null;
}

/** Reads a workspace-relative file as lines (the items file of a job). */
export type LineSource = (storePath: string) => AsyncIterable<string>;

export function fileLines(root: string): LineSource {
  return (storePath) => readline.createInterface({ input: createReadStream(resolveStorePath(root, storePath)), crlfDelay: Infinity });
}

export class StateIndex {
  private readonly statements = new Map<string, Statement>();

  private constructor(private readonly db: Database) {}

  /** Opens a snapshot (or a new, empty index) and brings its schema up to date. */
  static async open(snapshot?: Uint8Array): Promise<StateIndex> {
    const SQL = await loadSqlJs();
    const index = new StateIndex(new SQL.Database(snapshot));
    index.migrate();
    return index;
  }

  get lastSeq(): number {
    return Number(this.meta('last_seq') ?? 0);
  }

  export(): Uint8Array {
    return this.db.export();
  }

  close(): void {
    this.db.close();
  }

  /**
   * Applies one journal record, in a transaction, and records its seq. The caller (the store)
   * runs one apply at a time, so a transaction may stay open while a job's items file streams in.
   */
  async apply(record: JournalRecord, lines: LineSource): Promise<void> {
    if (record.seq <= this.lastSeq) return;
    const event = record as unknown as StoreEvent;
    this.db.exec('BEGIN');
    try {
      if (event.type === 'job.created') await this.insertSeeds(event.jobId, lines(event.itemsFile));
      this.applyEvent(event, record);
      this.setMeta('last_seq', String(record.seq));
      this.db.exec('COMMIT');
    } catch (error) {
      this.db.exec('ROLLBACK');
      throw error;
    }
  }

  /**
   * Accounts for a record without applying it (one the store refused: it names an invalid id or
   * a path outside the store), so that replay moves past it and snapshots cover its seq.
   */
  skip(record: JournalRecord): void {
    if (record.seq <= this.lastSeq) return;
    this.setMeta('last_seq', String(record.seq));
  }

  // ---- reads -----------------------------------------------------------------------------

  jobs(): JobRow[] {
    return this.all('SELECT * FROM jobs ORDER BY created_at DESC, id').map(toJob);
  }

  job(jobId: string): JobRow | undefined {
    const row = this.one('SELECT * FROM jobs WHERE id = ?', [jobId]);
    return row && toJob(row);
  }

  batches(jobId: string): BatchRow[] {
    return this.all('SELECT * FROM remote_batches WHERE job_id = ? ORDER BY created_seq', [jobId]).map(toBatch);
  }

  batch(key: string): BatchRow | undefined {
    const row = this.one('SELECT * FROM remote_batches WHERE key = ?', [key]);
    return row && toBatch(row);
  }

  /** From the per-job totals (schema 5), not a scan of the job's items: the Jobs view asks for every job after each poll. */
  countsByState(jobId: string): Partial<Record<ItemState, number>> {
    const counts: Partial<Record<ItemState, number>> = {};
    for (const row of this.all('SELECT state, items FROM job_item_counts WHERE job_id = ? AND items > 0', [jobId])) {
      counts[row['state'] as ItemState] = Number(row['items']);
    }
    return counts;
  }

  /** Item counts by state among one batch's items (`null`: items never sent, i.e. duplicates and cached). */
  countsByStateInBatch(jobId: string, batchKey: string | null): Partial<Record<ItemState, number>> {
    const counts: Partial<Record<ItemState, number>> = {};
    const rows =
      batchKey === null
        ? this.all('SELECT state, COUNT(*) AS n FROM items WHERE job_id = ? AND batch_key IS NULL GROUP BY state', [jobId])
        : this.all('SELECT state, COUNT(*) AS n FROM items WHERE job_id = ? AND batch_key = ? GROUP BY state', [jobId, batchKey]);
    for (const row of rows) counts[row['state'] as ItemState] = Number(row['n']);
    return counts;
  }

  /** Items of a job in source order, optionally of some states or one batch, a page at a time. */
  items(jobId: string, options: { states?: readonly ItemState[]; limit?: number; afterLine?: number; batchKey?: string | null } = {}): ItemRow[] {
    const params: SqlValue[] = [jobId, options.afterLine ?? 0];
    let sql = 'SELECT * FROM items WHERE job_id = ? AND line > ?';
    if (options.batchKey === null) sql += ' AND batch_key IS NULL';
    else if (options.batchKey !== undefined) {
      sql += ' AND batch_key = ?';
      params.push(options.batchKey);
    }
    if (options.states && options.states.length > 0) {
      sql += ` AND state IN (${options.states.map(() => '?').join(',')})`;
      params.push(...options.states);
    }
    sql += ' ORDER BY line';
    if (options.limit !== undefined) {
      sql += ' LIMIT ?';
      params.push(options.limit);
    }
    return this.all(sql, params).map(toItem);
  }

  itemsOfBatch(batchKey: string): ItemRow[] {
    return this.all('SELECT * FROM items WHERE batch_key = ? ORDER BY line', [batchKey]).map(toItem);
  }

  /** The model a batch's items name (one per batch where the provider requires it). */
  modelOfBatch(batchKey: string): string | undefined {
    const row = this.one('SELECT model FROM items WHERE batch_key = ? LIMIT 1', [batchKey]);
    return row ? String(row['model']) : undefined;
  }

  item(jobId: string, id: string): ItemRow | undefined {
    const row = this.one('SELECT * FROM items WHERE job_id = ? AND id = ?', [jobId, id]);
    return row && toItem(row);
  }

  cachedResult(hash: string): { jobId: string; id: string; file: string; offset: number; length: number } | undefined {
    const row = this.one('SELECT * FROM result_cache WHERE hash = ?', [hash]);
    if (!row) return undefined;
    return { jobId: String(row['job_id']), id: String(row['id']), file: String(row['result_file']), offset: Number(row['result_offset']), length: Number(row['result_length']) };
  }

  /** Whether the result cache holds anything (a first run's estimate then asks it nothing). */
  hasCachedResults(): boolean {
    return this.one('SELECT 1 AS found FROM result_cache LIMIT 1') !== undefined;
  }

  /**
   * The cached results among `hashes`, by hash: a query per `CACHE_LOOKUP_CHUNK` hashes instead of
   * one per hash (an estimate asks for a batch of thousands of lines at once).
   */
  cachedResults(hashes: readonly string[]): Map<string, { jobId: string; id: string; file: string; offset: number; length: number }> {
    const found = new Map<string, { jobId: string; id: string; file: string; offset: number; length: number }>();
    // Always the same number of parameters (the rest padded with '', never a hash), so it is one statement.
    const sql = `SELECT * FROM result_cache WHERE hash IN (${Array.from({ length: CACHE_LOOKUP_CHUNK }, () => '?').join(',')})`;
    for (let start = 0; start < hashes.length; start += CACHE_LOOKUP_CHUNK) {
      const chunk = hashes.slice(start, start + CACHE_LOOKUP_CHUNK);
      const params = chunk.length === CACHE_LOOKUP_CHUNK ? chunk : [...chunk, ...Array.from({ length: CACHE_LOOKUP_CHUNK - chunk.length }, () => '')];
      for (const row of this.all(sql, params)) {
        found.set(String(row['hash']), { jobId: String(row['job_id']), id: String(row['id']), file: String(row['result_file']), offset: Number(row['result_offset']), length: Number(row['result_length']) });
      }
    }
    return found;
  }

  /** Settled spend plus open reservations, by day prefix ('2026-11-27' or '2026-11'). */
  spendSince(dayPrefix: string): number {
    // A reservation is open until a settlement of its job follows it: each settlement closes
    // every reservation before it (a first submission, then each resubmission).
    const row = this.one(
      `SELECT COALESCE(SUM(amount), 0) AS total FROM spend s
       WHERE day LIKE ? AND (kind = 'settled' OR NOT EXISTS (SELECT 1 FROM spend t WHERE t.job_id = s.job_id AND t.kind = 'settled' AND t.seq > s.seq))`,
      [`${dayPrefix}%`],
    );
    return Number(row?.['total'] ?? 0);
  }

  /** What the budget counts against its caps now: today's and this month's spend (UTC days). */
  spendSoFar(now = Date.now()): SpendSoFar {
    const today = new Date(now).toISOString().slice(0, 10);
    return { today: this.spendSince(today), thisMonth: this.spendSince(today.slice(0, 7)) };
  }

  /** Reservations of a job that no settlement has closed yet (0 when none is open). */
  openReservation(jobId: string): number {
    const row = this.one(
      `SELECT COALESCE(SUM(amount), 0) AS total FROM spend s
       WHERE job_id = ? AND kind = 'reserved' AND NOT EXISTS (SELECT 1 FROM spend t WHERE t.job_id = s.job_id AND t.kind = 'settled' AND t.seq > s.seq)`,
      [jobId],
    );
    return Number(row?.['total'] ?? 0);
  }

  /** Items in a failed or dead-letter state whose failure is of this class. */
  countFailedAs(jobId: string, failureClass: string): number {
    const row = this.one(`SELECT COUNT(*) AS n FROM items WHERE job_id = ? AND state IN ('failed', 'dead_letter') AND failure_class = ?`, [jobId, failureClass]);
    return Number(row?.['n'] ?? 0);
  }

  /** From the per-job totals (schema 5), like `countsByState`. */
  actualCost(jobId: string): number {
    return Number(this.one('SELECT cost FROM job_item_cost WHERE job_id = ?', [jobId])?.['cost'] ?? 0);
  }

  /** What the job spent at each strike it has spent at, in strike order (per-job totals, schema 8: no scan of items). */
  spendByStrike(jobId: string): StrikeSpend[] {
    return this.all('SELECT strike, cost, sync_cost, tokens_in, tokens_out FROM job_strike_spend WHERE job_id = ? ORDER BY strike', [jobId]).map((row) => ({
      strike: Number(row['strike']),
      cost: Number(row['cost']),
      syncCost: Number(row['sync_cost']),
      tokensIn: Number(row['tokens_in']),
      tokensOut: Number(row['tokens_out']),
    }));
  }

  // ---- writes (only through apply) -------------------------------------------------------

  private async insertSeeds(jobId: string, lines: AsyncIterable<string>): Promise<void> {
    const insert = this.db.prepare(
      `INSERT OR REPLACE INTO items (job_id, id, line, hash, model, state, strike, batch_key, input_file, input_offset, input_length, twin, estimated_cost, estimated_max,
         result_file, result_offset, result_length)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    try {
      for await (const line of lines) {
        if (line.length === 0) continue;
        const seed = JSON.parse(line) as ItemSeed;
        insert.run([
          jobId,
          seed.id,
          seed.line,
          seed.hash,
          seed.model,
          seed.state,
          // The first batch's strike comes from its intent (0 since the first batch stopped
          // counting as a strike; 1 in journals written before), see `batch.intent`.
          0,
          seed.batchKey ?? null,
          seed.input?.file ?? null,
          seed.input?.offset ?? null,
          seed.input?.length ?? null,
          seed.twin ?? null,
          seed.estimatedCost,
          seed.estimatedMax ?? seed.estimatedCost,
          seed.cached?.file ?? null,
          seed.cached?.offset ?? null,
          seed.cached?.length ?? null,
        ]);
      }
    } finally {
      insert.free();
    }
    this.recountJob(jobId);
  }

  /**
   * A job's totals from its rows, after its seeds were inserted (inserts have no trigger, see
   * schema 5; one scan here costs far less than a trigger on each of a million inserts).
   */
  private recountJob(jobId: string): void {
    this.db.run('DELETE FROM job_item_counts WHERE job_id = ?', [jobId]);
    this.db.run('INSERT INTO job_item_counts (job_id, state, items) SELECT job_id, state, COUNT(*) FROM items WHERE job_id = ? GROUP BY state', [jobId]);
    // Seeds carry no spend, but a job created again under a used id keeps the rows it does not
    // replace: its spend by strike comes from its rows too, and its cost from that (one scan).
    this.db.run('DELETE FROM job_strike_spend WHERE job_id = ?', [jobId]);
    this.db.run(
      `INSERT INTO job_strike_spend (job_id, strike, cost, sync_cost, tokens_in, tokens_out)
       SELECT job_id, strike, SUM(cost), SUM(sync_cost), SUM(tokens_in), SUM(tokens_out) FROM items
       WHERE job_id = ? AND (cost <> 0 OR sync_cost <> 0 OR tokens_in <> 0 OR tokens_out <> 0) GROUP BY strike`,
      [jobId],
    );
    this.db.run('INSERT OR REPLACE INTO job_item_cost (job_id, cost) SELECT ?, COALESCE(SUM(cost), 0) FROM job_strike_spend WHERE job_id = ?', [jobId, jobId]);
  }

  private applyEvent(event: StoreEvent, record: JournalRecord): void {
    const at = record.at;
    switch (event.type) {
      case 'job.created': {
        this.db.run(
          `INSERT OR REPLACE INTO jobs (id, name, source_file, source_sha256, provider, model, endpoint, status, created_at, updated_at, estimate_expected, estimate_max, options,
             estimate_input_tokens, estimate_output_tokens, estimate_naive_sync)
           VALUES (?, ?, ?, ?, ?, ?, ?, 'submitting', ?, ?, ?, ?, ?, ?, ?, ?)`,
          [
            event.jobId,
            event.name,
            event.sourceFile,
            event.sourceSha256,
            event.provider,
            event.model,
            event.endpoint,
            event.createdAt,
            at,
            event.estimate.expected,
            event.estimate.max,
            JSON.stringify(event.options),
            event.estimate.inputTokens ?? null,
            event.estimate.outputTokens ?? null,
            event.estimate.naiveSync ?? null,
          ],
        );
        return;
      }
      case 'spend.reserved':
        this.db.run(`INSERT OR REPLACE INTO spend (seq, job_id, kind, amount, day) VALUES (?, ?, 'reserved', ?, ?)`, [record.seq, event.jobId, event.amount, event.day]);
        return;
      case 'spend.settled':
        // Booked as what it adds: the job's earlier settlements already count the rest.
        this.db.run(
          `INSERT OR REPLACE INTO spend (seq, job_id, kind, amount, day)
           SELECT ?, ?, 'settled', ? - COALESCE(SUM(amount), 0), ? FROM spend WHERE job_id = ? AND kind = 'settled' AND seq < ?`,
          [record.seq, event.jobId, event.amount, event.day, event.jobId, record.seq],
        );
        return;
      case 'batch.intent':
        this.db.run(
          `INSERT OR IGNORE INTO remote_batches (key, job_id, strike, input_file, item_count, state, created_seq) VALUES (?, ?, ?, ?, ?, 'intent', ?)`,
          [event.batchKey, event.jobId, event.strike, event.inputFile, event.itemCount, record.seq],
        );
        if (event.ids) this.updateEach(event.jobId, event.ids, `state = 'queued', strike = ?, batch_key = ?`, [event.strike, event.batchKey]);
        else this.db.run('UPDATE items SET strike = ? WHERE job_id = ? AND batch_key = ?', [event.strike, event.jobId, event.batchKey]);
        this.touchJob(event.jobId, at);
        return;
      case 'batch.staged':
      case 'batch.uploaded':
        this.db.run('UPDATE remote_batches SET staged_ref = ? WHERE key = ?', [event.type === 'batch.staged' ? event.ref : event.fileId, event.batchKey]);
        return;
      case 'batch.submitting':
        this.db.run('UPDATE remote_batches SET submitting_at = ? WHERE key = ?', [event.sentAt, event.batchKey]);
        return;
      case 'batch.created':
        this.db.run(`UPDATE remote_batches SET remote_id = ?, adopted = ?, state = CASE WHEN state = 'intent' THEN 'validating' ELSE state END WHERE key = ?`, [
          event.remoteId,
          event.adopted ? 1 : 0,
          event.batchKey,
        ]);
        this.db.run(`UPDATE items SET state = 'submitted' WHERE batch_key = ? AND state = 'queued'`, [event.batchKey]);
        this.clearWaitingIfNothingWaits(event.jobId);
        this.db.run(`UPDATE jobs SET status = 'running', updated_at = ? WHERE id = ? AND status = 'submitting'`, [at, event.jobId]);
        return;
      case 'batch.status':
        this.db.run(
          'UPDATE remote_batches SET state = ?, raw_status = ?, total = ?, completed = ?, failed = ? WHERE key = ?',
          [event.state, event.rawStatus, event.counts.total, event.counts.completed, event.counts.failed, event.batchKey],
        );
        this.touchJob(event.jobId, at);
        return;
      case 'batch.collected':
        this.db.run('UPDATE remote_batches SET collected = 1, output_file = ?, error_file = ? WHERE key = ?', [event.outputFile ?? null, event.errorFile ?? null, event.batchKey]);
        for (const outcome of event.outcomes) this.recordOutcome(event.jobId, outcome, event.batchKey);
        this.clearWaitingIfNothingWaits(event.jobId);
        this.touchJob(event.jobId, at);
        return;
      case 'batch.capacityRefused':
        this.db.run('UPDATE remote_batches SET collected = 1 WHERE key = ?', [event.batchKey]);
        this.db.run(
          `INSERT OR IGNORE INTO remote_batches (key, job_id, strike, input_file, item_count, state, created_seq, not_before, capacity_refusals)
           VALUES (?, ?, ?, ?, ?, 'intent', ?, ?, ?)`,
          [event.retryKey, event.jobId, event.strike, event.inputFile, event.itemCount, record.seq, event.notBefore, event.refusals],
        );
        this.db.run(`UPDATE items SET state = 'queued', batch_key = ? WHERE job_id = ? AND batch_key = ? AND state IN ('queued', 'submitted')`, [
          event.retryKey,
          event.jobId,
          event.batchKey,
        ]);
        this.db.run('UPDATE jobs SET waiting_reason = ?, updated_at = ? WHERE id = ?', [event.reason, at, event.jobId]);
        return;
      case 'batch.deferred':
        this.db.run(`UPDATE remote_batches SET not_before = ?, capacity_refusals = ? WHERE key = ? AND state = 'intent'`, [event.notBefore, event.refusals, event.batchKey]);
        this.db.run('UPDATE jobs SET waiting_reason = ?, updated_at = ? WHERE id = ?', [event.reason, at, event.jobId]);
        return;
      case 'item.syncResult':
        this.recordOutcome(event.jobId, event.outcome, 'sync');
        this.touchJob(event.jobId, at);
        return;
      case 'items.deadLettered':
        if (event.reason === undefined) this.updateEach(event.jobId, event.ids, `state = 'dead_letter'`, []);
        else this.updateEach(event.jobId, event.ids, `state = 'dead_letter', failure_message = ?`, [event.reason]);
        this.touchJob(event.jobId, at);
        return;
      case 'items.cancelled':
        this.updateEach(event.jobId, event.ids, `state = 'cancelled'`, []);
        this.touchJob(event.jobId, at);
        return;
      case 'item.syncStarted':
        this.db.run(`UPDATE items SET state = 'submitted', strike = 3, batch_key = 'sync' WHERE job_id = ? AND id = ?`, [event.jobId, event.id]);
        return;
      case 'item.syncAborted':
        this.db.run(`UPDATE items SET state = ?, strike = ?, batch_key = ? WHERE job_id = ? AND id = ? AND batch_key = 'sync' AND state IN ('submitted', 'failed')`, [
          event.state,
          event.strike,
          event.batchKey,
          event.jobId,
          event.id,
        ]);
        this.touchJob(event.jobId, at);
        return;
      case 'job.cancelRequested':
        this.db.run('UPDATE jobs SET cancel_requested = 1, updated_at = ? WHERE id = ?', [at, event.jobId]);
        return;
      case 'job.alert':
        this.db.run('UPDATE jobs SET alert = ?, updated_at = ? WHERE id = ?', [event.message, at, event.jobId]);
        return;
      case 'job.state':
        this.db.run('UPDATE jobs SET status = ?, updated_at = ? WHERE id = ?', [event.state, at, event.jobId]);
        return;
      case 'job.blocked':
        this.db.run('UPDATE jobs SET blocked_reason = ?, updated_at = ? WHERE id = ?', [event.reason, at, event.jobId]);
        return;
      case 'job.resumed':
        this.db.run('UPDATE jobs SET blocked_reason = NULL, cancel_requested = 0, resumed = 1, updated_at = ? WHERE id = ?', [at, event.jobId]);
        return;
      case 'items.resultsCopied':
        this.repointCopiedResults(event.jobId, event.fromJobId, event.results);
        this.touchJob(event.jobId, at);
        return;
      case 'job.deleted':
        // What the job cost stays spent; what it still had reserved is released: a settlement of
        // its actual cost (booked as what it adds) closes every open reservation.
        this.db.run(
          `INSERT OR REPLACE INTO spend (seq, job_id, kind, amount, day)
           SELECT ?, ?, 'settled', (SELECT COALESCE(SUM(cost), 0) FROM items WHERE job_id = ?) - COALESCE(SUM(amount), 0), ?
           FROM spend WHERE job_id = ? AND kind = 'settled' AND seq < ?`,
          [record.seq, event.jobId, event.jobId, at.slice(0, 10), event.jobId, record.seq],
        );
        this.db.run('DELETE FROM items WHERE job_id = ?', [event.jobId]);
        this.db.run('DELETE FROM remote_batches WHERE job_id = ?', [event.jobId]);
        this.db.run('DELETE FROM result_cache WHERE job_id = ?', [event.jobId]);
        this.db.run('DELETE FROM jobs WHERE id = ?', [event.jobId]);
        // Deletes have no trigger (schema 5): the job's totals go with it here.
        this.db.run('DELETE FROM job_item_counts WHERE job_id = ?', [event.jobId]);
        this.db.run('DELETE FROM job_item_cost WHERE job_id = ?', [event.jobId]);
        this.db.run('DELETE FROM job_strike_spend WHERE job_id = ?', [event.jobId]);
        return;
    }
  }

  /** Only items still in the batch the outcome belongs to are touched: a late duplicate line changes nothing. */
  private recordOutcome(jobId: string, outcome: RecordedOutcome, batchKey: string): void {
    const ref = outcome.ref;
    this.db.run(
      `UPDATE items SET state = ?, failure_class = ?, failure_code = ?, failure_message = ?, tokens_in = tokens_in + ?, tokens_out = tokens_out + ?, cost = cost + ?,
         sync_cost = sync_cost + ?, result_file = ?, result_offset = ?, result_length = ?
       WHERE job_id = ? AND id = ? AND batch_key = ? AND state IN ('queued', 'submitted')`,
      [
        outcome.ok ? 'succeeded' : 'failed',
        outcome.ok ? null : (outcome.failureClass ?? 'transient'),
        outcome.ok ? null : (outcome.code ?? null),
        outcome.ok ? null : (outcome.message ?? null),
        outcome.inputTokens,
        outcome.outputTokens,
        outcome.cost,
        outcome.syncCost ?? outcome.cost,
        ref?.file ?? null,
        ref?.offset ?? null,
        ref?.length ?? null,
        jobId,
        outcome.id,
        batchKey,
      ],
    );
    if (outcome.ok && ref) {
      this.db.run(
        `INSERT OR IGNORE INTO result_cache (hash, job_id, id, result_file, result_offset, result_length)
         SELECT hash, job_id, id, ?, ?, ? FROM items WHERE job_id = ? AND id = ?`,
        [ref.file, ref.offset, ref.length, jobId, outcome.id],
      );
    }
  }

  /** Items (and the result-cache rows that pointed into `fromJobId`) now read their answers from the copies. */
  private repointCopiedResults(jobId: string, fromJobId: string, results: readonly { readonly id: string; readonly ref: ResultRef }[]): void {
    const item = this.db.prepare('UPDATE items SET result_file = ?, result_offset = ?, result_length = ? WHERE job_id = ? AND id = ?');
    const cache = this.db.prepare(
      `UPDATE result_cache SET job_id = ?, id = ?, result_file = ?, result_offset = ?, result_length = ?
       WHERE job_id = ? AND hash = (SELECT hash FROM items WHERE job_id = ? AND id = ?)`,
    );
    try {
      for (const { id, ref } of results) {
        item.run([ref.file, ref.offset, ref.length, jobId, id]);
        cache.run([jobId, id, ref.file, ref.offset, ref.length, fromJobId, jobId, id]);
      }
    } finally {
      item.free();
      cache.free();
    }
  }

  private updateEach(jobId: string, ids: readonly string[], assignments: string, values: readonly SqlValue[]): void {
    const statement = this.db.prepare(`UPDATE items SET ${assignments} WHERE job_id = ? AND id = ?`);
    try {
      for (const id of ids) statement.run([...values, jobId, id]);
    } finally {
      statement.free();
    }
  }

  /** A job stops saying it waits for capacity once no refused chunk is left waiting to be sent. */
  private clearWaitingIfNothingWaits(jobId: string): void {
    this.db.run(
      `UPDATE jobs SET waiting_reason = NULL WHERE id = ? AND waiting_reason IS NOT NULL
         AND NOT EXISTS (SELECT 1 FROM remote_batches WHERE job_id = ? AND state = 'intent' AND not_before IS NOT NULL)`,
      [jobId, jobId],
    );
  }

  private touchJob(jobId: string, at: string): void {
    this.db.run('UPDATE jobs SET updated_at = ? WHERE id = ?', [at, jobId]);
  }

  private migrate(): void {
    const hasMeta = this.one(`SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'meta'`);
    let version = hasMeta ? Number(this.meta('schema_version') ?? 0) : 0;
    if (version > SCHEMA_VERSION) {
      throw new Error(`state.sqlite has schema version ${version}, newer than this version of LLM Batch Runner understands (${SCHEMA_VERSION})`);
    }
    while (version < SCHEMA_VERSION) {
      this.db.exec('BEGIN');
      this.db.exec(MIGRATIONS[version] ?? '');
      version++;
      this.setMeta('schema_version', String(version));
      this.db.exec('COMMIT');
    }
  }

  private meta(key: string): string | undefined {
    const row = this.one('SELECT value FROM meta WHERE key = ?', [key]);
    return row ? String(row['value']) : undefined;
  }

  private setMeta(key: string, value: string): void {
    this.db.run('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)', [key, value]);
  }

  private all(sql: string, params: readonly SqlValue[] = []): Record<string, SqlValue>[] {
    const statement = this.prepared(sql);
    try {
      statement.bind([...params]);
      const rows: Record<string, SqlValue>[] = [];
      while (statement.step()) rows.push(statement.getAsObject());
      return rows;
    } finally {
      statement.reset();
    }
  }

  /**
   * Each query is compiled once and kept: compiling costs more than running a lookup, and an
   * estimate asks the result cache for every batch of lines of a file (a 200 MB file: hundreds of times,
   * on the window's thread). sql.js frees them all when the database closes.
   */
  private prepared(sql: string): Statement {
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }

  private one(sql: string, params: readonly SqlValue[] = []): Record<string, SqlValue> | undefined {
    return this.all(sql, params)[0];
  }
}

/** Hashes per result-cache query (SQLite takes up to 999 parameters in a statement). */
const CACHE_LOOKUP_CHUNK = 500;

const str = (value: SqlValue | undefined): string | null => (value === null || value === undefined ? null : String(value));
const num = (value: SqlValue | undefined): number | null => (value === null || value === undefined ? null : Number(value));

function toJob(row: Record<string, SqlValue>): JobRow {
  return {
    id: String(row['id']),
    name: String(row['name']),
    sourceFile: String(row['source_file']),
    sourceSha256: String(row['source_sha256']),
    provider: String(row['provider']),
    model: String(row['model']),
    endpoint: String(row['endpoint']),
    status: String(row['status']) as JobState,
    createdAt: String(row['created_at']),
    updatedAt: String(row['updated_at']),
    estimateExpected: Number(row['estimate_expected']),
    estimateMax: Number(row['estimate_max']),
    options: String(row['options']),
    cancelRequested: Number(row['cancel_requested']) === 1,
    alert: str(row['alert']),
    blockedReason: str(row['blocked_reason']),
    resumed: Number(row['resumed']) === 1,
    waitingReason: str(row['waiting_reason']),
    estimateInputTokens: num(row['estimate_input_tokens']),
    estimateOutputTokens: num(row['estimate_output_tokens']),
    estimateNaiveSync: num(row['estimate_naive_sync']),
  };
}

function toBatch(row: Record<string, SqlValue>): BatchRow {
  return {
    key: String(row['key']),
    jobId: String(row['job_id']),
    strike: Number(row['strike']),
    inputFile: String(row['input_file']),
    itemCount: Number(row['item_count']),
    stagedRef: str(row['staged_ref']),
    submittingAt: num(row['submitting_at']),
    remoteId: str(row['remote_id']),
    adopted: Number(row['adopted']) === 1,
    state: String(row['state']),
    rawStatus: str(row['raw_status']),
    total: Number(row['total']),
    completed: Number(row['completed']),
    failed: Number(row['failed']),
    collected: Number(row['collected']) === 1,
    outputFile: str(row['output_file']),
    errorFile: str(row['error_file']),
    notBefore: num(row['not_before']),
    capacityRefusals: Number(row['capacity_refusals'] ?? 0),
  };
}

function toItem(row: Record<string, SqlValue>): ItemRow {
  return {
    jobId: String(row['job_id']),
    id: String(row['id']),
    line: Number(row['line']),
    hash: String(row['hash']),
    model: String(row['model']),
    state: String(row['state']) as ItemState,
    strike: Number(row['strike']),
    batchKey: str(row['batch_key']),
    inputFile: str(row['input_file']),
    inputOffset: num(row['input_offset']),
    inputLength: num(row['input_length']),
    twin: str(row['twin']),
    failureClass: str(row['failure_class']),
    failureCode: str(row['failure_code']),
    failureMessage: str(row['failure_message']),
    tokensIn: Number(row['tokens_in']),
    tokensOut: Number(row['tokens_out']),
    cost: Number(row['cost']),
    estimatedCost: Number(row['estimated_cost']),
    estimatedMax: Number(row['estimated_max'] ?? row['estimated_cost']),
    resultFile: str(row['result_file']),
    resultOffset: num(row['result_offset']),
    resultLength: num(row['result_length']),
  };
}
