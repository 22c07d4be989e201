// Child for the workspace-lock tests: tries to take the lock on DIR from a separate process.
// Usage: node --import tsx test/support/lockChild.ts DIR [--wait-go]
//   --wait-go  print "ready", then wait for a "go" line on stdin before acquiring, so a parent can
//              start several children and release them at the same instant.
// Prints one JSON line: {"result":"acquired","pid":…} (then holds the lock until stdin closes,
// releases it and exits 0) or {"result":"held","ownerPid":…,"message":…} (message also on stderr,
// exit 3). Any other failure: exit 1.
import { createInterface } from 'node:readline';
import { LockHeldError, acquireWorkspaceLock } from '../../src/store/workspaceLock';

const LOCK_HELD_EXIT_CODE = 3;

async function main(dir: string, waitForGo: boolean): Promise<number> {
  const input = createInterface({ input: process.stdin });
  const lines = input[Symbol.asyncIterator]();
  if (waitForGo) {
    process.stdout.write('ready\n');
    for (let line = await lines.next(); line.value !== 'go'; line = await lines.next()) {
      if (line.done === true) return 1;
    }
  }
  try {
    const lock = await acquireWorkspaceLock(dir, 'lock child');
    process.stdout.write(`${JSON.stringify({ result: 'acquired', pid: process.pid })}\n`);
    while ((await lines.next()).done !== true) {
      // hold the lock until the parent closes stdin
    }
    await lock.release();
    return 0;
  } catch (error) {
    if (!(error instanceof LockHeldError)) throw error;
    process.stdout.write(`${JSON.stringify({ result: 'held', ownerPid: error.owner.pid, message: error.message })}\n`);
    process.stderr.write(`${error.message}\n`);
    return LOCK_HELD_EXIT_CODE;
  } finally {
    input.close();
  }
}

const dir = process.argv[2];
if (dir === undefined) {
  process.stderr.write('usage: lockChild.ts DIR [--wait-go]\n');
  process.exit(2);
}
main(dir, process.argv.includes('--wait-go')).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
