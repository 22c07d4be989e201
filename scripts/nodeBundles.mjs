// How the Node bundles are split: each provider's adapter with its SDK is a bundle of its own
// (`<dist>/providers/<folder>.js`), required by src/providers/registry.ts at its first use, so
// neither the extension nor the CLI parses an SDK it does not use (activation loads none).
// Shared by scripts/build.mjs and the tests that build the CLI (test/support/cliBundle.ts), so the
// tests run the same split the product ships.
import path from 'node:path';

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
