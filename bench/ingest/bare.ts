// The reference loops, as anyone would write them, bundled without any of our code so their
// time and memory are the machine's and Node's alone. Run by run.ts like measure.ts.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { CHUNK, cpuSince, forEachLine } from './lines';
import type { MeasuredPath, Measurement } from './paths';

async function readAndHash(file: string): Promise<number> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file, { highWaterMark: CHUNK }) as AsyncIterable<Buffer>) hash.update(chunk);
  // Reading the digest keeps the work from being optimised away.
  return hash.digest()[0] ?? 0;
}

async function bareJsonParse(file: string): Promise<number> {
  let keys = 0;
  const lines = await forEachLine(file, (line) => {
    const value: unknown = JSON.parse(line.toString('utf8'));
    if (typeof value === 'object' && value !== null) keys++;
  });
  return keys === lines ? lines : -1;
}

async function main(): Promise<void> {
  const [path, file] = process.argv.slice(2);
  if ((path !== 'read-sha256' && path !== 'json-parse') || file === undefined) throw new Error('usage: bare <read-sha256|json-parse> <file>');
  const measured: MeasuredPath = path;
  const bytes = (await stat(file)).size;
  const start = performance.now();
  const cpu = process.cpuUsage();
  const lines = measured === 'json-parse' ? await bareJsonParse(file) : (await readAndHash(file), undefined);
  const result: Measurement = {
    path: measured,
    bytes,
    seconds: (performance.now() - start) / 1000,
    cpuSeconds: cpuSince(cpu),
    maxRss: process.resourceUsage().maxRSS * 1024,
    ...(lines === undefined ? {} : { lines }),
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
