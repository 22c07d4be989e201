// Writes schemas/llmbatch-cell.schema.json, the JSON schema of a notebook code cell, from the zod
// schemas (the one definition). Run after changing src/core/notebook/cellSchemas.ts:
//   node --import tsx scripts/writeCellSchema.ts
// test/unit/cellSchemas.test.ts fails while the committed file is stale.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { cellJsonSchemaText } from '../src/core/notebook/cellSchemas';

const target = path.resolve(__dirname, '../schemas/llmbatch-cell.schema.json');
writeFileSync(target, cellJsonSchemaText());
console.log(`wrote ${path.relative(process.cwd(), target)}`);
