// A small, valid estimate report for tests of the code that carries or shows one.
import type { EstimateReport } from '../../src/shared/estimateReport';

export function sampleReport(): EstimateReport {
  return {
    version: 1,
    totals: {
      items: 3,
      valid: 2,
      invalid: 1,
      duplicates: 0,
      cached: 0,
      chunks: 1,
      inputTokens: 30,
      inputTokensExact: true,
      outputTokensExpected: 20,
      outputTokensMax: 100,
      cost: { sync: 0.002, batch: 0.001, batchAfterDedup: 0.001, batchAfterDedupMax: 0.004, currency: 'USD', complete: true },
    },
    files: [{ file: '/w/a.jsonl', format: 'openai', provider: 'openai', bytes: 300, bom: false, items: 3, valid: 2, invalid: 1, duplicates: 0, blankLines: 0, models: [{ model: 'gpt-4o-mini', items: 2 }] }],
    invalid: [{ file: '/w/a.jsonl', line: 2, message: 'not JSON' }],
    duplicates: [],
    chunks: [{ id: 'c1', file: '/w/a.jsonl', provider: 'openai', model: 'gpt-4o-mini', requests: 2, bytes: 200 }],
    problems: [],
    notes: [],
    price: { source: 'genai-prices', version: '0.1.8', date: '2026-11-01', unpricedModels: [] },
  };
}
