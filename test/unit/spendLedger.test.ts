// The spend ledger behind the budget: each paid call counts once, however often a job is
// retried and settled again, and a resubmission's reservation counts until it settles.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import initSqlJs from 'sql.js';
import { MIGRATIONS } from '../../src/store/schema';
import { StateIndex } from '../../src/store/stateIndex';
import type { StoreEvent } from '../../src/store/storeEvents';

const noLines = () => (async function* () {})();

async function ledger(events: readonly StoreEvent[]): Promise<StateIndex> {
  const index = await StateIndex.open();
  let seq = 0;
  for (const event of events) await index.apply({ seq: ++seq, at: '2026-12-01T00:00:00.000Z', ...event }, noLines);
  return index;
}

describe('spend ledger', () => {
  it('counts a job settled again after each retry once: settlements carry the running total', async () => {
    const index = await ledger([
      { type: 'spend.reserved', jobId: 'j', amount: 5, day: '2026-12-01' },
      { type: 'spend.settled', jobId: 'j', amount: 2, day: '2026-12-01' },
      { type: 'spend.reserved', jobId: 'j', amount: 1, day: '2026-12-01' },
      { type: 'spend.settled', jobId: 'j', amount: 2.5, day: '2026-12-01' },
      { type: 'spend.reserved', jobId: 'j', amount: 1, day: '2026-12-01' },
      { type: 'spend.settled', jobId: 'j', amount: 2.75, day: '2026-12-01' },
    ]);
    assert.equal(index.spendSince('2026-12-01'), 2.75);
    assert.equal(index.spendSince('2026-12'), 2.75);
  });

  it('counts a resubmission’s reservation until it settles, on the day it was made', async () => {
    const index = await ledger([
      { type: 'spend.reserved', jobId: 'j', amount: 5, day: '2026-12-01' },
      { type: 'spend.settled', jobId: 'j', amount: 2, day: '2026-12-01' },
      { type: 'spend.reserved', jobId: 'j', amount: 1, day: '2026-12-02' },
    ]);
    assert.equal(index.spendSince('2026-12-01'), 2);
    assert.equal(index.spendSince('2026-12-02'), 1);
    assert.equal(index.openReservation('j'), 1);
    await index.apply({ seq: 4, at: '2026-12-02T00:00:00.000Z', type: 'spend.settled', jobId: 'j', amount: 2.4, day: '2026-12-02' }, noLines);
    assert.equal(index.openReservation('j'), 0);
    assert.ok(Math.abs(index.spendSince('2026-12-02') - 0.4) < 1e-9, 'the retry day books what the retry added');
    assert.ok(Math.abs(index.spendSince('2026-12') - 2.4) < 1e-9);
  });

  it('releases what a deleted job still had reserved, and keeps what it cost', async () => {
    const seed = { id: 'a', line: 1, hash: 'h', model: 'm', state: 'queued', batchKey: 'b1', estimatedCost: 1 };
    const lines = () => (async function* () {
      yield JSON.stringify(seed);
    })();
    const index = await StateIndex.open();
    const events: StoreEvent[] = [
      {
        type: 'job.created', jobId: 'j', name: 'j', sourceFile: 'j.jsonl', sourceSha256: '', provider: 'openai', model: 'm', endpoint: '/v1/chat/completions',
        createdAt: '2026-12-01T00:00:00.000Z', estimate: { expected: 1, max: 5 }, options: { failureAlertRate: 0.05 }, itemsFile: 'jobs/j/items.jsonl', itemCount: 1,
      },
      { type: 'spend.reserved', jobId: 'j', amount: 5, day: '2026-12-01' },
      { type: 'batch.collected', jobId: 'j', batchKey: 'b1', outcomes: [{ id: 'a', ok: true, inputTokens: 1, outputTokens: 1, cost: 2 }] },
      { type: 'spend.reserved', jobId: 'j', amount: 1, day: '2026-12-01' },
      { type: 'job.deleted', jobId: 'j' },
    ];
    let seq = 0;
    for (const event of events) await index.apply({ seq: ++seq, at: '2026-12-01T00:00:00.000Z', ...event }, lines);
    assert.equal(index.openReservation('j'), 0, 'nothing stays reserved for a job that is gone');
    assert.equal(index.spendSince('2026-12-01'), 2, 'what it cost stays spent');
  });

  it('migrates settlements written as running totals into what each added', async () => {
    // A snapshot of schema 2, written by the version that stored running totals.
    const SQL = await initSqlJs();
    const old = new SQL.Database();
    for (const sql of MIGRATIONS.slice(0, 2)) old.exec(sql);
    old.run(`INSERT INTO meta (key, value) VALUES ('schema_version', '2'), ('last_seq', '4')`);
    old.run(`INSERT INTO spend (seq, job_id, kind, amount, day) VALUES (1, 'j', 'reserved', 5, '2026-12-01'), (2, 'j', 'settled', 2, '2026-12-01'),
      (3, 'j', 'settled', 3, '2026-12-01'), (4, 'k', 'settled', 1, '2026-12-01')`);
    const index = await StateIndex.open(old.export());
    assert.equal(index.spendSince('2026-12-01'), 4);
  });
});
