// A batch the provider refused as a whole for capacity (the enqueued-token quota: OpenAI and
// Azure fail it with `token_limit_exceeded` and no line) is not a failure of its items: nothing
// ran and nothing was billed. Pure decisions: recognising one, how long to wait, and what the
// job says while it waits.
import { CAPACITY_REFUSAL_CODES } from '../providers/batchProvider';
import type { CapacityRefusedError, RemoteBatch } from '../providers/batchProvider';

export interface CapacityRefusal {
  readonly code: string;
  /** The provider's own words, shown to the user. */
  readonly message: string;
  /** The message says the quota frees up as running batches finish. */
  readonly waitsForRunningBatches: boolean;
  /** A wait the message names ("try again in 30 seconds"), in ms. */
  readonly hintMs: number | undefined;
}

/** Backoff doublings before the wait stops growing: 60 s → about 32 min on real providers. */
const MAX_DOUBLINGS = 5;

/**
 * The refusal, when the batch failed as a whole for capacity only: every error names no line
 * and has a capacity code, and no item ran (no results at all).
 */
export function capacityRefusalOf(remote: RemoteBatch): CapacityRefusal | undefined {
  if (remote.state !== 'failed' || remote.errors.length === 0) return undefined;
  if (remote.resultRefs.length > 0 || remote.counts.completed > 0) return undefined;
  if (!remote.errors.every((error) => error.line === undefined && CAPACITY_REFUSAL_CODES.has(error.code.toLowerCase()))) return undefined;
  const first = remote.errors[0];
  return refusal(first?.code ?? 'token_limit_exceeded', first?.message ?? '');
}

/** The same refusal given at create time (Azure's fail-fast regions): no batch was made. */
export function capacityRefusalOfCreate(error: CapacityRefusedError): CapacityRefusal {
  return refusal(error.code, error.providerMessage);
}

function refusal(code: string, message: string): CapacityRefusal {
  return {
    code,
    message,
    waitsForRunningBatches: /in_progress batches|batches have (been )?completed|current jobs have finished|active batch/i.test(message),
    hintMs: waitHintMs(message),
  };
}

/** "try again in 20 seconds", "retry after 2 minutes", "try again in 500ms" → ms. */
export function waitHintMs(message: string): number | undefined {
  const match = /(?:try again|retry)\s+(?:in|after)\s+(\d+(?:\.\d+)?)\s*(ms|milliseconds?|s|secs?|seconds?|m|mins?|minutes?|h|hours?)\b/i.exec(message);
  if (!match) return undefined;
  const value = Number(match[1]);
  const unit = (match[2] ?? 's').toLowerCase();
  const scale = unit.startsWith('ms') || unit.startsWith('milli') ? 1 : unit.startsWith('h') ? 3_600_000 : unit.startsWith('m') ? 60_000 : 1_000;
  return Math.round(value * scale);
}

/** The n-th refusal in a row (1-based) waits base, 2×base, 4×base…, capped; a longer hint wins. */
export function capacityBackoffMs(refusals: number, baseMs: number, hintMs?: number): number {
  const backoff = baseMs * 2 ** Math.min(Math.max(0, refusals - 1), MAX_DOUBLINGS);
  return Math.max(backoff, hintMs ?? 0);
}

/** What the job says while the chunk waits. */
export function capacityWaitReason(
  refusal: CapacityRefusal,
  details: { batchKey: string; items: number; refusals: number; resendAt: number; runningBatches: number; atCreate?: boolean },
): string {
  const when = new Date(details.resendAt).toISOString().replace(/\.\d+Z$/, 'Z');
  const running =
    refusal.waitsForRunningBatches && details.runningBatches > 0
      ? ` The quota frees up as running batches finish; this job has ${details.runningBatches} running.`
      : '';
  const times = details.refusals === 1 ? '' : ` (refused ${details.refusals} times in a row)`;
  return (
    `Waiting for provider capacity: batch ${details.batchKey} (${details.items} items) was refused ${details.atCreate ? 'at create' : 'as a whole'}${times}: ` +
    `${refusal.code}: ${refusal.message}${running} No strike is counted; the same items are sent again after ${when}.`
  );
}
