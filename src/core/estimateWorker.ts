// Worker-thread entry for workerLineAnalyzer.ts: analyses each batch it is sent and posts the
// packed results back under the same id, transferring their buffers.
import { parentPort, workerData } from 'node:worker_threads';
import { analyzeBatch, transferables } from './lineAnalyzer';
import type { AnalyzerOptions } from './lineAnalyzer';
import { createPricer } from './pricing';
import type { BatchRequest, BatchResponse } from './workerLineAnalyzer';

const options = workerData as AnalyzerOptions;
const pricer = createPricer(options.pricing);

parentPort?.on('message', (request: BatchRequest) => {
  let response: BatchResponse;
  try {
    response = { id: request.id, result: analyzeBatch(request.batch, options, pricer) };
  } catch (error) {
    response = { id: request.id, error: error instanceof Error ? error.message : String(error) };
  }
  parentPort?.postMessage(response, response.result ? transferables(response.result) : []);
});
