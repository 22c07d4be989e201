// One fresh process's activation, as VS Code's extension host does it: require the extension's
// bundle and call activate() (with the vscode module faked). Bundled by build.ts and run with plain
// node, so nothing else is loaded first. Prints one JSON line.
import { performance } from 'node:perf_hooks';
import '../../test/support/fakeVscode';

const file = process.argv[2] ?? '';
const start = performance.now();
// eslint-disable-next-line @typescript-eslint/no-require-imports -- the built extension, loaded as VS Code loads it
const extension = require(file) as { activate(context: unknown): void };
const loaded = performance.now();
const subscriptions: unknown[] = [];
extension.activate({ subscriptions, secrets: { onDidChange: () => ({ dispose: () => undefined }), get: () => Promise.resolve(undefined) }, extensionUri: { fsPath: '/ext' } });
const activated = performance.now();
const modules = Object.keys(require.cache).filter((key) => key !== 'vscode' && !key.endsWith('activationChild.js'));
console.log(JSON.stringify({ requireMs: loaded - start, activateMs: activated - loaded, totalMs: activated - start, subscriptions: subscriptions.length, modules }));
