// One abort signal per provider call. The SDKs add an abort listener to the signal of every
// request and never remove it (openai 6.x), so a long-lived signal — a `watch`, the extension's
// session — would gather one listener per call for as long as it lives. Each call gets its own
// signal that follows the caller's, and the link between them is dropped when the call ends.
import type { BatchProvider } from './batchProvider';

/** A signal that aborts with `signal`; `release()` unlinks it once the call is over. */
export function callSignal(signal: AbortSignal | undefined): { readonly signal: AbortSignal | undefined; release(): void } {
  if (!signal) return { signal: undefined, release: () => undefined };
  const own = new AbortController();
  if (signal.aborted) {
    own.abort(signal.reason);
    return { signal: own.signal, release: () => undefined };
  }
  const forward = () => own.abort(signal.reason);
  signal.addEventListener('abort', forward, { once: true });
  return { signal: own.signal, release: () => signal.removeEventListener('abort', forward) };
}

/** The adapter with every call given its own signal (see above). */
export function withCallSignals(adapter: BatchProvider): BatchProvider {
  const wrap =
    <A extends unknown[], R>(call: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      const links = args.map((arg) => (arg instanceof AbortSignal ? callSignal(arg) : undefined));
      try {
        return await call(...(args.map((arg, i) => links[i]?.signal ?? arg) as A));
      } finally {
        for (const link of links) link?.release();
      }
    };
  return {
    ...adapter,
    verifyAccess: wrap(adapter.verifyAccess),
    stage: wrap(adapter.stage),
    create: wrap(adapter.create),
    findCreated: wrap(adapter.findCreated),
    retrieve: wrap(adapter.retrieve),
    cancel: wrap(adapter.cancel),
    fetchResults: wrap(adapter.fetchResults),
    readInput: wrap(adapter.readInput),
    callSync: wrap(adapter.callSync),
    async *list(signal) {
      const link = callSignal(signal);
      try {
        yield* adapter.list(link.signal);
      } finally {
        link.release();
      }
    },
  };
}
