// The cost preview in a real VS Code workbench: right-click a JSONL file → "Submit as LLM Batch…"
// → the panel estimates it under the real webview CSP → an invalid line opens in the editor →
// "Skip invalid lines" lifts the block → Confirm & submit creates the job and closes the panel.
// Without a key, the preview says so and offers "Set API Key" instead of letting the job be made.
// Run with `npm run test:e2e` (needs scripts/workbench/install.sh).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { RunningEmulator } from '../emulators/openai/server';
import { makeWorkspace, screenshotInThemes, startEmulator, waitForJobState, withWorkbench } from './workbench';
import type { Workbench } from './workbench';

const COMMAND = 'Submit as LLM Batch…';

let workspace: ReturnType<typeof makeWorkspace>;
let emulator: RunningEmulator;
before(async () => {
  workspace = makeWorkspace(['examples/with-bad-lines.jsonl']);
  emulator = await startEmulator({ timeScale: { validatingMs: 20, inProgressMs: 60, finalizingMs: 20 } });
});
after(async () => {
  await emulator.close();
  workspace.remove();
});

/** Opens the Jobs view (so the session is open first), then the preview of the bad-lines file. */
async function openPreview(wb: Workbench) {
  await wb.openFolder();
  // Open the Jobs view first and wait for the session (the extension logs when it is open).
  // Right-clicking first would activate the extension through the command itself, and the
  // command's own open() would race activate()'s and leave this window read-only: that is a
  // bug of registerJobsFeature (two concurrent WorkspaceSession.open), reported, not hidden.
  await wb.waitForExtensionReady('LLM Batches');
  await wb.page.locator('.activitybar a.action-label[aria-label^="LLM Batches"]').first().click();
  await waitForJobState(wb);
  await wb.waitForCommand(COMMAND);
  await wb.rightClickExplorer('with-bad-lines.jsonl');
  await wb.clickMenuItem(COMMAND);
  const panel = wb.webviewFrame();
  await panel.getByText('What would be sent').waitFor({ timeout: 90_000 });
  return panel;
}

test('cost preview without a key says so, offers Set API Key, and submits nothing', { timeout: 300_000 }, async () => {
  await withWorkbench({ name: 'cost-preview-no-key', workspaceFolder: workspace.dir }, async (wb) => {
    const panel = await openPreview(wb);
    await panel.locator('vscode-checkbox#skip-invalid').click();
    await panel.getByText(/^No API key for OpenAI/).waitFor({ timeout: 15_000 });
    await panel.locator('vscode-button', { hasText: 'Set API Key' }).waitFor();
    await wb.screenshot('no-key-blocker');
    const confirm = panel.locator('vscode-button#confirm');
    assert.equal(await confirm.evaluate((b) => (b as HTMLElement & { disabled: boolean }).disabled), true, 'no key: nothing to confirm');
    // The button opens the key prompt right here.
    await panel.locator('vscode-button', { hasText: 'Set API Key' }).click();
    await wb.page.locator('.quick-input-widget').waitFor({ timeout: 15_000 });
    await wb.screenshot('set-api-key-prompt');
    await wb.page.keyboard.press('Escape');
  });
});

test('cost preview: estimate, open an invalid line, skip invalid lines, submit', { timeout: 300_000 }, async () => {
  await withWorkbench({ name: 'cost-preview', workspaceFolder: workspace.dir, userSettings: { 'llmBatch.openai.baseUrl': emulator.openaiBaseUrl } }, async (wb) => {
    const refused: string[] = [];
    wb.page.on('console', (message) => {
      if (/Content.Security.Policy|Refused to/i.test(message.text())) refused.push(message.text());
    });
    const panel = await openPreview(wb);
    await wb.screenshot('cost-preview');
    await screenshotInThemes(wb, 'cost-preview', () => panel.locator('dl.facts').first().waitFor({ timeout: 30_000 }));
    const facts = await panel.locator('dl.facts').first().innerText();
    assert.match(facts, /Requests\s+11 \(8 valid\)/);
    assert.match(facts, /Invalid lines\s+3/);
    await panel.getByText('3 invalid lines; fix them, or submit the valid lines only').waitFor();
    const confirm = panel.locator('vscode-button#confirm');
    assert.equal(await confirm.evaluate((b) => (b as HTMLElement & { disabled: boolean }).disabled), true);

    // An invalid line opens the file at that line, selected.
    await panel.getByRole('button', { name: 'line 8' }).click();
    await wb.page.locator('.tabs-container .tab.active', { hasText: 'with-bad-lines.jsonl' }).waitFor({ timeout: 30_000 });
    await wb.page.locator('.statusbar-item', { hasText: /Ln 8, Col \d+ \(\d+ selected\)/ }).first().waitFor({ timeout: 15_000 });
    await wb.screenshot('invalid-line-opened');

    // Back to the panel: skip the invalid lines, then submit.
    await wb.page.locator('.tabs-container .tab', { hasText: 'Cost preview' }).click();
    await panel.locator('vscode-checkbox#skip-invalid').click();
    await panel.locator('vscode-button#confirm:not([disabled])').waitFor({ timeout: 15_000 });
    await panel.locator('vscode-button#confirm').click();
    await wb.waitForNotification(/Submitted job job-/, 60_000);
    // Hidden while nothing ran or was spent today; the submission reserved its cost.
    await wb.page.locator('.statusbar-item', { hasText: /batch(es)? · \$[\d.]+ today$/ }).first().waitFor({ timeout: 30_000 });
    await wb.screenshot('submitted');
    await wb.page.locator('.tabs-container .tab', { hasText: 'Cost preview' }).waitFor({ state: 'detached', timeout: 15_000 });
    assert.deepEqual(refused, [], 'the webview CSP refused something');
  });
});
