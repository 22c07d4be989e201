// An index row of one item, for tests of code that reads items (the ladder, the failure page):
// a failed first-batch item with a recorded request, changed by `overrides`.
import type { ItemRow } from '../../src/store/stateIndex';

export function itemRow(line: number, overrides: Partial<ItemRow> = {}): ItemRow {
  return {
    jobId: 'job-1',
    id: `item-${line}`,
    line,
    hash: line.toString(16).padStart(64, '0'),
    model: 'gpt-4o-mini',
    state: 'failed',
    strike: 0,
    batchKey: 'job-1.s0.b1',
    inputFile: 'jobs/job-1/job-1.s0.b1.input.jsonl',
    inputOffset: 0,
    inputLength: 99,
    twin: null,
    failureClass: 'transient',
    failureCode: null,
    failureMessage: null,
    tokensIn: 0,
    tokensOut: 0,
    cost: 0,
    estimatedCost: 0,
    estimatedMax: 0,
    resultFile: null,
    resultOffset: null,
    resultLength: null,
    ...overrides,
  };
}
