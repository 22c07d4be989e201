// A workspace written before the provider seam keeps working. The fixture was made by the CLI as
// it was then (commit 62b7771) against the OpenAI emulator: a finished job, and a job stopped by
// `kill -9` right after its first batch was collected, with failures waiting for the retry ladder.
// Its snapshot is schema 6 (`file_id`), its journal and job histories hold `batch.uploaded` with
// an OpenAI file id and `batch.status` with output/error file ids. Opened now, the snapshot
// migrates, the old events read as their new forms, and the waiting job finishes through the new seam.
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import initSqlJs from 'sql.js';
import { createPricer } from '../../src/core/pricing';
import { Engine } from '../../src/engine/engine';
import { exportResults } from '../../src/engine/exportResults';
import { createOpenAiProvider } from '../../src/providers/openai/openaiProvider';
import { resultParserFor } from '../../src/providers/resultParsers';
import { SCHEMA_VERSION } from '../../src/store/schema';
import { WorkspaceStore } from '../../src/store/workspaceStore';
import { startOpenAiEmulator } from '../emulators/openai/server';
import type { RunningEmulator } from '../emulators/openai/server';
import { FAST_ENGINE } from './harness';

const FIXTURE = path.resolve(__dirname, '../fixtures/preSeamWorkspace');
const FINISHED = 'job-20261202-033553-2adfa1';
const WAITING = 'job-20261202-033557-bc2fdc';

/** A fresh copy of the fixture as a workspace (its store folder is kept without the dot in git). */
function workspaceCopy(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'pre-seam-'));
  cpSync(FIXTURE, dir, { recursive: true });
  cpSync(path.join(dir, 'llm-batch'), path.join(dir, '.llm-batch'), { recursive: true });
  rmSync(path.join(dir, 'llm-batch'), { recursive: true });
  return dir;
}

async function snapshotSchema(dir: string): Promise<number> {
  const SQL = await initSqlJs();
  const db = new SQL.Database(readFileSync(path.join(dir, '.llm-batch', 'state.sqlite')));
  return Number(db.exec(`SELECT value FROM meta WHERE key = 'schema_version'`)[0]?.values[0]?.[0]);
}

describe('a workspace written before the provider seam', () => {
  let emulator: RunningEmulator;
  before(async () => {
    emulator = await startOpenAiEmulator({ timeScale: { validatingMs: 20, inProgressMs: 40, finalizingMs: 20 } });
  });
  after(async () => {
    await emulator.close();
  });

  it('is a schema-6 snapshot with the old events, as the fixture claims', async () => {
    const dir = workspaceCopy();
    assert.equal(await snapshotSchema(dir), 6);
    const history = readFileSync(path.join(dir, '.llm-batch', 'jobs', WAITING, 'history.jsonl'), 'utf8');
    assert.match(history, /"type":"batch\.uploaded","jobId":"[^"]+","batchKey":"[^"]+","fileId":"file-/);
    assert.match(readFileSync(path.join(dir, '.llm-batch', 'jobs', FINISHED, 'history.jsonl'), 'utf8'), /"outputFileId":"file-/);
  });

  for (const how of ['migrates its snapshot', 'rebuilds a lost snapshot from the job histories'] as const) {
    it(`${how}: the finished job reads as before, and the waiting job finishes through the new seam`, async () => {
      const dir = workspaceCopy();
      if (how !== 'migrates its snapshot') rmSync(path.join(dir, '.llm-batch', 'state.sqlite'));
      const store = await WorkspaceStore.open(dir, { purpose: 'pre-seam test' });
      try {
        const finished = store.index.job(FINISHED);
        assert.equal(finished?.status, 'completed_with_failures');
        const [batch] = store.index.batches(FINISHED);
        assert.match(batch?.stagedRef ?? '', /^file-/, 'the uploaded file id is the staged reference');
        const records = [];
        for await (const record of exportResults(store, FINISHED, resultParserFor('openai'))) records.push(record);
        assert.deepEqual(
          records.map((r) => [r.custom_id, r.state, r.content]),
          [
            ['done-0', 'succeeded', 'Echo: done item 0'],
            ['done-1', 'dead_letter', undefined],
            ['done-2', 'succeeded', 'Echo: done item 2'],
            ['done-3', 'succeeded', 'Echo: done item 3'],
          ],
        );

        assert.deepEqual(store.index.countsByState(WAITING), { succeeded: 3, failed: 2 }, 'the kill left two failures for the ladder');
        const provider = createOpenAiProvider({ provider: 'openai', apiKey: 'test', baseUrl: emulator.openaiBaseUrl });
        const engine = new Engine({ store, providerFor: () => provider, pricer: createPricer(), config: FAST_ENGINE });
        const job = await engine.run(WAITING);
        assert.equal(job.status, 'completed_with_failures');
        // waiting-2 fails once (at this emulator too) and then succeeds; waiting-3 always fails.
        assert.deepEqual(store.index.countsByState(WAITING), { succeeded: 4, dead_letter: 1 });
        assert.equal(store.index.item(WAITING, 'waiting-3')?.state, 'dead_letter');
        assert.ok(store.index.batches(WAITING).length >= 2, 'retry batches were created through the new seam');
      } finally {
        await store.close();
      }
      assert.equal(await snapshotSchema(dir), SCHEMA_VERSION, 'the snapshot is saved at the current schema');
    });
  }
});
