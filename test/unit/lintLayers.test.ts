// Proves the layer rule is live: the same `import 'vscode'` fails lint in the core and passes
// in the host. Lints text through ESLint's API with the project's own config.
import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import { ESLint } from 'eslint';

const root = path.resolve(__dirname, '../..');
const eslint = new ESLint({ cwd: root });
const vscodeImport = "import * as vscode from 'vscode';\nexport const version: string = vscode.version;\n";

async function ruleIds(file: string, text: string): Promise<string[]> {
  const [result] = await eslint.lintText(text, { filePath: path.join(root, file) });
  return (result?.messages ?? []).map((m) => m.ruleId ?? m.message);
}

describe('layer lint rules', () => {
  for (const file of ['src/core/probe.ts', 'src/engine/probe.ts', 'src/app/probe.ts', 'src/store/probe.ts', 'src/cli/probe.ts', 'src/shared/probe.ts', 'webview/probe.ts']) {
    it(`refuses vscode in ${file}`, async () => {
      assert.deepEqual(await ruleIds(file, vscodeImport), ['no-restricted-imports']);
    });
  }

  it('allows vscode in src/host and src/extension.ts', async () => {
    assert.deepEqual(await ruleIds('src/host/probe.ts', vscodeImport), []);
    assert.deepEqual(await ruleIds('src/extension.ts', vscodeImport), []);
  });

  it('refuses an upward import from the core into the engine', async () => {
    const text = "import { x } from '../engine/thing';\nexport const y = x;\n";
    assert.deepEqual(await ruleIds('src/core/probe.ts', text), ['no-restricted-imports']);
  });

  it('refuses an import of the submit service (src/app) from the engine', async () => {
    const text = "import { x } from '../app/thing';\nexport const y = x;\n";
    assert.deepEqual(await ruleIds('src/engine/probe.ts', text), ['no-restricted-imports']);
  });

  it('lets the engine import the core', async () => {
    const text = "import { x } from '../core/thing';\nexport const y = x;\n";
    assert.deepEqual(await ruleIds('src/engine/probe.ts', text), []);
  });
});
