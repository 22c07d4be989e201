// Reads the body of an OpenAI chat-completions batch line (the portable request) into a neutral
// form the per-provider converters map from. It refuses what no converter carries over (tools,
// audio, named turns…): a field dropped silently would change the answer the user pays for, so
// each refusal is a message naming the field and the provider the line was meant for.

/** One piece of a turn: text, or an image given as a data: URL (base64) or a web address. */
export type PortablePart =
  | { readonly kind: 'text'; readonly text: string }
  | { readonly kind: 'image'; readonly field: string; readonly url: string; readonly inline: { readonly mediaType: string; readonly data: string } | undefined };

export interface PortableTurn {
  readonly role: 'user' | 'assistant';
  /** Where the turn's content is in the line, for messages that point at it. */
  readonly field: string;
  /** True when the content was a plain string (so it can stay one where the target allows). */
  readonly plain: boolean;
  readonly parts: readonly PortablePart[];
}

export type PortableResponseFormat =
  | { readonly type: 'json_object' }
  | { readonly type: 'json_schema'; readonly name: string | undefined; readonly schema: Record<string, unknown>; readonly strict: boolean | undefined };

/** A value with the field it came from, so a target that cannot take it can say which field. */
export interface Sourced<T> {
  readonly value: T;
  readonly field: string;
}

export interface PortableChat {
  /** System and developer messages, one text per text part, in order. */
  readonly system: readonly string[];
  readonly turns: readonly PortableTurn[];
  readonly maxTokens: Sourced<number> | undefined;
  readonly temperature: Sourced<number> | undefined;
  readonly topP: Sourced<number> | undefined;
  readonly stop: Sourced<readonly string[]> | undefined;
  readonly responseFormat: Sourced<PortableResponseFormat> | undefined;
  readonly seed: Sourced<number> | undefined;
  readonly presencePenalty: Sourced<number> | undefined;
  readonly frequencyPenalty: Sourced<number> | undefined;
}

/** What each converter returns: the provider's line, or every reason it cannot be sent there. */
export type Converted = { readonly line: Record<string, unknown> } | { readonly problems: string[] };

/** The body fields a converter reads; every other field must be absent, null or a neutral value. */
const READ_FIELDS = new Set([
  'model',
  'messages',
  'max_completion_tokens',
  'max_tokens',
  'temperature',
  'top_p',
  'stop',
  'response_format',
  'seed',
  'presence_penalty',
  'frequency_penalty',
]);

/** Fields whose value here asks for what every target does anyway (one answer, no stream, no logprobs). */
const NEUTRAL_VALUES: Readonly<Record<string, unknown>> = { n: 1, stream: false, logprobs: false };

/**
 * The neutral form of `body`, or the problems that keep it from converting. `target` is the
 * provider's display name, used in every message.
 */
export function readPortableChat(body: Record<string, unknown>, target: string): { chat: PortableChat } | { problems: string[] } {
  const problems: string[] = [];
  const refuse = (field: string, why: string): void => {
    problems.push(`field "${field}": ${why}`);
  };

  for (const key of Object.keys(body)) {
    const value = body[key];
    if (READ_FIELDS.has(key) || value === null || value === undefined) continue;
    if (key in NEUTRAL_VALUES && value === NEUTRAL_VALUES[key]) continue;
    if (key === 'stream' && value === true) refuse(`body.${key}`, 'a batch request cannot stream; remove it or set it to false');
    else if (key === 'n') refuse('body.n', `${target} batches return one answer per request; remove it or set it to 1`);
    else refuse(`body.${key}`, `is not converted for ${target} (only messages, max tokens, temperature, top_p, stop, response_format, seed and penalties are); remove it`);
  }

  const { system, turns } = readMessages(body['messages'], target, refuse);
  const maxTokens = readMaxTokens(body, refuse);
  const temperature = readNumber(body, 'temperature', 0, 2, refuse);
  const topP = readNumber(body, 'top_p', 0, 1, refuse);
  const presencePenalty = readNumber(body, 'presence_penalty', -2, 2, refuse);
  const frequencyPenalty = readNumber(body, 'frequency_penalty', -2, 2, refuse);
  const seed = readSeed(body, refuse);
  const stop = readStop(body, refuse);
  const responseFormat = readResponseFormat(body, refuse);

  if (problems.length > 0) return { problems };
  return { chat: { system, turns, maxTokens, temperature, topP, stop, responseFormat, seed, presencePenalty, frequencyPenalty } };
}

type Refuse = (field: string, why: string) => void;

function readMessages(messages: unknown, target: string, refuse: Refuse): { system: string[]; turns: PortableTurn[] } {
  const system: string[] = [];
  const turns: PortableTurn[] = [];
  if (!Array.isArray(messages) || messages.length === 0) {
    refuse('body.messages', 'must be a non-empty list of messages');
    return { system, turns };
  }
  messages.forEach((message: unknown, index) => {
    const field = `body.messages.${index}`;
    if (!isRecord(message)) {
      refuse(field, 'must be an object with a role and content');
      return;
    }
    for (const key of Object.keys(message)) {
      if (key !== 'role' && key !== 'content' && message[key] !== null && message[key] !== undefined) {
        refuse(`${field}.${key}`, `is not converted for ${target} (a message converts its role and content only); remove it`);
      }
    }
    const role = message['role'];
    if (role === 'system' || role === 'developer') {
      // A system prompt in the middle of a conversation has no place in targets that take it once, up front.
      if (turns.length > 0) {
        refuse(`${field}.role`, `a ${role} message after the conversation started; ${target} takes the system prompt only before the first user message`);
        return;
      }
      const parts = readContent(message['content'], `${field}.content`, target, false, refuse);
      for (const part of parts) if (part.kind === 'text') system.push(part.text);
      return;
    }
    if (role === 'user' || role === 'assistant') {
      const content = message['content'];
      const parts = readContent(content, `${field}.content`, target, role === 'user', refuse);
      turns.push({ role, field: `${field}.content`, plain: typeof content === 'string', parts });
      return;
    }
    refuse(`${field}.role`, `${JSON.stringify(role)} messages are not converted for ${target} (only system, developer, user and assistant are)`);
  });
  if (turns.length === 0 && messages.length > 0) refuse('body.messages', `holds no user message; ${target} needs at least one`);
  return { system, turns };
}

function readContent(content: unknown, field: string, target: string, imagesAllowed: boolean, refuse: Refuse): PortablePart[] {
  if (typeof content === 'string') return [{ kind: 'text', text: content }];
  if (!Array.isArray(content)) {
    refuse(field, content === null || content === undefined ? `missing; ${target} needs the text of every message` : 'must be a string or a list of content parts');
    return [];
  }
  const parts: PortablePart[] = [];
  content.forEach((part: unknown, index) => {
    const partField = `${field}.${index}`;
    const type = isRecord(part) ? part['type'] : undefined;
    if (isRecord(part) && type === 'text' && typeof part['text'] === 'string') {
      parts.push({ kind: 'text', text: part['text'] });
    } else if (isRecord(part) && type === 'image_url' && imagesAllowed) {
      const image = part['image_url'];
      const url = isRecord(image) ? image['url'] : undefined;
      if (typeof url !== 'string' || url === '') refuse(`${partField}.image_url.url`, 'must be a data: URL or a web address');
      else parts.push({ kind: 'image', field: `${partField}.image_url.url`, url, inline: parseDataUrl(url) });
    } else {
      refuse(partField, `${JSON.stringify(type ?? null)} parts are not converted for ${target} here (text parts are${imagesAllowed ? ', and image_url parts' : ''})`);
    }
  });
  return parts;
}

/** `data:image/png;base64,AAAA` → its media type and base64 data; undefined for any other URL. */
function parseDataUrl(url: string): { mediaType: string; data: string } | undefined {
  const match = /^data:([a-zA-Z0-9.+/-]+);base64,(.*)$/s.exec(url);
  return match ? { mediaType: (match[1] ?? '').toLowerCase(), data: match[2] ?? '' } : undefined;
}

function readMaxTokens(body: Record<string, unknown>, refuse: Refuse): Sourced<number> | undefined {
  // Most specific first, as tokens.ts reads the bound the estimate prices.
  for (const key of ['max_completion_tokens', 'max_tokens']) {
    const value = body[key];
    if (value === undefined || value === null) continue;
    if (typeof value === 'number' && Number.isSafeInteger(value) && value > 0) return { value, field: `body.${key}` };
    refuse(`body.${key}`, `must be a whole number of 1 or more, got ${JSON.stringify(value)}`);
    return undefined;
  }
  return undefined;
}

function readNumber(body: Record<string, unknown>, key: string, least: number, most: number, refuse: Refuse): Sourced<number> | undefined {
  const value = body[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < least || value > most) {
    refuse(`body.${key}`, `must be a number from ${least} to ${most}, got ${JSON.stringify(value)}`);
    return undefined;
  }
  return { value, field: `body.${key}` };
}

function readSeed(body: Record<string, unknown>, refuse: Refuse): Sourced<number> | undefined {
  const value = body['seed'];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) {
    refuse('body.seed', `must be a whole number, got ${JSON.stringify(value)}`);
    return undefined;
  }
  return { value, field: 'body.seed' };
}

function readStop(body: Record<string, unknown>, refuse: Refuse): Sourced<readonly string[]> | undefined {
  const value = body['stop'];
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return { value: [value], field: 'body.stop' };
  if (Array.isArray(value) && value.every((entry) => typeof entry === 'string')) return value.length > 0 ? { value: value as string[], field: 'body.stop' } : undefined;
  refuse('body.stop', 'must be a string or a list of strings');
  return undefined;
}

function readResponseFormat(body: Record<string, unknown>, refuse: Refuse): Sourced<PortableResponseFormat> | undefined {
  const value = body['response_format'];
  if (value === undefined || value === null) return undefined;
  const field = 'body.response_format';
  const type = isRecord(value) ? value['type'] : undefined;
  if (type === 'text') return undefined;
  if (type === 'json_object') return { value: { type }, field };
  if (type === 'json_schema' && isRecord(value)) {
    const spec = value['json_schema'];
    const schema = isRecord(spec) ? spec['schema'] : undefined;
    if (!isRecord(spec) || !isRecord(schema)) {
      refuse(`${field}.json_schema.schema`, 'must be a JSON schema object');
      return undefined;
    }
    const name = typeof spec['name'] === 'string' ? spec['name'] : undefined;
    const strict = typeof spec['strict'] === 'boolean' ? spec['strict'] : undefined;
    return { value: { type, name, schema, strict }, field };
  }
  refuse(`${field}.type`, `must be "text", "json_object" or "json_schema", got ${JSON.stringify(type ?? null)}`);
  return undefined;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Every text of the turn, for targets that take text only; images are refused by the caller. */
export function textParts(turn: PortableTurn): string[] {
  const texts: string[] = [];
  for (const part of turn.parts) if (part.kind === 'text') texts.push(part.text);
  return texts;
}
