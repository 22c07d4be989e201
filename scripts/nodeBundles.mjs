// How the Node bundles are split: each provider's adapter with its SDK is a bundle of its own
// (`<dist>/providers/<folder>.js`), required by src/providers/registry.ts at its first use, so
// neither the extension nor the CLI parses an SDK it does not use (activation loads none); and the
// large libraries that activation does not need (price data, YAML, JSON schema, CSV, zod) are
// bundles of their own (`<dist>/vendor/<name>.js`), loaded the first time one of their exports is
// read (`lazyVendors`), shared by every bundle that uses them.
// Shared by scripts/build.mjs and the tests that build the CLI (test/support/cliBundle.ts), so the
// tests run the same split the product ships.
import { existsSync, readFileSync } from 'node:fs';
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

/**
 * For the extension: a module of ours that imports zod (a module of schemas) is evaluated the
 * first time one of its exports is read, not when the extension loads, so activation builds no
 * schema and loads no zod; the first message a panel validates, or the first estimate, does. The
 * module stays in the same bundle (esbuild defers the evaluation of a module that is `require`d);
 * an import of it becomes a stand-in that requires it on first read, like `lazyVendors`. A module
 * that reads such an export while it loads (at its top level) loads it at once: the activation
 * test (test/unit/activationLoad.test.ts) says so if that puts zod back into activation.
 */
export function lazySchemaModules() {
  const exportsOf = new Map();
  return {
    name: 'lazy-schema-modules',
    setup(build) {
      build.onResolve({ filter: /^\./ }, async (args) => {
        if (args.namespace === 'lazy-schema' || args.kind !== 'import-statement') return undefined;
        const file = path.resolve(args.resolveDir, `${args.path}.ts`);
        if (!file.startsWith(path.join(root, 'src') + path.sep) || !existsSync(file)) return undefined;
        if (!/^import (\* as z|\{ z \}) from 'zod';$/m.test(readFileSync(file, 'utf8'))) return undefined;
        return { path: file, namespace: 'lazy-schema' };
      });
      build.onLoad({ filter: /.*/, namespace: 'lazy-schema' }, async (args) => {
        let names = exportsOf.get(args.path);
        if (!names) {
          const result = await build.esbuild.build({ entryPoints: [args.path], bundle: false, format: 'esm', write: false, metafile: true, logLevel: 'silent', outdir: 'out' });
          names = Object.values(result.metafile.outputs).flatMap((output) => output.exports);
          exportsOf.set(args.path, names);
        }
        // A constant string or number (a notebook type, a MIME type) is read at registration,
        // at activation: its value is known here, so reading it loads nothing.
        const constants = Object.fromEntries(
          [...readFileSync(args.path, 'utf8').matchAll(/^export const (\w+) = ('[^'\\\n]*'|\d+);$/gm)].map(([, name, value]) => [
            name,
            value.startsWith("'") ? value.slice(1, -1) : Number(value),
          ]),
        );
        return {
          contents: `// ${path.relative(root, args.path)}, evaluated when an export other than a constant is first read.
const names = ${JSON.stringify(names)};
const constants = ${JSON.stringify(constants)};
let loaded;
const load = () => (loaded ??= require(${JSON.stringify(args.path)}));
module.exports = new Proxy({}, {
  get: (_, key) => (key === '__esModule' ? true : Object.hasOwn(constants, key) ? constants[key] : load()[key]),
  has: (_, key) => names.includes(key),
  ownKeys: () => names,
  getOwnPropertyDescriptor: (_, key) => (names.includes(key) ? { configurable: true, enumerable: true, get: () => (Object.hasOwn(constants, key) ? constants[key] : load()[key]) } : undefined),
});
`,
          loader: 'js',
          resolveDir: path.dirname(args.path),
        };
      });
    },
  };
}
