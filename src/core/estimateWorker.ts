// Worker-thread entry for workerLineAnalyzer.ts: analyses each batch it is sent and posts the
// results back under the same id.
import { parentPort, workerData } from 'node:worker_threads';
import { analyzeLine } from './lineAnalysis';
import type { AnalyzerOptions } from './lineAnalyzer';
import { createPricer } from './pricing';
import type { BatchRequest, BatchResponse } from './workerLineAnalyzer';

const options = workerData as AnalyzerOptions;
const pricer = createPricer(options.pricing);

parentPort?.on('message', (request: BatchRequest) => {
  let response: BatchResponse;
  try {
    const results = [];
    let at = 0;
    for (let i = 0; i < request.lines.length; i += 3) {
      const length = request.lines[i + 2] ?? 0;
      results.push(analyzeLine(request.lines[i] ?? 0, request.lines[i + 1] ?? 0, request.bytes.subarray(at, at + length), options, pricer));
      at += length;
    }
    response = { id: request.id, results };
  } catch (error) {
    response = { id: request.id, error: error instanceof Error ? error.message : String(error) };
  }
  parentPort?.postMessage(response);
});
