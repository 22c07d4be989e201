// The whole user journey in a real workbench against the local emulator: right-click a JSONL →
// the preview shows the expected cost → confirm → the job appears in the Jobs view and completes
// → the failure inspector lists the injected failures → resubmit failed → they end as injected.
// Along the way an XSS payload in the data stays inert text. And a budget refusal.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { formatDollars } from '../../src/core/budget';
import { estimateFiles } from '../../src/core/estimate';
import { WorkspaceStore } from '../../src/store/workspaceStore';
import type { RunningEmulator } from '../emulators/openai/server';
import { makeWorkspace, startEmulator, waitFor, withWorkbench } from './workbench';
import type { Workbench } from './workbench';

const SUBMIT = 'Submit as LLM Batch…';
const XSS = '<img src=x onerror="window.__pwned=1">';
let emulator: RunningEmulator;
const workspace = makeWorkspace(['examples/with-failures.jsonl']);

before(async () => {
  emulator = await startEmulator({ timeScale: { validatingMs: 20, inProgressMs: 60, finalizingMs: 20 } });
  const xssLine = (id: string, text: string) =>
    JSON.stringify({ custom_id: id, method: 'POST', url: '/v1/chat/completions', body: { model: 'gpt-4o-mini', messages: [{ role: 'user', content: text }], max_completion_tokens: 5 } });
  writeFileSync(path.join(workspace.dir, 'xss.jsonl'), `${[xssLine('fine', 'hello'), xssLine(`x${XSS}`, `${XSS} [[fail:context_length_exceeded]]`)].join('\n')}\n`);
});
after(async () => {
  await emulator.close();
  workspace.remove();
});

async function readJobs() {
  const store = await WorkspaceStore.open(workspace.dir, { purpose: 'e2e reader', readOnly: true });
  try {
    return store.index.jobs().map((job) => ({ job, counts: store.index.countsByState(job.id), batches: store.index.batches(job.id).length }));
  } finally {
    await store.close();
  }
}

async function submitFromExplorer(wb: Workbench, file: string) {
  await wb.waitForCommand(SUBMIT);
  await wb.rightClickExplorer(file);
  await wb.clickMenuItem(SUBMIT);
  const panel = wb.webviewFrame();
  await panel.getByText('What would be sent').waitFor({ timeout: 90_000 });
  return panel;
}

/**
 * Right-click → menu entry, until `done` shows: the Jobs view redraws as polling moves the job
 * on, and a redraw under an open context menu can swallow the click.
 */
async function contextAction(wb: Workbench, row: ReturnType<typeof jobRow>, title: string, done: () => Promise<unknown>): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    // Odd attempts use the context menu, even ones the row's inline action button.
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

function jobRow(wb: Workbench, name: string) {
  return wb.page.locator('[id="workbench.view.extension.llmBatch"] [role=tree] [role=treeitem]', { hasText: name }).first();
}

test('submit → preview → confirm → complete → inspect → resubmit, with XSS inert', { timeout: 600_000 }, async () => {
  const file = path.join(workspace.dir, 'with-failures.jsonl');
  const { report } = await estimateFiles([file], { outputBuffer: 0.25 });
  await withWorkbench({ name: 'job-lifecycle', workspaceFolder: workspace.dir, userSettings: { 'llmBatch.openai.baseUrl': emulator.openaiBaseUrl } }, async (wb) => {
    await wb.openFolder();

    // 1. Right-click → the preview shows the cost the core computes for this file.
    const panel = await submitFromExplorer(wb, 'with-failures.jsonl');
    const text = await panel.locator('body').innerText();
    assert.ok(text.includes(formatDollars(report.totals.cost.batchAfterDedup)), `the preview shows ${formatDollars(report.totals.cost.batchAfterDedup)}`);
    assert.ok(text.includes(formatDollars(report.totals.cost.sync)));
    await wb.screenshot('preview');

    // 2. Confirm → submitted.
    await panel.locator('vscode-button#confirm:not([disabled])').click();
    await wb.waitForNotification(/Submitted job job-/, 60_000);
    await wb.screenshot('confirmed');

    // 3. The job appears in the Jobs view and completes (3 injected failures end in dead letter).
    await wb.page.locator('.activitybar a.action-label[aria-label^="LLM Batches"]').first().click();
    const row = jobRow(wb, 'with-failures.jsonl');
    await row.waitFor({ timeout: 60_000 });
    const first = await waitFor('the job to complete', async () => (await readJobs()).find((j) => j.job.status === 'completed_with_failures'));
    assert.deepEqual(first.counts, { succeeded: 7, dead_letter: 3 });
    await wb.page.locator('[id="workbench.view.extension.llmBatch"] [role=treeitem]', { hasText: 'completed with failures' }).first().waitFor({ timeout: 30_000 });
    await wb.screenshot('completed');

    // 4. The failure inspector lists the injected failures.
    const inspector = wb.webviewFrame();
    await contextAction(wb, row, 'Inspect Failures', () => inspector.getByText('Failures: with-failures.jsonl').waitFor({ timeout: 20_000 }));
    await inspector.locator('tbody tr').nth(2).waitFor({ timeout: 30_000 });
    assert.equal(await inspector.locator('tbody tr').count(), 3);
    const rows = await inspector.locator('tbody').innerText();
    // Codes as the provider gave them, classes in words ("invalid output").
    for (const failure of ['context_length_exceeded', 'server_error', 'invalid_output']) assert.match(rows, new RegExp(failure.replace(/_/g, '[_ ]')));
    await wb.screenshot('inspector');

    // 5. Resubmit failed: the cost is named and confirmed first; only the retryable ones go again,
    // and end as injected.
    await contextAction(wb, row, 'Resubmit Failed Items', async () => {
      const dialog = wb.page.locator('.monaco-dialog-box', { hasText: /Resubmit 2 failed items of with-failures\.jsonl\?/ });
      await dialog.waitFor({ timeout: 15_000 });
      assert.match(await dialog.innerText(), /At most \$[\d.]+ at the batch price, reserved against your budget/);
      await wb.screenshot('resubmit-confirm');
      await dialog.getByRole('button', { name: 'Resubmit' }).click();
      await wb.waitForNotification(/Resubmitted 2 failed items/, 15_000);
    });
    const second = await waitFor('the resubmitted items to finish', async () => {
      const job = (await readJobs()).find((j) => j.job.name === 'with-failures.jsonl');
      return job && job.batches > first.batches && job.job.status === 'completed_with_failures' ? job : undefined;
    });
    assert.deepEqual(second.counts, { succeeded: 7, dead_letter: 3 });
    await wb.screenshot('resubmitted');
  });
});

test('a file with an XSS payload: preview and inspector show it as text, nothing runs', { timeout: 600_000 }, async () => {
  await withWorkbench({ name: 'xss-inert', workspaceFolder: workspace.dir, userSettings: { 'llmBatch.openai.baseUrl': emulator.openaiBaseUrl } }, async (wb) => {
    await wb.openFolder();
    const panel = await submitFromExplorer(wb, 'xss.jsonl');
    await panel.locator('vscode-button#confirm:not([disabled])').click();
    await wb.waitForNotification(/Submitted job job-/, 60_000);
    await waitFor('the xss job to finish', async () => (await readJobs()).find((j) => j.job.name === 'xss.jsonl' && j.job.status === 'completed_with_failures'));
    await wb.page.locator('.activitybar a.action-label[aria-label^="LLM Batches"]').first().click();
    const row = jobRow(wb, 'xss.jsonl');
    const inspector = wb.webviewFrame();
    await contextAction(wb, row, 'Inspect Failures', () => inspector.getByText('Failures: xss.jsonl').waitFor({ timeout: 20_000 }));
    await inspector.getByText(XSS, { exact: false }).first().waitFor({ timeout: 30_000 });
    assert.equal(await inspector.locator('img').count(), 0, 'the payload did not become an element');
    assert.equal(await inspector.locator('body').evaluate(() => (window as unknown as { __pwned?: number }).__pwned), undefined, 'the payload did not run');
    await wb.screenshot('xss-inert');
  });
});

test('over budget: the preview refuses with the numbers and submit stays disabled', { timeout: 600_000 }, async () => {
  await withWorkbench(
    { name: 'budget-refusal', workspaceFolder: workspace.dir, userSettings: { 'llmBatch.openai.baseUrl': emulator.openaiBaseUrl, 'llmBatch.budget.daily': 0.0000001 } },
    async (wb) => {
      await wb.openFolder();
      const before = emulator.requests().length;
      const panel = await submitFromExplorer(wb, 'with-failures.jsonl');
      await panel.getByText(/Refused: this submission may cost up to \$[\d.]+/).first().waitFor({ timeout: 30_000 });
      const confirm = panel.locator('vscode-button#confirm');
      assert.equal(await confirm.evaluate((b) => (b as HTMLElement & { disabled: boolean }).disabled), true);
      await wb.screenshot('budget-refused');
      assert.equal(emulator.requests().slice(before).filter((r) => r.method === 'POST').length, 0, 'nothing was uploaded');
    },
  );
});
