// The item detail's data against the emulator: what it says each item went through is checked
// against what the provider actually received (the input files of the batches it made, its sync
// calls), not against the journal the detail reads. One job holds an item that succeeds, one that
// fails every strike and ends in dead letter, one that fails once then succeeds, and a duplicate;
// a second job of the same request shows a cached item.
import assert from 'node:assert/strict';
import { appendFileSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import OpenAI from 'openai';
import { itemDetail } from '../../src/app/itemDetail';
import type { ItemDetail } from '../../src/app/itemDetail';
import { MAX_BATCH_STRIKES, SYNC_STRIKE } from '../../src/engine/retryLadder';
import { resultParserFor } from '../../src/providers/resultParsers';
import { WorkspaceStore } from '../../src/store/workspaceStore';
import { startHarness } from './harness';
import type { Harness } from './harness';

const parse = resultParserFor('openai');

describe('item detail', () => {
  let h: Harness;
  let jobId: string;
  let cachedJobId: string;
  let file: string;
  /** custom_id → the remote batches whose input file carried it, as the emulator stored them. */
  const sentIn = new Map<string, string[]>();
  /** remote batch id → the exact input line the provider received for each custom_id. */
  const received = new Map<string, Map<string, string>>();

  /** Sync calls the emulator answered. */
  const syncCalls = () => h.emulator.requests().filter((r) => r.method === 'POST' && r.path.endsWith('/chat/completions')).length;

  const detail = async (id: string, job = jobId): Promise<ItemDetail> => {
    const found = await itemDetail(h.store, job, id, { parse });
    assert.ok(found, `${job}/${id} has a detail`);
    return found;
  };

  before(async () => {
    h = await startHarness();
    file = h.file('detail.jsonl', [
      'fine one', // item-1: succeeds
      'broken [[fail:server_error]]', // item-2: every strike fails, then dead letter
      'fine one', // item-3: a duplicate of item-1
      ...Array.from({ length: 8 }, (_, i) => `filler ${i}`), // item-4..11
      'flaky [[fail-once:server_error]]', // item-12: fails at strike 0, succeeds at strike 1 (and shares item-2's digits)
    ]);
    jobId = await h.submit(file);
    const job = await h.engine.run(jobId);
    assert.equal(job.status, 'completed_with_failures');
    cachedJobId = await h.submit(h.file('again.jsonl', ['fine one']));
    assert.equal((await h.engine.run(cachedJobId)).status, 'completed');

    // What the provider received: every batch's input file, read back through its own API.
    const client = new OpenAI({ apiKey: 'test', baseURL: h.emulator.openaiBaseUrl });
    for (const batch of h.emulator.batches()) {
      const text = await (await client.files.content(batch.inputFileId)).text();
      const lines = new Map<string, string>();
      for (const line of text.split('\n').filter(Boolean)) {
        const id = (JSON.parse(line) as { custom_id: string }).custom_id;
        lines.set(id, line);
        sentIn.set(id, [...(sentIn.get(id) ?? []), batch.id]);
      }
      received.set(batch.id, lines);
    }
  });
  after(async () => {
    await h.close();
  });

  it('a succeeded item: the exact request the provider received, its answer, tokens and cost, its one batch', async () => {
    const d = await detail('item-1');
    assert.equal(d.item.state, 'succeeded');
    const [remoteId] = sentIn.get('item-1') ?? [];
    assert.ok(remoteId);
    assert.equal(d.request, received.get(remoteId)?.get('item-1'), 'the request is the byte-exact line the provider received');
    assert.equal(d.answer?.content, 'Echo: fine one');
    assert.equal(d.answer?.from, 'own');
    assert.equal(parse(d.answer?.raw ?? '')?.customId, 'item-1', 'the raw result line is the item’s own');
    assert.deepEqual(
      d.attempts.map((a) => [a.strike, a.via, a.outcome, a.remoteId]),
      [[0, 'batch', 'succeeded', remoteId]],
    );
    assert.deepEqual(
      d.batches.map((b) => [b.remoteId, b.strike]),
      [[remoteId, 0]],
    );
    assert.ok(d.item.tokensIn > 0 && d.item.tokensOut > 0, 'tokens in and out were counted');
    assert.equal(d.attempts[0]?.tokensIn, d.item.tokensIn);
    assert.ok(d.item.cost > 0 && d.item.estimatedCost > 0, 'a cost and its estimate');
    assert.deepEqual(d.source, { file, line: 1, text: JSON.stringify({ custom_id: 'item-1', method: 'POST', url: '/v1/chat/completions', body: { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'fine one' }], max_completion_tokens: 20 } }), problem: undefined, changedSinceSubmit: false });
    assert.equal(d.duplicateOf, undefined);
    assert.equal(d.cachedFrom, undefined);
  });

  it('an item that failed at strikes 0, 1 and 2 and in its sync calls: each attempt’s error, by strike, through the batches the provider made, then dead letter', async () => {
    const d = await detail('item-2');
    assert.equal(d.item.state, 'dead_letter');
    const remoteIds = sentIn.get('item-2') ?? [];
    assert.equal(remoteIds.length, MAX_BATCH_STRIKES + 1, 'the provider received it in a batch at each batch strike');
    const batchAttempts = d.attempts.filter((a) => a.via === 'batch');
    assert.deepEqual(
      batchAttempts.map((a) => [a.strike, a.remoteId]),
      remoteIds.map((id, strike) => [strike, id]),
      'one attempt per batch the provider made with it, strikes 0–2 in order',
    );
    // The emulator answered a sync call for nothing but this item (item-12 succeeded at strike 1).
    const syncAttempts = d.attempts.filter((a) => a.via === 'sync');
    assert.ok(syncCalls() > 0);
    assert.equal(syncAttempts.length, syncCalls(), 'one attempt per sync call the provider answered');
    for (const attempt of d.attempts) {
      assert.equal(attempt.outcome, 'failed');
      assert.equal(attempt.failureClass, 'transient');
      assert.equal(attempt.code, 'server_error');
      assert.ok(attempt.message, 'each attempt has its error message');
      assert.ok(attempt.rawResult?.includes('server_error'), `strike ${attempt.strike}: the provider's raw error line`);
    }
    assert.ok(syncAttempts.every((a) => a.strike === SYNC_STRIKE && a.batchKey === null));
    assert.deepEqual(
      d.batches.map((b) => b.remoteId),
      remoteIds,
    );
    assert.ok(d.deadLetter, 'when it was given up');
    assert.equal(d.answer, undefined);
    assert.equal(d.request, received.get(remoteIds[0] ?? '')?.get('item-2'));
  });

  it('item-12, whose id contains item-1’s and item-2’s: only its own two attempts, the failed one and the answered one', async () => {
    const d = await detail('item-12');
    assert.equal(d.item.state, 'succeeded');
    const remoteIds = sentIn.get('item-12') ?? [];
    assert.deepEqual(
      d.attempts.map((a) => [a.strike, a.outcome, a.remoteId]),
      [
        [0, 'failed', remoteIds[0]],
        [1, 'succeeded', remoteIds[1]],
      ],
    );
    assert.match(d.answer?.content ?? '', /^Echo: flaky/, 'the answer of its second attempt');
  });

  it('a duplicate: never sent, says which item it repeats and shows that item’s answer', async () => {
    const d = await detail('item-3');
    assert.equal(d.item.state, 'deduped');
    assert.equal(sentIn.get('item-3'), undefined, 'the provider never received it');
    assert.equal(d.duplicateOf, 'item-1');
    assert.equal(d.request, undefined);
    assert.match(d.requestNote ?? '', /Not sent: the same request as item-1/);
    assert.equal(d.answer?.content, 'Echo: fine one');
    assert.equal(d.answer?.from, 'twin');
    assert.deepEqual(d.attempts, []);
    assert.deepEqual(d.batches, []);
  });

  it('a cached item: never sent, names the job and item whose answer it reused', async () => {
    const d = await detail('item-1', cachedJobId);
    assert.equal(d.item.state, 'cached');
    assert.equal(d.request, undefined);
    assert.match(d.requestNote ?? '', /an earlier job already had the answer/);
    assert.deepEqual(d.cachedFrom, { jobId, itemId: 'item-1' });
    assert.equal(d.answer?.content, 'Echo: fine one');
    assert.equal(d.answer?.from, 'cache');
    assert.deepEqual(d.attempts, []);
  });

  it('reads the same attempts once the journal is archived into the job history (after a restart)', async () => {
    const live = await detail('item-2');
    await h.reopen();
    const archived = await detail('item-2');
    assert.deepEqual(archived.attempts, live.attempts);
  });

  it('reads attempts still only in the live journal (not yet archived), after the archived ones', async () => {
    // A store that takes no snapshot: what happens next stays in journal.jsonl only.
    await h.store.close();
    h.store = await WorkspaceStore.open(h.workspace, { purpose: 'item detail test', snapshotEvery: 1_000_000 });
    h.engine = h.engineWith(h.provider);
    const archived = (await detail('item-2')).attempts;
    const callsBefore = syncCalls();
    const seqBefore = h.store.index.lastSeq;
    assert.deepEqual(await h.engine.retryBySync(jobId, ['item-2']), ['item-2']);
    const newCalls = syncCalls() - callsBefore;
    assert.ok(newCalls > 0);
    const after = (file: string) =>
      readFileSync(path.join(h.workspace, '.llm-batch', file), 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as { seq: number; type: string })
        .filter((record) => record.seq > seqBefore);
    assert.equal(after('journal.jsonl').filter((r) => r.type === 'item.syncResult').length, newCalls, 'the new sync outcomes are in the journal…');
    assert.deepEqual(after(`jobs/${jobId}/history.jsonl`), [], '…and not archived yet');
    const now = (await detail('item-2')).attempts;
    assert.deepEqual(now.slice(0, archived.length), archived, 'the archived attempts first, unchanged');
    assert.deepEqual(
      now.slice(archived.length).map((a) => [a.via, a.strike, a.outcome, a.code]),
      Array.from({ length: newCalls }, () => ['sync', SYNC_STRIKE, 'failed', 'server_error']),
      'then one attempt per new sync call, read from the journal',
    );
  });

  it('a source file changed after submitting: the line is read as it is now, and flagged', async () => {
    appendFileSync(file, `${JSON.stringify({ custom_id: 'late', method: 'POST', url: '/v1/chat/completions', body: { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'x' }] } })}\n`);
    const d = await detail('item-1');
    assert.equal(d.source.changedSinceSubmit, true);
    assert.equal(path.basename(d.source.file), 'detail.jsonl');
  });

  it('an unknown item or job has no detail', async () => {
    assert.equal(await itemDetail(h.store, jobId, 'no-such-item', { parse }), undefined);
    assert.equal(await itemDetail(h.store, 'job-none', 'item-1', { parse }), undefined);
  });
});
