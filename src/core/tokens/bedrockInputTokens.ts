// Input tokens of a Bedrock batch record's `modelInput`, approximated: the body is whatever the
// model's own API takes (Anthropic-on-Bedrock, Converse / Nova messages, Titan `inputText`,
// Llama / Mistral `prompt`, Cohere `message`), and any other shape is counted by its string leaves.

import { countAnthropicBody } from './anthropicInputTokens';
import { APPROX_CHARS_PER_TOKEN, ApproxCounter } from './approxCounter';
import type { InputTokenCount } from './inputTokens';
import { asRecord, asString } from './jsonValues';
import { REPLY_PRIMING_TOKENS } from './openaiInputTokens';

/** Claude on Bedrock tokenizes like Claude; everything else uses the generic ratio. */
function bedrockCharsPerToken(model: string): number {
  const name = model.toLowerCase();
  return name.includes('anthropic') || name.includes('claude') ? APPROX_CHARS_PER_TOKEN.anthropic : APPROX_CHARS_PER_TOKEN.bedrock;
}

export function countBedrockInputTokens(model: string, request: unknown): InputTokenCount {
  const counter = new ApproxCounter('bedrock');
  const body = asRecord(request);
  if (body !== undefined) {
    let recognised = false;
    if (body['messages'] !== undefined || body['system'] !== undefined) {
      // Anthropic-on-Bedrock, Converse and Nova: system is a string or a list of {text} blocks.
      countAnthropicBody(counter, body);
      counter.json(asRecord(body['toolConfig'])?.['tools']);
      recognised = true;
    }
    // Titan (inputText), Llama / Mistral completion (prompt), Cohere (message).
    for (const key of ['inputText', 'prompt', 'message']) {
      const text = asString(body[key]);
      if (text !== undefined) {
        counter.text(text);
        recognised = true;
      }
    }
    if (!recognised) counter.leaves(body);
  }
  return { tokens: counter.tokens(bedrockCharsPerToken(model), counter.messages > 0 ? REPLY_PRIMING_TOKENS : 0), exact: false };
}

