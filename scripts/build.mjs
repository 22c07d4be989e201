// Builds every bundle the product ships: the extension (node, CommonJS, `vscode` external),
// the CLI, each provider's adapter with its SDK (loaded at first use, see nodeBundles.mjs), and
// one browser bundle per webview entry (webview/<name>/main.ts). sql.js loads its
// wasm at run time from beside the bundle, so the wasm is copied into dist/.
import { build } from 'esbuild';
import { chmod, copyFile, mkdir, readdir } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { lazyBundles, lazySchemaModules, lazyVendors, providerBundleEntries, reexports, vendorBundleEntries } from './nodeBundles.mjs';

const root = path.resolve(import.meta.dirname, '..');
const outdirFlag = process.argv.indexOf('--outdir');
/** `--outdir <dir>`: somewhere else than dist/ (the host benchmark builds its own copy). */
const dist = outdirFlag === -1 ? path.join(root, 'dist') : path.resolve(process.argv[outdirFlag + 1] ?? 'dist');
const production = process.argv.includes('--production');
const require = createRequire(import.meta.url);

const common = {
  bundle: true,
  sourcemap: !production,
  minify: production,
  logLevel: 'warning',
  absWorkingDir: root,
};

/** VS Code imports a notebook renderer as an ES module; it is built on its own, not as an IIFE. */
const notebookRenderer = 'notebookRenderer';

async function webviewEntries() {
  const dir = path.join(root, 'webview');
  const names = (await readdir(dir, { withFileTypes: true }))
    .filter((d) => d.isDirectory() && d.name !== notebookRenderer)
    .map((d) => d.name);
  return names
    .map((name) => path.join('webview', name, 'main.ts'))
    .filter((entry) => existsSync(path.join(root, entry)));
}

await mkdir(dist, { recursive: true });
const nodeTarget = { ...common, platform: 'node', format: 'cjs', target: 'node20' };
await Promise.all([
  build({ ...nodeTarget, entryPoints: { extension: 'src/extension.ts' }, outdir: dist, external: ['vscode'], plugins: [lazyBundles(dist, dist), lazyVendors(dist, dist), lazySchemaModules()] }),
  build({
    ...nodeTarget,
    entryPoints: { cli: 'src/cli/main.ts', estimateWorker: 'src/core/estimateWorker.ts' },
    outdir: dist,
    banner: { js: '#!/usr/bin/env node' },
    plugins: [lazyBundles(dist, dist), lazyVendors(dist, dist)],
  }),
  build({
    ...nodeTarget,
    entryPoints: providerBundleEntries(),
    outdir: dist,
    plugins: [reexports, lazyVendors(dist, path.join(dist, 'providers'))],
  }),
  build({ ...nodeTarget, entryPoints: vendorBundleEntries(), outdir: dist }),
  // The tokenizer's rank tables, loaded on first use by src/core/tokens.ts from beside the bundles.
  build({
    ...nodeTarget,
    entryPoints: {
      'bpeRanks-o200k_base': require.resolve('gpt-tokenizer/cjs/bpeRanks/o200k_base'),
      'bpeRanks-cl100k_base': require.resolve('gpt-tokenizer/cjs/bpeRanks/cl100k_base'),
    },
    outdir: dist,
    sourcemap: false,
  }),
  webviewEntries().then((entries) =>
    entries.length === 0
      ? undefined
      : build({ ...common, platform: 'browser', format: 'iife', target: 'es2022', entryPoints: entries, outdir: path.join(dist, 'webview') }),
  ),
  build({
    ...common,
    platform: 'browser',
    format: 'esm',
    target: 'es2022',
    entryPoints: { [`${notebookRenderer}/main`]: `webview/${notebookRenderer}/main.ts` },
    outdir: path.join(dist, 'webview'),
  }),
]);
await chmod(path.join(dist, 'cli.js'), 0o755);
await copyFile(require.resolve('sql.js/dist/sql-wasm.wasm'), path.join(dist, 'sql-wasm.wasm'));
console.log(`built into ${path.relative(process.cwd(), dist) || '.'}${production ? ' (production)' : ''}`);
