// What run.ts and measure.ts agree on: the measured paths and the line a measurement prints.

export const MEASURED_PATHS = ['read-sha256', 'json-parse', 'validate-workers', 'estimate-workers', 'validate-inline', 'estimate-inline', 'tokens'] as const;
export type MeasuredPath = (typeof MEASURED_PATHS)[number];

export interface EstimateTotals {
  readonly items: number;
  readonly valid: number;
  readonly invalid: number;
  readonly duplicates: number;
  readonly chunks: number;
  readonly inputTokens: number;
}

export interface Measurement {
  readonly path: MeasuredPath;
  readonly bytes: number;
  readonly seconds: number;
  /** CPU time of the measuring process, all its threads, user + system. */
  readonly cpuSeconds: number;
  /** Resident set high-water mark of the measuring process (its worker threads included), in bytes. */
  readonly maxRss: number;
  readonly lines?: number;
  readonly totals?: EstimateTotals;
}
