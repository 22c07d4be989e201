// The bytes a job writes for one estimated line: the line as the chosen provider takes it.
// A line already in the provider's format goes as written, or with its model replaced when the
// user passed --model; an OpenAI-shaped chat line sent elsewhere goes converted
// (portableRequest.ts). The estimate analyses exactly these bytes (lineAnalysis.ts uses the same
// conversion), so the bytes sent are the bytes priced.
import { FORMAT_NAMES, MODEL_FIELD, detectFormat } from '../lineFormats';
import { PROVIDER_LIMITS } from '../providerLimits';
import type { ProviderId } from '../providerLimits';
import { convertPortableLine } from './portableRequest';

const decoder = new TextDecoder('utf-8', { fatal: true });
const encoder = new TextEncoder();

/**
 * Throws when the line cannot go to the provider at all: the estimate refuses such a line, so a
 * throw here means the file changed since, or a caller skipped the estimate.
 */
export function nativeLineBytes(bytes: Uint8Array, provider: ProviderId, model: string | undefined): Uint8Array {
  const target = PROVIDER_LIMITS[provider].format;
  // OpenAI and Azure take only their own format, so without an override there is nothing to do.
  if (target === 'openai' && model === undefined) return bytes;
  const line = JSON.parse(decoder.decode(bytes)) as unknown;
  if (line === null || typeof line !== 'object' || Array.isArray(line)) throw new Error('a batch line must be a JSON object');
  const record = line as Record<string, unknown>;
  const format = detectFormat(record);

  if (format === target) {
    const field = MODEL_FIELD[target];
    // Bedrock records name no model: it is on the job.
    if (model === undefined || field === undefined) return bytes;
    const request = record[field.slice(0, field.indexOf('.'))];
    if (request !== null && typeof request === 'object' && !Array.isArray(request)) (request as Record<string, unknown>)['model'] = model;
    return encoder.encode(JSON.stringify(record));
  }
  if (format === 'openai') {
    const converted = convertPortableLine(record, provider, { model });
    if ('problems' in converted) throw new Error(`cannot send this line to ${PROVIDER_LIMITS[provider].displayName}: ${converted.problems.join('; ')}`);
    return encoder.encode(JSON.stringify(converted.line));
  }
  throw new Error(`line is in ${format ? FORMAT_NAMES[format] : 'an unrecognized'} format, but ${PROVIDER_LIMITS[provider].displayName} expects ${FORMAT_NAMES[target]}`);
}

/** Bytes of a converted line as nativeLineBytes writes it, for the planner's batch sizes. */
export function convertedLineLength(line: Record<string, unknown>): number {
  return encoder.encode(JSON.stringify(line)).length;
}
