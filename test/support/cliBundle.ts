// The CLI bundled into one file for tests that start it many times: a bundle starts in a fraction
// of tsx's time, so kills land across a job's life rather than its start-up, and six providers ×
// many commands stay quick. sql.js looks for its wasm beside the bundle.
import { copyFileSync } from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';

const root = path.resolve(__dirname, '../..');

/** Builds `src/cli/main.ts` into `dir/cli.js` (with the wasm sql.js needs); returns its path. */
export async function buildCliBundle(dir: string): Promise<string> {
  const cli = path.join(dir, 'cli.js');
  await build({ entryPoints: [path.join(root, 'src/cli/main.ts')], bundle: true, platform: 'node', format: 'cjs', target: 'node20', outfile: cli, logLevel: 'error' });
  copyFileSync(require.resolve('sql.js/dist/sql-wasm.wasm'), path.join(dir, 'sql-wasm.wasm'));
  return cli;
}
