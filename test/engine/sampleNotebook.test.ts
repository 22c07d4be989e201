// The sample notebook (examples/notebook/triage.llmbatch) top to bottom against the emulator,
// cell by cell as the controller runs them: requests built from the CSV, a 5-item try, the batch
// (only the untried items), the results with the injected failure, its resubmission, and an
// export; the file written back keeps ids and figures, not results.
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { assembleJobs } from '../../src/app/assembleJobs';
import { followJob } from '../../src/app/notebook/jobCellRunner';
import type { JobCellPorts } from '../../src/app/notebook/jobCellRunner';
import { runNotebookCell } from '../../src/app/notebook/runCell';
import { parseNotebookFile, serializeNotebookFile } from '../../src/core/notebook/notebookFile';
import { createOpenAiProvider } from '../../src/providers/openai/openaiProvider';
import { resultParserFor } from '../../src/providers/resultParsers';
import type { CellOutput, JobOutput } from '../../src/shared/notebookOutputs';
import { WorkspaceStore } from '../../src/store/workspaceStore';
import { startOpenAiEmulator } from '../emulators/openai/server';
import { FAST_ENGINE } from './harness';

const SAMPLE = path.join(__dirname, '..', '..', 'examples', 'notebook');

describe('the sample notebook', () => {
  it('runs top to bottom: requests from the CSV, a 5-item try, the batch of the rest, results with the injected failure resubmitted, a small file after', async () => {
    const emulator = await startOpenAiEmulator({ apiKey: 'sk-test', timeScale: { validatingMs: 20, inProgressMs: 40, finalizingMs: 20 } });
    const dir = mkdtempSync(path.join(tmpdir(), 'sample-notebook-'));
    cpSync(SAMPLE, dir, { recursive: true });
    const store = await WorkspaceStore.open(dir, { purpose: 'sample notebook test' });
    try {
      const { service, engine } = assembleJobs(store, {
        providerFor: () => createOpenAiProvider({ provider: 'openai', apiKey: 'sk-test', baseUrl: emulator.openaiBaseUrl, maxRetries: 0 }),
        config: FAST_ENGINE,
        budget: () => ({}),
      });
      const confirmed: string[] = [];
      const ports: JobCellPorts = {
        service,
        parserFor: resultParserFor,
        settingsFor: () => undefined,
        defaults: { provider: 'openai', outputBuffer: 0.25, failureAlertRate: 0.5, confirmAbove: 0, trySize: 5 },
        confirm: async (question) => {
          confirmed.push(question);
          return true;
        },
        show: () => undefined,
        changed: async () => {
          for (const job of engine.drivableJobs()) await engine.step(job.id).catch(() => undefined);
          await new Promise((resolve) => setTimeout(resolve, 20));
        },
        kick: () => undefined,
      };
      const notebookFile = path.join(dir, 'triage.llmbatch');
      const notebook = parseNotebookFile(readFileSync(notebookFile, 'utf8'), 'triage.llmbatch');
      // Each code cell as the controller runs it: the same dispatch, the cells above as context.
      const outputs: (CellOutput | undefined)[] = [];
      for (const [index, cell] of notebook.cells.entries()) {
        if (cell.kind === 'markdown') {
          outputs.push(undefined);
          continue;
        }
        const above = notebook.cells.slice(0, index).map((c, i) => ({ source: c.kind === 'code' ? c.source : undefined, output: outputs[i] }));
        outputs.push(await runNotebookCell(ports, { source: cell.source, baseDir: dir, above, signal: new AbortController().signal }));
      }
      const requests = outputs.find((o) => o?.kind === 'requests');
      assert.equal(requests?.kind === 'requests' ? requests.count : 0, 20);

      const job = outputs.find((o): o is JobOutput => o?.kind === 'job');
      assert.ok(job?.jobId);
      assert.equal(job.trial?.count, 5);
      assert.deepEqual(confirmed.map((q) => q.split(' ')[0]), ['Try', 'Submit']);
      assert.equal(job.final, true);
      assert.equal(job.progress?.counts['cached'], 5, 'the tried tickets are not sent again');
      assert.equal(job.progress?.counts['succeeded'], 14);
      assert.equal(job.progress?.counts['dead_letter'], 1);
      assert.deepEqual(job.failures?.map((f) => f.failureClass), ['transient']);
      assert.equal(store.index.batches(job.jobId)[0]?.itemCount, 15, 'the batch carries only the 15 untried tickets');
      const results = outputs.at(-1);
      assert.equal(results?.kind, 'results');
      assert.equal(results?.kind === 'results' ? results.rows.length : 0, 20);
      assert.ok(statSync(path.join(dir, 'tickets.results.csv')).size > 0, 'exported');

      // The injected failure, resubmitted from the output: confirmed with its cost, followed to the end.
      const retry = service.previewRetry(job.jobId);
      assert.deepEqual(retry.ids, ['T-017']);
      const batchesBefore = store.index.batches(job.jobId).length;
      await service.retryFailed(job.jobId, retry.ids);
      const again = await followJob(ports, job.jobId, job, new AbortController().signal);
      assert.equal(again.final, true);
      assert.ok(store.index.batches(job.jobId).length > batchesBefore, 'the resubmission went out as a batch');

      // Saved, the notebook keeps ids and figures: no result texts, a few KB.
      const saved = serializeNotebookFile({ cells: notebook.cells.map((cell, i) => ({ ...cell, output: outputs[i] })) });
      assert.ok(saved.includes(job.jobId));
      assert.ok(!saved.includes('Echo: '), 'no answer text is saved');
      assert.ok(results?.kind === 'results' && results.rows.some((row) => row.output.startsWith('Echo: ')), 'the answers were there to leave out');
      assert.ok(Buffer.byteLength(saved) < 8_000, `the saved notebook is small (${Buffer.byteLength(saved)} bytes)`);
    } finally {
      await store.close();
      await emulator.close();
    }
  });
});
