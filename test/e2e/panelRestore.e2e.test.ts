// Panels survive a window reload in the real workbench: an open failure inspector comes back on the
// same job, and an open cost preview comes back on the same file and estimates it again (nothing
// submitted). The job is made beforehand with the CLI against the emulator.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { WorkspaceStore } from '../../src/store/workspaceStore';
import type { RunningEmulator } from '../emulators/openai/server';
import { buildCliBundle } from '../support/cliBundle';
import { makeWorkspace, startEmulator, withWorkbench } from './workbench';
import type { Workbench } from './workbench';

let emulator: RunningEmulator;
const workspace = makeWorkspace(['examples/with-failures.jsonl', 'examples/classify-reviews.jsonl']);

function cli(bundle: string, args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const env = { ...process.env, OPENAI_API_KEY: 'sk-e2e' };
    execFile(process.execPath, [bundle, ...args, '--workspace', workspace.dir, '--base-url', emulator.openaiBaseUrl], { env, timeout: 180_000 }, (error, stdout, stderr) => {
      // `watch` ends with 1 when items failed for good, as these do on purpose.
      if (error && error.code !== 1) reject(new Error(`${args.join(' ')}: ${stderr}`));
      else resolve(stdout);
    });
  });
}

before(async () => {
  emulator = await startEmulator({ timeScale: { validatingMs: 20, inProgressMs: 60, finalizingMs: 20 } });
  const bundle = await buildCliBundle(mkdtempSync(path.join(tmpdir(), 'panel-restore-cli-')));
  await cli(bundle, ['submit', path.join(workspace.dir, 'with-failures.jsonl'), '--yes']);
  const store = await WorkspaceStore.open(workspace.dir, { purpose: 'e2e setup', readOnly: true });
  const jobId = store.index.jobs()[0]?.id ?? '';
  await store.close();
  await cli(bundle, ['watch', jobId]);
});
after(async () => {
  await emulator.close();
  workspace.remove();
});

async function reload(wb: Workbench): Promise<void> {
  await wb.runCommand('Developer: Reload Window');
  await wb.page.waitForTimeout(2_000);
  await wb.waitForExtensionReady('LLM Batches', 120_000);
}

test('the failure inspector and the cost preview come back after a window reload', { timeout: 600_000 }, async () => {
  await withWorkbench({ name: 'panel-restore', workspaceFolder: workspace.dir, userSettings: { 'llmBatch.openai.baseUrl': emulator.openaiBaseUrl } }, async (wb) => {
    await wb.openFolder();
    await wb.waitForExtensionReady('LLM Batches', 120_000);
    await wb.page.locator('.activitybar a.action-label[aria-label^="LLM Batches"]').first().click();
    const row = wb.page.locator('[id="workbench.view.extension.llmBatch"] [role=tree] [role=treeitem]', { hasText: 'with-failures.jsonl' }).first();
    await row.waitFor({ timeout: 60_000 });
    await row.click({ button: 'right' });
    await wb.clickMenuItem('Inspect Failures');
    await wb.webviewFrame().getByText('Failures: with-failures.jsonl').waitFor({ timeout: 60_000 });
    await wb.screenshot('inspector-before-reload');

    await reload(wb);
    const inspector = wb.webviewFrame();
    await inspector.getByText('Failures: with-failures.jsonl').waitFor({ timeout: 90_000 });
    assert.ok((await inspector.locator('tbody tr').count()) > 0, 'the restored inspector lists the failures again');
    await wb.screenshot('inspector-after-reload');
    await wb.page.keyboard.press('Control+W');

    await wb.rightClickExplorer('classify-reviews.jsonl');
    await wb.clickMenuItem('Submit as LLM Batch…');
    await wb.webviewFrame().getByText('What would be sent').waitFor({ timeout: 90_000 });
    await reload(wb);
    const preview = wb.webviewFrame();
    await preview.getByText('What would be sent').waitFor({ timeout: 90_000 });
    assert.match(await preview.locator('.files').innerText(), /classify-reviews\.jsonl/);
    await wb.screenshot('preview-after-reload');
    const store = await WorkspaceStore.open(workspace.dir, { purpose: 'e2e check', readOnly: true });
    try {
      assert.equal(store.index.jobs().length, 1, 'a restored preview submits nothing by itself');
    } finally {
      await store.close();
    }
  });
});
