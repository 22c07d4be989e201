// A portable chat request (see portableChat.ts) as a Gemini batch line, `{key, request}` where
// request is a GenerateContentRequest (camelCase REST JSON). The same line serves the Gemini
// Developer API and Vertex AI; the model is per batch, and `request.model` names it too.
import type { Converted, PortableChat, PortablePart } from './portableChat';

export function toGeminiLine(id: string, model: string, chat: PortableChat, target = 'Google Gemini'): Converted {
  const problems: string[] = [];
  const contents = chat.turns.map((turn) => ({
    role: turn.role === 'assistant' ? 'model' : 'user',
    parts: turn.parts.flatMap((part) => geminiPart(part, target, problems)),
  }));
  if (problems.length > 0) return { problems };

  const request: Record<string, unknown> = { model, contents };
  if (chat.system.length > 0) request['systemInstruction'] = { parts: chat.system.map((text) => ({ text })) };
  const config = generationConfig(chat);
  if (Object.keys(config).length > 0) request['generationConfig'] = config;
  return { line: { key: id, request } };
}

function generationConfig(chat: PortableChat): Record<string, unknown> {
  const config: Record<string, unknown> = {};
  if (chat.maxTokens) config['maxOutputTokens'] = chat.maxTokens.value;
  if (chat.temperature) config['temperature'] = chat.temperature.value;
  if (chat.topP) config['topP'] = chat.topP.value;
  if (chat.stop) config['stopSequences'] = [...chat.stop.value];
  if (chat.seed) config['seed'] = chat.seed.value;
  if (chat.presencePenalty) config['presencePenalty'] = chat.presencePenalty.value;
  if (chat.frequencyPenalty) config['frequencyPenalty'] = chat.frequencyPenalty.value;
  const format = chat.responseFormat?.value;
  if (format) {
    config['responseMimeType'] = 'application/json';
    // responseJsonSchema takes JSON Schema as written; responseSchema would need the OpenAPI subset.
    if (format.type === 'json_schema') config['responseJsonSchema'] = format.schema;
  }
  return config;
}

function geminiPart(part: PortablePart, target: string, problems: string[]): Record<string, unknown>[] {
  if (part.kind === 'text') return [{ text: part.text }];
  if (part.inline) return [{ inlineData: { mimeType: part.inline.mediaType, data: part.inline.data } }];
  problems.push(`field "${part.field}": ${target} takes an image here only as a base64 data: URL (a web address must be uploaded first)`);
  return [];
}
