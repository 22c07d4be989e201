// The parts of an OpenAI (or Azure OpenAI) request line that decide how it is counted: its url and
// body, and the endpoint they add up to. Both the input count and the output bound read them.

import { asRecord, asString } from './jsonValues';
import type { JsonRecord } from './jsonValues';

export type OpenAiEndpoint = 'chat' | 'responses' | 'embeddings' | 'completions' | 'unknown';

export function openAiEndpoint(url: string, body: JsonRecord | undefined, model: string): OpenAiEndpoint {
  if (url.includes('/embeddings')) return 'embeddings';
  if (url.includes('/responses')) return 'responses';
  if (url.includes('/chat/completions')) return 'chat';
  if (url.includes('/completions')) return 'completions';
  // No usable url: go by the body's shape.
  if (body === undefined) return 'unknown';
  if (body['messages'] !== undefined) return 'chat';
  if (body['input'] !== undefined) return model.toLowerCase().includes('embedding') ? 'embeddings' : 'responses';
  if (body['prompt'] !== undefined) return 'completions';
  return 'unknown';
}

/** `{ url, body }`, as the line carries them; a bare body is accepted too. */
export function openAiParts(request: unknown): { url: string; body: JsonRecord | undefined } {
  const record = asRecord(request);
  const url = asString(record?.['url']) ?? '';
  const body = asRecord(record?.['body']) ?? (record !== undefined && record['url'] === undefined ? record : undefined);
  return { url, body };
}
