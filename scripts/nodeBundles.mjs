// How the Node bundles are split: each provider's adapter with its SDK is a bundle of its own
// (`<dist>/providers/<folder>.js`), required by src/providers/registry.ts at its first use, so
// neither the extension nor the CLI parses an SDK it does not use (activation loads none); and the
// large libraries that activation does not need (price data, YAML, JSON schema, CSV, zod) are
// bundles of their own (`<dist>/vendor/<name>.js`), loaded the first time one of their exports is
// read (`lazyVendors`), shared by every bundle that uses them.
// Shared by scripts/build.mjs and the tests that build the CLI (test/support/cliBundle.ts), so the
// tests run the same split the product ships.
import path from 'node:path';
import { createRequire } from 'node:module';

const root = path.resolve(import.meta.dirname, '..');

/** Bundle name (under `providers/`) → the adapter modules it holds. */
export const providerBundles = {
  openai: ['src/providers/openai/openaiProvider.ts'],
  anthropic: ['src/providers/anthropic/anthropicProvider.ts'],
  google: ['src/providers/google/geminiProvider.ts', 'src/providers/google/vertexProvider.ts'],
  bedrock: ['src/providers/bedrock/bedrockProvider.ts'],
};

const bundleOf = new Map(
  Object.entries(providerBundles).flatMap(([folder, modules]) => modules.map((module) => [path.join(root, module), `providers/${folder}.js`])),
);

/** esbuild entry points of the provider bundles (see `reexports`), to build into the same `dist`. */
export function providerBundleEntries() {
  return Object.fromEntries(Object.entries(providerBundles).map(([folder, modules]) => [`providers/${folder}`, `reexport:${modules.join(',')}`]));
}

/**
 * A `require()` of an adapter module (never a static import: that would load at once) becomes a
 * require of its bundle in `dist`, relative to `outdir`, where the bundle being built goes.
 * A build without this plugin keeps the module inside, which behaves the same, only heavier.
 */
export function lazyBundles(dist, outdir) {
  return {
    name: 'lazy-bundles',
    setup(build) {
      build.onResolve({ filter: /^\./ }, (args) => {
        if (args.kind !== 'require-call') return undefined;
        const bundle = bundleOf.get(path.resolve(args.resolveDir, `${args.path}.ts`));
        if (!bundle) return undefined;
        return { path: `./${path.relative(outdir, path.join(dist, bundle)).split(path.sep).join('/')}`, external: true };
      });
    },
  };
}

/** A bundle's entry that re-exports several modules (the Google folder's two adapters). */
export const reexports = {
  name: 'reexports',
  setup(build) {
    build.onResolve({ filter: /^reexport:/ }, (args) => ({ path: args.path.slice('reexport:'.length), namespace: 'reexport' }));
    build.onLoad({ filter: /.*/, namespace: 'reexport' }, (args) => ({
      contents: args.path.split(',').map((module) => `export * from ${JSON.stringify(`./${module}`)};`).join('\n'),
      resolveDir: root,
      loader: 'ts',
    }));
  },
};

/** Libraries loaded at first use, each its own bundle: name → file under `<dist>/vendor/`. */
export const vendorBundles = {
  '@pydantic/genai-prices': 'genai-prices',
  yaml: 'yaml',
  ajv: 'ajv',
  'csv-parse': 'csv-parse',
  zod: 'zod',
};

/** esbuild entry points of the vendor bundles, to build into the same `dist` (no plugin). */
export function vendorBundleEntries() {
  const require = createRequire(path.join(root, 'package.json'));
  return Object.fromEntries(Object.entries(vendorBundles).map(([name, file]) => [`vendor/${file}`, require.resolve(name)]));
}

/**
 * An import of a listed library becomes a stand-in for its module whose exports load the vendor
 * bundle the first time one is read. esbuild reads an import's binding where it is used (a call,
 * an `instanceof`), not where it is imported, so a module that only calls the library inside
 * functions costs nothing until then; one that uses it at load (a zod schema at the top of a
 * module) loads it at once, as before. The names are listed ahead (from the installed package) so
 * that esbuild's interop can copy them without loading anything.
 */
export function lazyVendors(dist, outdir) {
  const require = createRequire(path.join(root, 'package.json'));
  const filter = new RegExp(`^(${Object.keys(vendorBundles).map((name) => name.replace(/[/.@-]/g, '\\$&')).join('|')})$`);
  return {
    name: 'lazy-vendors',
    setup(build) {
      build.onResolve({ filter }, (args) => ({ path: args.path, namespace: 'lazy-vendor' }));
      // The stand-in's own require of the vendor bundle stays a require, resolved when it runs.
      build.onResolve({ filter: /\/vendor\//, namespace: 'lazy-vendor' }, (args) => ({ path: args.path, external: true }));
      build.onLoad({ filter: /.*/, namespace: 'lazy-vendor' }, (args) => {
        const library = require(args.path);
        const bundle = `./${path.relative(outdir, path.join(dist, 'vendor', `${vendorBundles[args.path]}.js`)).split(path.sep).join('/')}`;
        return {
          contents: `// ${args.path}, loaded from ${bundle} when an export is first read.
const names = ${JSON.stringify(Object.keys(library))};
const esModule = ${JSON.stringify(library.__esModule === true)};
let loaded;
const load = () => (loaded ??= require(${JSON.stringify(bundle)}));
module.exports = new Proxy({}, {
  get: (_, key) => (key === '__esModule' ? esModule : load()[key]),
  has: (_, key) => names.includes(key),
  ownKeys: () => names,
  getOwnPropertyDescriptor: (_, key) => (names.includes(key) ? { configurable: true, enumerable: true, get: () => load()[key] } : undefined),
});
`,
          loader: 'js',
          resolveDir: root,
        };
      });
    },
  };
}
