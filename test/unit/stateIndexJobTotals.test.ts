// The per-job totals behind the Jobs view's top level (counts by state and cost, schema 5) agree
// with a full scan of the job's items after any sequence of events: the live index, a reopened
// snapshot, a snapshot with the journal replayed on top (records it already covers applied
// again), an index rebuilt from every record, and a schema-4 snapshot migrated in place.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import initSqlJs from 'sql.js';
import type { JournalRecord } from '../../src/store/journal';
import { MIGRATIONS } from '../../src/store/schema';
import { StateIndex } from '../../src/store/stateIndex';
import type { LineSource } from '../../src/store/stateIndex';
import type { ItemSeed, ItemState, RecordedOutcome, StoreEvent } from '../../src/store/storeEvents';
import { seedFromEnv, seededRandom } from '../support/seededRandom';

const SEED = seedFromEnv('LLM_BATCH_SEED');
const EVENTS = 600;
const AT = '2026-12-02T00:00:00.000Z';

/** The totals as a full scan of the job's items computes them. */
function scanned(index: StateIndex, jobId: string): { counts: Partial<Record<ItemState, number>>; cost: number; tokens: number } {
  const counts: Partial<Record<ItemState, number>> = {};
  let cost = 0;
  let tokens = 0;
  for (const item of index.items(jobId)) {
    counts[item.state] = (counts[item.state] ?? 0) + 1;
    cost += item.cost;
    tokens += item.tokensIn + item.tokensOut;
  }
  return { counts, cost, tokens };
}

function assertTotalsMatchScan(index: StateIndex, jobIds: Iterable<string>, where: string): void {
  for (const jobId of jobIds) {
    const scan = scanned(index, jobId);
    assert.deepEqual(index.countsByState(jobId), scan.counts, `${where}: counts by state of ${jobId} (seed ${SEED})`);
    assert.ok(Math.abs(index.actualCost(jobId) - scan.cost) < 1e-9, `${where}: cost of ${jobId} is ${index.actualCost(jobId)}, its items sum to ${scan.cost} (seed ${SEED})`);
    // Spend by strike (schema 8) books every attempt's cost and tokens once: it sums to the items'.
    const byStrike = index.spendByStrike(jobId);
    const spent = byStrike.reduce((sum, row) => sum + row.cost, 0);
    assert.ok(Math.abs(spent - scan.cost) < 1e-9, `${where}: spend by strike of ${jobId} sums to ${spent}, its items to ${scan.cost} (seed ${SEED})`);
    const tokens = byStrike.reduce((sum, row) => sum + row.tokensIn + row.tokensOut, 0);
    assert.equal(tokens, scan.tokens, `${where}: tokens by strike of ${jobId} (seed ${SEED})`);
  }
}

/** A schema-4 snapshot (before the totals existed) of the same data: every later table, trigger and column dropped (renamed ones back to their old names). */
async function asSchema4(snapshot: Uint8Array): Promise<Uint8Array> {
  const SQL = await initSqlJs();
  const old = new SQL.Database();
  for (const sql of MIGRATIONS.slice(0, 4)) old.exec(sql);
  const names = (db: typeof old, type: string) => new Set((db.exec(`SELECT name FROM sqlite_master WHERE type = '${type}'`)[0]?.values ?? []).map((row) => String(row[0])));
  const db = new SQL.Database(snapshot);
  for (const type of ['trigger', 'table']) {
    const kept = names(old, type);
    for (const name of names(db, type)) if (!kept.has(name)) db.exec(`DROP ${type.toUpperCase()} ${name}`);
  }
  // Columns later migrations added to the tables schema 4 had go too.
  const columns = (of: typeof old, table: string) => new Set((of.exec(`SELECT name FROM pragma_table_info('${table}')`)[0]?.values ?? []).map((row) => String(row[0])));
  for (const table of names(old, 'table')) {
    const kept = columns(old, table);
    for (const column of columns(db, table)) if (!kept.has(column)) db.exec(`ALTER TABLE ${table} DROP COLUMN ${column}`);
    // …and columns later migrations renamed come back under their old names (schema 7: file_id → staged_ref).
    const present = columns(db, table);
    for (const column of kept) if (!present.has(column)) db.exec(`ALTER TABLE ${table} ADD COLUMN ${column}`);
  }
  db.exec(`UPDATE meta SET value = '4' WHERE key = 'schema_version'`);
  return db.export();
}

/** Random events against the index's current items, so most of them change something. */
class EventSource {
  readonly itemsFiles = new Map<string, string[]>();
  readonly jobIds = new Set<string>();
  private seq = 0;

  constructor(private readonly random: () => number) {}

  readonly lines: LineSource = (storePath) => {
    const lines = this.itemsFiles.get(storePath) ?? [];
    return (async function* () {
      yield* lines;
    })();
  };

  next(index: StateIndex): JournalRecord {
    const event = this.event(index);
    return { seq: ++this.seq, at: AT, ...event } as unknown as JournalRecord;
  }

  private pick<T>(values: readonly T[]): T {
    return values[Math.floor(this.random() * values.length)] as T;
  }

  private some<T>(values: readonly T[], share = 0.4): T[] {
    return values.filter(() => this.random() < share);
  }

  private cost(): number {
    return Math.round(this.random() * 1e6) / 1e8;
  }

  private event(index: StateIndex): StoreEvent {
    const live = index.jobs().map((job) => job.id);
    const roll = this.random();
    if (live.length === 0 || roll < 0.06) return this.created();
    const jobId = this.pick(live);
    const items = index.items(jobId);
    if (items.length === 0 || roll < 0.08) return { type: 'job.deleted', jobId };
    const ids = items.map((item) => item.id);
    const batchKeys = [...new Set(items.map((item) => item.batchKey).filter((key): key is string => key !== null && key !== 'sync'))];
    const batchKey = batchKeys.length > 0 ? this.pick(batchKeys) : `${jobId}.s0.b1`;
    const inBatch = items.filter((item) => item.batchKey === batchKey).map((item) => item.id);
    const outcome = (id: string): RecordedOutcome => {
      const ok = this.random() < 0.6;
      return {
        id,
        ok,
        failureClass: ok ? undefined : this.pick(['transient', 'invalid_request'] as const),
        inputTokens: Math.floor(this.random() * 100),
        outputTokens: Math.floor(this.random() * 100),
        cost: this.cost(),
        ...(this.random() < 0.5 ? { syncCost: this.cost() } : {}),
        ref: ok ? { file: `jobs/${jobId}/out.jsonl`, offset: Math.floor(this.random() * 1000), length: 10 } : undefined,
      };
    };
    switch (Math.floor(this.random() * 12)) {
      case 0:
        return { type: 'batch.intent', jobId, batchKey: `${jobId}.s1.r${this.seq}`, strike: 1 + Math.floor(this.random() * 2), inputFile: `jobs/${jobId}/r.jsonl`, itemCount: 0, ids: this.some(ids) };
      case 1:
        return { type: 'batch.intent', jobId, batchKey, strike: 0, inputFile: `jobs/${jobId}/b.jsonl`, itemCount: inBatch.length };
      case 2:
        return { type: 'batch.created', jobId, batchKey, remoteId: `remote-${this.seq}`, adopted: false };
      case 3:
      case 4:
        // Mostly the batch's own items; now and then one from elsewhere (a late or stray line: no change).
        return { type: 'batch.collected', jobId, batchKey, outcomes: [...this.some(inBatch, 0.7), ...this.some(ids, 0.05)].map(outcome) };
      case 5:
        return {
          type: 'batch.capacityRefused',
          jobId,
          batchKey,
          retryKey: `${batchKey}.c${this.seq}`,
          strike: 0,
          inputFile: `jobs/${jobId}/b.jsonl`,
          itemCount: inBatch.length,
          notBefore: 0,
          refusals: 1,
          reason: 'capacity',
        };
      case 6:
        return { type: 'item.syncStarted', jobId, id: this.pick(ids) };
      case 7: {
        const sync = items.filter((item) => item.batchKey === 'sync').map((item) => item.id);
        return { type: 'item.syncResult', jobId, outcome: outcome(sync.length > 0 && this.random() < 0.8 ? this.pick(sync) : this.pick(ids)) };
      }
      case 8:
        return { type: 'item.syncAborted', jobId, id: this.pick(ids), state: this.pick(['failed', 'dead_letter'] as const), strike: 2, batchKey: this.random() < 0.5 ? batchKey : null };
      case 9:
        return this.random() < 0.5 ? { type: 'items.deadLettered', jobId, ids: this.some(ids) } : { type: 'items.deadLettered', jobId, ids: this.some(ids), reason: 'given up' };
      case 10:
        return { type: 'items.cancelled', jobId, ids: this.some(ids) };
      default:
        return { type: 'items.resultsCopied', jobId, fromJobId: 'other', results: this.some(ids).map((id) => ({ id, ref: { file: `jobs/${jobId}/kept.jsonl`, offset: 0, length: 5 } })) };
    }
  }

  /** A new job, or now and then one created again under an id already used (its rows are replaced). */
  private created(): StoreEvent {
    const reuse = this.jobIds.size > 0 && this.random() < 0.25;
    const jobId = reuse ? this.pick([...this.jobIds]) : `job-${this.jobIds.size + 1}`;
    this.jobIds.add(jobId);
    const itemsFile = `jobs/${jobId}/items-${this.seq + 1}.jsonl`;
    const count = Math.floor(this.random() * 40);
    const seeds = Array.from({ length: count }, (_, i): ItemSeed => {
      const state = this.random() < 0.7 ? 'queued' : this.pick(['deduped', 'cached'] as const);
      return { id: `item-${i}`, line: i + 1, hash: `h${i}`, model: 'm', state, batchKey: state === 'queued' ? `${jobId}.s0.b${1 + Math.floor(i / 10)}` : undefined, estimatedCost: 0.001 };
    });
    this.itemsFiles.set(itemsFile, seeds.map((seed) => JSON.stringify(seed)));
    return {
      type: 'job.created',
      jobId,
      name: jobId,
      sourceFile: 'in.jsonl',
      sourceSha256: '',
      provider: 'openai',
      model: 'm',
      endpoint: '/v1/chat/completions',
      createdAt: AT,
      estimate: { expected: 1, max: 2 },
      options: { failureAlertRate: 0.5 },
      itemsFile,
      itemCount: count,
    };
  }
}

describe('state index job totals', () => {
  it('agree with a full scan of the items after random events, replays, reopens, rebuilds and the schema-5 migration', async () => {
    console.log(`state index job totals: seed ${SEED} (replay with LLM_BATCH_SEED=${SEED})`);
    const random = seededRandom(SEED);
    const source = new EventSource(random);
    const records: JournalRecord[] = [];
    let live = await StateIndex.open();
    let snapshot: Uint8Array | undefined;
    for (let step = 1; step <= EVENTS; step++) {
      const record = source.next(live);
      records.push(record);
      await live.apply(record, source.lines);
      // A record read back twice (the journal repeats what a history already archived) changes nothing.
      if (random() < 0.1) await live.apply(records[Math.floor(random() * records.length)] ?? record, source.lines);
      if (step % 20 === 0) assertTotalsMatchScan(live, source.jobIds, `after event ${step}`);
      if (step % 50 === 0 && random() < 0.6) snapshot = live.export();
      if (step % 75 === 0) {
        const reopened = await StateIndex.open(live.export());
        live.close();
        live = reopened;
        assertTotalsMatchScan(live, source.jobIds, `reopened after event ${step}`);
      }
    }
    assertTotalsMatchScan(live, source.jobIds, 'at the end');

    const expected = [...source.jobIds].map((jobId) => ({ jobId, counts: live.countsByState(jobId), cost: live.actualCost(jobId) }));
    const assertSameAsLive = (index: StateIndex, where: string) => {
      assertTotalsMatchScan(index, source.jobIds, where);
      for (const { jobId, counts, cost } of expected) {
        assert.deepEqual(index.countsByState(jobId), counts, `${where}: ${jobId} (seed ${SEED})`);
        assert.ok(Math.abs(index.actualCost(jobId) - cost) < 1e-9, `${where}: cost of ${jobId} (seed ${SEED})`);
      }
    };

    // A snapshot with the whole journal replayed on top: the records it covers are skipped by seq.
    const replayed = await StateIndex.open(snapshot);
    for (const record of records) await replayed.apply(record, source.lines);
    assertSameAsLive(replayed, 'snapshot + replay');

    const rebuilt = await StateIndex.open();
    for (const record of records) await rebuilt.apply(record, source.lines);
    assertSameAsLive(rebuilt, 'rebuilt from every record');

    const migrated = await StateIndex.open(await asSchema4(live.export()));
    assertSameAsLive(migrated, 'schema-4 snapshot migrated');
    // And the migrated index keeps them up to date from there on.
    for (let step = 0; step < 100; step++) await migrated.apply(source.next(migrated), source.lines);
    assertTotalsMatchScan(migrated, source.jobIds, 'migrated, then 100 more events');

    for (const index of [live, replayed, rebuilt, migrated]) index.close();
  });
});
