// What a code cell of a `.llmbatch` notebook says: a small YAML document with `kind:` first. The
// zod schemas are the one definition: the controller parses cells with them, and their JSON schema
// (with a description on every field) feeds the editor's hovers, completions and validation.
import { z } from 'zod';
import { PROVIDER_IDS } from '../providerLimits';

export const CELL_KINDS = ['requests', 'job', 'results'] as const;
export type CellKind = (typeof CELL_KINDS)[number];

/** The item states a results cell may filter on (the store's ItemState; a unit test keeps them equal). */
export const RESULT_ITEM_STATES = ['queued', 'submitted', 'succeeded', 'failed', 'deduped', 'cached', 'dead_letter', 'cancelled'] as const;
export const RESULT_COLUMNS = ['id', 'line', 'state', 'input', 'output', 'cost', 'failure'] as const;
export type ResultColumn = (typeof RESULT_COLUMNS)[number];

export const DEFAULT_ID_TEMPLATE = 'row-{{_row}}';
export const DEFAULT_RESULTS_LIMIT = 20;

/** What each kind of cell does: the `kind` field's hover and the completion of `kind:` values. */
export const KIND_DESCRIPTIONS: Readonly<Record<CellKind, string>> = {
  requests: 'Builds a JSONL file of chat requests from a dataset and a prompt template.',
  job: 'Prices, submits and follows a batch job of the requests above (or of the input file).',
  results: 'Shows and exports the results of a job: a filter and a projection over its items.',
};

const jsonSchemaObject = z.record(z.string(), z.unknown());
const relativePath = z.string().min(1);

export const requestsCellSchema = z
  .strictObject({
    kind: z.literal('requests').describe(KIND_DESCRIPTIONS.requests),
    dataset: relativePath
      .regex(/\.(csv|jsonl)$/)
      .describe('The dataset, relative to the notebook: a .csv file with a header row, or a .jsonl file of one JSON object per line.'),
    out: relativePath
      .regex(/\.jsonl$/)
      .optional()
      .describe('Where to write the requests (a .jsonl path relative to the notebook). Default: `<dataset name>.requests.jsonl` beside the dataset.'),
    id: z
      .string()
      .min(1)
      .optional()
      .describe('Template of each request\'s custom_id, with {{column}} placeholders; {{_row}} is the 1-based data row. Default: "row-{{_row}}". Ids must be unique.'),
    model: z.string().min(1).describe('The model every request asks for, e.g. gpt-4o-mini (a job cell may override it per provider).'),
    system: z.string().optional().describe('The system prompt, a template with {{column}} placeholders like the prompt.'),
    prompt: z.string().min(1).describe('The user message, a template: {{column}} is replaced by the row\'s value of that column, {{_row}} by the row number.'),
    max_tokens: z.int().min(1).optional().describe('The most tokens each answer may use (also bounds the cost preview).'),
    temperature: z.number().min(0).max(2).optional().describe('Sampling temperature from 0 to 2 (some providers, like Anthropic\'s current API, refuse it).'),
    output_schema: jsonSchemaObject
      .optional()
      .describe('A JSON schema every answer must follow: sent as a strict json_schema response format (OpenAI and Azure; Anthropic refuses it, so describe the JSON in the prompt there).'),
    limit: z.int().min(1).optional().describe('Build requests from the first N data rows only (to start small).'),
  })
  .describe(KIND_DESCRIPTIONS.requests);

export const jobCellSchema = z
  .strictObject({
    kind: z.literal('job').describe(KIND_DESCRIPTIONS.job),
    input: relativePath.optional().describe('The JSONL file of requests, relative to the notebook. Default: the output of the requests cell above.'),
    name: z.string().min(1).optional().describe('A name for the job, shown in the Jobs view.'),
    provider: z.enum(PROVIDER_IDS).optional().describe(`Where the job runs: ${PROVIDER_IDS.join(', ')}. Default: openai.`),
    model: z.string().min(1).optional().describe('Sends every request to this model instead of the one in the requests (e.g. the provider\'s name for it).'),
    mode: z.enum(['batch', 'sync']).default('batch').describe('batch (half price, answers within 24 hours) or sync (full price, one call per item, for small urgent runs). Default: batch.'),
    budget: z.number().gt(0).optional().describe('The most this run may cost, in US dollars: the job is refused if its estimate is higher.'),
    try: z.int().min(1).max(100).optional().describe('Before the batch, send this many items through the sync API and show their answers and cost.'),
    checks: z
      .strictObject({
        json: z.boolean().optional().describe('Every answer must be valid JSON.'),
        schema: jsonSchemaObject.optional().describe('A JSON schema every answer (parsed as JSON) must satisfy.'),
      })
      .optional()
      .describe('Checks on every answer; an answer that fails them counts as a failure (and can be resubmitted).'),
  })
  .describe(KIND_DESCRIPTIONS.job);

export const resultsCellSchema = z
  .strictObject({
    kind: z.literal('results').describe(KIND_DESCRIPTIONS.results),
    job: z.string().min(1).optional().describe('The job id. Default: the job of the job cell above.'),
    states: z
      .array(z.enum(RESULT_ITEM_STATES))
      .min(1)
      .optional()
      .describe(`Show only items in these states: ${RESULT_ITEM_STATES.join(', ')}.`),
    search: z.string().min(1).optional().describe('Show only items whose id, input or output contains this text.'),
    columns: z
      .array(z.enum(RESULT_COLUMNS))
      .min(1)
      .optional()
      .describe(`The columns to show, in order: any of ${RESULT_COLUMNS.join(', ')}. Default: all.`),
    limit: z.int().min(1).max(1000).default(DEFAULT_RESULTS_LIMIT).describe(`The most rows to show, from 1 to 1000. Default: ${DEFAULT_RESULTS_LIMIT}.`),
    export: relativePath
      .regex(/\.(jsonl|csv)$/)
      .optional()
      .describe('Also write every matching item to this file (relative to the notebook), as .jsonl or .csv.'),
  })
  .describe(KIND_DESCRIPTIONS.results);

export const cellConfigSchema = z.discriminatedUnion('kind', [requestsCellSchema, jobCellSchema, resultsCellSchema]);

export type RequestsCell = z.infer<typeof requestsCellSchema>;
export type JobCell = z.infer<typeof jobCellSchema>;
export type ResultsCell = z.infer<typeof resultsCellSchema>;
export type CellConfig = z.infer<typeof cellConfigSchema>;

export const CELL_SCHEMAS = { requests: requestsCellSchema, job: jobCellSchema, results: resultsCellSchema } as const;

/**
 * What each field must be, in the user's words, for messages like "`try` must be a whole number
 * from 1 to 100". Keyed by kind, then by the field's path (`checks.json` for a nested one).
 */
export const FIELD_RULES: Readonly<Record<CellKind, Readonly<Record<string, string>>>> = {
  requests: {
    kind: 'requests, job or results',
    dataset: 'a path ending in .csv or .jsonl',
    out: 'a path ending in .jsonl',
    id: 'a template (text) such as "row-{{_row}}"',
    model: 'a model name (text)',
    system: 'text',
    prompt: 'a template (text) such as "Classify: {{text}}"',
    max_tokens: 'a whole number of 1 or more',
    temperature: 'a number from 0 to 2',
    output_schema: 'a JSON schema (a mapping)',
    limit: 'a whole number of 1 or more',
  },
  job: {
    kind: 'requests, job or results',
    input: 'a path (text)',
    name: 'text',
    provider: `one of ${PROVIDER_IDS.join(', ')}`,
    model: 'a model name (text)',
    mode: 'batch or sync',
    budget: 'an amount in US dollars greater than 0',
    try: 'a whole number from 1 to 100',
    checks: 'a mapping with json and/or schema',
    'checks.json': 'true or false',
    'checks.schema': 'a JSON schema (a mapping)',
  },
  results: {
    kind: 'requests, job or results',
    job: 'a job id (text)',
    states: `a list of states: ${RESULT_ITEM_STATES.join(', ')}`,
    search: 'text',
    columns: `a list of columns: ${RESULT_COLUMNS.join(', ')}`,
    limit: 'a whole number from 1 to 1000',
    export: 'a path ending in .jsonl or .csv',
  },
};

/** The JSON schema of a code cell (draft 2020-12), with a description on every field. */
export function cellJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(cellConfigSchema, { io: 'input', target: 'draft-2020-12' });
  return {
    $schema: schema['$schema'],
    title: 'LLM Batch notebook cell',
    description: 'A code cell of a .llmbatch notebook: kind requests, job or results.',
    ...Object.fromEntries(Object.entries(schema).filter(([key]) => key !== '$schema')),
  };
}

/** The text of schemas/llmbatch-cell.schema.json (scripts/writeCellSchema.ts writes it; a test keeps it fresh). */
export function cellJsonSchemaText(): string {
  return `${JSON.stringify(cellJsonSchema(), null, 2)}\n`;
}
