// Activation loads light: the extension, built as it ships (scripts/nodeBundles.mjs), activates
// without loading any provider SDK, price data, tokenizer table, notebook library or zod schema.
// Those load when a job, an estimate, a panel or a notebook needs them. (How fast activation is:
// `npm run bench:host`.)
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { before, describe, it } from 'node:test';
import { build } from 'esbuild';
import type { Plugin } from 'esbuild';
import type * as Extension from '../../src/extension';
import '../support/fakeVscode';

const root = path.resolve(__dirname, '../..');

interface NodeBundles {
  lazyBundles(dist: string, outdir: string): Plugin;
  lazyVendors(dist: string, outdir: string): Plugin;
  lazySchemaModules(): Plugin;
  providerBundleEntries(): Record<string, string>;
  vendorBundleEntries(): Record<string, string>;
  reexports: Plugin;
}

/** Packages and bundles that activation must not load. */
const HEAVY = [
  /node_modules\/(openai|@anthropic-ai|@google\/genai|@aws-sdk|@smithy|google-auth-library|@pydantic|yaml|ajv|csv-parse|zod)\//,
  /\/providers\/\w+\.js$/,
  /\/vendor\/(genai-prices|yaml|ajv|csv-parse|zod)\.js$/,
  // The tokenizer's code is small and stays; its rank tables (megabytes) load on first count.
  /bpeRanks/,
];

describe('activation', () => {
  const dist = mkdtempSync(path.join(tmpdir(), 'activation-load-'));
  /** What went into extension.js itself (all of it is parsed at activation). */
  let bundled: string[] = [];
  before(async () => {
    const bundles = (await import(pathToFileURL(path.join(root, 'scripts/nodeBundles.mjs')).href)) as NodeBundles;
    const node = { bundle: true, platform: 'node', format: 'cjs', target: 'node20', logLevel: 'error', absWorkingDir: root } as const;
    const [extension] = await Promise.all([
      build({ ...node, entryPoints: { extension: 'src/extension.ts' }, outdir: dist, external: ['vscode'], metafile: true, plugins: [bundles.lazyBundles(dist, dist), bundles.lazyVendors(dist, dist), bundles.lazySchemaModules()] }),
      build({ ...node, entryPoints: bundles.providerBundleEntries(), outdir: dist, plugins: [bundles.reexports, bundles.lazyVendors(dist, path.join(dist, 'providers'))] }),
      build({ ...node, entryPoints: bundles.vendorBundleEntries(), outdir: dist }),
    ]);
    bundled = Object.values(extension.metafile.outputs).flatMap((output) => Object.keys(output.inputs));
  });

  it('bundles none of them into the extension itself', () => {
    assert.ok(bundled.some((input) => input.startsWith('src/host/')));
    const heavy = bundled.filter((input) => HEAVY.some((pattern) => pattern.test(input)));
    assert.deepEqual(heavy, [], `extension.js holds ${heavy.slice(0, 5).join(', ')}`);
  });

  it('loads no provider SDK, price data, tokenizer table, notebook library or zod', () => {
    const before = new Set(Object.keys(require.cache));
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the built extension, loaded as VS Code loads it
    const extension = require(path.join(dist, 'extension.js')) as typeof Extension;
    const subscriptions: { dispose(): unknown }[] = [];
    const secrets = { onDidChange: () => ({ dispose: () => undefined }), get: () => Promise.resolve(undefined) };
    extension.activate({ subscriptions, secrets, extensionUri: { fsPath: '/ext' } } as unknown as Parameters<typeof extension.activate>[0]);
    const loaded = Object.keys(require.cache).filter((file) => !before.has(file));
    assert.ok(loaded.includes(path.join(dist, 'extension.js')), 'the built extension was loaded');
    assert.ok(subscriptions.length > 0, 'it activated');
    const heavy = loaded.filter((file) => HEAVY.some((pattern) => pattern.test(file)));
    assert.deepEqual(heavy, [], `activation loaded ${heavy.join(', ')}`);
    // The bundles it will load later are there, beside it.
    for (const bundle of ['providers/openai.js', 'vendor/genai-prices.js', 'vendor/yaml.js']) assert.ok(existsSync(path.join(dist, bundle)), bundle);
  });
});
