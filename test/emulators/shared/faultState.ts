// Live fault state every emulator keeps: the config plus the counters that make endpoint faults,
// counted switches and one-shots run out. Each emulator extends it with its own snapshot of what
// a batch captures at create.

import type { TruncateDownload } from './faultParsing';

/** The switches every emulator has, whatever else its config holds. */
export interface CommonFaultConfig<F extends { endpoint: string; times: number }> {
  endpointFaults?: F[];
  truncateDownload?: TruncateDownload;
  emptyContent?: boolean;
  nonJsonContent?: boolean;
  capacityRefusals?: number;
}

type KeysOfType<C, T> = { [K in keyof C]-?: NonNullable<C[K]> extends T ? K : never }[keyof C];

export class FaultStateBase<F extends { endpoint: string; times: number }, C extends CommonFaultConfig<F>> {
  protected config = {} as C;
  private endpointRemaining: { fault: F; left: number }[] = [];

  /** Replaces the whole config and restarts the endpoint-fault counters. */
  set(config: C): void {
    // A shallow copy is enough: the nested objects are only read, never mutated, by the emulator.
    this.config = { ...config };
    this.endpointRemaining = (config.endpointFaults ?? []).map((fault) => ({ fault, left: fault.times }));
  }

  get(): C {
    return { ...this.config };
  }

  /** Returns the fault to inject for this request, counting it down, or undefined to serve normally. */
  takeEndpointFault(route: F['endpoint']): F | undefined {
    const entry = this.endpointRemaining.find((e) => e.fault.endpoint === route && e.left > 0);
    if (!entry) return undefined;
    entry.left -= 1;
    return entry.fault;
  }

  /** Consumes the one-shot download truncation; 'none' when it is off. */
  takeTruncateDownload(): 'abort' | 'short' | 'none' {
    const t = this.config.truncateDownload;
    if (t === undefined || t === false) return 'none';
    this.config = { ...this.config, truncateDownload: false };
    return t === 'short' ? 'short' : 'abort';
  }

  contentOverrides(): { emptyContent: boolean; nonJsonContent: boolean } {
    return { emptyContent: this.config.emptyContent === true, nonJsonContent: this.config.nonJsonContent === true };
  }

  /** Consumes a one-shot boolean switch: true once after it was set, then false. */
  protected takeOneShot(key: KeysOfType<C, boolean>): boolean {
    if (this.config[key] !== true) return false;
    this.config = { ...this.config, [key]: false };
    return true;
  }

  /** Counts a counted switch down by one; false while it is 0. */
  protected takeCounted(key: KeysOfType<C, number>): boolean {
    const left = (this.config[key] as number | undefined) ?? 0;
    if (left <= 0) return false;
    this.config = { ...this.config, [key]: left - 1 };
    return true;
  }
}
