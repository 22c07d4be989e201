// Input tokens of one request, by line format: exact for OpenAI (and Azure OpenAI), a calibrated
// approximation for the others. The format, not the provider, decides: Azure lines are OpenAI's,
// and Vertex AI lines are Gemini's.

import type { FormatId } from '../providerLimits';
import { countAnthropicInputTokens } from './anthropicInputTokens';
import { countBedrockInputTokens } from './bedrockInputTokens';
import { countGeminiInputTokens } from './geminiInputTokens';
import { countOpenAiInputTokens } from './openaiInputTokens';

export interface InputTokenCount {
  tokens: number;
  /**
   * True when the count comes from the model's real tokenizer and every part of the request was
   * text. Images, files, audio, unrecognised shapes, unknown model names and every non-OpenAI
   * provider make it an approximation.
   */
  exact: boolean;
}

/**
 * `request` is the part of a JSONL line that would be sent: for format 'openai' the line's `body`
 * plus its `url` as `{ url, body }`; 'anthropic' → the line's `params`; 'gemini' → the line's
 * `request` (GenerateContentRequest, camelCase or snake_case); 'bedrock' → the line's `modelInput`
 * (Anthropic-on-Bedrock, Converse / Nova messages, Titan `inputText`, Llama/Mistral `prompt`; any
 * other shape falls back to counting its string leaves). Never throws.
 */
export function countInputTokens(format: FormatId, model: string, request: unknown): InputTokenCount {
  try {
    switch (format) {
      case 'openai':
        return countOpenAiInputTokens(model, request);
      case 'anthropic':
        return countAnthropicInputTokens(request);
      case 'gemini':
        return countGeminiInputTokens(request);
      case 'bedrock':
        return countBedrockInputTokens(model, request);
    }
  } catch {
    // Defensive only: the counters do not throw on any JSON value. A count of 0 marked
    // inexact is safer for a per-line estimate than failing the whole file.
    return { tokens: 0, exact: false };
  }
}
