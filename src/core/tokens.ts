// Input and output token figures for one request line, for the cost estimate: the public face of
// src/core/tokens/, so importers need not know how it is split.
//
// OpenAI models are counted exactly with gpt-tokenizer's public BPE ranks. Every other provider gets
// a calibrated character-based approximation and says so (`exact: false`), because Anthropic's and
// Google's tokenizers are not published. This runs once per line on files of up to a million lines,
// so the hot path avoids building token arrays, caches per word and per repeated long string, and
// never throws on odd but valid JSON.
//
// tokens/inputTokens.ts         countInputTokens: by line format, to one of
//   tokens/openaiInputTokens.ts   exact chat / tools / Responses / embeddings framing (OpenAI, Azure)
//   tokens/anthropicInputTokens.ts, geminiInputTokens.ts (also Vertex AI), bedrockInputTokens.ts
//                                 each provider's request shape walked into the approximation
// tokens/approxCounter.ts       characters per token, per-message framing
// tokens/openaiTokenizer.ts     which encoding a model uses; the fast exact text count
// tokens/openaiRequest.ts       an OpenAI line's url, body and endpoint
// tokens/mediaTokens.ts         stated figures for images and other media
// tokens/outputTokens.ts        the output bound a request states, and the expected output
// tokens/jsonValues.ts          reading request JSON without trusting its shape

export { APPROX_CHARS_PER_TOKEN, APPROX_TOKENS_PER_MESSAGE } from './tokens/approxCounter';
export { countInputTokens } from './tokens/inputTokens';
export type { InputTokenCount } from './tokens/inputTokens';
export { IMAGE_TOKEN_ESTIMATE, OTHER_MEDIA_TOKEN_ESTIMATE } from './tokens/mediaTokens';
export { asciiSplitRegex, countTextTokens, openAiEncodingForModel } from './tokens/openaiTokenizer';
export type { OpenAiEncodingChoice, OpenAiEncodingName } from './tokens/openaiTokenizer';
export {
  DEFAULT_MAX_OUTPUT_TOKENS,
  DEFAULT_OUTPUT_BUFFER,
  HEURISTIC_OUTPUT_TOKENS,
  OUTPUT_TOKEN_FIELDS,
  expectedOutputTokens,
  outputTokenBound,
} from './tokens/outputTokens';
export type { OutputTokenBound } from './tokens/outputTokens';
