import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { savedOutput } from '../../src/shared/notebookOutputs';
import type { JobOutput } from '../../src/shared/notebookOutputs';

describe('what a .llmbatch file keeps of a job output', () => {
  it('keeps ids and figures, rounds dollars to readable decimals, and drops the rows', () => {
    const output: JobOutput = {
      kind: 'job',
      headline: 'Finished',
      notes: [],
      provider: 'openai',
      mode: 'batch',
      jobId: 'job-1',
      preview: { items: 2, valid: 2, invalid: 0, duplicates: 0, cached: 0, inputTokens: 10, outputTokens: 4, expected: 0.00009914999999999998, max: 0.0002, naiveSync: 0.0003, complete: true, blockers: [] },
      progress: { status: 'completed', counts: { succeeded: 2 }, total: 2, done: 2, spent: 0.00011624999999999999, estimate: 0.00009914999999999998 },
      trial: { jobId: 'job-0', count: 1, spent: 0.00008415000000000001, rows: [{ id: 'a', line: 1, state: 'succeeded', input: 'q', output: 'the answer', cost: 0.00008415 }] },
      rows: [{ id: 'a', line: 1, state: 'succeeded', input: 'q', output: 'the answer', cost: 0.00005 }],
      final: true,
    };
    const saved = savedOutput(output);
    assert.ok(saved.kind === 'job');
    assert.equal(saved.preview?.expected, 0.00009915);
    assert.equal(saved.progress?.spent, 0.00011625);
    assert.equal(saved.trial?.spent, 0.00008415);
    assert.equal(saved.rows, undefined);
    assert.deepEqual(saved.trial?.rows, []);
    assert.deepEqual(Object.keys(saved), ['kind', 'headline', 'notes', 'provider', 'mode', 'jobId', 'preview', 'progress', 'trial', 'final'], 'the keys keep their order');
  });
});
