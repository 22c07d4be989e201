// How batches of lines get analysed: here, on the calling thread. The worker-thread version
// (workerLineAnalyzer.ts) has the same shape, so the estimate pipeline does not care which runs.
import type { RawLine } from './jsonlReader';
import { analyzeLine } from './lineAnalysis';
import type { LineOptions, LineResult } from './lineAnalysis';
import { createPricer } from './pricing';
import type { PricingOptions } from './pricing';

export interface LineAnalyzer {
  /** Results come back in the order of `lines`. */
  analyze(lines: readonly RawLine[]): Promise<LineResult[]>;
  close(): Promise<void>;
}

export interface AnalyzerOptions extends LineOptions {
  readonly pricing?: PricingOptions | undefined;
}

export function createInlineAnalyzer(options: AnalyzerOptions): LineAnalyzer {
  const pricer = createPricer(options.pricing);
  return {
    analyze: (lines) => Promise.resolve(lines.map((raw) => analyzeLine(raw.number, raw.offset, raw.bytes, options, pricer))),
    close: () => Promise.resolve(),
  };
}
