import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mergeEstimateReports } from '../../src/core/mergeEstimateReports';
import { estimateReportSchema } from '../../src/shared/estimateReport';
import { sampleReport } from '../support/sampleReport';

describe('mergeEstimateReports', () => {
  it('returns a single report as it is', () => {
    const report = sampleReport();
    assert.equal(mergeEstimateReports([report]), report);
  });

  it('sums the totals and keeps every file-located entry', () => {
    const a = sampleReport();
    const b = sampleReport();
    b.files = b.files.map((f) => ({ ...f, file: '/w/b.jsonl' }));
    b.invalid = [{ file: '/w/b.jsonl', line: 9, message: 'bad' }];
    b.totals.inputTokensExact = false;
    b.totals.cost.complete = false;
    b.price.unpricedModels = [{ provider: 'openai', model: 'x', message: 'no price for x' }];
    const merged = mergeEstimateReports([a, b]);
    assert.equal(estimateReportSchema.safeParse(merged).success, true);
    assert.equal(merged.totals.items, 6);
    assert.equal(merged.totals.invalid, 2);
    assert.equal(merged.totals.cost.batchAfterDedupMax, 0.008);
    assert.equal(merged.totals.inputTokensExact, false);
    assert.equal(merged.totals.cost.complete, false);
    assert.deepEqual(merged.files.map((f) => f.file), ['/w/a.jsonl', '/w/b.jsonl']);
    assert.deepEqual(merged.invalid.map((i) => `${i.file}:${i.line}`), ['/w/a.jsonl:2', '/w/b.jsonl:9']);
    assert.equal(merged.price.unpricedModels.length, 1);
    assert.equal(a.totals.items, 3, 'the inputs are not modified');
  });
});
