// One entry point for sending an OpenAI-shaped chat batch line (the de facto portable request)
// to any provider: OpenAI and Azure take it as written; Anthropic, Gemini/Vertex and Bedrock get
// it converted to their own line format, or a list of problems, each naming the field and the
// provider, that the estimate shows instead of a 400 after upload. Pure and deterministic: the
// same line and options always give the same object (so the same bytes once JSON.stringify'd),
// because the bytes sent must be the bytes priced.
import { PROVIDER_LIMITS } from '../providerLimits';
import type { ProviderId } from '../providerLimits';
import type { Converted } from './portableChat';
import { isRecord, readPortableChat } from './portableChat';
import { toAnthropicLine } from './toAnthropic';
import type { BedrockInvocationType } from './toBedrock';
import { bedrockInvocationType, toBedrockLine } from './toBedrock';
import { toGeminiLine } from './toGemini';

export interface PortableOptions {
  /** Replaces (or supplies) the line's body.model, as --model does. */
  readonly model?: string | undefined;
  /** Bedrock only: the job's invocation type, when not the one the model implies. */
  readonly invocationType?: BedrockInvocationType | undefined;
}

/** The only endpoint that converts: embeddings, responses and the rest have no common shape. */
export const PORTABLE_URL = '/v1/chat/completions';

export function convertPortableLine(line: Record<string, unknown>, provider: ProviderId, options: PortableOptions = {}): Converted {
  const limits = PROVIDER_LIMITS[provider];
  if (limits.format === 'openai') return { line };
  const target = limits.displayName;

  const problems: string[] = [];
  const id = line['custom_id'];
  if (typeof id !== 'string' || id === '') problems.push(`field "custom_id": must be a non-empty string to become ${target}'s item id`);
  if (line['method'] !== 'POST') problems.push(`field "method": must be "POST", got ${JSON.stringify(line['method'] ?? null)}`);
  const url = line['url'];
  if (url !== PORTABLE_URL) {
    problems.push(`field "url": ${target} cannot send ${typeof url === 'string' ? url : JSON.stringify(url ?? null)} lines; only chat completions (${PORTABLE_URL}) convert`);
    return { problems };
  }
  const body = line['body'];
  if (!isRecord(body)) return { problems: [...problems, `field "body": must be an object`] };
  const bodyModel = body['model'];
  const model = options.model ?? (typeof bodyModel === 'string' && bodyModel !== '' ? bodyModel : undefined);
  if (model === undefined) problems.push(`field "body.model": missing; ${target} needs a model: set it or pass --model`);

  const read = readPortableChat(body, target);
  if ('problems' in read) problems.push(...read.problems);
  if (problems.length > 0 || 'problems' in read || model === undefined || typeof id !== 'string') return { problems };

  switch (limits.format) {
    case 'anthropic':
      return toAnthropicLine(id, model, read.chat, target);
    case 'gemini':
      return toGeminiLine(id, model, read.chat, target);
    case 'bedrock':
      return toBedrockLine(id, read.chat, options.invocationType ?? bedrockInvocationType(model), target);
  }
}
