// A one-line glimpse of what a request asked, for the failure inspector: the last user turn's
// text in any of the line formats we read, else the start of the request body. Plain text only;
// the webview renders it as text.

const DEFAULT_LENGTH = 120;

export function requestPreview(line: string, max = DEFAULT_LENGTH): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    return clip(line, max);
  }
  const record = asRecord(parsed);
  // OpenAI/Azure `body`, Anthropic `params`, Gemini `request`, Bedrock `modelInput`.
  const body = asRecord(record?.['body'] ?? record?.['params'] ?? record?.['request'] ?? record?.['modelInput']) ?? record;
  const text = body ? lastUserText(body) : undefined;
  return clip(text ?? JSON.stringify(body ?? parsed) ?? '', max);
}

function lastUserText(body: Record<string, unknown>): string | undefined {
  // Chat Completions, Anthropic Messages, Bedrock (Anthropic/Converse) messages.
  const fromTurns = (turns: unknown, contentKey: 'content' | 'parts'): string | undefined => {
    if (!Array.isArray(turns)) return undefined;
    for (let i = turns.length - 1; i >= 0; i--) {
      const turn = asRecord(turns[i]);
      if (turn && (turn['role'] === 'user' || turn['role'] === undefined)) {
        const text = textOf(turn[contentKey]);
        if (text !== undefined) return text;
      }
    }
    return undefined;
  };
  return (
    fromTurns(body['messages'], 'content') ??
    // Gemini: contents[].parts[].text
    fromTurns(body['contents'], 'parts') ??
    // Responses API: input is a string or a list of turns; embeddings: a string or strings.
    (typeof body['input'] === 'string' ? body['input'] : (fromTurns(body['input'], 'content') ?? textOf(body['input']))) ??
    (typeof body['prompt'] === 'string' ? body['prompt'] : undefined) ??
    (typeof body['inputText'] === 'string' ? body['inputText'] : undefined)
  );
}

/** A string, or the text parts of a content list joined by spaces. */
function textOf(content: unknown): string | undefined {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return undefined;
  const parts = content
    .map((part) => (typeof part === 'string' ? part : asRecord(part)?.['text']))
    .filter((text): text is string => typeof text === 'string');
  return parts.length > 0 ? parts.join(' ') : undefined;
}

function asRecord(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

/** Whitespace collapsed, cut at `max` code points (never inside a surrogate pair). */
function clip(text: string, max: number): string {
  const chars = Array.from(text.slice(0, max * 4).replace(/\s+/g, ' ').trim());
  const cut = chars.length > max || text.length > max * 4;
  return cut ? `${chars.slice(0, max - 1).join('')}…` : chars.join('');
}
