// Vertex AI batches take Gemini's GenerateContentRequest, so a Vertex line must be counted and
// bounded exactly as the same line for the Gemini Developer API: same input tokens (text, images,
// files, tools), same output bound and default, never OpenAI's tokenizer or another ratio.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { estimateFiles } from '../../src/core/estimate';
import type { TalliedItem } from '../../src/core/fileTally';
import type { ProviderId } from '../../src/core/providerLimits';
import { DEFAULT_MAX_OUTPUT_TOKENS, countInputTokens, outputTokenBound } from '../../src/core/tokens';

const MODEL = 'gemini-2.5-flash';

const requests: Record<string, unknown>[] = [
  { contents: [{ role: 'user', parts: [{ text: 'Classify this review: the battery died after two days.' }] }], generationConfig: { maxOutputTokens: 40 } },
  {
    system_instruction: { parts: [{ text: 'Answer in one word.' }] },
    contents: [{ role: 'user', parts: [{ text: 'Colour of the sky?' }, { inline_data: { mime_type: 'image/png', data: 'iVBORw0KGgo=' } }] }],
    tools: [{ functionDeclarations: [{ name: 'lookup', description: 'Look a word up.' }] }],
  },
  { contents: [{ role: 'user', parts: [{ text: 'Spelled in snake_case.' }] }], generation_config: { max_output_tokens: 7 } },
  { contents: [{ role: 'user', parts: [{ fileData: { mimeType: 'application/pdf', fileUri: 'gs://bucket/a.pdf' } }] }] },
];

const work = mkdtempSync(path.join(tmpdir(), 'vertex-tokens-'));
const file = path.join(work, 'gemini-native.jsonl');
writeFileSync(file, `${requests.map((request, index) => JSON.stringify({ key: `r${index}`, request })).join('\n')}\n`);

async function analysed(provider: ProviderId): Promise<TalliedItem[]> {
  const items: TalliedItem[] = [];
  const { report } = await estimateFiles([file], { provider, model: MODEL, outputBuffer: 0.25, hooksFor: () => ({ onItem: (item) => items.push(item) }) });
  assert.deepEqual(report.invalid, [], provider);
  return items;
}

function tokenFigures(items: readonly TalliedItem[]) {
  return items.map(({ line }) => [line.format, line.inputTokens, line.inputTokensExact, line.outputTokensMax, line.outputTokensExpected]);
}

describe('Vertex AI token counting', () => {
  it('counts and bounds every line exactly as for the Gemini Developer API', async () => {
    const gemini = await analysed('gemini');
    const vertex = await analysed('vertex');
    assert.equal(vertex.length, requests.length);
    assert.deepEqual(tokenFigures(vertex), tokenFigures(gemini));
  });

  it('uses the Gemini approximation and bounds, not another format’s', async () => {
    const vertex = await analysed('vertex');
    for (const [index, { line }] of vertex.entries()) {
      const request = requests[index];
      assert.equal(line.format, 'gemini', `line ${index + 1}`);
      assert.equal(line.inputTokens, countInputTokens('gemini', MODEL, request).tokens, `line ${index + 1}`);
      assert.equal(line.inputTokensExact, false, `line ${index + 1}: Google's tokenizer is not published`);
      assert.equal(line.outputTokensMax, outputTokenBound('gemini', request).max, `line ${index + 1}`);
    }
    assert.deepEqual(
      vertex.map(({ line }) => line.outputTokensMax),
      [40, DEFAULT_MAX_OUTPUT_TOKENS.gemini, 7, DEFAULT_MAX_OUTPUT_TOKENS.gemini],
    );
  });
});
