// Each provider's result-line parser, usable without a client or a key: reading results that
// are already on disk needs no network.
import type { ItemOutcome } from '../core/itemOutcome';
import type { ProviderId } from '../core/providerLimits';
import { parseOpenAiResultLine } from './openaiMapping';

export type ResultLineParser = (line: string) => ItemOutcome | undefined;

export function resultParserFor(provider: ProviderId): ResultLineParser {
  switch (provider) {
    case 'openai':
    case 'azure':
      return parseOpenAiResultLine;
    default:
      throw new Error(`reading ${provider} results is not supported yet`);
  }
}
