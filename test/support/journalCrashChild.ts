// Child for the journal's kill -9 test: appends to DIR/journal.jsonl from several concurrent writers
// as fast as it can and prints each seq only after its append resolved, i.e. once it is claimed
// durable. The parent SIGKILLs it at a random moment and checks every printed seq survived.
// Usage: node --import tsx test/support/journalCrashChild.ts DIR
import path from 'node:path';
import { Journal } from '../../src/store/journal';

const WRITERS = 6;
// Records of ~1.5 KB make each group span several pages, so a kill can land mid-write.
const PADDING = 'x'.repeat(1500);

async function main(dir: string): Promise<void> {
  const { journal } = await Journal.open(path.join(dir, 'journal.jsonl'));
  const writer = async (id: number): Promise<void> => {
    for (let n = 0; ; n++) {
      // Writer 0 uses appendMany so multi-record units are in the mix as well.
      const records =
        id === 0
          ? await journal.appendMany([0, 1, 2].map((part) => ({ type: 'crash.tick', writer: id, n, part, padding: PADDING })))
          : [await journal.append({ type: 'crash.tick', writer: id, n, padding: PADDING })];
      // stdout to a pipe is synchronous on Linux, so what the parent reads was printed after the fsync.
      process.stdout.write(records.map((record) => `${record.seq}\n`).join(''));
    }
  };
  await Promise.all(Array.from({ length: WRITERS }, (_, id) => writer(id)));
}

const dir = process.argv[2];
if (dir === undefined) {
  process.stderr.write('usage: journalCrashChild.ts DIR\n');
  process.exit(2);
}
main(dir).catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
