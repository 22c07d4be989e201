// The four batch line shapes, one zod schema each, and the accessors the rest of the core needs
// (id, model, request, endpoint). Schemas check what the provider would reject on upload; the
// request body itself is passed through untouched, because it goes to the provider as written.
import { z } from 'zod';
import type { FormatId } from './providerLimits';

const messagesRequired = 'must be a non-empty list of messages';

const openaiLine = z.object({
  custom_id: z.string().min(1, 'must not be empty'),
  method: z.string(),
  url: z.string().min(1, 'must not be empty'),
  body: z.looseObject({ model: z.string().min(1, 'must not be empty').optional() }),
});

const anthropicLine = z.object({
  custom_id: z.string().min(1, 'must not be empty'),
  params: z.looseObject({
    model: z.string().min(1, 'must not be empty').optional(),
    max_tokens: z.number().int('must be a whole number').positive('must be 1 or more'),
    messages: z.array(z.unknown()).min(1, messagesRequired),
  }),
});

const geminiLine = z.object({
  key: z.string().min(1, 'must not be empty'),
  request: z.looseObject({
    model: z.string().optional(),
    contents: z.array(z.unknown()).min(1, 'must be a non-empty list of contents'),
  }),
});

const bedrockLine = z.object({
  recordId: z.string().min(1, 'must not be empty'),
  modelInput: z.looseObject({}),
});

export const LINE_SCHEMAS = { openai: openaiLine, anthropic: anthropicLine, gemini: geminiLine, bedrock: bedrockLine } as const;

export type OpenAiLine = z.infer<typeof openaiLine>;
export type AnthropicLine = z.infer<typeof anthropicLine>;
export type GeminiLine = z.infer<typeof geminiLine>;
export type BedrockLine = z.infer<typeof bedrockLine>;

export const FORMAT_NAMES: Readonly<Record<FormatId, string>> = {
  openai: 'OpenAI batch (custom_id, method, url, body)',
  anthropic: 'Anthropic (custom_id, params)',
  gemini: 'Gemini (key, request)',
  bedrock: 'Bedrock (recordId, modelInput)',
};

/** The field that names each line, as the provider calls it. */
export const ID_FIELD: Readonly<Record<FormatId, string>> = {
  openai: 'custom_id',
  anthropic: 'custom_id',
  gemini: 'key',
  bedrock: 'recordId',
};

/** The field of each format's line that holds the request sent (ParsedLine.request). */
export const REQUEST_FIELD: Readonly<Record<FormatId, string>> = {
  openai: 'body',
  anthropic: 'params',
  gemini: 'request',
  bedrock: 'modelInput',
};

/** Where the model sits in each format's line; Bedrock names it on the job, not the line. */
export const MODEL_FIELD: Readonly<Record<FormatId, string | undefined>> = {
  openai: 'body.model',
  anthropic: 'params.model',
  gemini: 'request.model',
  bedrock: undefined,
};

/**
 * Detects a line's format from its distinguishing keys, before any schema check, so a line that
 * is clearly meant as (say) Anthropic gets Anthropic's field-level message rather than a generic one.
 */
export function detectFormat(line: Record<string, unknown>): FormatId | undefined {
  if ('params' in line) return 'anthropic';
  if ('body' in line || 'url' in line || 'method' in line) return 'openai';
  if ('modelInput' in line || 'recordId' in line) return 'bedrock';
  if ('request' in line || 'key' in line) return 'gemini';
  if ('custom_id' in line) return 'openai';
  return undefined;
}

export interface ParsedLine {
  readonly format: FormatId;
  readonly id: string;
  /** The model the line names itself, if any. */
  readonly model: string | undefined;
  /** What a batch sends for this item: the sync request body. */
  readonly request: Record<string, unknown>;
  /** OpenAI/Azure only: the endpoint and HTTP method the line targets. */
  readonly url?: string;
  readonly method?: string;
}

/** Validates a line against its format's schema; returns the parsed line or a message naming the field. */
export function parseLine(format: FormatId, line: unknown): ParsedLine | { error: string } {
  switch (format) {
    case 'openai': {
      const result = openaiLine.safeParse(line);
      if (!result.success) return { error: describeIssue(result.error) };
      const { custom_id, body, url, method } = result.data;
      return { format, id: custom_id, model: body.model, request: body, url, method };
    }
    case 'anthropic': {
      const result = anthropicLine.safeParse(line);
      if (!result.success) return { error: describeIssue(result.error) };
      return { format, id: result.data.custom_id, model: result.data.params.model, request: result.data.params };
    }
    case 'gemini': {
      const result = geminiLine.safeParse(line);
      if (!result.success) return { error: describeIssue(result.error) };
      return { format, id: result.data.key, model: result.data.request.model, request: result.data.request };
    }
    case 'bedrock': {
      const result = bedrockLine.safeParse(line);
      if (!result.success) return { error: describeIssue(result.error) };
      return { format, id: result.data.recordId, model: undefined, request: result.data.modelInput };
    }
  }
}

/** The first schema issue, as `field "a.b": what is wrong`. */
function describeIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return 'does not match the expected shape';
  const field = issue.path.map(String).join('.');
  if (issue.code === 'invalid_type' && issue.message.endsWith('received undefined')) return `missing field "${field}"`;
  return `field "${field}": ${issue.message.replace(/^Invalid input: /, '')}`;
}
