import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { estimateFiles } from '../../src/core/estimate';
import { createWorkerAnalyzer } from '../../src/core/workerLineAnalyzer';
import { estimateReportSchema } from '../../src/shared/estimateReport';

const work = mkdtempSync(path.join(tmpdir(), 'estimate-test-'));
const examples = path.resolve(__dirname, '../../examples');

function openaiLine(id: string, text: string, model = 'gpt-4o-mini', maxTokens = 10): string {
  return JSON.stringify({
    custom_id: id,
    method: 'POST',
    url: '/v1/chat/completions',
    body: { model, messages: [{ role: 'user', content: text }], max_completion_tokens: maxTokens },
  });
}

function writeLines(name: string, lines: readonly string[]): string {
  const file = path.join(work, name);
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

describe('estimateFiles', () => {
  it('counts duplicates by request content, pointing each at the line it repeats', async () => {
    const file = writeLines('dups.jsonl', [
      openaiLine('a', 'same question'),
      openaiLine('b', 'other question'),
      // Same request with keys in another order and a different id: still a duplicate.
      JSON.stringify({ body: { max_completion_tokens: 10, messages: [{ content: 'same question', role: 'user' }], model: 'gpt-4o-mini' }, url: '/v1/chat/completions', method: 'POST', custom_id: 'c' }),
      openaiLine('d', 'same question', 'gpt-4o'),
    ]);
    const { report } = await estimateFiles([file], { outputBuffer: 0.25 });
    assert.equal(report.totals.valid, 4);
    assert.equal(report.totals.duplicates, 1);
    assert.deepEqual(report.duplicates, [{ file, line: 3, of: 1 }]);
    // Different model → not a duplicate, and OpenAI needs one model per batch → two chunks.
    assert.deepEqual(
      report.chunks.map((c) => [c.model, c.requests]),
      [
        ['gpt-4o-mini', 2],
        ['gpt-4o', 1],
      ],
    );
    assert.match(report.notes.map((n) => n.message).join('\n'), /2 models in one file; OpenAI takes one model per batch/);
  });

  it('prices sync, batch and batch after dedup consistently with the per-token price', async () => {
    const file = writeLines('priced.jsonl', [openaiLine('a', 'hello world'), openaiLine('b', 'hello world'), openaiLine('c', 'good morning')]);
    const { report } = await estimateFiles([file], { outputBuffer: 0.25 });
    const { totals } = report;
    // gpt-4o-mini: $0.15 per million input tokens, $0.60 per million output tokens (genai-prices 0.1.8).
    const perLine = (input: number, output: number) => (input * 0.15 + output * 0.6) / 1e6;
    assert.equal(totals.outputTokensExpected, 30, 'min(10, 256) per line; the buffer never passes the bound');
    assert.equal(totals.outputTokensMax, 30);
    assert.ok(Math.abs(totals.cost.sync - perLine(totals.inputTokens, 30)) < 1e-12);
    assert.ok(Math.abs(totals.cost.batch - totals.cost.sync / 2) < 1e-12);
    const perRequestBatch = totals.cost.batch / 3; // all three lines have the same token count
    assert.ok(Math.abs(totals.cost.batchAfterDedup - perRequestBatch * 2) < 1e-12);
    assert.equal(totals.cost.complete, true);
    assert.equal(report.price.source, '@pydantic/genai-prices');
  });

  it('plans a file over the OpenAI request limit into compliant chunks and says so', async () => {
    const lines = Array.from({ length: 50_001 }, (_, i) => openaiLine(`r${i}`, `question number ${i}`));
    const file = writeLines('big.jsonl', lines);
    const { report } = await estimateFiles([file], { outputBuffer: 0.25 });
    assert.equal(report.totals.chunks, 2);
    assert.deepEqual(
      report.chunks.map((c) => c.requests),
      [25_001, 25_000],
    );
    assert.ok(report.chunks.every((c) => c.requests <= 50_000 && c.bytes <= 200_000_000));
    const megabytes = (report.chunks.reduce((sum, c) => sum + c.bytes, 0) / 1e6).toFixed(1);
    assert.deepEqual(
      report.notes.map((n) => n.message),
      [`50,001 requests (${megabytes} MB) exceed OpenAI's limit of 50,000 requests or 200 MB per batch; planned as 2 batches within it`],
    );
    // Azure allows 100,000 per batch: the same file is one chunk there.
    const azure = await estimateFiles([file], { provider: 'azure', outputBuffer: 0.25 });
    assert.equal(azure.report.totals.chunks, 1);
  });

  it('plans an embeddings file past 50,000 inputs into batches within the input limit and says so', async () => {
    const embeddingsLine = (id: string, input: unknown) => JSON.stringify({ custom_id: id, method: 'POST', url: '/v1/embeddings', body: { model: 'text-embedding-3-small', input } });
    // 25 requests of 2,048 inputs, then one input as token ids and one as a string: 51,202 inputs
    // in 27 requests, far under the 50,000-request limit.
    const lines = Array.from({ length: 25 }, (_, i) => embeddingsLine(`r${i}`, Array.from({ length: 2_048 }, (_, j) => `text ${i}.${j}`)));
    lines.push(embeddingsLine('tokens', [101, 2023, 102]), embeddingsLine('one', 'a single text'));
    const file = writeLines('embeddings-inputs.jsonl', lines);
    const inline = await estimateFiles([file], { outputBuffer: 0.25 });
    // 24 × 2,048 = 49,152 fit; the 25th request would pass 50,000, so it starts the second batch.
    assert.deepEqual(
      inline.files[0]?.chunks.map((c) => [c.lines.length, c.embeddingInputs]),
      [
        [24, 49_152],
        [3, 2_050],
      ],
    );
    assert.deepEqual(
      inline.report.notes.map((n) => n.message),
      ["51,202 embedding inputs exceed OpenAI's limit of 50,000 inputs per embeddings batch; planned as 2 batches within it"],
    );
    const analyzer = createWorkerAnalyzer({ outputBuffer: 0.25 }, 1, { shareCallingThread: false });
    try {
      const threaded = await estimateFiles([file], { outputBuffer: 0.25, analyzer });
      assert.deepEqual(threaded.report, inline.report, 'input counts travel from a worker too');
    } finally {
      await analyzer.close();
    }
  });

  it('refuses a line larger than the provider allows in one batch', async () => {
    const huge = openaiLine('big', 'x'.repeat(21_000_000));
    const file = writeLines('huge-line.jsonl', [openaiLine('a', 'small'), huge]);
    const { report } = await estimateFiles([file], { provider: 'openai', outputBuffer: 0.25 });
    assert.equal(report.invalid.length, 0, 'OpenAI allows 200 MB');
    const gemini = writeLines('huge-gemini.jsonl', [
      JSON.stringify({ key: 'a', request: { contents: [{ role: 'user', parts: [{ text: 'small' }] }] } }),
      JSON.stringify({ key: 'b', request: { contents: [{ role: 'user', parts: [{ text: 'x'.repeat(21_000_000) }] }] } }),
    ]);
    const result = await estimateFiles([gemini], { model: 'gemini-2.5-flash', outputBuffer: 0.25 });
    assert.deepEqual(
      result.report.invalid.map((e) => [e.line, e.message]),
      [[2, 'line is 21 MB; Google Gemini batch files hold at most 20 MB']],
    );
  });

  it('reports a model without a price and how to give it one', async () => {
    const file = writeLines('unknown-model.jsonl', [openaiLine('a', 'hi', 'my-private-model')]);
    const { report } = await estimateFiles([file], { outputBuffer: 0.25 });
    assert.equal(report.totals.cost.complete, false);
    assert.equal(report.price.unpricedModels.length, 1);
    assert.match(report.price.unpricedModels[0]?.message ?? '', /No price known for model "my-private-model".*--prices FILE/);
    const priced = await estimateFiles([file], { outputBuffer: 0.25, pricing: { overrides: { 'my-private-model': { inputPerMTok: 1, outputPerMTok: 2 } } } });
    assert.equal(priced.report.totals.cost.complete, true);
    const { inputTokens, outputTokensExpected } = priced.report.totals;
    assert.ok(Math.abs(priced.report.totals.cost.sync - (inputTokens * 1 + outputTokensExpected * 2) / 1e6) < 1e-12);
  });

  it('gives the same report with worker threads as inline, chunk ids included', async () => {
    const file = path.join(examples, 'classify-reviews.jsonl');
    const inline = await estimateFiles([file, path.join(examples, 'with-bad-lines.jsonl')], { outputBuffer: 0.25 });
    const analyzer = createWorkerAnalyzer({ outputBuffer: 0.25 }, 2);
    try {
      const threaded = await estimateFiles([file, path.join(examples, 'with-bad-lines.jsonl')], { outputBuffer: 0.25, analyzer });
      assert.deepEqual(threaded.report, inline.report);
    } finally {
      await analyzer.close();
    }
    assert.ok(inline.report.totals.valid > 100);
  });

  it('produces a report that matches the published schema and keeps items = valid + invalid', async () => {
    const { report } = await estimateFiles([path.join(examples, 'with-bad-lines.jsonl')], { outputBuffer: 0.25 });
    estimateReportSchema.parse(report);
    assert.equal(report.totals.items, report.totals.valid + report.totals.invalid);
    assert.equal(report.totals.invalid, 3);
  });

  it('stops when aborted', async () => {
    const controller = new AbortController();
    controller.abort();
    await assert.rejects(estimateFiles([path.join(examples, 'classify-reviews.jsonl')], { outputBuffer: 0.25, signal: controller.signal }), { name: 'AbortError' });
  });
});
