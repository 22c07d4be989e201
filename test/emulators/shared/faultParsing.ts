// Strict validation of a fault config that arrived as JSON (POST /__emulator/faults or setFaults),
// shared by every emulator so a typo fails loudly with the same words everywhere. Each emulator
// keeps its own switches and item-fault shape; these are the checks they have in common.

export class FaultConfigError extends Error {}

export type Input = Record<string, unknown>;

export const isRecord = (v: unknown): v is Input => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The config must be an object whose every key is a known switch. */
export function requireKnownSwitches(input: unknown, known: readonly string[]): Input {
  if (!isRecord(input)) throw new FaultConfigError('fault config must be a JSON object');
  const knownSet = new Set(known);
  for (const key of Object.keys(input)) {
    if (!knownSet.has(key)) throw new FaultConfigError(`unknown fault switch "${key}"`);
  }
  return input;
}

/** Copies the boolean switches that are present, refusing anything but true/false. */
export function copyBooleans<K extends string>(input: Input, keys: readonly K[], out: Partial<Record<K, boolean>>): void {
  for (const key of keys) {
    const v = input[key];
    if (v === undefined) continue;
    if (typeof v !== 'boolean') throw new FaultConfigError(`${key} must be a boolean`);
    out[key] = v;
  }
}

export type TruncateDownload = boolean | 'abort' | 'short';

export function parseTruncateDownload(v: unknown): TruncateDownload | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'boolean' && v !== 'abort' && v !== 'short') throw new FaultConfigError('truncateDownload must be true, false, "abort" or "short"');
  return v;
}

/** `expireAfterFraction` in (0, 1]: the fraction of running time after which a batch expires. */
export function parseExpireAfterFraction(v: unknown): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !(v > 0 && v <= 1)) throw new FaultConfigError('expireAfterFraction must be a number in (0, 1]');
  return v;
}

export function parseNonNegativeInteger(v: unknown, name: string): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw new FaultConfigError(`${name} must be a non-negative integer`);
  return v;
}

/** `retryAfter` in seconds; `null` means "send no header". */
export function parseRetryAfterSeconds(v: unknown): number | null | undefined {
  if (v === undefined) return undefined;
  if (v !== null && (typeof v !== 'number' || v < 0)) throw new FaultConfigError('retryAfter must be a non-negative number of seconds or null');
  return v;
}

/** What every endpoint fault has: a route of this emulator, a count and an HTTP status. */
export interface EndpointFaultBase<Route extends string, Status extends number> {
  endpoint: Route;
  times: number;
  status: Status;
}

/**
 * Checks the common part of one endpoint fault against the emulator's own route list and the
 * statuses it can inject; `statusMessage` is the error naming those statuses.
 */
export function parseEndpointFaultBase<Route extends string, Status extends number>(
  v: unknown,
  routes: readonly Route[],
  statuses: readonly Status[],
  statusMessage: string,
): { raw: Input; fault: EndpointFaultBase<Route, Status> } {
  if (!isRecord(v)) throw new FaultConfigError('each endpoint fault must be an object');
  const endpoint = v['endpoint'];
  if (typeof endpoint !== 'string' || !(routes as readonly string[]).includes(endpoint)) {
    throw new FaultConfigError(`endpoint must be one of: ${routes.join(', ')}`);
  }
  const times = v['times'];
  if (typeof times !== 'number' || !Number.isInteger(times) || times < 0) throw new FaultConfigError('times must be a non-negative integer');
  const status = v['status'];
  if (typeof status !== 'number' || !(statuses as readonly number[]).includes(status)) throw new FaultConfigError(statusMessage);
  return { raw: v, fault: { endpoint: endpoint as Route, times, status: status as Status } };
}

/** `endpointFaults`: an array, each entry checked by the emulator's own parser. */
export function parseEndpointFaults<F>(v: unknown, parseOne: (entry: unknown) => F): F[] | undefined {
  if (v === undefined) return undefined;
  if (!Array.isArray(v)) throw new FaultConfigError('endpointFaults must be an array');
  return v.map(parseOne);
}

/** `itemErrors`: an object keyed by the item's id (named `keyName` in the error), each value checked by `parseOne`. */
export function parseItemErrors<F>(v: unknown, keyName: string, parseOne: (id: string, fault: unknown) => F): Record<string, F> | undefined {
  if (v === undefined) return undefined;
  if (!isRecord(v)) throw new FaultConfigError(`itemErrors must be an object keyed by ${keyName}`);
  // fromEntries defines own properties, so even an id like "__proto__" is a plain key.
  return Object.fromEntries(Object.entries(v).map(([id, fault]) => [id, parseOne(id, fault)]));
}
