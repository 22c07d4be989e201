// A portable (OpenAI chat) file estimated for each provider: lines convert and are analysed as
// the lines sent (format, tokens, bytes, hash), a field the provider cannot take is an invalid
// line with a message naming it, and for OpenAI nothing changes.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { estimateFiles } from '../../src/core/estimate';
import type { TalliedItem } from '../../src/core/fileTally';
import { nativeLineBytes } from '../../src/core/portable/nativeLine';
import { convertPortableLine } from '../../src/core/portable/portableRequest';
import type { ProviderId } from '../../src/core/providerLimits';
import { countInputTokens } from '../../src/core/tokens';
import { createWorkerAnalyzer } from '../../src/core/workerLineAnalyzer';

const work = mkdtempSync(path.join(tmpdir(), 'portable-estimate-'));
const example = path.resolve(__dirname, '../../examples/portable-chat.jsonl');

function chat(id: string, text: string, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    custom_id: id,
    method: 'POST',
    url: '/v1/chat/completions',
    body: { model: 'gpt-4o-mini', messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: text }], max_completion_tokens: 30, ...extra },
  });
}

const lines = [chat('a', 'Name a colour.'), chat('b', 'Name a fruit.', { stop: ['.'] }), chat('c', 'Name a city.', { temperature: 0.2 })];
const file = path.join(work, 'portable.jsonl');
writeFileSync(file, `${lines.join('\n')}\n`);

async function estimate(target: string, provider: ProviderId | undefined, model?: string) {
  const items: TalliedItem[] = [];
  const { report } = await estimateFiles([target], { provider, model, outputBuffer: 0.25, hooksFor: () => ({ onItem: (item) => items.push(item) }) });
  return { report, items };
}

const TEMPERATURE = `field "body.temperature": Anthropic's current API no longer takes temperature; remove it`;

describe('estimating a portable file', () => {
  it('for OpenAI (the default): every line as written', async () => {
    const { report, items } = await estimate(file, undefined);
    assert.equal(report.totals.valid, 3);
    assert.deepEqual(report.invalid, []);
    assert.deepEqual(
      items.map((item) => [item.line.format, item.line.provider, item.line.model, item.line.url, item.line.length]),
      lines.map((line) => ['openai', 'openai', 'gpt-4o-mini', '/v1/chat/completions', Buffer.byteLength(line)]),
    );
  });

  it('for Anthropic: lines convert, and a line with temperature is invalid with the clear message', async () => {
    const { report, items } = await estimate(file, 'anthropic', 'claude-haiku-4-5');
    assert.equal(report.totals.valid, 2);
    assert.deepEqual(report.invalid, [{ file, line: 3, message: TEMPERATURE }]);
    for (const [index, item] of items.entries()) {
      const sent = convertPortableLine(JSON.parse(lines[index] ?? '') as Record<string, unknown>, 'anthropic', { model: 'claude-haiku-4-5' });
      assert.ok('line' in sent);
      assert.equal(item.line.format, 'anthropic');
      assert.equal(item.line.model, 'claude-haiku-4-5');
      assert.equal(item.line.url, undefined, 'an Anthropic line has no endpoint');
      // The tokens and size are those of the converted request, the bytes the job will write.
      assert.equal(item.line.inputTokens, countInputTokens('anthropic', 'claude-haiku-4-5', sent.line['params']).tokens);
      assert.equal(item.line.length, nativeLineBytes(Buffer.from(lines[index] ?? ''), 'anthropic', 'claude-haiku-4-5').length);
      assert.equal(item.line.outputTokensMax, 30, 'max_completion_tokens became max_tokens');
      assert.ok(item.line.price !== null && item.line.price.batch > 0, 'priced as the Anthropic model');
    }
  });

  it('for Gemini, Vertex and Bedrock: every line converts (temperature included)', async () => {
    for (const [provider, model, format] of [
      ['gemini', 'gemini-2.5-flash', 'gemini'],
      ['vertex', 'gemini-2.5-flash', 'gemini'],
      ['bedrock', 'amazon.nova-lite-v1:0', 'bedrock'],
      ['bedrock', 'anthropic.claude-3-haiku-20240307-v1:0', 'bedrock'],
    ] as const) {
      const { report, items } = await estimate(file, provider, model);
      assert.deepEqual(report.invalid, [], `${provider} ${model}`);
      assert.deepEqual(
        items.map((item) => [item.line.format, item.line.model, item.line.outputTokensMax]),
        lines.map(() => [format, model, 30]),
        `${provider} ${model}`,
      );
      for (const [index, item] of items.entries()) {
        assert.equal(item.line.length, nativeLineBytes(Buffer.from(lines[index] ?? ''), provider, model).length, `${provider} line ${index + 1}`);
      }
      assert.ok(items.every((item) => item.line.price !== null), `${provider} ${model} is priced`);
    }
  });

  it('Bedrock takes the job model from the line when no --model is given', async () => {
    const bedrockModel = path.join(work, 'bedrock-model.jsonl');
    writeFileSync(bedrockModel, `${chat('a', 'Hi', { model: 'amazon.nova-lite-v1:0' })}\n`);
    const { report, items } = await estimate(bedrockModel, 'bedrock');
    assert.deepEqual(report.invalid, []);
    assert.equal(items[0]?.line.model, 'amazon.nova-lite-v1:0');
  });

  it('the same request hashes apart per provider (a cached answer is never reused across providers)', async () => {
    const hashes = new Set<string>();
    for (const [provider, model] of [
      ['openai', 'gpt-4o-mini'],
      ['anthropic', 'claude-haiku-4-5'],
      ['gemini', 'gemini-2.5-flash'],
      ['bedrock', 'amazon.nova-lite-v1:0'],
    ] as const) {
      const { items } = await estimate(file, provider, model);
      hashes.add(Buffer.from(items[0]?.line.hash ?? new Uint8Array()).toString('hex'));
    }
    assert.equal(hashes.size, 4);
  });

  const analyzer = createWorkerAnalyzer({ outputBuffer: 0.25, provider: 'anthropic', model: 'claude-haiku-4-5' }, 1, { shareCallingThread: false });
  after(() => analyzer.close());

  it('a worker thread converts exactly as the main thread does', async () => {
    const inline = await estimateFiles([file], { provider: 'anthropic', model: 'claude-haiku-4-5', outputBuffer: 0.25 });
    const threaded = await estimateFiles([file], { provider: 'anthropic', model: 'claude-haiku-4-5', outputBuffer: 0.25, analyzer });
    assert.deepEqual(threaded.report, inline.report);
    assert.deepEqual(threaded.report.invalid, [{ file, line: 3, message: TEMPERATURE }]);
  });

  it('examples/portable-chat.jsonl is valid for every provider, with its fault markers', async () => {
    const text = readFileSync(example, 'utf8');
    assert.match(text, /\[\[fail:server_error\]\]/);
    assert.match(text, /\[\[fail-once:rate_limit_exceeded\]\]/);
    assert.match(text, /\[\[empty\]\]/);
    for (const [provider, model] of [
      ['openai', undefined],
      ['azure', undefined],
      ['anthropic', 'claude-haiku-4-5'],
      ['gemini', 'gemini-2.5-flash'],
      ['vertex', 'gemini-2.5-flash'],
      ['bedrock', 'anthropic.claude-3-haiku-20240307-v1:0'],
      ['bedrock', 'amazon.nova-lite-v1:0'],
    ] as const) {
      const { report } = await estimate(example, provider, model);
      assert.deepEqual(report.invalid, [], `${provider} ${model ?? ''}`);
      assert.equal(report.totals.valid, 12, `${provider} ${model ?? ''}`);
    }
  });
});
