// `llm-batch results <job> [--out f] [--format jsonl|csv]`: every item in input order, with its state.
import { createWriteStream } from 'node:fs';
import type { Writable } from 'node:stream';
import { csvHeader, csvRow, exportResults } from '../engine/exportResults';
import type { ProviderId } from '../core/providerLimits';
import { resultParserFor } from '../providers/resultParsers';
import { openStore, parseCommand } from './cliOptions';
import { requireJob } from './inspectCommands';
import { UsageError } from './usageError';

export async function runResults(args: string[]): Promise<number> {
  const { values, positionals } = parseCommand(args, { out: { type: 'string' }, format: { type: 'string', default: 'jsonl' } });
  const format = values.format;
  if (format !== 'jsonl' && format !== 'csv') throw new UsageError(`--format must be jsonl or csv, got "${format}"`);
  const store = await openStore(values, 'llm-batch results', true);
  try {
    const job = requireJob(store, positionals[0]);
    const parse = resultParserFor(job.provider as ProviderId);
    const out: Writable = values.out ? createWriteStream(values.out) : process.stdout;
    if (format === 'csv') out.write(csvHeader());
    let count = 0;
    for await (const record of exportResults(store, job.id, parse)) {
      const text = format === 'csv' ? csvRow(record) : `${JSON.stringify(record)}\n`;
      if (!out.write(text)) await new Promise((resolve) => out.once('drain', resolve));
      count++;
    }
    if (values.out) {
      await new Promise<void>((resolve, reject) => out.end((error?: Error | null) => (error ? reject(error) : resolve())));
      process.stderr.write(`wrote ${count} results to ${values.out}\n`);
    }
    return 0;
  } finally {
    await store.close();
  }
}
