// A provider other than OpenAI, end to end in a real workbench: right-click a portable JSONL →
// the preview (OpenAI by default) → pick Anthropic in its provider picker and a Claude model → the
// preview prices it as Anthropic → confirm → the batch goes to the local Anthropic emulator (no key:
// its base URL is loopback) → the job completes in the Jobs view → the failure inspector lists the
// item the emulator refused (a `[[fail:context_length_exceeded]]` marker: an invalid_request_error,
// dead-lettered at once, never retried).
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { formatDollars } from '../../src/core/budget';
import { estimateFiles } from '../../src/core/estimate';
import { WorkspaceStore } from '../../src/store/workspaceStore';
import { startAnthropicEmulator } from '../emulators/anthropic/server';
import type { RunningAnthropicEmulator } from '../emulators/anthropic/server';
import { makeWorkspace, waitFor, waitForJobState, withWorkbench } from './workbench';
import type { Workbench } from './workbench';

const SUBMIT = 'Submit as LLM Batch…';
const FILE = 'claude-chat.jsonl';
const MODEL = 'claude-haiku-4-5';
let emulator: RunningAnthropicEmulator;
const workspace = makeWorkspace([]);

/** OpenAI-shaped chat lines, as a user writes them once for every provider (examples/portable-chat.jsonl). */
const chat = (id: string, text: string) =>
  JSON.stringify({ custom_id: id, method: 'POST', url: '/v1/chat/completions', body: { model: 'gpt-4o-mini', messages: [{ role: 'user', content: text }], max_completion_tokens: 30 } });

before(async () => {
  emulator = await startAnthropicEmulator({ timeScale: { inProgressMs: 80, cancelingMs: 20 } });
  const lines = [
    chat('capital-fr', 'What is the capital of France?'),
    chat('capital-jp', 'What is the capital of Japan?'),
    chat('too-long', 'Summarise this whole library. [[fail:context_length_exceeded]]'),
    chat('haiku-sea', 'Write a haiku about the sea.'),
  ];
  writeFileSync(path.join(workspace.dir, FILE), `${lines.join('\n')}\n`);
});
after(async () => {
  await emulator.close();
  workspace.remove();
});

async function readJobs() {
  const store = await WorkspaceStore.open(workspace.dir, { purpose: 'e2e reader', readOnly: true });
  try {
    return store.index.jobs().map((job) => ({ job, counts: store.index.countsByState(job.id) }));
  } finally {
    await store.close();
  }
}

/** The select's current value (a vscode-single-select web component). */
function selectValue(panel: ReturnType<Workbench['webviewFrame']>, id: string): Promise<string> {
  return panel.locator(`vscode-single-select#${id}`).evaluate((select) => (select as HTMLElement & { value: string }).value);
}

/** Right-click → entry, until `done` shows (a Jobs view redraw under an open menu can swallow the click). */
async function contextAction(wb: Workbench, row: ReturnType<Workbench['page']['locator']>, title: string, done: () => Promise<unknown>): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    if (attempt % 2 === 1) {
      await row.click({ button: 'right' });
      await wb.clickMenuItem(title);
    } else {
      await row.hover();
      await row.locator(`a.action-label[aria-label="${title}"]`).click({ timeout: 10_000 });
    }
    try {
      await done();
      return;
    } catch (error) {
      await wb.page.keyboard.press('Escape');
      if (attempt === 4) throw error;
    }
  }
}

test('Anthropic: pick it in the preview, confirm, the job completes, the inspector shows the refused item', { timeout: 600_000 }, async () => {
  const file = path.join(workspace.dir, FILE);
  const { report } = await estimateFiles([file], { provider: 'anthropic', model: MODEL, outputBuffer: 0.25 });
  const anthropicCost = formatDollars(report.totals.cost.batchAfterDedup);
  await withWorkbench({ name: 'anthropic-job', workspaceFolder: workspace.dir, userSettings: { 'llmBatch.anthropic.baseUrl': emulator.url } }, async (wb) => {
    await wb.openFolder();
    // Open the Jobs view first so the session is open before the command runs (see costPreview.e2e).
    await wb.waitForExtensionReady('LLM Batches');
    const jobsView = wb.page.locator('.activitybar a.action-label[aria-label^="LLM Batches"]').first();
    await jobsView.click();
    await waitForJobState(wb);
    await wb.waitForCommand(SUBMIT);
    await wb.rightClickExplorer(FILE);
    await wb.clickMenuItem(SUBMIT);
    const panel = wb.webviewFrame();
    await panel.getByText('What would be sent').waitFor({ timeout: 90_000 });
    assert.equal(await selectValue(panel, 'provider'), 'openai', 'the preview starts on the default provider');

    // 1. Pick Anthropic from the provider picker's dropdown, as a user clicks it.
    const providerSelect = panel.locator('vscode-single-select#provider');
    await providerSelect.click();
    await providerSelect.getByRole('option', { name: 'Anthropic', exact: true }).click();
    await waitFor('the provider picker to say anthropic', async () => ((await selectValue(panel, 'provider')) === 'anthropic' ? true : undefined), 15_000);

    // 2. A Claude model for the whole file: type it into the model combobox, take its entry.
    await panel.getByText('What would be sent').waitFor({ timeout: 90_000 });
    await panel.locator('vscode-single-select#model').focus();
    await wb.page.keyboard.type(MODEL);
    await wb.page.keyboard.press('ArrowDown');
    await wb.page.keyboard.press('Enter');
    await waitFor(`the model picker to say ${MODEL}`, async () => ((await selectValue(panel, 'model')) === MODEL ? true : undefined), 15_000);

    // The preview prices the file as Anthropic batches and lets it go without a key (loopback).
    await panel.getByText(anthropicCost).first().waitFor({ timeout: 90_000 });
    const confirm = panel.locator('vscode-button#confirm:not([disabled])');
    await confirm.waitFor({ timeout: 30_000 });
    const text = await panel.locator('body').innerText();
    assert.match(text, /Batches within Anthropic's limits/);
    assert.doesNotMatch(text, /No API key/);
    await wb.screenshot('preview-anthropic');

    // 3. Confirm → the batch goes to the Anthropic emulator.
    await confirm.click();
    await wb.waitForNotification(/Submitted job job-/, 60_000);
    await wb.screenshot('confirmed');
    assert.ok(emulator.batches().length >= 1, 'the Anthropic emulator received the batch');

    // 4. The job completes in the Jobs view: three answers, the refused item dead-lettered.
    await jobsView.click();
    const row = wb.page.locator('[id="workbench.view.extension.llmBatch"] [role=tree] [role=treeitem]', { hasText: FILE }).first();
    await row.waitFor({ timeout: 60_000 });
    const done = await waitFor('the job to complete', async () => (await readJobs()).find((j) => j.job.name === FILE && j.job.status === 'completed_with_failures'));
    assert.equal(done.job.provider, 'anthropic');
    assert.equal(done.job.model, MODEL);
    assert.deepEqual(done.counts, { succeeded: 3, dead_letter: 1 });
    await wb.page.locator('[id="workbench.view.extension.llmBatch"] [role=treeitem]', { hasText: 'completed with failures' }).first().waitFor({ timeout: 30_000 });
    await wb.screenshot('completed');

    // 5. The failure inspector lists the refused item with Anthropic's reason.
    const inspector = wb.webviewFrame();
    await contextAction(wb, row, 'Inspect Failures', () => inspector.getByText(`Failures: ${FILE}`).waitFor({ timeout: 20_000 }));
    await inspector.locator('tbody tr').first().waitFor({ timeout: 30_000 });
    assert.equal(await inspector.locator('tbody tr').count(), 1);
    const cells = (await inspector.locator('tbody tr td').allInnerTexts()).map((cell) => cell.trim());
    assert.equal(cells[1], 'too-long', 'the item id');
    assert.equal(cells[2], '3', 'its line');
    assert.equal(cells[3], 'dead letter');
    assert.match(cells.join(' '), /invalid_request_error/);
    assert.match(cells.join(' '), /prompt is too long/);
    await wb.screenshot('inspector');
  });
});
