// Each provider's result-line parser, usable without a client or a key: reading results that
// are already on disk needs no network.
import type { ItemOutcome } from '../core/itemOutcome';
import type { ProviderId } from '../core/providerLimits';
import { providerEntry } from './registry';

export type ResultLineParser = (line: string) => ItemOutcome | undefined;

export function resultParserFor(provider: ProviderId): ResultLineParser {
  return providerEntry(provider).parseResultLine;
}
