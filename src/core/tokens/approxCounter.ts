// The calibrated approximation used for every provider whose tokenizer is not published
// (Anthropic, Gemini and Vertex AI, Bedrock): characters of text at a stated ratio, plus stated
// figures for media and per-message framing. Each provider's file walks its own request shape
// into one of these counters.

import type { FormatId } from '../providerLimits';
import { forEachTextLeaf, jsonText } from './jsonValues';
import { IMAGE_TOKEN_ESTIMATE, OTHER_MEDIA_TOKEN_ESTIMATE } from './mediaTokens';

/**
 * Characters per token for the approximations. Calibration: gpt-tokenizer's o200k_base gives 4.13
 * characters per token on English technical prose (three package READMEs, 30,144 characters,
 * 7,295 tokens). Google documents about 4 characters per token for Gemini. Claude's tokenizer
 * produces noticeably more tokens than o200k for the same English text, so Anthropic models use
 * 3.5: an approximation that errs towards a higher count (and cost).
 */
export const APPROX_CHARS_PER_TOKEN = {
  anthropic: 3.5,
  gemini: 4,
  /** Bedrock models that are not Claude (Nova, Titan, Llama, Mistral, ...). */
  bedrock: 4,
} as const;

/** Framing per message (role markers, separators) in the approximations; about what OpenAI's is. */
export const APPROX_TOKENS_PER_MESSAGE = 4;

/** Characters of text plus media tokens, turned into tokens at the end. */
export class ApproxCounter {
  chars = 0;
  mediaTokens = 0;
  messages = 0;

  constructor(private readonly format: FormatId) {}

  text(value: string): void {
    this.chars += value.length;
  }

  leaves(value: unknown): void {
    const skipped = forEachTextLeaf(value, (text) => this.text(text));
    if (skipped) this.mediaTokens += OTHER_MEDIA_TOKEN_ESTIMATE;
  }

  json(value: unknown): void {
    if (value !== undefined && value !== null) this.chars += jsonText(value).length;
  }

  image(): void {
    this.mediaTokens += IMAGE_TOKEN_ESTIMATE[this.format];
  }

  otherMedia(): void {
    this.mediaTokens += OTHER_MEDIA_TOKEN_ESTIMATE;
  }

  tokens(charsPerToken: number, primingTokens: number): number {
    return Math.ceil(this.chars / charsPerToken) + this.mediaTokens + this.messages * APPROX_TOKENS_PER_MESSAGE + primingTokens;
  }
}
