// Line analysis on worker threads: parsing, hashing and tokenizing dominate an estimate and are
// per-line, so they spread across cores while the main thread reads and applies the whole-file
// rules in order. Each batch travels as one transferred buffer, and its results come back packed
// (see AnalyzedBatch), not as thousands of small objects.
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { LineBatch } from './jsonlReader';
import { createInlineAnalyzer } from './lineAnalyzer';
import type { AnalyzedBatch, AnalyzerOptions, LineAnalyzer } from './lineAnalyzer';

/** What travels to a worker: a batch of lines in one transferred buffer. */
export interface BatchRequest {
  readonly id: number;
  readonly batch: LineBatch;
}

export interface BatchResponse {
  readonly id: number;
  readonly result?: AnalyzedBatch;
  readonly error?: string;
}

/** Below this much input, starting workers costs more than it saves. */
const WORKER_THRESHOLD_BYTES = 16_000_000;

export function shouldUseWorkers(fileSizes: readonly number[], requested: number | undefined): boolean {
  if (requested !== undefined) return requested > 0;
  return availableParallelism() > 1 && fileSizes.reduce((a, b) => a + b, 0) >= WORKER_THRESHOLD_BYTES;
}

export interface WorkerPoolOptions {
  /**
   * Also analyse on the calling thread whenever every worker already has `QUEUE_DEPTH` batches
   * waiting (default true). With one worker fewer than there are cores, this keeps every core
   * busy without the memory of one more isolate: its code, its heap and, when tokenizing, its
   * own copy of the rank tables, about 60 MB each on a 200 MB file.
   */
  readonly shareCallingThread?: boolean | undefined;
}

/** One worker per core but one: the calling thread reads, tallies and analyses too. */
export function defaultWorkerCount(): number {
  return Math.max(1, availableParallelism() - 1);
}

/**
 * Batches queued per worker before the calling thread takes one itself (when it may): enough that
 * a worker does not run dry while the calling thread is busy analysing one (measured: 3 beat 2).
 */
const QUEUE_DEPTH = 3;

export function createWorkerAnalyzer(options: AnalyzerOptions, count = defaultWorkerCount(), pool: WorkerPoolOptions = {}): LineAnalyzer {
  const script = workerScript();
  const workers = Array.from({ length: Math.max(1, count) }, () => ({
    thread: new Worker(script.source, { eval: script.eval, workerData: options }),
    /** Batches sent and not yet answered: the next batch goes to the least busy worker. */
    busy: 0,
  }));
  const inline = pool.shareCallingThread === false ? undefined : createInlineAnalyzer(options);
  const waiting = new Map<number, { resolve: (result: AnalyzedBatch) => void; reject: (error: Error) => void }>();
  for (const worker of workers) {
    worker.thread.on('message', (response: BatchResponse) => {
      worker.busy--;
      const entry = waiting.get(response.id);
      waiting.delete(response.id);
      if (response.result) entry?.resolve(response.result);
      else entry?.reject(new Error(response.error ?? 'worker failed'));
    });
    worker.thread.on('error', (error) => {
      for (const entry of waiting.values()) entry.reject(error);
      waiting.clear();
    });
  }

  let nextId = 0;
  return {
    parallelism: workers.length + (inline ? 1 : 0),
    analyze(batch: LineBatch) {
      const worker = workers.reduce((least, candidate) => (candidate.busy < least.busy ? candidate : least));
      if (inline && worker.busy >= QUEUE_DEPTH) return inline.analyze(batch);
      const id = nextId++;
      worker.busy++;
      return new Promise<AnalyzedBatch>((resolve, reject) => {
        waiting.set(id, { resolve, reject });
        const request: BatchRequest = { id, batch };
        // The batch's buffer moves to the worker; this thread does not touch it again.
        worker.thread.postMessage(request, [batch.bytes.buffer as ArrayBuffer]);
      });
    },
    async close() {
      await Promise.all(workers.map((worker) => worker.thread.terminate()));
    },
  };
}

/**
 * Workers only, one per core but the one the calling thread reads on: the calling thread never
 * analyses a line, whatever the file's size. What the extension host uses: its thread is the
 * window's, and a large file analysed on it blocks the window for seconds.
 */
export function createOffThreadAnalyzer(options: AnalyzerOptions): LineAnalyzer {
  // Only what a worker needs: estimate options also carry callbacks and a signal, which cannot be sent.
  const { provider, model, outputBuffer, countTokens, pricing } = options;
  const pool = createWorkerAnalyzer({ provider, model, outputBuffer, countTokens, pricing }, defaultWorkerCount(), { shareCallingThread: false });
  return { ...pool, batchBytes: OFF_THREAD_BATCH_BYTES };
}

/** A quarter of the usual batch: the calling thread's share of each (its whole-file rules) stays a few milliseconds. */
const OFF_THREAD_BATCH_BYTES = 256 * 1024;

/**
 * The bundled worker beside the bundle. Under tsx (tests, benchmarks) the TypeScript source,
 * loaded through tsx's require hook: Node 20 workers do not inherit `--import` loaders.
 */
function workerScript(): { source: string; eval: boolean } {
  if (__filename.endsWith('.ts')) {
    const file = path.join(__dirname, 'estimateWorker.ts');
    return { source: `require('tsx/cjs'); require(${JSON.stringify(file)});`, eval: true };
  }
  return { source: path.join(__dirname, 'estimateWorker.js'), eval: false };
}
