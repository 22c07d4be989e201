// Rules on the request a batch line sends that its format's schema leaves open, because the body
// goes to the provider as written: the provider would refuse these lines (or bill something else
// than we price) only after upload, so they are invalid lines here, each naming its field.
import { REQUEST_FIELD } from './lineFormats';
import type { FormatId, ProviderLimits } from './providerLimits';
import { OUTPUT_TOKEN_FIELDS } from './tokens';

/** Why the request is refused, or undefined. `url` is the line's endpoint (OpenAI format only). */
export function requestProblem(format: FormatId, limits: ProviderLimits, url: string | undefined, request: Record<string, unknown>): string | undefined {
  const field = REQUEST_FIELD[format];
  // Batch APIs answer each request once, in the output file; none of them streams.
  if (request['stream'] === true) return `field "${field}.stream": a batch request cannot stream; remove it or set it to false`;
  for (const path of OUTPUT_TOKEN_FIELDS[format]) {
    let value: unknown = request;
    for (const key of path) value = isRecord(value) ? value[key] : undefined;
    // null is how the OpenAI API writes "no limit", as if the field were absent.
    if (value === undefined || value === null || isPositiveWholeNumber(value)) continue;
    // Gemini reads its request as protobuf JSON, where an integer may also be written as a string.
    if (format === 'gemini' && typeof value === 'string' && /^[1-9]\d{0,8}$/.test(value)) continue;
    return `field "${field}.${path.join('.')}": must be a whole number of 1 or more, got ${describeValue(value)}`;
  }
  const most = limits.maxEmbeddingInputsPerRequest;
  if (most !== undefined && isEmbeddingsUrl(url)) {
    const inputs = embeddingInputCount(url, request);
    if (inputs > most) {
      return `field "${field}.input": ${inputs.toLocaleString('en-US')} inputs; ${limits.displayName} takes at most ${most.toLocaleString('en-US')} per embeddings request`;
    }
  }
  return undefined;
}

/**
 * Embedding inputs a request holds, what a batch's total is limited by: each entry of an `input`
 * array, except that an array of numbers is one input given as token ids; a single string is one.
 * 0 for a request to any other endpoint.
 */
export function embeddingInputCount(url: string | undefined, request: Record<string, unknown>): number {
  if (!isEmbeddingsUrl(url)) return 0;
  const input = request['input'];
  if (input === undefined || input === null) return 0;
  if (!Array.isArray(input)) return 1;
  return input.length > 0 && typeof input[0] === 'number' ? 1 : input.length;
}

function isEmbeddingsUrl(url: string | undefined): boolean {
  return url === '/v1/embeddings' || url === '/embeddings';
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function isPositiveWholeNumber(value: unknown): boolean {
  return typeof value === 'number' && Number.isSafeInteger(value) && value > 0;
}

/** The offending value as the message shows it; JSON.parse reads 1e400 as Infinity. */
function describeValue(value: unknown): string {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return `${value} (the number in the file is too large to represent)`;
    if (Number.isInteger(value) && value > 0) return `${value} (too large to be read exactly)`;
    return String(value);
  }
  if (typeof value === 'string') return `${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)} (a string)`;
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : String(value);
}
