// What became of one item in one attempt, in provider-neutral terms, and the failure taxonomy
// the retry ladder routes on. Adapters map their wire shapes onto this; the engine only reads it.
import type { FinishReason } from './portable/finishReason';

/**
 * - transient: 5xx, timeouts, an id missing from both result files — worth another batch.
 * - rate_limited: 429 inside a batch — worth another batch.
 * - invalid_request: a deterministic 4xx (context_length_exceeded, bad params) — paying again
 *   for the same 400 is waste: straight to dead letter; the user can edit and requeue.
 * - content_policy: refused by the provider's filter — dead letter.
 * - expired: the batch window closed before the item ran — retryable.
 * - cancelled: the user cancelled — not retried automatically.
 * - invalid_output: empty content, or output that fails the job's checks — retryable, since a
 *   model may answer well the second time.
 */
export const FAILURE_CLASSES = ['transient', 'rate_limited', 'invalid_request', 'content_policy', 'expired', 'cancelled', 'invalid_output'] as const;
export type FailureClass = (typeof FAILURE_CLASSES)[number];

export const RETRYABLE: ReadonlySet<FailureClass> = new Set(['transient', 'rate_limited', 'expired', 'invalid_output']);

export interface Usage {
  /** Every input token, those read from or written to a prompt cache included. */
  readonly inputTokens: number;
  readonly outputTokens: number;
  /** Of inputTokens, those read from the provider's prompt cache (priced lower), where it says. */
  readonly cacheReadTokens?: number | undefined;
  /** Of inputTokens, those written to the prompt cache (Anthropic prices them higher), where it says. */
  readonly cacheWriteTokens?: number | undefined;
}

export type ItemOutcome =
  | {
      readonly ok: true;
      readonly customId: string;
      /** The model's text answer (chat content or Responses output text); may be empty. */
      readonly content: string;
      readonly usage: Usage | undefined;
      /** Why the model stopped (portable/finishReason.ts), where the provider said. */
      readonly finishReason?: FinishReason | undefined;
    }
  | {
      readonly ok: false;
      readonly customId: string;
      readonly failureClass: FailureClass;
      /** The provider's error code where it gave one (e.g. context_length_exceeded). */
      readonly code: string | undefined;
      readonly message: string;
      readonly httpStatus: number | undefined;
      readonly usage: Usage | undefined;
    };

/** The prompt-cache part of a usage, as the pricer takes it. */
export function cacheUseOf(usage: Usage): { readonly readTokens: number | undefined; readonly writeTokens: number | undefined } {
  return { readTokens: usage.cacheReadTokens, writeTokens: usage.cacheWriteTokens };
}
