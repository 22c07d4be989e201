// A portable chat request (see portableChat.ts) as a Bedrock batch record, `{recordId, modelInput}`.
// The model is on the job, not the record, and the job's invocation type decides the shape of
// modelInput: Anthropic models take their native InvokeModel body (bedrock-2023-05-31), every
// other model the Converse request (docs/PROVIDER_BATCH_APIS.md §5.1–5.2).
import { anthropicContent, anthropicSystem, refuseUnsupportedOptions } from './toAnthropic';
import type { Converted, PortableChat } from './portableChat';
import { textParts } from './portableChat';

export const BEDROCK_INVOCATION_TYPES = ['InvokeModel', 'Converse'] as const;
export type BedrockInvocationType = (typeof BEDROCK_INVOCATION_TYPES)[number];

/**
 * Record ids we send: letters, digits, "_" and "-", at most 64. Bedrock's own rule is not
 * published beyond "alphanumeric" (unverified); a stricter rule here costs a clear message,
 * a looser one a record Bedrock renames, whose result then matches nothing.
 */
export const BEDROCK_RECORD_ID = /^[a-zA-Z0-9_-]{1,64}$/;

/**
 * InvokeModel for Anthropic models (`anthropic.…`, a cross-region profile such as
 * `us.anthropic.…`, or an ARN ending in one), Converse for the rest.
 */
export function bedrockInvocationType(modelId: string): BedrockInvocationType {
  const name = modelId.slice(modelId.lastIndexOf('/') + 1);
  return /^(?:[a-z]+\.)?anthropic\./.test(name) ? 'InvokeModel' : 'Converse';
}

export function toBedrockLine(id: string, chat: PortableChat, invocation: BedrockInvocationType, target = 'AWS Bedrock'): Converted {
  const problems: string[] = [];
  const refuse = (field: string, why: string): void => {
    problems.push(`field "${field}": ${why}`);
  };
  if (!BEDROCK_RECORD_ID.test(id)) {
    refuse('custom_id', `${JSON.stringify(id)} cannot be a ${target} recordId (letters, digits, "_" and "-", at most 64); rename it in the file, since results are matched by id`);
  }
  const modelInput = invocation === 'InvokeModel' ? invokeModelInput(chat, `${target} (Anthropic InvokeModel)`, refuse) : converseInput(chat, `${target} (Converse)`, refuse);
  if (problems.length > 0) return { problems };
  return { line: { recordId: id, modelInput } };
}

function invokeModelInput(chat: PortableChat, target: string, refuse: (field: string, why: string) => void): Record<string, unknown> {
  refuseUnsupportedOptions(chat, target, refuse);
  if (!chat.maxTokens) refuse('body.max_completion_tokens', `${target} needs max_tokens; set max_completion_tokens (or max_tokens)`);
  // Anthropic's range is 0–1 where OpenAI's is 0–2.
  if (chat.temperature && chat.temperature.value > 1) refuse(chat.temperature.field, `${target} takes a temperature from 0 to 1, got ${chat.temperature.value}`);
  const messages = chat.turns.map((turn) => ({ role: turn.role, content: anthropicContent(turn, target, refuse, false) }));

  const input: Record<string, unknown> = { anthropic_version: 'bedrock-2023-05-31', max_tokens: chat.maxTokens?.value };
  const system = anthropicSystem(chat.system);
  if (system !== undefined) input['system'] = system;
  input['messages'] = messages;
  if (chat.temperature) input['temperature'] = chat.temperature.value;
  if (chat.topP) input['top_p'] = chat.topP.value;
  if (chat.stop) input['stop_sequences'] = [...chat.stop.value];
  return input;
}

function converseInput(chat: PortableChat, target: string, refuse: (field: string, why: string) => void): Record<string, unknown> {
  refuseUnsupportedOptions(chat, target, refuse);
  const messages = chat.turns.map((turn) => {
    for (const part of turn.parts) if (part.kind === 'image') refuse(part.field, `${target} records are converted from text only; send images in a native Bedrock file`);
    return { role: turn.role, content: textParts(turn).map((text) => ({ text })) };
  });

  const input: Record<string, unknown> = { messages };
  if (chat.system.length > 0) input['system'] = chat.system.map((text) => ({ text }));
  const config: Record<string, unknown> = {};
  if (chat.maxTokens) config['maxTokens'] = chat.maxTokens.value;
  if (chat.temperature) config['temperature'] = chat.temperature.value;
  if (chat.topP) config['topP'] = chat.topP.value;
  if (chat.stop) config['stopSequences'] = [...chat.stop.value];
  if (Object.keys(config).length > 0) input['inferenceConfig'] = config;
  return input;
}
