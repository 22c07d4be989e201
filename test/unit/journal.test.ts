import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { FileHandle } from 'node:fs/promises';
import { appendFile, mkdir, mkdtemp, open, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it, mock } from 'node:test';
import { Journal, JournalCorruptError } from '../../src/store/journal';
import type { JournalRecord } from '../../src/store/journal';

const root = path.resolve(__dirname, '../..');
let scratch = '';
let counter = 0;

before(async () => {
  scratch = await mkdtemp(path.join(os.tmpdir(), 'journal-test-'));
});
after(async () => {
  await rm(scratch, { recursive: true, force: true });
});

/** A fresh journal path in its own directory. */
function journalPath(): string {
  counter++;
  return path.join(scratch, `journal-${counter}.jsonl`);
}

async function fileLines(file: string): Promise<string[]> {
  const text = await readFile(file, 'utf8');
  assert.ok(text === '' || text.endsWith('\n'), 'the file ends on a complete line');
  return text === '' ? [] : text.slice(0, -1).split('\n');
}

async function seqsInFile(file: string): Promise<number[]> {
  return (await fileLines(file)).map((line) => (JSON.parse(line) as JournalRecord).seq);
}

/** Writes `count` records through a journal and closes it; returns the file's size afterwards. */
async function seed(file: string, count: number): Promise<number> {
  const { journal } = await Journal.open(file);
  for (let n = 0; n < count; n++) await journal.append({ type: 'seed', n });
  await journal.close();
  return (await stat(file)).size;
}

const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('Journal', () => {
  it('round-trips records, one JSON line each with seq, at and type first', async () => {
    const file = journalPath();
    const opened = await Journal.open(file);
    assert.deepEqual(opened.records, []);
    assert.equal(opened.droppedTornRecord, false);
    const { journal } = opened;

    const written = [
      await journal.append({ type: 'job.created', jobId: 'j1', nested: { list: [1, 2, { deep: true }] } }),
      await journal.append({ name: 'multi\nline "quoted" ünïcödé 🚀', type: 'job.renamed' }),
      await journal.append({ type: 'item.state', ids: ['a', 'b'] }),
    ];
    assert.deepEqual(
      written.map((r) => r.seq),
      [1, 2, 3],
    );
    assert.equal(journal.lastSeq, 3);
    for (const record of written) assert.equal(new Date(record.at).toISOString(), record.at);

    const lines = await fileLines(file);
    assert.equal(lines.length, 3);
    for (const line of lines) assert.deepEqual(Object.keys(JSON.parse(line) as object).slice(0, 3), ['seq', 'at', 'type']);
    assert.match(lines[1] ?? '', /^\{"seq":2,"at":"[^"]+","type":"job\.renamed","name":"multi\\nline/);
    await journal.close();

    const reopened = await Journal.open(file);
    assert.deepEqual(reopened.records, written);
    assert.equal(reopened.droppedTornRecord, false);
    assert.equal(reopened.journal.lastSeq, 3);
    await reopened.journal.close();
  });

  it('returns each record as it will read back, so live and replayed state cannot differ', async () => {
    const file = journalPath();
    const { journal } = await Journal.open(file);
    const when = new Date('2026-01-02T03:04:05.000Z');
    const record = await journal.append({ type: 'x', when, gone: undefined, list: [undefined, 1] });
    assert.deepEqual({ ...record }, { seq: 1, at: record.at, type: 'x', when: '2026-01-02T03:04:05.000Z', list: [null, 1] });
    await journal.close();
    const { records, journal: again } = await Journal.open(file);
    assert.deepEqual(records, [record]);
    await again.close();
  });

  it('rejects a bad event on its own, without writing it or using up a seq', async () => {
    const file = journalPath();
    const { journal } = await Journal.open(file);
    await assert.rejects(journal.append({ type: 'x', seq: 7 }), /may not set `seq`/);
    await assert.rejects(journal.append({ type: 'x', at: 'now' }), /may not set `at`/);
    await assert.rejects(journal.append({ type: '' }), /non-empty string `type`/);
    await assert.rejects(journal.append({ type: 'x', big: 10n }), TypeError);
    await assert.rejects(journal.append({ type: 'x', toJSON: () => 'not an object' }), /must serialize to a JSON object/);
    await assert.rejects(journal.appendMany([{ type: 'ok' }, { type: 'x', seq: 1 }]), /may not set `seq`/);
    const good = await journal.append({ type: 'ok' });
    assert.equal(good.seq, 1);
    assert.deepEqual(await seqsInFile(file), [1]);
    await journal.close();
  });

  it('continues the sequence after reopening, and honours startSeq', async () => {
    const file = journalPath();
    await seed(file, 4);
    const first = await Journal.open(file);
    assert.equal(first.journal.lastSeq, 4);
    assert.equal((await first.journal.append({ type: 'after' })).seq, 5);
    await first.journal.close();

    // startSeq below the file's last seq changes nothing; above it, numbering resumes from it.
    const low = await Journal.open(file, { startSeq: 2 });
    assert.equal((await low.journal.append({ type: 'after' })).seq, 6);
    await low.journal.close();
    const high = await Journal.open(file, { startSeq: 100 });
    assert.deepEqual(
      high.records.map((r) => r.seq),
      [1, 2, 3, 4, 5, 6],
    );
    assert.equal(high.journal.lastSeq, 100);
    assert.equal((await high.journal.append({ type: 'after' })).seq, 101);
    await high.journal.close();

    await assert.rejects(Journal.open(journalPath(), { startSeq: -1 }), RangeError);
  });

  it('group-commits 200 concurrent appends into far fewer fsyncs, in call order', async () => {
    const file = journalPath();
    const { journal } = await Journal.open(file);
    const before = journal.syncCount;
    const records = await Promise.all(Array.from({ length: 200 }, (_, n) => journal.append({ type: 'burst', n })));
    assert.deepEqual(
      records.map((r) => r.seq),
      range(1, 200),
    );
    assert.deepEqual(
      records.map((r) => r['n']),
      range(0, 199),
    );
    assert.deepEqual(await seqsInFile(file), range(1, 200));
    const fsyncs = journal.syncCount - before;
    assert.ok(fsyncs >= 1 && fsyncs <= 5, `200 concurrent appends took ${fsyncs} fsyncs`);
    await journal.close();
  });

  it('batches appends made while a commit is in flight into the next single commit', async () => {
    const file = journalPath();
    const { journal } = await Journal.open(file);
    const before = journal.syncCount;
    const first = journal.append({ type: 'first' });
    await new Promise((resolve) => setImmediate(resolve)); // the first commit is now under way
    const rest = Array.from({ length: 50 }, (_, n) => journal.append({ type: 'later', n }));
    await Promise.all([first, ...rest]);
    assert.equal(journal.syncCount - before, 2);
    assert.deepEqual(await seqsInFile(file), range(1, 51));
    await journal.close();
  });

  it('appendMany writes consecutive seqs with one fsync; an empty batch writes nothing', async () => {
    const file = journalPath();
    const { journal } = await Journal.open(file);
    await journal.append({ type: 'single' });
    const before = journal.syncCount;
    const many = await journal.appendMany([{ type: 'a' }, { type: 'b' }, { type: 'c' }]);
    assert.deepEqual(
      many.map((r) => [r.seq, r.type]),
      [
        [2, 'a'],
        [3, 'b'],
        [4, 'c'],
      ],
    );
    assert.equal(journal.syncCount - before, 1);
    assert.deepEqual(await journal.appendMany([]), []);
    assert.equal(journal.syncCount - before, 1);
    assert.deepEqual(await seqsInFile(file), [1, 2, 3, 4]);
    await journal.close();
  });

  for (const [name, tail] of [
    ['a last line cut off before its newline', '{"seq":4,"at":"2026-01-01T00:00:00.000Z","type":"half'],
    ['a last line that has its newline but does not parse', '{"seq":4,"at":"2026-01-0\n'],
    ['a zero-filled tail (what a power cut can leave)', '\0'.repeat(300)],
    ['an empty last line', '\n'],
  ] as const) {
    it(`drops ${name}, cuts the file back and appends cleanly after it`, async () => {
      const file = journalPath();
      const intactSize = await seed(file, 3);
      await appendFile(file, tail);

      const { journal, records, droppedTornRecord } = await Journal.open(file);
      assert.equal(droppedTornRecord, true);
      assert.deepEqual(
        records.map((r) => r.seq),
        [1, 2, 3],
      );
      assert.equal((await stat(file)).size, intactSize, 'the torn bytes are gone from the file');
      assert.equal((await journal.append({ type: 'next' })).seq, 4);
      await journal.close();

      assert.deepEqual(await seqsInFile(file), [1, 2, 3, 4]);
      const again = await Journal.open(file);
      assert.equal(again.droppedTornRecord, false);
      await again.journal.close();
    });
  }

  it('drops a torn first record of an otherwise empty journal', async () => {
    const file = journalPath();
    await writeFile(file, '{"seq":1,"at":"2026');
    const { journal, records, droppedTornRecord } = await Journal.open(file);
    assert.deepEqual(records, []);
    assert.equal(droppedTornRecord, true);
    assert.equal((await stat(file)).size, 0);
    assert.equal((await journal.append({ type: 'first' })).seq, 1);
    await journal.close();
  });

  it('refuses a corrupt line in the middle, naming the file and line, and leaves the file alone', async () => {
    const file = journalPath();
    await seed(file, 2);
    await appendFile(file, '{"seq":3,"at":"2026-01-01T00:00:00.000Z","ty\n');
    await appendFile(file, '{"seq":4,"at":"2026-01-01T00:00:00.000Z","type":"later"}\n');
    const sizeBefore = (await stat(file)).size;

    await assert.rejects(Journal.open(file), (error: unknown) => {
      assert.ok(error instanceof JournalCorruptError);
      assert.equal(error.line, 3);
      assert.equal(error.file, file);
      assert.ok(error.message.includes(file), error.message);
      assert.match(error.message, /corrupt at line 3 /);
      assert.match(error.message, /not a torn final write/);
      return true;
    });
    assert.equal((await stat(file)).size, sizeBefore);
  });

  it('refuses invalid UTF-8 in the middle as corruption', async () => {
    const file = journalPath();
    await seed(file, 1);
    await appendFile(file, Buffer.from([0x7b, 0xff, 0xfe, 0x7d, 0x0a]));
    await appendFile(file, '{"seq":3,"at":"2026-01-01T00:00:00.000Z","type":"later"}\n');
    await assert.rejects(Journal.open(file), (error: unknown) => error instanceof JournalCorruptError && error.line === 2);
  });

  it('refuses sequence numbers that do not rise strictly, naming the line', async () => {
    const file = journalPath();
    await seed(file, 3);
    await appendFile(file, '{"seq":3,"at":"2026-01-01T00:00:00.000Z","type":"again"}\n');
    await assert.rejects(Journal.open(file), (error: unknown) => {
      assert.ok(error instanceof JournalCorruptError);
      assert.equal(error.line, 4);
      assert.match(error.message, /line 4 has seq 3, not above the previous record's seq 3/);
      return true;
    });
  });

  it('refuses a last line that parses but is not a record: a torn write cannot produce one', async () => {
    const file = journalPath();
    await seed(file, 2);
    await appendFile(file, '{"seq":"3","type":"x"}\n');
    await assert.rejects(Journal.open(file), (error: unknown) => error instanceof JournalCorruptError && error.line === 3);
  });

  it('reads a journal whose lines straddle the read chunk size', async () => {
    const file = journalPath();
    const { journal } = await Journal.open(file);
    const big = 'y'.repeat(700_000); // two of these cross the 1 MiB read boundary mid-line
    await journal.appendMany([{ type: 'big', big }, { type: 'big', big }, { type: 'small' }]);
    await journal.close();
    const { records, journal: again } = await Journal.open(file);
    assert.deepEqual(
      records.map((r) => [r.seq, r['big'] === big]),
      [
        [1, true],
        [2, true],
        [3, false],
      ],
    );
    await again.close();
  });

  it('truncate() empties the file and the seq keeps rising, across a reopen with startSeq', async () => {
    const file = journalPath();
    const { journal } = await Journal.open(file);
    await journal.appendMany([{ type: 'a' }, { type: 'b' }, { type: 'c' }]);
    await journal.truncate({ coveredThroughSeq: 3 });
    assert.equal((await stat(file)).size, 0);
    assert.equal(journal.lastSeq, 3);
    assert.equal((await journal.append({ type: 'd' })).seq, 4);
    assert.deepEqual(await seqsInFile(file), [4]);
    await journal.truncate();
    await journal.close();

    const reopened = await Journal.open(file, { startSeq: 4 });
    assert.deepEqual(reopened.records, []);
    assert.equal((await reopened.journal.append({ type: 'e' })).seq, 5);
    await reopened.journal.close();
  });

  it('truncate() runs in call order with appends: earlier ones are dropped, later ones kept', async () => {
    const file = journalPath();
    const { journal } = await Journal.open(file);
    const before = [journal.append({ type: 'a' }), journal.append({ type: 'b' })];
    const truncated = journal.truncate();
    const later = journal.append({ type: 'c' });
    await Promise.all([...before, truncated, later]);
    assert.equal((await later).seq, 3);
    assert.deepEqual(await seqsInFile(file), [3]);
    await journal.close();
  });

  it('truncate() refuses to drop records its snapshot does not cover', async () => {
    const file = journalPath();
    const { journal } = await Journal.open(file);
    await journal.appendMany([{ type: 'a' }, { type: 'b' }]);
    const snapshotSeq = journal.lastSeq;
    const raced = journal.append({ type: 'written while the snapshot was saved' });
    await assert.rejects(journal.truncate({ coveredThroughSeq: snapshotSeq }), /holds records up to seq 3, but the snapshot only covers seq 2/);
    await raced;
    assert.deepEqual(await seqsInFile(file), [1, 2, 3]);
    await journal.close();
  });

  it('close() lets queued appends finish; later calls reject', async () => {
    const file = journalPath();
    const { journal } = await Journal.open(file);
    const pending = Array.from({ length: 10 }, (_, n) => journal.append({ type: 'queued', n }));
    await journal.close();
    assert.deepEqual(
      (await Promise.all(pending)).map((r) => r.seq),
      range(1, 10),
    );
    await assert.rejects(journal.append({ type: 'late' }), /is closed/);
    await assert.rejects(journal.truncate(), /is closed/);
    await journal.close(); // twice is fine
    assert.deepEqual(await seqsInFile(file), range(1, 10));
  });

  describe('when the disk fails', () => {
    async function fileHandlePrototype(): Promise<FileHandle> {
      const probe = await open(__filename, 'r');
      await probe.close();
      return Object.getPrototypeOf(probe) as FileHandle;
    }

    it('a failed write rejects its whole group, leaves the file clean and the journal usable', async () => {
      const file = journalPath();
      const { journal } = await Journal.open(file);
      await journal.append({ type: 'before' });
      const intact = await readFile(file);

      const proto = await fileHandlePrototype();
      type PositionalWrite = (this: FileHandle, buffer: Uint8Array, offset: number, length: number, position: number) => Promise<{ bytesWritten: number }>;
      const realWrite: PositionalWrite = proto.write;
      let calls = 0;
      // First call lands half the bytes (a short write), the second fails: the worst case.
      const failing = mock.method(proto, 'write', async function (this: FileHandle, ...[buffer, offset, length, position]: Parameters<PositionalWrite>) {
        calls++;
        if (calls === 1) return realWrite.call(this, buffer, offset, Math.ceil(length / 2), position);
        throw Object.assign(new Error('EIO: i/o error, write'), { code: 'EIO' });
      });
      let results: PromiseSettledResult<JournalRecord>[];
      try {
        results = await Promise.allSettled([journal.append({ type: 'lost', n: 1 }), journal.append({ type: 'lost', n: 2 }), journal.append({ type: 'lost', n: 3 })]);
      } finally {
        failing.mock.restore();
      }
      assert.equal(calls, 2);
      for (const result of results) {
        assert.equal(result.status, 'rejected');
        assert.match(String(result.status === 'rejected' ? result.reason : ''), new RegExp(`Could not write to journal .*journal-\\d+\\.jsonl: EIO`));
      }
      assert.deepEqual(await readFile(file), intact, 'the half-written group was cut off');

      assert.equal((await journal.append({ type: 'after' })).seq, 2, 'the failed group gave its seqs back');
      await journal.close();
      const { records, droppedTornRecord, journal: again } = await Journal.open(file);
      assert.equal(droppedTornRecord, false);
      assert.deepEqual(
        records.map((r) => [r.seq, r.type]),
        [
          [1, 'before'],
          [2, 'after'],
        ],
      );
      await again.close();
    });

    it('a failed fsync rejects the group and closes the journal for good; reopening recovers', async () => {
      const file = journalPath();
      const { journal } = await Journal.open(file);
      await journal.append({ type: 'before' });

      const proto = await fileHandlePrototype();
      const failing = mock.method(proto, 'sync', () => Promise.reject(Object.assign(new Error('EIO: i/o error, fsync'), { code: 'EIO' })));
      let results: PromiseSettledResult<JournalRecord>[];
      try {
        results = await Promise.allSettled([journal.append({ type: 'unknown', n: 1 }), journal.append({ type: 'unknown', n: 2 })]);
      } finally {
        failing.mock.restore();
      }
      for (const result of results) {
        assert.equal(result.status, 'rejected');
        assert.match(String(result.status === 'rejected' ? result.reason : ''), /stopped accepting writes: fsync failed \(EIO/);
      }
      await assert.rejects(journal.append({ type: 'later' }), /stopped accepting writes/);
      await assert.rejects(journal.truncate(), /stopped accepting writes/);
      await journal.close();

      const reopened = await Journal.open(file);
      assert.deepEqual(reopened.records[0]?.type, 'before');
      assert.deepEqual(
        reopened.records.map((r) => r.seq),
        range(1, reopened.records.length),
      );
      const next = await reopened.journal.append({ type: 'recovered' });
      assert.equal(next.seq, reopened.records.length + 1);
      await reopened.journal.close();
    });
  });

  it('survives kill -9 at random moments: every acknowledged seq is on disk, contiguous from 1', async (t) => {
    const dir = path.join(scratch, 'crash');
    await rm(dir, { recursive: true, force: true });
    await mkdir(dir);
    const file = path.join(dir, 'journal.jsonl');
    const acknowledged = new Set<number>();
    let tornDrops = 0;

    for (let round = 0; round < 10; round++) {
      const printed = await runAndKill(dir, 20 + Math.floor(Math.random() * 180));
      assert.ok(printed.length > 0, `round ${round}: the child acknowledged some appends before the kill`);
      for (const seq of printed) acknowledged.add(seq);

      // Opening is the check that "at most the last record was torn": anything else throws.
      const { journal, records, droppedTornRecord } = await Journal.open(file);
      if (droppedTornRecord) tornDrops++;
      const seqs = records.map((r) => r.seq);
      assert.deepEqual(seqs, range(1, seqs.length), `round ${round}: records are contiguous from 1`);
      const present = new Set(seqs);
      const missing = [...acknowledged].filter((seq) => !present.has(seq));
      assert.deepEqual(missing, [], `round ${round}: acknowledged seqs survived`);
      for (const record of records) assert.equal(record.type, 'crash.tick');
      await journal.close();
    }
    // Not asserted (a kill between writes tears nothing), only shown when running verbosely.
    t.diagnostic(`kill -9: ${acknowledged.size} acknowledged records over 10 rounds, ${tornDrops} torn tails dropped`);
  });
});

/** Runs the crash child, SIGKILLs it `delayMs` after its first acknowledged append, returns the seqs it printed. */
function runAndKill(dir: string, delayMs: number): Promise<number[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'test/support/journalCrashChild.ts'), dir], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    let timer: NodeJS.Timeout | undefined;
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
      timer ??= setTimeout(() => child.kill('SIGKILL'), delayMs);
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
    const guard = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(guard);
      if (signal !== 'SIGKILL') {
        reject(new Error(`crash child ended with code ${code} / ${signal} before the kill: ${err}`));
        return;
      }
      // Only complete lines count: a seq is acknowledged once its newline was printed.
      const complete = out.slice(0, out.lastIndexOf('\n') + 1);
      resolve(complete.split('\n').filter(Boolean).map(Number));
    });
  });
}
