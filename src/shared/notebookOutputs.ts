// What a notebook cell's output carries to its renderer, and what the renderer asks of the host.
// Outputs are small by design: a job cell's output is its job id, figures and a few rows; the
// results live in the workspace store, and the `.llmbatch` file keeps only `savedOutput()` of it.
import { z } from 'zod';

export const NOTEBOOK_TYPE = 'llm-batch-notebook';
export const NOTEBOOK_RENDERER_ID = 'llm-batch-notebook-renderer';
export const CELL_OUTPUT_MIME = 'application/vnd.llm-batch.cell+json';

/** Rows a job or results output shows; the rest are in the store (export, the results cell). */
export const OUTPUT_ROW_LIMIT = 20;
/** Characters of one input or output shown in a row; the item detail and the export have all. */
export const OUTPUT_TEXT_LIMIT = 400;

const resultRowSchema = z.object({
  id: z.string(),
  line: z.number(),
  state: z.string(),
  /** The request's last user text, cut to OUTPUT_TEXT_LIMIT. */
  input: z.string(),
  /** The answer's text (or the failure's message), cut to OUTPUT_TEXT_LIMIT. */
  output: z.string(),
  cost: z.number(),
  failureClass: z.string().optional(),
});
export type ResultRow = z.infer<typeof resultRowSchema>;

const costFiguresSchema = z.object({
  items: z.number(),
  valid: z.number(),
  invalid: z.number(),
  duplicates: z.number(),
  cached: z.number(),
  inputTokens: z.number(),
  outputTokens: z.number(),
  /** What this run is expected to cost: at the batch price, or the sync price in sync mode. */
  expected: z.number(),
  /** The most it may cost (the reservation against the budget). */
  max: z.number(),
  /** The same items sent one by one at the full price, without dedup or cache. */
  naiveSync: z.number(),
  complete: z.boolean(),
  blockers: z.array(z.string()),
});
export type CostFigures = z.infer<typeof costFiguresSchema>;

const jobProgressSchema = z.object({
  status: z.string(),
  /** Items by state (succeeded, failed, dead_letter, queued, submitted, deduped, cached…). */
  counts: z.record(z.string(), z.number()),
  total: z.number(),
  /** Items with a final answer or a final failure. */
  done: z.number(),
  spent: z.number(),
  estimate: z.number(),
  blockedReason: z.string().optional(),
  alert: z.string().optional(),
});
export type JobProgress = z.infer<typeof jobProgressSchema>;

const failureClassSchema = z.object({ failureClass: z.string(), count: z.number(), example: z.string() });

const requestsOutputSchema = z.object({
  kind: z.literal('requests'),
  file: z.string(),
  count: z.number(),
  /** Dataset rows that made no request (an empty placeholder, a bad row), with why. */
  skipped: z.array(z.object({ row: z.number(), message: z.string() })),
  sample: z.array(z.object({ id: z.string(), text: z.string() })),
});

const jobOutputSchema = z.object({
  kind: z.literal('job'),
  /** What happens now, in the user's words ("Waiting for the provider", "Finished"). */
  headline: z.string(),
  /** Notes on how this run came about: attached to an existing job, inputs changed, … */
  notes: z.array(z.string()),
  provider: z.string(),
  model: z.string().optional(),
  mode: z.enum(['batch', 'sync']),
  jobId: z.string().optional(),
  /** Key of the inputs and options the job was made from: an unchanged cell attaches to it. */
  runKey: z.string().optional(),
  preview: costFiguresSchema.optional(),
  trial: z
    .object({ jobId: z.string(), count: z.number(), spent: z.number(), rows: z.array(resultRowSchema) })
    .optional(),
  progress: jobProgressSchema.optional(),
  failures: z.array(failureClassSchema).optional(),
  rows: z.array(resultRowSchema).optional(),
  final: z.boolean(),
});

const resultsOutputSchema = z.object({
  kind: z.literal('results'),
  jobId: z.string(),
  /** Items the filter matched (the rows show at most OUTPUT_ROW_LIMIT of them). */
  matched: z.number(),
  columns: z.array(z.string()),
  rows: z.array(resultRowSchema),
  exported: z.string().optional(),
});

export const cellOutputSchema = z.discriminatedUnion('kind', [requestsOutputSchema, jobOutputSchema, resultsOutputSchema]);
export type CellOutput = z.infer<typeof cellOutputSchema>;
export type RequestsOutput = z.infer<typeof requestsOutputSchema>;
export type JobOutput = z.infer<typeof jobOutputSchema>;
export type ResultsOutput = z.infer<typeof resultsOutputSchema>;

/**
 * What the `.llmbatch` file keeps of an output: ids and figures, no rows. A run leaves a small,
 * readable diff; the rows come back from the store when the notebook is opened again.
 */
export function savedOutput(output: CellOutput): CellOutput {
  switch (output.kind) {
    case 'requests':
      return { ...output, sample: output.sample.slice(0, 2) };
    case 'job': {
      // Replacing a key keeps its place: the file's key order stays as it was.
      const { rows: _rows, failures: _failures, ...rest } = output;
      const { preview, progress, trial } = rest;
      return {
        ...rest,
        ...(preview ? { preview: { ...preview, expected: money(preview.expected), max: money(preview.max), naiveSync: money(preview.naiveSync) } } : {}),
        ...(progress ? { progress: { ...progress, spent: money(progress.spent), estimate: money(progress.estimate) } } : {}),
        ...(trial ? { trial: { ...trial, spent: money(trial.spent), rows: [] } } : {}),
      };
    }
    case 'results':
      return { ...output, rows: [] };
  }
}

/** Dollars to 10 decimals: the file shows 0.00009915, not the float noise 0.00009914999999999998. */
function money(amount: number): number {
  return Number(amount.toFixed(10));
}

/** The renderer's buttons: each names the job it acts on; the host confirms what spends or stops. */
export const rendererToHostSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('cancelJob'), jobId: z.string() }),
  z.object({ type: z.literal('resubmitFailed'), jobId: z.string() }),
  z.object({ type: z.literal('exportResults'), jobId: z.string(), format: z.enum(['jsonl', 'csv']) }),
  z.object({ type: z.literal('revealJob'), jobId: z.string() }),
  z.object({ type: z.literal('inspectFailures'), jobId: z.string() }),
  z.object({ type: z.literal('openItem'), jobId: z.string(), itemId: z.string() }),
  /** A job output of an unfinished job is on screen: the host sends it the job as it moves. */
  z.object({ type: z.literal('watchJob'), jobId: z.string() }),
]);
export type RendererToHost = z.infer<typeof rendererToHostSchema>;

/**
 * The host's live view of a job, pushed to the outputs that show it: following a job needs no
 * running cell (a running cell would keep the notebook from closing), and a reopened notebook
 * shows its job go on. The cell's stored output is brought up to date once the job ends.
 */
export const hostToRendererSchema = z.object({ type: z.literal('jobOutput'), output: jobOutputSchema });
export type HostToRenderer = z.infer<typeof hostToRendererSchema>;
