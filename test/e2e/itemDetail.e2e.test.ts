// The item detail in a real workbench against the local emulator: submit a file with injected
// failures, wait for the job, expand the Jobs view down to an item that failed at every rung, and
// click it: the panel shows the exact request the provider received, each attempt's error in
// order, and opens the source line. Then the same item found by its custom id from the palette.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { WorkspaceStore } from '../../src/store/workspaceStore';
import type { RunningEmulator } from '../emulators/openai/server';
import { makeWorkspace, screenshotInThemes, startEmulator, waitFor, withWorkbench } from './workbench';
import type { Workbench } from './workbench';

const SUBMIT = 'Submit as LLM Batch…';
/** review-002 carries [[fail:server_error]]: it fails in every batch and every sync call, then is given up. */
const FAILED_ITEM = 'review-002';
const FAILED_LINE = 2;
let emulator: RunningEmulator;
const workspace = makeWorkspace(['examples/with-failures.jsonl']);

before(async () => {
  emulator = await startEmulator({ timeScale: { validatingMs: 20, inProgressMs: 60, finalizingMs: 20 } });
});
after(async () => {
  await emulator.close();
  workspace.remove();
});

async function readJob() {
  const store = await WorkspaceStore.open(workspace.dir, { purpose: 'e2e reader', readOnly: true });
  try {
    const job = store.index.jobs().find((j) => j.name === 'with-failures.jsonl');
    return job && { job, item: store.index.item(job.id, FAILED_ITEM) };
  } finally {
    await store.close();
  }
}

/** Every input line the emulator received for `customId`, with its batch, in the order the batches were created. */
async function receivedLines(customId: string): Promise<{ batchId: string; line: string }[]> {
  const lines: { batchId: string; line: string }[] = [];
  for (const batch of emulator.batches().sort((a, b) => a.createSeq - b.createSeq)) {
    const response = await fetch(`${emulator.openaiBaseUrl}/files/${batch.inputFileId}/content`, { headers: { authorization: 'Bearer e2e' } });
    for (const line of (await response.text()).split('\n')) {
      if (line && (JSON.parse(line) as { custom_id: string }).custom_id === customId) lines.push({ batchId: batch.id, line });
    }
  }
  return lines;
}

const jobsView = (wb: Workbench) => wb.page.locator('[id="workbench.view.extension.llmBatch"] [role=tree]');

/**
 * Expands the job's nodes, one collapsed node at a time, until the item's row shows: whichever
 * batch and state group it ended in. Returns the row.
 */
async function expandToItem(wb: Workbench, itemId: string) {
  const tree = jobsView(wb);
  const itemRow = tree.locator('[role=treeitem]', { hasText: itemId }).first();
  for (let i = 0; i < 60 && !(await itemRow.isVisible()); i++) {
    const collapsed = tree.locator('[role=treeitem][aria-expanded="false"]').first();
    if (!(await collapsed.isVisible())) break;
    await collapsed.click();
    await wb.page.waitForTimeout(300);
  }
  await itemRow.waitFor({ timeout: 15_000 });
  return itemRow;
}

test('a failed item in the Jobs view: one click opens its request, its error at every attempt and its source line', { timeout: 900_000 }, async () => {
  await withWorkbench({ name: 'item-detail', workspaceFolder: workspace.dir, userSettings: { 'llmBatch.openai.baseUrl': emulator.openaiBaseUrl } }, async (wb) => {
    await wb.openFolder();

    // Submit the file with injected failures and let the job run to its end.
    await wb.waitForCommand(SUBMIT);
    await wb.rightClickExplorer('with-failures.jsonl');
    await wb.clickMenuItem(SUBMIT);
    const preview = wb.webviewFrame();
    await preview.getByText('What would be sent').waitFor({ timeout: 120_000 });
    await preview.locator('vscode-button#confirm:not([disabled])').click();
    await wb.waitForNotification(/Submitted job job-/, 90_000);
    const done = await waitFor('the job to finish', async () => {
      const found = await readJob();
      return found?.job.status === 'completed_with_failures' ? found : undefined;
    });
    assert.equal(done.item?.state, 'dead_letter', `${FAILED_ITEM} was given up`);

    // Expand down to the failed item and click it: the detail opens.
    await wb.page.locator('.activitybar a.action-label[aria-label^="LLM Batches"]').first().click();
    await jobsView(wb).locator('[role=treeitem]', { hasText: 'with-failures.jsonl' }).first().waitFor({ timeout: 60_000 });
    await wb.page.locator('[id="workbench.view.extension.llmBatch"] [role=treeitem]', { hasText: 'completed with failures' }).first().waitFor({ timeout: 60_000 });
    const itemRow = await expandToItem(wb, FAILED_ITEM);
    await wb.screenshot('jobs-view-item');
    await itemRow.click();
    const detail = wb.webviewFrame();
    await detail.getByRole('heading', { name: `Item ${FAILED_ITEM}` }).waitFor({ timeout: 30_000 });
    await detail.locator('#attempts li').first().waitFor({ timeout: 30_000 });
    await wb.screenshot('item-detail');

    // The request shown is, byte for byte, the line the provider received in its first batch.
    const received = await receivedLines(FAILED_ITEM);
    assert.equal(received.length, 3, 'the provider received it in the first batch and two retry batches');
    assert.equal(await detail.locator('#request pre').textContent(), received[0]?.line);

    // Each attempt's error, in order: three batches, then the one-by-one calls, all server errors.
    const attempts = await detail.locator('#attempts li h3').allTextContents();
    assert.deepEqual(
      attempts.slice(0, 3),
      ['Attempt 1 · first batch: Failed — transient [server_error]', 'Attempt 2 · retry batch 1: Failed — transient [server_error]', 'Attempt 3 · retry batch 2: Failed — transient [server_error]'],
    );
    const syncAttempts = attempts.slice(3);
    assert.ok(syncAttempts.length > 0, 'then the one-by-one calls');
    for (const [i, text] of syncAttempts.entries()) assert.equal(text, `Attempt ${i + 4} · one-by-one call: Failed — transient [server_error]`);
    const batchIds = await detail.locator('#batches tbody tr td:nth-child(2)').allTextContents();
    assert.deepEqual(
      batchIds,
      received.map((r) => r.batchId),
      'the remote batches it went through, by the provider’s ids',
    );
    const summary = await detail.locator('#summary').innerText();
    assert.match(summary, /Dead letter \(given up\)/);
    assert.match(summary, /estimated \$[\d.]+, at most \$[\d.]+/);

    // Copy goes through the host.
    await detail.getByRole('button', { name: 'Copy the errors' }).click();
    await detail.getByText(`Copied the errors of ${FAILED_ITEM}.`).waitFor({ timeout: 15_000 });

    // Open Source Line: the file opens with the item's line selected.
    await detail.getByRole('button', { name: 'Open Source Line' }).click();
    await wb.page.locator('.tabs-container .tab.active', { hasText: 'with-failures.jsonl' }).waitFor({ timeout: 30_000 });
    await wb.page.locator('.statusbar-item', { hasText: new RegExp(`Ln ${FAILED_LINE}, Col`) }).first().waitFor({ timeout: 15_000 });
    await wb.screenshot('source-line');

    // The same item, found by its custom id from the palette.
    await wb.runCommand('Find Item by Custom ID…');
    const input = wb.page.locator('.quick-input-widget input');
    await input.waitFor({ timeout: 15_000 });
    // One job: it is picked from the list, then the id is asked.
    await wb.page.locator('.quick-input-list .monaco-list-row', { hasText: 'with-failures.jsonl' }).first().click();
    await wb.page.locator('.quick-input-widget', { hasText: 'by its custom ID' }).waitFor({ timeout: 15_000 });
    await input.fill('review-999');
    await wb.page.locator('.quick-input-widget', { hasText: 'No item “review-999”' }).waitFor({ timeout: 15_000 });
    await input.fill(FAILED_ITEM);
    await wb.page.keyboard.press('Enter');
    await detail.getByRole('heading', { name: `Item ${FAILED_ITEM}` }).waitFor({ timeout: 30_000 });
    assert.equal(path.basename(await detail.locator('#source .file').getAttribute('title') ?? ''), 'with-failures.jsonl');
    await wb.screenshot('found-by-id');

    // The same page in the dark, both high-contrast and the light theme.
    await screenshotInThemes(wb, 'item-detail', () => detail.getByRole('heading', { name: `Item ${FAILED_ITEM}` }).waitFor({ timeout: 30_000 }));
  });
});
