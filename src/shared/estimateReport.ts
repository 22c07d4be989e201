// The estimate report: what `llm-batch estimate --json` prints and what the cost preview shows.
// Scripts depend on this shape, so it is versioned and checked against this schema in tests;
// add fields freely, but rename or remove one only with a new `version`.
import * as z from 'zod';

const fileLocation = { file: z.string(), line: z.number().int().positive() };

export const estimateReportSchema = z.object({
  version: z.literal(1),
  totals: z.object({
    /** Non-blank lines; equals valid + invalid. */
    items: z.number().int(),
    valid: z.number().int(),
    invalid: z.number().int(),
    /** Valid lines that repeat an earlier request (also counted in valid). */
    duplicates: z.number().int(),
    /** Unique requests whose result an earlier job already has: not sent, not paid again. */
    cached: z.number().int(),
    /** Remote batches that would be submitted, after dedup. */
    chunks: z.number().int(),
    /** Every valid line, duplicates included: what a naive submission would send. */
    inputTokens: z.number().int(),
    /** False when any count is an approximation (non-OpenAI tokenizers). */
    inputTokensExact: z.boolean(),
    outputTokensExpected: z.number().int(),
    outputTokensMax: z.number().int(),
    cost: z.object({
      /** Every valid line through the synchronous API, at the expected output. */
      sync: z.number(),
      /** Every valid line at the batch price. */
      batch: z.number(),
      /** Only what would be sent after dedup and the cache, at the batch price. */
      batchAfterDedup: z.number(),
      /** The same at every request's max-output bound: what a budget reserves. */
      batchAfterDedupMax: z.number(),
      currency: z.string(),
      /** False when some model has no known price (see price.unpricedModels). */
      complete: z.boolean(),
    }),
  }),
  files: z.array(
    z.object({
      file: z.string(),
      format: z.string().nullable(),
      provider: z.string().nullable(),
      bytes: z.number().int(),
      bom: z.boolean(),
      items: z.number().int(),
      valid: z.number().int(),
      invalid: z.number().int(),
      duplicates: z.number().int(),
      blankLines: z.number().int(),
      models: z.array(z.object({ model: z.string(), items: z.number().int() })),
    }),
  ),
  invalid: z.array(z.object({ ...fileLocation, message: z.string() })),
  duplicates: z.array(z.object({ ...fileLocation, of: z.number().int().positive() })),
  chunks: z.array(
    z.object({
      id: z.string(),
      file: z.string(),
      provider: z.string(),
      model: z.string(),
      requests: z.number().int(),
      bytes: z.number().int(),
    }),
  ),
  /** File-level problems that block submission (e.g. an empty file, too few records). */
  problems: z.array(z.object({ file: z.string(), message: z.string() })),
  /** Things worth knowing that block nothing (a BOM stripped, a file split to fit a limit). */
  notes: z.array(z.object({ file: z.string(), message: z.string() })),
  price: z.object({
    source: z.string(),
    version: z.string(),
    date: z.string(),
    unpricedModels: z.array(z.object({ provider: z.string(), model: z.string(), message: z.string() })),
  }),
});

export type EstimateReport = z.infer<typeof estimateReportSchema>;
