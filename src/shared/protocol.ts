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
    /** Where it would go and as whom ("OpenAI at api.openai.com, as key …WXYZ"): never a whole key. */
    destination: z.string().max(500).optional(),
    /** Each file's own figures, when several files are estimated (each becomes its own job). */
    fileCosts: z.array(z.strictObject({ file: path, items: count, expected: z.number(), max: z.number() })).max(1_000).optional(),
    /** The models' prices per million tokens, for beside the model picker. */
    modelPrices: z
      .array(z.strictObject({ model: z.string(), input: z.number(), output: z.number(), batchInput: z.number(), batchOutput: z.number() }))
      .max(50)
      .optional(),
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
  /** One row's item detail: its request, each attempt's error, its source line. */
  z.strictObject({ type: z.literal('openItem'), id: itemId }),
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

// ---- item detail ---------------------------------------------------------------------------

/** Longest text a section of the item detail shows; "Copy" still copies the whole of it (the host holds it). */
export const ITEM_DETAIL_TEXT_LIMIT = 200_000;
const sectionText = z.string().max(ITEM_DETAIL_TEXT_LIMIT);
/** What a "Copy" button copies; the host copies the full text, not the page's clipped one. */
export const ITEM_DETAIL_SECTIONS = ['source', 'request', 'answer', 'rawAnswer', 'errors'] as const;
export type ItemDetailSection = (typeof ITEM_DETAIL_SECTIONS)[number];
export const ITEM_DETAIL_ATTEMPTS_SHOWN = 100;

export const itemDetailToHostSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('ready') }),
  z.strictObject({ type: z.literal('openSourceLine') }),
  z.strictObject({ type: z.literal('copy'), section: z.enum(ITEM_DETAIL_SECTIONS) }),
  /** A related item of the same job (the one a duplicate repeats). */
  z.strictObject({ type: z.literal('openItem'), itemId }),
]);
export type ItemDetailToHost = z.infer<typeof itemDetailToHostSchema>;

/** A text shown in a section: clipped to the limit, with its full length so the page can say so. */
const clippedText = z.strictObject({ text: sectionText, truncated: z.boolean(), length: count });

export const itemAttemptViewSchema = z.strictObject({
  /** "Attempt 2 · retry batch 1": plain words, no internal terms. */
  label: shortText,
  outcome: z.enum(['succeeded', 'failed', 'no answer', 'aborted']),
  /** The failure class in words ("server error"), the provider's code, its message. */
  failure: z.string().nullable(),
  code: z.string().nullable(),
  message: z.string().nullable(),
  /** The provider's batch id (or null for a one-by-one call), and our name for the batch. */
  remoteId: z.string().nullable(),
  batchKey: z.string().nullable(),
  tokensIn: count,
  tokensOut: count,
  cost: z.number().nonnegative(),
  at: z.string(),
  raw: clippedText.nullable(),
});
export type ItemAttemptView = z.infer<typeof itemAttemptViewSchema>;

export const itemDetailViewSchema = z.strictObject({
  job: z.strictObject({ id: z.string(), name: z.string(), provider: z.string(), endpoint: z.string() }),
  item: z.strictObject({
    id: z.string(),
    line: lineNumber,
    /** In words ("Dead letter"), and the model it asked. */
    state: z.string(),
    model: z.string(),
    tokensIn: count,
    tokensOut: count,
    cost: z.number().nonnegative(),
    estimatedCost: z.number().nonnegative(),
    estimatedMax: z.number().nonnegative(),
  }),
  source: z.strictObject({ file: z.string(), line: lineNumber, text: clippedText.nullable(), problem: z.string().nullable(), changedSinceSubmit: z.boolean() }),
  request: z.strictObject({ text: clippedText.nullable(), note: z.string().nullable() }),
  answer: z.strictObject({ content: clippedText.nullable(), raw: clippedText, from: z.enum(['own', 'twin', 'cache']) }).nullable(),
  /** The latest attempts, oldest first; `earlierAttempts` says how many older ones are not shown. */
  attempts: z.array(itemAttemptViewSchema).max(ITEM_DETAIL_ATTEMPTS_SHOWN),
  earlierAttempts: count,
  batches: z.array(z.strictObject({ key: z.string(), remoteId: z.string().nullable(), label: shortText, state: z.string() })).max(100),
  deadLetter: z.strictObject({ at: z.string(), reason: z.string().nullable() }).nullable(),
  duplicateOf: z.string().nullable(),
  cachedFrom: z.strictObject({ jobId: z.string().nullable(), itemId: z.string().nullable() }).nullable(),
  historyProblem: z.string().nullable(),
});
export type ItemDetailView = z.infer<typeof itemDetailViewSchema>;

export const itemDetailToWebviewSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('detail'), detail: itemDetailViewSchema }),
  /** The job or item is gone (deleted), or could not be read: said instead of a detail. */
  z.strictObject({ type: z.literal('missing'), message: z.string() }),
  /** What a Copy or Open did, for the page's status line. */
  z.strictObject({ type: z.literal('status'), message: z.string(), ok: z.boolean() }),
]);
export type ItemDetailToWebview = z.infer<typeof itemDetailToWebviewSchema>;

// ---- job summary ---------------------------------------------------------------------------

export const jobSummaryToHostSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('ready') }),
  /** "Show Log": the Output channel of LLM Batch Runner. */
  z.strictObject({ type: z.literal('showLog') }),
]);
export type JobSummaryToHost = z.infer<typeof jobSummaryToHostSchema>;

/** A labelled line of figures, already in words (the host formats; the page only shows). */
const figureLine = z.strictObject({ label: z.string(), text: z.string() });

export const jobSummaryToWebviewSchema = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('summary'),
    /** `provider`: the provider's display name; `state`: in words, with why it waits when it does. */
    job: z.strictObject({ id: z.string(), name: z.string(), provider: z.string(), model: z.string(), state: z.string(), sourceFile: z.string() }),
    final: z.boolean(),
    /** Progress, cost against the estimate, tokens, the savings, spend by attempt. */
    figures: z.array(figureLine),
    /** Spend by attempt (first batch, retry batches, one by one), each cost and tokens in words. */
    strikes: z.array(z.strictObject({ label: z.string(), cost: z.string(), syncCost: z.string(), tokens: z.string() })),
    batches: z.array(z.strictObject({ key: z.string(), remoteId: z.string().nullable(), attempt: z.string(), state: z.string(), items: count })),
    /** Why the job waits and where its work is: the reason, the last problem, endpoint, remote ids, next check. Empty when it waits for nothing. */
    waits: z.array(z.string()),
  }),
  z.strictObject({ type: z.literal('gone'), jobId: z.string() }),
]);
export type JobSummaryToWebview = z.infer<typeof jobSummaryToWebviewSchema>;

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
