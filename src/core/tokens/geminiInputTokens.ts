// Input tokens of a Gemini GenerateContentRequest (a line's `request`, camelCase or snake_case),
// approximated: Google's tokenizer is not published. Vertex AI batches take the same request, so
// Vertex lines (format 'gemini') are counted here too, exactly as Gemini Developer API lines.

import { APPROX_CHARS_PER_TOKEN, ApproxCounter } from './approxCounter';
import type { InputTokenCount } from './inputTokens';
import { asArray, asRecord, asString, pick } from './jsonValues';


/** Gemini `contents[]` and `systemInstruction`: `{role, parts:[{text} | {inlineData} | …]}`. */
function countGeminiContent(counter: ApproxCounter, content: unknown): void {
  const record = asRecord(content);
  if (record === undefined) {
    if (typeof content === 'string') counter.text(content);
    else counter.leaves(content);
    return;
  }
  const parts = asArray(record['parts']);
  if (parts === undefined) {
    counter.leaves(record['parts']);
    return;
  }
  for (const part of parts) {
    const p = asRecord(part);
    const text = asString(p?.['text']);
    if (text !== undefined) {
      counter.text(text);
    } else if (p === undefined) {
      counter.leaves(part);
    } else if (pick(p, 'inlineData', 'inline_data', 'fileData', 'file_data') !== undefined) {
      const blob = asRecord(pick(p, 'inlineData', 'inline_data', 'fileData', 'file_data'));
      const mime = asString(pick(blob, 'mimeType', 'mime_type')) ?? '';
      if (mime.startsWith('image/')) counter.image();
      else counter.otherMedia();
    } else if (pick(p, 'functionCall', 'function_call') !== undefined) {
      const call = asRecord(pick(p, 'functionCall', 'function_call'));
      counter.text(asString(call?.['name']) ?? '');
      counter.json(call?.['args']);
    } else if (pick(p, 'functionResponse', 'function_response') !== undefined) {
      counter.json(pick(p, 'functionResponse', 'function_response'));
    } else {
      counter.leaves(p);
    }
  }
}

export function countGeminiInputTokens(request: unknown): InputTokenCount {
  const counter = new ApproxCounter('gemini');
  const body = asRecord(request);
  if (body !== undefined) {
    const system = pick(body, 'systemInstruction', 'system_instruction');
    if (system !== undefined) countGeminiContent(counter, system);
    const contents = pick(body, 'contents');
    const list = asArray(contents);
    if (list !== undefined) {
      for (const content of list) {
        counter.messages++;
        countGeminiContent(counter, content);
      }
    } else if (contents !== undefined) {
      counter.messages++;
      countGeminiContent(counter, contents);
    }
    counter.json(body['tools']);
  }
  return { tokens: counter.tokens(APPROX_CHARS_PER_TOKEN.gemini, 0), exact: false };
}
