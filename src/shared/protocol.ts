// Every message between the host and the two webview panels, typed once and checked with zod
// on receipt by whichever side receives it. A webview is a page that renders model output and
// file names, so the host treats what it says as untrusted input: strict objects (unknown keys
// are refused), bounded strings and arrays, and nothing acted on before it parses.
import { blockerSchema } from './blockers';
import * as z from 'zod';
import { estimateReportSchema } from './estimateReport';

/**
 * The providers the cost preview can submit to: every one the engine has an adapter for (the
 * same list as core's PROVIDER_IDS, which this layer may not import; a unit test holds them equal).
 */
export const SUBMIT_PROVIDERS = ['openai', 'azure', 'anthropic', 'gemini', 'vertex', 'bedrock'] as const;
export type SubmitProvider = (typeof SUBMIT_PROVIDERS)[number];

const lineNumber = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);
const count = z.number().int().nonnegative();
const shortText = z.string().max(1_000);
const path = z.string().min(1).max(4_096);
const itemId = z.string().min(1).max(1_000);
/** An id list from the inspector: at most one page (and a little slack). */
const itemIds = z.array(itemId).min(1).max(1_000);
const requestId = z.string().min(1).max(100);

// ---- cost preview ------------------------------------------------------------------------

export const costPreviewToHostSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('ready') }),
  /** Re-estimate with the pickers' values; no model means each line keeps its own. */
  z.strictObject({ type: z.literal('estimate'), provider: z.enum(SUBMIT_PROVIDERS), model: z.string().trim().min(1).max(200).optional() }),
  z.strictObject({ type: z.literal('cancelEstimate') }),
  z.strictObject({ type: z.literal('confirm'), skipInvalid: z.boolean() }),
  z.strictObject({ type: z.literal('dismiss') }),
  z.strictObject({ type: z.literal('openLine'), file: path, line: lineNumber }),
  /**
   * The action of a missing-credentials blocker: the host asks for the chosen provider's key and
   * estimates again, or opens its settings (a missing region, a cloud without keys).
   */
  z.strictObject({ type: z.literal('setApiKey') }),
]);
export type CostPreviewToHost = z.infer<typeof costPreviewToHostSchema>;

export const budgetViewSchema = z.strictObject({
  accepted: z.boolean(),
  message: shortText.optional(),
  remainingToday: z.number().optional(),
  remainingThisMonth: z.number().optional(),
});
export type BudgetView = z.infer<typeof budgetViewSchema>;

export const costPreviewToWebviewSchema = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('init'),
    files: z.array(path).min(1),
    providers: z.array(z.strictObject({ id: z.enum(SUBMIT_PROVIDERS), label: z.string() })),
    provider: z.enum(SUBMIT_PROVIDERS),
    model: z.string().optional(),
    /** Set when this window only follows another writer: submitting is off, and this says why. */
    readOnlyReason: z.string().optional(),
  }),
  z.strictObject({ type: z.literal('progress'), done: count, total: count }),
  z.strictObject({
    type: z.literal('estimate'),
    /** One report for all the files (each line, chunk and note names its file). */
    report: estimateReportSchema,
    budget: budgetViewSchema,
    blockers: z.array(blockerSchema),
    /** Models the files name for the chosen provider, for the model picker. */
    models: z.array(z.string()),
    /** What the missing-credentials blocker's button does: ask for a key, or open the provider's settings. */
    credentialsFix: z.enum(['apiKey', 'settings']).optional(),
  }),
  z.strictObject({ type: z.literal('error'), message: z.string() }),
  z.strictObject({ type: z.literal('submitting') }),
  z.strictObject({ type: z.literal('submitted'), jobIds: z.array(z.string()) }),
]);
export type CostPreviewToWebview = z.infer<typeof costPreviewToWebviewSchema>;

// ---- failure inspector -------------------------------------------------------------------

export const INSPECTOR_PAGE_SIZE = 100;
/** The filter name of items that failed without a class (should not happen, but is shown). */
export const UNCLASSIFIED = 'unclassified';

export const failureInspectorToHostSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('ready') }),
  /** Empty classes means every class. Pages count from 0. */
  z.strictObject({ type: z.literal('load'), classes: z.array(z.string().min(1).max(100)).max(50), page: count }),
  z.strictObject({ type: z.literal('retry'), ids: itemIds, mode: z.enum(['batch', 'sync']), requestId }),
  z.strictObject({ type: z.literal('deadLetter'), ids: itemIds, requestId }),
  z.strictObject({ type: z.literal('openLine'), line: lineNumber }),
  z.strictObject({ type: z.literal('copy'), text: z.string().max(1_000_000) }),
]);
export type FailureInspectorToHost = z.infer<typeof failureInspectorToHostSchema>;

export const failedItemViewSchema = z.strictObject({
  id: z.string(),
  line: lineNumber,
  state: z.string(),
  failureClass: z.string().nullable(),
  code: z.string().nullable(),
  message: z.string().nullable(),
  strike: count,
  /** The start of the request's last user message, as plain text. */
  preview: z.string(),
});
export type FailedItemView = z.infer<typeof failedItemViewSchema>;

export const failureInspectorToWebviewSchema = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('items'),
    /** `provider`: the provider's display name. */
    job: z.strictObject({ id: z.string(), name: z.string(), provider: z.string().optional(), readOnlyReason: z.string().optional() }),
    items: z.array(failedItemViewSchema).max(INSPECTOR_PAGE_SIZE),
    page: count,
    pageCount: count,
    /** Items matching the filter, over all pages. */
    total: count,
    /** Every class among the job's failed and dead-letter items, with its count (unfiltered). */
    classes: z.array(z.strictObject({ name: z.string(), count })),
    /** The filter this page was drawn with (empty = all). */
    filter: z.array(z.string()),
  }),
  z.strictObject({ type: z.literal('result'), requestId, message: z.string(), ok: z.boolean() }),
]);
export type FailureInspectorToWebview = z.infer<typeof failureInspectorToWebviewSchema>;

/**
 * The typed message, or undefined when `data` does not match: the caller drops it. `onInvalid`
 * hears why (the host logs it; the webview writes it to its console) and never sees the payload
 * echoed in full, since a hostile page could make it huge.
 */
export function parseMessage<S extends z.ZodType>(schema: S, data: unknown, onInvalid?: (problem: string) => void): z.infer<S> | undefined {
  const result = schema.safeParse(data);
  if (result.success) return result.data;
  if (onInvalid) {
    const type = typeof data === 'object' && data !== null && 'type' in data ? String((data as { type: unknown }).type).slice(0, 40) : typeof data;
    const issues = result.error.issues
      .slice(0, 3)
      .map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`)
      .join('; ');
    onInvalid(`dropped an invalid message (${type}): ${issues}`);
  }
  return undefined;
}
