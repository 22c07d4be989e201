// Why a model stopped, in provider-neutral terms: each provider's raw value (OpenAI
// finish_reason, Anthropic stop_reason, Gemini finishReason, Bedrock stopReason) mapped onto one
// small union, so results read the same whatever the provider. Adapters call finishReasonOf.
import { PROVIDER_LIMITS } from '../providerLimits';
import type { FormatId, ProviderId } from '../providerLimits';

export const FINISH_REASONS = ['stop', 'length', 'content_filter', 'tool_calls', 'other'] as const;
export type FinishReason = (typeof FINISH_REASONS)[number];

/** Raw values per wire family; anything else a provider adds later reads as 'other'. */
const RAW_FINISH_REASONS: Readonly<Record<FormatId, Readonly<Record<string, FinishReason>>>> = {
  openai: {
    stop: 'stop',
    length: 'length',
    content_filter: 'content_filter',
    tool_calls: 'tool_calls',
    function_call: 'tool_calls',
  },
  anthropic: {
    end_turn: 'stop',
    stop_sequence: 'stop',
    max_tokens: 'length',
    model_context_window_exceeded: 'length',
    tool_use: 'tool_calls',
    refusal: 'content_filter',
    pause_turn: 'other',
  },
  gemini: {
    STOP: 'stop',
    MAX_TOKENS: 'length',
    SAFETY: 'content_filter',
    RECITATION: 'content_filter',
    BLOCKLIST: 'content_filter',
    PROHIBITED_CONTENT: 'content_filter',
    SPII: 'content_filter',
    IMAGE_SAFETY: 'content_filter',
    MALFORMED_FUNCTION_CALL: 'other',
    UNEXPECTED_TOOL_CALL: 'other',
    LANGUAGE: 'other',
    OTHER: 'other',
    FINISH_REASON_UNSPECIFIED: 'other',
  },
  // Converse stopReason; Anthropic-on-Bedrock InvokeModel answers carry Anthropic's stop_reason,
  // whose values are the same words.
  bedrock: {
    end_turn: 'stop',
    stop_sequence: 'stop',
    max_tokens: 'length',
    model_context_window_exceeded: 'length',
    tool_use: 'tool_calls',
    guardrail_intervened: 'content_filter',
    content_filtered: 'content_filter',
    refusal: 'content_filter',
    pause_turn: 'other',
  },
};

/**
 * The neutral reason for a provider's raw value; undefined when the provider gave none (null or
 * absent), 'other' for a value not in the table. Azure reads as OpenAI and Vertex as Gemini.
 */
export function finishReasonOf(provider: ProviderId, raw: unknown): FinishReason | undefined {
  if (raw === undefined || raw === null || raw === '') return undefined;
  const table = RAW_FINISH_REASONS[PROVIDER_LIMITS[provider].format];
  return typeof raw === 'string' && Object.hasOwn(table, raw) ? table[raw] : 'other';
}
