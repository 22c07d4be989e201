// The CLI bundled into one file for tests that start it many times: a bundle starts in a fraction
// of tsx's time, so kills land across a job's life rather than its start-up, and six providers ×
// many commands stay quick. sql.js looks for its wasm beside the bundle. The adapters and the
// large libraries are split into bundles of their own as the product ships them
// (scripts/nodeBundles.mjs), so these tests also prove that each one loads and works from there.
import { copyFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import type { Plugin } from 'esbuild';

const root = path.resolve(__dirname, '../..');

interface NodeBundles {
  lazyBundles(dist: string, outdir: string): Plugin;
  lazyVendors(dist: string, outdir: string): Plugin;
  providerBundleEntries(): Record<string, string>;
  vendorBundleEntries(): Record<string, string>;
  reexports: Plugin;
}

/** Builds `src/cli/main.ts` into `dir/cli.js` (with the provider bundles and the wasm sql.js needs); returns its path. */
export async function buildCliBundle(dir: string): Promise<string> {
  const cli = path.join(dir, 'cli.js');
  const bundles = (await import(pathToFileURL(path.join(root, 'scripts/nodeBundles.mjs')).href)) as NodeBundles;
  const node = { bundle: true, platform: 'node', format: 'cjs', target: 'node20', logLevel: 'error', absWorkingDir: root } as const;
  await Promise.all([
    build({ ...node, entryPoints: [path.join(root, 'src/cli/main.ts')], outfile: cli, plugins: [bundles.lazyBundles(dir, dir), bundles.lazyVendors(dir, dir)] }),
    build({ ...node, entryPoints: bundles.providerBundleEntries(), outdir: dir, plugins: [bundles.reexports, bundles.lazyVendors(dir, path.join(dir, 'providers'))] }),
    build({ ...node, entryPoints: bundles.vendorBundleEntries(), outdir: dir }),
  ]);
  copyFileSync(require.resolve('sql.js/dist/sql-wasm.wasm'), path.join(dir, 'sql-wasm.wasm'));
  return cli;
}
