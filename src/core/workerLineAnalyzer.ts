// Line analysis on worker threads: parsing, hashing and tokenizing dominate an estimate and are
// per-line, so they spread across cores while the main thread reads and applies the whole-file
// rules in order. Each batch travels as one transferred buffer, not as thousands of small ones.
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { RawLine } from './jsonlReader';
import type { LineResult } from './lineAnalysis';
import type { AnalyzerOptions, LineAnalyzer } from './lineAnalyzer';

/** What travels to a worker: the batch's bytes back to back, with each line's place in the file. */
export interface BatchRequest {
  readonly id: number;
  readonly bytes: Uint8Array;
  /** Triples of (line number, file offset, length) per line. */
  readonly lines: Float64Array;
}

export interface BatchResponse {
  readonly id: number;
  readonly results?: LineResult[];
  readonly error?: string;
}

/** Below this much input, starting workers costs more than it saves. */
const WORKER_THRESHOLD_BYTES = 16_000_000;

export function shouldUseWorkers(fileSizes: readonly number[], requested: number | undefined): boolean {
  if (requested !== undefined) return requested > 0;
  return availableParallelism() > 1 && fileSizes.reduce((a, b) => a + b, 0) >= WORKER_THRESHOLD_BYTES;
}

export function createWorkerAnalyzer(options: AnalyzerOptions, count = availableParallelism()): LineAnalyzer {
  const script = workerScript();
  const workers = Array.from({ length: Math.max(1, count) }, () => new Worker(script.source, { eval: script.eval, workerData: options }));
  const waiting = new Map<number, { resolve: (results: LineResult[]) => void; reject: (error: Error) => void }>();
  for (const worker of workers) {
    worker.on('message', (response: BatchResponse) => {
      const entry = waiting.get(response.id);
      waiting.delete(response.id);
      if (response.results) entry?.resolve(response.results);
      else entry?.reject(new Error(response.error ?? 'worker failed'));
    });
    worker.on('error', (error) => {
      for (const entry of waiting.values()) entry.reject(error);
      waiting.clear();
    });
  }

  let nextId = 0;
  return {
    analyze(lines: readonly RawLine[]) {
      const request = packBatch(nextId++, lines);
      const worker = workers[request.id % workers.length];
      return new Promise<LineResult[]>((resolve, reject) => {
        waiting.set(request.id, { resolve, reject });
        worker?.postMessage(request, [request.bytes.buffer as ArrayBuffer, request.lines.buffer as ArrayBuffer]);
      });
    },
    async close() {
      await Promise.all(workers.map((worker) => worker.terminate()));
    },
  };
}

function packBatch(id: number, lines: readonly RawLine[]): BatchRequest {
  const total = lines.reduce((sum, line) => sum + line.bytes.length, 0);
  const bytes = new Uint8Array(total);
  const meta = new Float64Array(lines.length * 3);
  let at = 0;
  lines.forEach((line, index) => {
    bytes.set(line.bytes, at);
    meta[index * 3] = line.number;
    meta[index * 3 + 1] = line.offset;
    meta[index * 3 + 2] = line.bytes.length;
    at += line.bytes.length;
  });
  return { id, bytes, lines: meta };
}

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
