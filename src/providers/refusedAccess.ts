// Every batch call of an adapter with a refused key or permission raised as ProviderAccessError:
// such a refusal stops the job (it waits for the user) instead of a retry every poll. Each SDK
// names its errors differently, so the adapter says which of its errors is a refusal.
import type { BatchProvider } from './batchProvider';

/** `toAccessError` returns the ProviderAccessError for a refusal, and any other error unchanged. */
export function withRefusedAccess(adapter: BatchProvider, toAccessError: (error: unknown) => unknown): BatchProvider {
  const guard =
    <A extends unknown[], R>(call: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      try {
        return await call(...args);
      } catch (error) {
        throw toAccessError(error);
      }
    };
  return {
    ...adapter,
    stage: guard(adapter.stage),
    create: guard(adapter.create),
    findCreated: guard(adapter.findCreated),
    retrieve: guard(adapter.retrieve),
    cancel: guard(adapter.cancel),
    fetchResults: guard(adapter.fetchResults),
    readInput: guard(adapter.readInput),
    async *list(signal) {
      try {
        yield* adapter.list(signal);
      } catch (error) {
        throw toAccessError(error);
      }
    },
  };
}
