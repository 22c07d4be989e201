// Timings and thresholds of the engine. Real providers take minutes to hours, so the defaults
// poll gently (60 s → 300 s) and wait before retrying; against a loopback endpoint (the local
// emulator, the sandbox, the tests) the same schedule shrinks to about a second.

export interface EngineConfig {
  /** First wait between polls of one batch; doubles up to pollMaxMs. */
  readonly pollInitialMs: number;
  readonly pollMaxMs: number;
  /**
   * Waits of the retry ladder: [0] before strike 1's batch, [1] before strike 2's batch and
   * again before strike 3's sync calls (see retryLadder.ladderWaitMs). A batch refused for
   * capacity backs off from [0] too.
   */
  readonly retryWaitsMs: readonly [number, number];
  /** Sync calls (strike 3) per second, per provider and model. */
  readonly syncRatePerSecond: number;
  /** Calls per item at strike 3 while the provider answers 429 or 5xx (default 3), each journaled. */
  readonly syncAttempts?: number | undefined;
  /** First pause between those calls, doubling (default 1 s); a longer retry-after wins. */
  readonly syncRetryBaseMs?: number | undefined;
  /** A job whose failure share passes this raises an alert (0.05 = 5%). */
  readonly failureAlertRate: number;
}

export const DEFAULT_ENGINE_CONFIG: EngineConfig = {
  pollInitialMs: 60_000,
  pollMaxMs: 300_000,
  retryWaitsMs: [60_000, 300_000],
  syncRatePerSecond: 2,
  syncAttempts: 3,
  syncRetryBaseMs: 1_000,
  failureAlertRate: 0.05,
};

export const LOOPBACK_ENGINE_CONFIG: EngineConfig = {
  pollInitialMs: 250,
  pollMaxMs: 1_000,
  retryWaitsMs: [500, 1_000],
  syncRatePerSecond: 50,
  syncAttempts: 3,
  syncRetryBaseMs: 50,
  failureAlertRate: 0.05,
};

/** True for 127.0.0.0/8, ::1 and localhost. */
export function isLoopbackUrl(url: string | undefined): boolean {
  if (!url) return false;
  try {
    const host = new URL(url).hostname.replace(/^\[|\]$/g, '');
    return host === 'localhost' || host === '::1' || /^127(\.\d{1,3}){3}$/.test(host);
  } catch {
    return false;
  }
}

export function engineConfigFor(baseUrl: string | undefined, overrides: Partial<EngineConfig> = {}): EngineConfig {
  return { ...(isLoopbackUrl(baseUrl) ? LOOPBACK_ENGINE_CONFIG : DEFAULT_ENGINE_CONFIG), ...overrides };
}
