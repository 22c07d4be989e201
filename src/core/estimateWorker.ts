// Worker-thread entry for workerLineAnalyzer.ts: analyses each batch it is sent and posts the
// packed results back under the same id, transferring their buffers.
import { parentPort, workerData } from 'node:worker_threads';
import { createBatchAnalyzer, transferables } from './lineAnalyzer';
import type { AnalyzerOptions } from './lineAnalyzer';
import type { BatchRequest, BatchResponse } from './workerLineAnalyzer';

const analyzer = createBatchAnalyzer(workerData as AnalyzerOptions);

parentPort?.on('message', (request: BatchRequest) => {
  let response: BatchResponse;
  try {
    response = { id: request.id, result: analyzer.analyze(request.batch) };
  } catch (error) {
    response = { id: request.id, error: error instanceof Error ? error.message : String(error) };
  }
  parentPort?.postMessage(response, response.result ? transferables(response.result) : []);
});
