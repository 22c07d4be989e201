// Token figures for images, audio and files in a request. A request line rarely says how large its
// media are, so these are stated guesses, shared by the exact OpenAI count (which they make
// inexact) and the approximations.

import type { FormatId } from '../providerLimits';

/**
 * Per-image token estimates, since the real cost depends on pixel size, which a request line
 * rarely states. openai: a 1024×1024 image at `detail: "high"` on gpt-4o (85 + 4 tiles × 170), or
 * 85 at `detail: "low"`; anthropic: about width×height/750 for a 1092×1092 image, the largest that
 * is not resized; gemini: 258, the documented figure per image (or per tile of a large one).
 */
export const IMAGE_TOKEN_ESTIMATE: Readonly<Record<FormatId, number>> = {
  openai: 765,
  anthropic: 1_590,
  gemini: 258,
  bedrock: 1_590,
};
export const OPENAI_LOW_DETAIL_IMAGE_TOKENS = 85;

/**
 * Audio, PDFs and other files: their token cost depends on length or page count, which is not in
 * the line. A placeholder keeps them from being priced at zero; the count is marked inexact.
 */
export const OTHER_MEDIA_TOKEN_ESTIMATE = 1_000;
