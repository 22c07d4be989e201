import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fsyncDirectory, readFileIfExists, writeFileAtomic } from '../../src/store/atomicFile';

const root = path.resolve(__dirname, '../..');
let scratch = '';
let counter = 0;

before(async () => {
  scratch = await mkdtemp(path.join(os.tmpdir(), 'atomic-file-test-'));
});
after(async () => {
  await rm(scratch, { recursive: true, force: true });
});

async function freshDir(): Promise<string> {
  counter++;
  const dir = path.join(scratch, `case-${counter}`);
  await mkdir(dir);
  return dir;
}

describe('writeFileAtomic', () => {
  it('writes strings and bytes, replaces the old content, and leaves no temp file behind', async () => {
    const dir = await freshDir();
    const target = path.join(dir, 'state.sqlite');
    await writeFileAtomic(target, 'first version ✓');
    assert.equal(await readFile(target, 'utf8'), 'first version ✓');
    const bytes = new Uint8Array([0, 1, 2, 255, 254]);
    await writeFileAtomic(target, bytes);
    assert.deepEqual(new Uint8Array(await readFile(target)), bytes);
    await writeFileAtomic(target, '');
    assert.equal(await readFile(target, 'utf8'), '');
    assert.deepEqual(await readdir(dir), ['state.sqlite']);
  });

  it('removes its temp file and leaves the target alone when the rename fails', async () => {
    const dir = await freshDir();
    const target = path.join(dir, 'occupied');
    await mkdir(target); // renaming a file over a non-empty directory fails
    await writeFile(path.join(target, 'keep'), 'kept');
    await assert.rejects(writeFileAtomic(target, 'new'), (error: NodeJS.ErrnoException) => ['EISDIR', 'ENOTEMPTY', 'EEXIST', 'EPERM'].includes(error.code ?? ''));
    assert.deepEqual((await readdir(dir)).sort(), ['occupied']);
    assert.equal(await readFile(path.join(target, 'keep'), 'utf8'), 'kept');
  });

  it('fails without creating anything when the directory does not exist', async () => {
    const dir = await freshDir();
    await assert.rejects(writeFileAtomic(path.join(dir, 'missing', 'file'), 'x'), { code: 'ENOENT' });
    assert.deepEqual(await readdir(dir), []);
  });

  it('a writer that died after writing its temp file but before the rename leaves the target intact', async () => {
    const dir = await freshDir();
    const target = path.join(dir, 'state.sqlite');
    await writeFileAtomic(target, 'old complete content');
    // What a crash between "write temp" and "rename" leaves on disk: a half-written temp file.
    const stray = path.join(dir, '.state.sqlite.99999.abcdef012345.tmp');
    await writeFile(stray, 'new cont');
    assert.equal(Buffer.from((await readFileIfExists(target)) ?? []).toString(), 'old complete content');

    await writeFileAtomic(target, 'new complete content');
    assert.equal(await readFile(target, 'utf8'), 'new complete content');
    assert.equal(await readFile(stray, 'utf8'), 'new cont', 'another writer’s temp file is not touched');
  });

  it('under kill -9 mid-write, the target always holds one whole version, never a mix or a prefix', async (t) => {
    const dir = await freshDir();
    const target = path.join(dir, 'snapshot.bin');
    await writeFile(target, 'initial');
    let killedMidWrite = 0;

    for (let round = 0; round < 5; round++) {
      const lastAcknowledged = await writeInChildAndKill(target, 5 + Math.floor(Math.random() * 60));
      const content = await readFile(target);
      assert.equal(content.length, VERSION_BYTES, `round ${round}: the target has a whole version's length`);
      const fill = content[0] ?? -1;
      assert.ok(
        content.every((byte) => byte === fill),
        `round ${round}: every byte belongs to the same version`,
      );
      // The acknowledged version, or the next one if the kill landed between rename and print.
      assert.ok([fillFor(lastAcknowledged), fillFor(lastAcknowledged + 1)].includes(fill), `round ${round}: fill ${fill} after version ${lastAcknowledged}`);
      // At most the one in-flight temp file is left over, named so it cannot clash with anyone's.
      const strays = (await readdir(dir)).filter((name) => name !== 'snapshot.bin');
      assert.ok(strays.length <= 1, `round ${round}: strays ${strays.join(', ')}`);
      for (const name of strays) assert.match(name, /^\.snapshot\.bin\.\d+\.[0-9a-f]{12}\.tmp$/);
      killedMidWrite += strays.length;
      await Promise.all(strays.map((name) => rm(path.join(dir, name))));
    }
    // Not asserted (timing decides), only shown: how often the kill caught a write in progress.
    t.diagnostic(`kill -9: ${killedMidWrite} of 5 kills landed mid-write`);
  });
});

describe('readFileIfExists', () => {
  it('returns the bytes of an existing file and undefined for a missing one', async () => {
    const dir = await freshDir();
    await writeFile(path.join(dir, 'there'), 'hello');
    assert.equal(Buffer.from((await readFileIfExists(path.join(dir, 'there'))) ?? []).toString(), 'hello');
    assert.equal(await readFileIfExists(path.join(dir, 'not-there')), undefined);
  });

  it('still throws errors other than a missing file', async () => {
    const dir = await freshDir();
    await assert.rejects(readFileIfExists(dir), { code: 'EISDIR' });
  });
});

describe('fsyncDirectory', () => {
  it('syncs an existing directory and reports a missing one', async () => {
    const dir = await freshDir();
    await fsyncDirectory(dir);
    await assert.rejects(fsyncDirectory(path.join(dir, 'nope')), { code: 'ENOENT' });
  });
});

const VERSION_BYTES = 2 << 20;
const fillFor = (version: number): number => (version % 250) + 1;

// Written inline rather than as a support file: it only loops over writeFileAtomic. Every byte of
// version N is fillFor(N), so any mix or prefix of two versions is visible.
const WRITER_SCRIPT = `
const { writeFileAtomic } = require(process.argv[1]);
const target = process.argv[2];
(async () => {
  for (let version = 1; ; version++) {
    await writeFileAtomic(target, Buffer.alloc(${VERSION_BYTES}, (version % 250) + 1));
    process.stdout.write(version + '\\n');
  }
})();
`;

/** Runs the writer, SIGKILLs it `delayMs` after its first completed write; returns the last version it acknowledged. */
function writeInChildAndKill(target: string, delayMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '-e', WRITER_SCRIPT, path.join(root, 'src/store/atomicFile.ts'), target], {
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
        reject(new Error(`writer ended with code ${code} / ${signal} before the kill: ${err}`));
        return;
      }
      const versions = out.slice(0, out.lastIndexOf('\n') + 1).split('\n').filter(Boolean).map(Number);
      resolve(versions.at(-1) ?? 0);
    });
  });
}
