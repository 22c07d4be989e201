// A job's figures as a user sees them, in a real workbench against the local emulator: submit
// examples/with-failures.jsonl, let it finish, read the Jobs view row (state · progress · cost
// against the estimate), open the Job Summary from the palette with the job picker, read its
// figures, spend by attempt and batches against what the store says, and "Show Log" opens the
// Output channel where each state change was logged. Screenshots in test-results/e2e/job-summary/.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { readJobFigures } from '../../src/app/jobFigures';
import { formatDollars } from '../../src/core/budget';
import { WorkspaceStore } from '../../src/store/workspaceStore';
import type { RunningEmulator } from '../emulators/openai/server';
import { makeWorkspace, screenshotInThemes, startEmulator, waitFor, withWorkbench } from './workbench';
import type { Workbench } from './workbench';

const SUBMIT = 'Submit as LLM Batch…';
const SHOW_SUMMARY = 'LLM Batch: Show Job Summary…';
let emulator: RunningEmulator;
const workspace = makeWorkspace(['examples/with-failures.jsonl']);

before(async () => {
  emulator = await startEmulator({ timeScale: { validatingMs: 20, inProgressMs: 60, finalizingMs: 20 } });
});
after(async () => {
  await emulator.close();
  workspace.remove();
});

/** The job as the store has it (read-only, beside the window that writes). */
async function readJob() {
  const store = await WorkspaceStore.open(workspace.dir, { purpose: 'e2e reader', readOnly: true });
  try {
    const job = store.index.jobs().find((row) => row.name === 'with-failures.jsonl');
    if (!job) return undefined;
    return { job, figures: readJobFigures(store.index, job), batches: store.index.batches(job.id) };
  } finally {
    await store.close();
  }
}

function jobRow(wb: Workbench, name: string) {
  return wb.page.locator('[id="workbench.view.extension.llmBatch"] [role=tree] [role=treeitem]', { hasText: name }).first();
}

test('the job summary shows the figures the store holds, and Show Log opens the log', { timeout: 600_000 }, async () => {
  await withWorkbench({ name: 'job-summary', workspaceFolder: workspace.dir, userSettings: { 'llmBatch.openai.baseUrl': emulator.openaiBaseUrl } }, async (wb) => {
    await wb.openFolder();

    // Submit from the Explorer, confirm.
    await wb.waitForCommand(SUBMIT);
    await wb.rightClickExplorer('with-failures.jsonl');
    await wb.clickMenuItem(SUBMIT);
    const preview = wb.webviewFrame();
    await preview.getByText('What would be sent').waitFor({ timeout: 90_000 });
    await preview.locator('vscode-button#confirm:not([disabled])').click();
    await wb.waitForNotification(/Submitted job job-/, 60_000);

    // It finishes: its injected failures end in dead letter, after retries and sync calls.
    const done = await waitFor('the job to finish', async () => {
      const read = await readJob();
      return read?.job.status === 'completed_with_failures' ? read : undefined;
    });
    const { figures } = done;
    assert.ok(figures.actual.cost > 0);

    // The Jobs view row: state, progress and cost first.
    await wb.page.locator('.activitybar a.action-label[aria-label^="LLM Batches"]').first().click();
    const row = jobRow(wb, 'with-failures.jsonl');
    await row.locator('.label-description', { hasText: 'completed with failures' }).waitFor({ timeout: 30_000 });
    const description = await row.locator('.label-description').innerText();
    assert.match(description, new RegExp(`^completed with failures · ${figures.progress.done}/${figures.progress.total} · \\$`));
    assert.ok(description.includes(formatDollars(figures.actual.cost)), `the row shows the cost ${formatDollars(figures.actual.cost)}: ${description}`);
    await wb.screenshot('jobs-view-row');

    // The palette, with the job picker.
    await wb.runCommand(SHOW_SUMMARY);
    await wb.page.locator('.quick-input-widget', { hasText: 'Show the summary of which job?' }).waitFor({ timeout: 15_000 });
    await wb.page.locator('.quick-input-list .monaco-list-row', { hasText: 'with-failures.jsonl' }).first().click();
    const summary = wb.webviewFrame();
    await summary.getByText('Summary: with-failures.jsonl').waitFor({ timeout: 30_000 });
    await summary.locator('dd[data-figure="Cost"]').waitFor({ timeout: 30_000 });

    // The figures, as the store computes them.
    const figure = async (label: string) => summary.locator(`dd[data-figure="${label}"]`).innerText();
    assert.equal(await figure('Progress'), `${figures.progress.done} of ${figures.progress.total} items done`);
    assert.ok((await figure('Cost')).startsWith(`${formatDollars(figures.actual.cost)} of ${formatDollars(figures.estimate.cost)} estimated`));
    const saved = await figure('Saved');
    assert.ok(saved.includes(`${formatDollars(figures.sync.saving)} against sync prices`), saved);
    assert.ok(figures.naive.saving !== null && saved.includes(formatDollars(figures.naive.saving)), saved);
    const spentOn = await figure('Spent on');
    for (const strike of figures.byStrike) assert.ok(spentOn.includes(`${strike.label} ${formatDollars(strike.cost)}`), spentOn);
    assert.doesNotMatch(await summary.locator('body').innerText(), /strike|intent/i, 'no internal words');

    // Spend by attempt and the batches, with their remote ids.
    assert.equal(await summary.locator('table[aria-label="Spend by attempt"] tbody tr').count(), figures.byStrike.length);
    const batchRows = summary.locator('table[aria-label="Batches"] tbody tr');
    assert.equal(await batchRows.count(), done.batches.length);
    const batchText = await summary.locator('table[aria-label="Batches"]').innerText();
    for (const batch of done.batches) assert.ok(batch.remoteId && batchText.includes(batch.remoteId), `batch ${batch.key} with its remote id`);
    await summary.getByText('Nothing: the job has ended.').waitFor({ timeout: 5_000 });
    await wb.screenshot('job-summary');

    // Show Log: the Output channel, where the state changes were logged at info.
    await summary.locator('vscode-button', { hasText: 'Show Log' }).click();
    await wb.waitForOutput(/(job|batch) job-\S+/, 30_000);
    assert.match(wb.outputChannelText('LLM Batch Runner'), /job job-\S+ \(with-failures\.jsonl\): running → completed with failures/);
    await wb.screenshot('show-log');

    // From the row too: its inline action reveals the same panel.
    await row.hover();
    await row.locator('a.action-label[aria-label="Show Job Summary…"]').click({ timeout: 10_000 });
    await wb.webviewFrame().getByText('Summary: with-failures.jsonl').waitFor({ timeout: 30_000 });
    await wb.screenshot('job-summary-from-row');
    await screenshotInThemes(wb, 'job-summary', () => wb.webviewFrame().getByText('Summary: with-failures.jsonl').waitFor({ timeout: 30_000 }));
  });
});
