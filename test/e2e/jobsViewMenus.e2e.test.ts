// The Jobs view's menus in the real workbench: a context menu on every kind of node (job, remote
// batch, group of failures, item), failure actions only where there are failures, and a finish
// notification whose "Show Job" selects the job in the view. Screenshots of each menu.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { WorkspaceStore } from '../../src/store/workspaceStore';
import type { RunningEmulator } from '../emulators/openai/server';
import { makeWorkspace, startEmulator, waitFor, withWorkbench } from './workbench';
import type { Workbench } from './workbench';

const SUBMIT = 'Submit as LLM Batch…';
let emulator: RunningEmulator;
const workspace = makeWorkspace(['examples/with-failures.jsonl', 'examples/classify-reviews.jsonl']);

before(async () => {
  emulator = await startEmulator({ timeScale: { validatingMs: 20, inProgressMs: 60, finalizingMs: 20 } });
});
after(async () => {
  await emulator.close();
  workspace.remove();
});

async function statusOf(name: string): Promise<string | undefined> {
  const store = await WorkspaceStore.open(workspace.dir, { purpose: 'e2e reader', readOnly: true });
  try {
    return store.index.jobs().find((job) => job.name === name)?.status;
  } finally {
    await store.close();
  }
}

async function submit(wb: Workbench, file: string): Promise<void> {
  await wb.rightClickExplorer(file);
  await wb.clickMenuItem(SUBMIT);
  const preview = wb.webviewFrame();
  await preview.getByText('What would be sent').waitFor({ timeout: 90_000 });
  await preview.locator('vscode-button#confirm:not([disabled])').click();
  await wb.waitForNotification(/Submitted job job-/, 60_000);
}

function treeRow(wb: Workbench, text: string | RegExp) {
  return wb.page.locator('[id="workbench.view.extension.llmBatch"] [role=tree] [role=treeitem]', { hasText: text }).first();
}

/** Right-clicks a row and returns the entries of its context menu (then closes it). */
async function menuOf(wb: Workbench, row: ReturnType<typeof treeRow>, screenshot: string): Promise<string[]> {
  await row.click({ button: 'right' });
  const menu = wb.page.locator('.context-view .monaco-menu').first();
  await menu.waitFor({ timeout: 15_000 });
  // Titles without the trailing ellipsis of the ones that ask more ("Export Results…").
  const entries = (await wb.page.getByRole('menuitem').allInnerTexts()).map((entry) => (entry.split('\n')[0]?.trim() ?? '').replace(/…$/, '')).filter((entry) => entry.length > 0);
  await wb.screenshot(screenshot);
  await wb.page.keyboard.press('Escape');
  return entries;
}

test('context menus on jobs, batches, failure groups and items; failure actions only where there are failures; Show Job from a notification', { timeout: 600_000 }, async () => {
  await withWorkbench({ name: 'jobs-view-menus', workspaceFolder: workspace.dir, userSettings: { 'llmBatch.openai.baseUrl': emulator.openaiBaseUrl } }, async (wb) => {
    await wb.openFolder();
    await wb.waitForCommand(SUBMIT);

    // A job that fails some items, and one that does not.
    await submit(wb, 'with-failures.jsonl');
    await waitFor('the job with failures to finish', async () => ((await statusOf('with-failures.jsonl')) === 'completed_with_failures' ? true : undefined));
    await wb.waitForNotification(/with-failures\.jsonl finished/, 60_000);

    // The notification's Show Job: the Jobs view, with the job selected.
    const toast = wb.page.locator('.notifications-toasts .notification-toast', { hasText: /with-failures\.jsonl finished/ }).first();
    await wb.screenshot('finished-notification');
    await toast.getByRole('button', { name: 'Show Job' }).click({ timeout: 15_000 });
    const failedJob = treeRow(wb, 'with-failures.jsonl');
    await wb.page.waitForFunction(
      () => document.querySelector('[id="workbench.view.extension.llmBatch"] [role=treeitem][aria-selected="true"]')?.textContent?.includes('with-failures.jsonl') ?? false,
      undefined,
      { timeout: 30_000 },
    );
    await wb.screenshot('show-job-selected');

    await submit(wb, 'classify-reviews.jsonl');
    await waitFor('the clean job to finish', async () => ((await statusOf('classify-reviews.jsonl')) === 'completed' ? true : undefined));
    await wb.page.locator('.activitybar a.action-label[aria-label^="LLM Batches"]').first().click();
    await treeRow(wb, 'classify-reviews.jsonl').locator('.label-description', { hasText: /^completed/ }).waitFor({ timeout: 30_000 });

    // A job: its actions; failure actions only on the job that has failures.
    const jobMenu = await menuOf(wb, failedJob, 'menu-job-with-failures');
    for (const entry of ['Show Job Summary', 'Open Results', 'Export Results', 'Inspect Failures', 'Resubmit Failed Items', 'Delete Job']) assert.ok(jobMenu.includes(entry), `${entry} in ${jobMenu.join(', ')}`);
    const cleanMenu = await menuOf(wb, treeRow(wb, 'classify-reviews.jsonl'), 'menu-job-clean');
    assert.ok(cleanMenu.includes('Open Results'), cleanMenu.join(', '));
    assert.ok(!cleanMenu.includes('Inspect Failures') && !cleanMenu.includes('Resubmit Failed Items'), `no failure actions on a job without failures: ${cleanMenu.join(', ')}`);
    await treeRow(wb, 'classify-reviews.jsonl').hover();
    assert.equal(await treeRow(wb, 'classify-reviews.jsonl').locator('a.action-label[aria-label="Inspect Failures"]').count(), 0, 'no inline Inspect Failures without failures');

    // A remote batch: copy its id, or see the job's summary.
    await failedJob.click();
    await wb.page.keyboard.press('ArrowRight');
    const batch = treeRow(wb, /^Batch 1/);
    await batch.waitFor({ timeout: 15_000 });
    const batchMenu = await menuOf(wb, batch, 'menu-batch');
    assert.ok(batchMenu.includes('Copy ID') && batchMenu.includes('Show Job Summary'), batchMenu.join(', '));

    // A group of items that failed for good, and one of its items. The dead letters sit under the sync calls.
    const sync = treeRow(wb, 'One by one (sync API)');
    await sync.click();
    await wb.page.keyboard.press('ArrowRight');
    const group = treeRow(wb, /^Dead letter/);
    await group.waitFor({ timeout: 15_000 });
    const groupMenu = await menuOf(wb, group, 'menu-failure-group');
    assert.ok(groupMenu.includes('Inspect Failures') && groupMenu.includes('Resubmit Failed Items'), groupMenu.join(', '));
    await group.click();
    await wb.page.keyboard.press('ArrowRight');
    const item = treeRow(wb, /^review-/);
    await item.waitFor({ timeout: 15_000 });
    const itemMenu = await menuOf(wb, item, 'menu-item');
    for (const entry of ['Open Item', 'Reveal Source Line', 'Copy ID', 'Inspect Failures']) assert.ok(itemMenu.includes(entry), `${entry} in ${itemMenu.join(', ')}`);
    // The row announces the item itself, not its tooltip.
    assert.match((await item.getAttribute('aria-label')) ?? '', /^review-\d+, line \d+, /);
  });
});
