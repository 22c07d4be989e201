// The extension as it ships (`scripts/build.mjs --production`: minified, the provider and vendor
// bundles beside it), built into bench/.data/hostLoad/dist, and the benchmark's two child
// processes bundled beside it, so that they load our code the way the extension host does.
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import type { Plugin } from 'esbuild';

const root = path.resolve(__dirname, '../..');
export const BENCH_DIST = path.join(root, 'bench/.data/hostLoad/dist');

interface NodeBundles {
  lazyBundles(dist: string, outdir: string): Plugin;
  lazyVendors(dist: string, outdir: string): Plugin;
}

export async function buildForBench(): Promise<void> {
  execFileSync(process.execPath, [path.join(root, 'scripts/build.mjs'), '--production', '--outdir', BENCH_DIST], { cwd: root, stdio: 'inherit' });
  const bundles = (await import(pathToFileURL(path.join(root, 'scripts/nodeBundles.mjs')).href)) as NodeBundles;
  await build({
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    minify: true,
    logLevel: 'warning',
    absWorkingDir: root,
    entryPoints: { activationChild: 'bench/hostLoad/activationChild.ts', estimateChild: 'bench/hostLoad/estimateChild.ts' },
    outdir: BENCH_DIST,
    plugins: [bundles.lazyBundles(BENCH_DIST, BENCH_DIST), bundles.lazyVendors(BENCH_DIST, BENCH_DIST)],
  });
}
