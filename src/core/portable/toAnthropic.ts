// A portable chat request (see portableChat.ts) as an Anthropic Message Batches line:
// `{custom_id, params}` where params is a Messages create body. Anthropic's API version
// 2026-10-21 refuses temperature, top_p and top_k (docs/PROVIDER_BATCH_APIS.md §3.1), and a plain
// Messages body has no JSON mode, so those are refused here rather than errored after upload.
import type { Converted, PortableChat, PortablePart, PortableTurn } from './portableChat';

/** The media types Anthropic takes for a base64 image. */
const ANTHROPIC_IMAGE_TYPES = new Set(['image/jpeg', 'image/png', 'image/gif', 'image/webp']);

export function toAnthropicLine(id: string, model: string, chat: PortableChat, target = 'Anthropic'): Converted {
  const problems: string[] = [];
  const refuse = (field: string, why: string): void => {
    problems.push(`field "${field}": ${why}`);
  };
  if (chat.temperature) refuse(chat.temperature.field, `${target}'s current API no longer takes temperature; remove it`);
  if (chat.topP) refuse(chat.topP.field, `${target}'s current API no longer takes top_p; remove it`);
  refuseUnsupportedOptions(chat, target, refuse);
  if (!chat.maxTokens) refuse('body.max_completion_tokens', `${target} needs max_tokens; set max_completion_tokens (or max_tokens)`);

  const messages = chat.turns.map((turn) => ({ role: turn.role, content: anthropicContent(turn, target, refuse, true) }));
  if (problems.length > 0 || !chat.maxTokens) return { problems };

  const params: Record<string, unknown> = { model, max_tokens: chat.maxTokens.value };
  const system = anthropicSystem(chat.system);
  if (system !== undefined) params['system'] = system;
  params['messages'] = messages;
  if (chat.stop) params['stop_sequences'] = [...chat.stop.value];
  return { line: { custom_id: id, params } };
}

/** Refusals every Anthropic-shaped target shares (the Messages API and Anthropic on Bedrock). */
export function refuseUnsupportedOptions(chat: PortableChat, target: string, refuse: (field: string, why: string) => void): void {
  const format = chat.responseFormat;
  if (format?.value.type === 'json_schema') {
    refuse(format.field, `${target} batches cannot take a JSON schema response format; remove it and describe the JSON in the prompt`);
  } else if (format?.value.type === 'json_object') {
    refuse(format.field, `${target} batches have no JSON mode (json_object); remove it and ask for JSON in the prompt`);
  }
  if (chat.seed) refuse(chat.seed.field, `${target} does not take a seed; remove it`);
  if (chat.presencePenalty) refuse(chat.presencePenalty.field, `${target} does not take presence_penalty; remove it`);
  if (chat.frequencyPenalty) refuse(chat.frequencyPenalty.field, `${target} does not take frequency_penalty; remove it`);
}

/** One system text stays a string; several stay apart as text blocks. */
export function anthropicSystem(system: readonly string[]): string | Record<string, unknown>[] | undefined {
  if (system.length === 0) return undefined;
  if (system.length === 1) return system[0];
  return system.map((text) => ({ type: 'text', text }));
}

/**
 * A turn's content as Anthropic content: a plain string stays one; parts become text and image
 * blocks. `webImages` is false where only base64 images are taken (Anthropic on Bedrock).
 */
export function anthropicContent(turn: PortableTurn, target: string, refuse: (field: string, why: string) => void, webImages: boolean): string | Record<string, unknown>[] {
  const only = turn.parts[0];
  if (turn.plain && only?.kind === 'text') return only.text;
  const blocks: Record<string, unknown>[] = [];
  for (const part of turn.parts) {
    const block = anthropicBlock(part, target, refuse, webImages);
    if (block) blocks.push(block);
  }
  return blocks;
}

function anthropicBlock(part: PortablePart, target: string, refuse: (field: string, why: string) => void, webImages: boolean): Record<string, unknown> | undefined {
  if (part.kind === 'text') return { type: 'text', text: part.text };
  if (part.inline) {
    if (!ANTHROPIC_IMAGE_TYPES.has(part.inline.mediaType)) {
      refuse(part.field, `${target} takes JPEG, PNG, GIF or WebP images, not ${part.inline.mediaType}`);
      return undefined;
    }
    return { type: 'image', source: { type: 'base64', media_type: part.inline.mediaType, data: part.inline.data } };
  }
  if (webImages && /^https?:\/\//i.test(part.url)) return { type: 'image', source: { type: 'url', url: part.url } };
  refuse(part.field, `${target} takes an image here only as a base64 data: URL${webImages ? ' or an http(s) address' : ''}`);
  return undefined;
}
