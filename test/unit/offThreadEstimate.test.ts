// The extension host estimates off its own thread (it is the window's): every line is analysed on a
// worker, never on the calling thread, however busy the workers are; and the result cache is asked
// once per batch of lines, not once per line.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { describe, it } from 'node:test';
import { estimateFiles } from '../../src/core/estimate';
import { FileTally } from '../../src/core/fileTally';
import { newSummary, readBatches } from '../../src/core/jsonlReader';
import type { LineBatch } from '../../src/core/jsonlReader';
import { createInlineAnalyzer } from '../../src/core/lineAnalyzer';
import { createOffThreadAnalyzer, createWorkerAnalyzer, defaultWorkerCount } from '../../src/core/workerLineAnalyzer';

const dir = mkdtempSync(path.join(tmpdir(), 'off-thread-'));

function line(i: number, words = 40): string {
  const text = Array.from({ length: words }, (_, w) => `word${(i * 7 + w) % 97}`).join(' ');
  return JSON.stringify({ custom_id: `r-${i}`, method: 'POST', url: '/v1/chat/completions', body: { model: 'gpt-4o-mini', messages: [{ role: 'user', content: text }], max_completion_tokens: 10 } });
}

/** A file's batches of about `bytes` each, as the estimate reads them. */
async function batchesOf(file: string, bytes: number): Promise<LineBatch[]> {
  const { open } = await import('node:fs/promises');
  const handle = await open(file, 'r');
  try {
    const batches: LineBatch[] = [];
    const read = async (target: Uint8Array, at: number) => (await handle.read(target, at, target.length - at, null)).bytesRead;
    for await (const batch of readBatches(read, newSummary(), bytes)) batches.push(batch);
    return batches;
  } finally {
    await handle.close();
  }
}

describe('the host’s estimate', () => {
  it('analyses no line on the calling thread, even with every worker busy', async () => {
    const file = path.join(dir, 'busy.jsonl');
    writeFileSync(file, `${Array.from({ length: 6_000 }, (_, i) => line(i)).join('\n')}\n`);
    const options = { outputBuffer: 0.25 };
    // What one batch costs when this thread analyses it.
    const [probe] = await batchesOf(file, 256 * 1024);
    assert.ok(probe);
    const inline = createInlineAnalyzer(options);
    const started = performance.now();
    await inline.analyze(probe);
    const oneBatchMs = performance.now() - started;

    const analyzer = createOffThreadAnalyzer(options);
    try {
      assert.equal(analyzer.parallelism, defaultWorkerCount(), 'the calling thread is not one of the analysing threads');
      const batches = await batchesOf(file, 256 * 1024);
      assert.ok(batches.length >= 8, `enough batches to queue past every worker (${batches.length})`);
      // Handing every batch over at once (more than the workers' queues take) must not analyse any here.
      const handOver = performance.now();
      const pending = batches.map((batch) => analyzer.analyze(batch));
      const handOverMs = performance.now() - handOver;
      const results = await Promise.all(pending);
      assert.equal(results.reduce((sum, r) => sum + r.count, 0), 6_000);
      assert.ok(handOverMs < oneBatchMs / 2, `handing ${batches.length} batches over took ${handOverMs.toFixed(1)} ms; analysing one here takes ${oneBatchMs.toFixed(1)} ms`);
    } finally {
      await analyzer.close();
    }
  });

  it('gives the same report with offThread as on one thread', async () => {
    const file = path.join(dir, 'same.jsonl');
    writeFileSync(file, `${Array.from({ length: 500 }, (_, i) => line(i % 400, 5)).join('\n')}\n`);
    const inline = await estimateFiles([file], { outputBuffer: 0.25 });
    const off = await estimateFiles([file], { outputBuffer: 0.25, offThread: true });
    assert.deepEqual(off.report, inline.report);
  });

  it('asks the result cache once per batch of lines, and marks the rows it holds as cached', async () => {
    const file = path.join(dir, 'cache.jsonl');
    writeFileSync(file, `${Array.from({ length: 300 }, (_, i) => line(i, 3)).join('\n')}\n`);
    const [batch] = await batchesOf(file, 1 << 20);
    assert.ok(batch);
    const analyzed = createInlineAnalyzer({ outputBuffer: 0.25 }).analyze(batch);
    const asked: number[] = [];
    const tally = new FileTally({
      cachedInBatch: (_hashes, count) => {
        asked.push(count);
        return new Set([0, 7]);
      },
    });
    tally.addBatch(await analyzed);
    assert.deepEqual(asked, [300], 'one question for the whole batch');
    assert.equal(tally.totals.cached, 2);
  });

  it('keeps a worker pool that shares the calling thread for the CLI', () => {
    // The CLI may use its own thread too (it has nothing else to do); only the host must not.
    const shared = createWorkerAnalyzer({ outputBuffer: 0.25 }, 1);
    assert.equal(shared.parallelism, 2);
    return shared.close();
  });
});
