// The code cells' schemas: what a cell may say, that every field is described (the descriptions
// are the editor's hovers and completions), that the results cell's states are the store's, and
// that the committed JSON schema file is the one the zod schemas make.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { CELL_KINDS, CELL_SCHEMAS, cellConfigSchema, cellJsonSchema, cellJsonSchemaText, FIELD_RULES, RESULT_ITEM_STATES } from '../../src/core/notebook/cellSchemas';
import { PROVIDER_IDS } from '../../src/core/providerLimits';
import { ITEM_STATES } from '../../src/store/storeEvents';

const SCHEMA_FILE = path.resolve(__dirname, '../../schemas/llmbatch-cell.schema.json');

interface JsonNode {
  description?: string;
  properties?: Record<string, JsonNode>;
  oneOf?: JsonNode[];
  anyOf?: JsonNode[];
}

describe('code cell schemas', () => {
  it('accepts a small cell of each kind, with the defaults filled in', () => {
    assert.deepEqual(cellConfigSchema.parse({ kind: 'requests', dataset: 'tickets.csv', model: 'gpt-4o-mini', prompt: 'Classify: {{body}}' }), {
      kind: 'requests',
      dataset: 'tickets.csv',
      model: 'gpt-4o-mini',
      prompt: 'Classify: {{body}}',
    });
    assert.deepEqual(cellConfigSchema.parse({ kind: 'job' }), { kind: 'job', mode: 'batch' });
    assert.deepEqual(cellConfigSchema.parse({ kind: 'results' }), { kind: 'results', limit: 20 });
  });

  it('accepts every field of each kind', () => {
    const full = {
      requests: { kind: 'requests', dataset: 'd.jsonl', out: 'o.jsonl', id: '{{t}}', model: 'm', system: 's', prompt: 'p', max_tokens: 5, temperature: 0.5, output_schema: { type: 'object' }, limit: 3 },
      job: { kind: 'job', input: 'i.jsonl', name: 'n', provider: 'anthropic', model: 'm', mode: 'sync', budget: 1.5, try: 5, checks: { json: true, schema: { type: 'object' } } },
      results: { kind: 'results', job: 'j', states: ['failed', 'dead_letter'], search: 'x', columns: ['id', 'output'], limit: 1000, export: 'out.csv' },
    } as const;
    for (const kind of CELL_KINDS) assert.deepEqual(CELL_SCHEMAS[kind].parse(full[kind]), full[kind], kind);
  });

  it('refuses unknown keys and out-of-range values', () => {
    const refused = [
      { kind: 'requests', dataset: 'd.csv', model: 'm', prompt: 'p', tempreature: 1 },
      { kind: 'requests', dataset: 'd.txt', model: 'm', prompt: 'p' },
      { kind: 'requests', dataset: 'd.csv', model: 'm', prompt: 'p', temperature: 2.5 },
      { kind: 'requests', dataset: 'd.csv', model: 'm', prompt: 'p', max_tokens: 0 },
      { kind: 'job', try: 101 },
      { kind: 'job', try: 1.5 },
      { kind: 'job', budget: 0 },
      { kind: 'job', provider: 'openia' },
      { kind: 'job', mode: 'fast' },
      { kind: 'job', checks: { jsn: true } },
      { kind: 'results', limit: 1001 },
      { kind: 'results', states: ['done'] },
      { kind: 'results', columns: ['price'] },
      { kind: 'results', export: 'out.xlsx' },
      { kind: 'other' },
    ];
    for (const cell of refused) assert.equal(cellConfigSchema.safeParse(cell).success, false, JSON.stringify(cell));
  });

  it('offers the providers of providerLimits and the item states of the store', () => {
    assert.deepEqual([...RESULT_ITEM_STATES].sort(), [...ITEM_STATES].sort());
    assert.deepEqual(CELL_SCHEMAS.job.shape.provider.unwrap().options, [...PROVIDER_IDS]);
  });

  it('describes every field in the JSON schema, and has a rule for its messages', () => {
    const schema = cellJsonSchema() as JsonNode;
    const variants = schema.oneOf ?? [];
    assert.equal(variants.length, CELL_KINDS.length);
    for (const [index, variant] of variants.entries()) {
      const kind = CELL_KINDS[index] ?? 'requests';
      assert.ok(variant.description, `${kind} has a description`);
      const visit = (properties: Record<string, JsonNode>, prefix: string): void => {
        for (const [key, property] of Object.entries(properties)) {
          assert.ok(property.description && property.description.length > 10, `${kind}.${prefix}${key} has a description`);
          assert.ok(FIELD_RULES[kind][`${prefix}${key}`], `${kind}.${prefix}${key} has a rule`);
          const nested = property.properties ?? property.anyOf?.find((each) => each.properties)?.properties;
          if (nested) visit(nested, `${prefix}${key}.`);
        }
      };
      visit(variant.properties ?? {}, '');
    }
  });

  it('has the committed schemas/llmbatch-cell.schema.json up to date (run scripts/writeCellSchema.ts)', () => {
    assert.equal(readFileSync(SCHEMA_FILE, 'utf8'), cellJsonSchemaText());
  });
});
