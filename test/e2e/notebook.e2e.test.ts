// The sample notebook (examples/notebook/triage.llmbatch) in a real workbench against the local
// emulator: open it from the Explorer, Run All, confirm the try and the batch, read the finished
// counts and a result row from the rendered output, resubmit the injected failure from the
// output, re-run the job cell (it attaches, nothing is sent), save and read the small file. And a
// second notebook whose job is slow: closed while it runs and opened again, it shows the job go on.
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { FrameLocator, Locator } from 'playwright-core';
import { WorkspaceStore } from '../../src/store/workspaceStore';
import type { RunningEmulator } from '../emulators/openai/server';
import { makeWorkspace, startEmulator, waitFor, withWorkbench } from './workbench';
import type { Workbench } from './workbench';

const NOTEBOOK = 'triage.llmbatch';
const SLOW_NOTEBOOK = 'slow-triage.llmbatch';
const SAMPLE_FILES = ['examples/notebook/triage.llmbatch', 'examples/notebook/tickets.csv'];

let fast: RunningEmulator;
let slow: RunningEmulator;
const workspace = makeWorkspace(SAMPLE_FILES);
const slowWorkspace = makeWorkspace(SAMPLE_FILES);

before(async () => {
  fast = await startEmulator({ timeScale: { validatingMs: 20, inProgressMs: 60, finalizingMs: 20 } });
  // Slow enough to save, close and reopen the notebook while the batch is in progress.
  slow = await startEmulator({ timeScale: { validatingMs: 200, inProgressMs: 40_000, finalizingMs: 200 } });
  // The second notebook: the sample's requests and job cells without the try (its job is the slow batch).
  const sample = readFileSync(path.join(slowWorkspace.dir, NOTEBOOK), 'utf8');
  const withoutTry = sample.replace(/\n\s+try: 5\n/, '\n').replace('name: Ticket triage', 'name: Slow ticket triage');
  assert.notEqual(withoutTry, sample, 'the sample notebook still has its `try: 5` job cell');
  writeFileSync(path.join(slowWorkspace.dir, SLOW_NOTEBOOK), withoutTry);
});
after(async () => {
  await fast?.close();
  await slow?.close();
  workspace.remove();
  slowWorkspace.remove();
});

async function readJobs(dir: string) {
  const store = await WorkspaceStore.open(dir, { purpose: 'e2e reader', readOnly: true });
  try {
    return store.index.jobs().map((job) => ({
      job,
      counts: store.index.countsByState(job.id),
      batches: store.index.batches(job.id),
      items: store.index.items(job.id),
    }));
  } finally {
    await store.close();
  }
}

/**
 * The notebook's outputs: VS Code draws every output of a notebook editor in one webview (an
 * iframe in the editor's cell list, with the content in its inner `active-frame`), and a
 * renderer draws into it. `wb.webviewFrame()` would find a panel's webview instead.
 */
function notebookOutputFrame(wb: Workbench): FrameLocator {
  return wb.page.locator('.notebook-editor iframe.webview.ready').first().contentFrame().frameLocator('iframe#active-frame');
}

/** Double-clicks `fileName` in the Explorer (a pinned editor) and waits for its notebook editor. */
async function openNotebookFromExplorer(wb: Workbench, fileName: string): Promise<void> {
  const row = wb.page.locator('.explorer-folders-view').getByRole('treeitem', { name: fileName, exact: true });
  if (!(await row.isVisible())) await wb.runCommand('View: Show Explorer');
  await row.dblclick({ timeout: 30_000 });
  await wb.page.locator('.notebook-editor .cell-list-container').first().waitFor({ timeout: 60_000 });
  // Monaco's list rows count as hidden to playwright (absolutely placed); attached is what matters.
  await wb.page.locator('.notebook-editor .monaco-list-row').first().waitFor({ state: 'attached', timeout: 30_000 });
}

/** Clicks the notebook toolbar's Run All; if VS Code asks which kernel, picks ours. */
async function runAll(wb: Workbench): Promise<void> {
  const button = wb.page.locator('.notebook-editor .notebook-toolbar-container a.action-label[aria-label^="Run All"]').first();
  await button.click({ timeout: 30_000 });
  await pickKernelIfAsked(wb);
}

async function pickKernelIfAsked(wb: Workbench): Promise<void> {
  const picker = wb.page.locator('.quick-input-widget .quick-input-list .monaco-list-row', { hasText: 'LLM Batch Runner' }).first();
  try {
    await picker.waitFor({ timeout: 5_000 });
  } catch {
    return; // VS Code chose the only kernel for this notebook type by itself.
  }
  await picker.click();
}

/** Waits for the modal dialog whose message matches `question`, screenshots it, and clicks `button`. */
async function confirmModal(wb: Workbench, question: RegExp, button: string, shot?: string): Promise<string> {
  const dialog = wb.page.locator('.monaco-dialog-box', { hasText: question });
  await dialog.waitFor({ timeout: 120_000 });
  const text = await dialog.innerText();
  if (shot) await wb.screenshot(shot);
  await dialog.getByRole('button', { name: button, exact: true }).click();
  await dialog.waitFor({ state: 'hidden', timeout: 15_000 });
  return text;
}

/** The cell list's row of the code cell whose source contains `text`. */
function cellRow(wb: Workbench, text: string): Locator {
  return wb.page.locator('.notebook-editor .monaco-list-row.code-cell-row', { has: wb.page.locator('.view-lines', { hasText: text }) }).first();
}

/** Scrolls the notebook (up, then down) until the code cell whose source contains `text` is drawn in view. */
async function revealCell(wb: Workbench, text: string): Promise<Locator> {
  const row = cellRow(wb, text);
  await wb.page.locator('.notebook-editor .cell-list-container').first().hover();
  for (let attempt = 0; attempt < 60; attempt++) {
    const top = (await row.count()) > 0 ? (await row.boundingBox())?.y : undefined;
    if (top !== undefined && top >= 100 && top <= 600) return row;
    // Not drawn: the list is scrolled past it (the cells above the outputs come first); drawn: move it into view.
    await wb.page.mouse.wheel(0, top === undefined || top < 100 ? -400 : 300);
    await wb.page.waitForTimeout(150);
  }
  throw new Error(`the notebook never showed the cell with "${text}"`);
}

/** Clicks the run button of the code cell whose source contains `text` (Ctrl+Enter in the
 *  browser's cell editor types a line break instead). */
async function runCell(wb: Workbench, text: string): Promise<void> {
  const cell = await revealCell(wb, text);
  await cell.hover();
  await cell.locator('.run-button-container a.action-label').first().click({ timeout: 15_000 });
}

/** Scrolls the notebook until the output matching `selector` has been drawn, and returns it. */
async function outputShown(wb: Workbench, selector: string, timeoutMs = 60_000): Promise<Locator> {
  const output = notebookOutputFrame(wb).locator(selector).first();
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if ((await output.count()) > 0) return output;
    if (Date.now() > deadline) throw new Error(`the notebook never drew ${selector}`);
    // The cell list draws only the rows near the viewport (and their outputs): scroll down.
    await wb.page.locator('.notebook-editor .cell-list-container').first().hover();
    await wb.page.mouse.wheel(0, 400);
    await wb.page.waitForTimeout(500);
  }
}

/** Scrolls the notebook so that the output's top shows (for a screenshot). */
async function revealOutput(wb: Workbench, output: Locator): Promise<void> {
  if (!(await output.boundingBox())) return;
  // Playwright cannot scroll it into view: the output webview is as tall as the outputs and the
  // notebook's list scrolls it, so wheel over the notebook until the element's top shows.
  await wb.page.locator('.notebook-editor .cell-list-container').first().hover();
  for (let attempt = 0; attempt < 40; attempt++) {
    const top = (await output.boundingBox())?.y ?? 0;
    if (top >= 120 && top <= 600) return;
    await wb.page.mouse.wheel(0, top < 120 ? -300 : 300);
    await wb.page.waitForTimeout(150);
  }
}

async function stateCounts(jobOutput: Locator): Promise<Record<string, number>> {
  const entries = await jobOutput.locator('[data-testid="state-counts"] li[data-state][data-count]').evaluateAll((nodes) =>
    nodes.map((node) => [node.getAttribute('data-state') ?? '', Number(node.getAttribute('data-count'))] as const),
  );
  return Object.fromEntries(entries);
}

/** The job output once it says it is final (the counts are then the job's last ones). */
async function finalJobOutput(wb: Workbench, jobId?: string, timeoutMs = 180_000): Promise<Locator> {
  const selector = jobId ? `[data-testid="job-output"][data-job-id="${jobId}"]` : '[data-testid="job-output"][data-job-id]';
  const output = await outputShown(wb, selector);
  await notebookOutputFrame(wb).locator(`${selector}[data-final="true"]`).first().waitFor({ timeout: timeoutMs });
  return output;
}

function sentRequests(emulator: RunningEmulator): { batches: number; calls: number } {
  const posts = emulator.requests().filter((request) => request.method === 'POST');
  return {
    batches: posts.filter((request) => request.path.endsWith('/batches')).length,
    calls: posts.filter((request) => request.path.endsWith('/chat/completions')).length,
  };
}

test('the sample notebook: open, run all, try, submit, follow, resubmit, re-run attaches, save small', { timeout: 900_000 }, async () => {
  const notebookFile = path.join(workspace.dir, NOTEBOOK);
  await withWorkbench({ name: 'notebook', workspaceFolder: workspace.dir, userSettings: { 'llmBatch.openai.baseUrl': fast.openaiBaseUrl } }, async (wb) => {
    await wb.openFolder();
    await wb.waitForCommand('New LLM Batch Notebook');

    // 1. The .llmbatch file opens as a notebook: its markdown and YAML cells.
    await openNotebookFromExplorer(wb, NOTEBOOK);
    await cellRow(wb, 'kind: requests').waitFor({ state: 'attached', timeout: 30_000 });
    // Markdown cells are drawn in the same webview as the outputs.
    await notebookOutputFrame(wb).getByText('Triage support tickets').first().waitFor({ timeout: 30_000 });
    await wb.screenshot('opened');

    // 2. Run All: requests built; the try confirmed and shown; the batch confirmed and followed to the end.
    await runAll(wb);
    const requests = await outputShown(wb, '[data-testid="requests-output"]', 120_000);
    assert.match(await requests.locator('[data-testid="requests-headline"]').innerText(), /Built 20 requests/);

    const tryQuestion = await confirmModal(wb, /Try 5 items one by one for about \$[\d.]+\?/, 'Try', 'try-confirm');
    assert.match(tryQuestion, /At most \$[\d.]+, at the sync price/);
    // The try runs, then the batch of the untried 15 is confirmed (the modal blocks the page meanwhile).
    const submitQuestion = await confirmModal(wb, /Submit 15 items?(?:\(s\))? to .+ as a batch for about \$[\d.]+\?/, 'Submit', 'submit-confirm');
    assert.match(submitQuestion, /At most \$[\d.]+/);
    const trial = await outputShown(wb, '[data-testid="job-trial"]', 120_000);
    await trial.locator('[data-testid="trial-rows"] tr[data-testid="result-row"]').nth(4).waitFor({ timeout: 60_000 });
    assert.equal(await trial.locator('[data-testid="trial-rows"] tr[data-testid="result-row"]').count(), 5);
    assert.match(await trial.locator('[data-testid="trial-summary"]').innerText(), /Tried 5 items/);
    const preview = notebookOutputFrame(wb).locator('[data-testid="cost-preview"]').first();
    await preview.waitFor({ timeout: 30_000 });
    assert.match(await preview.locator('[data-figure="expected"] dd').innerText(), /\$[\d.]+/);
    await revealOutput(wb, trial);
    await wb.screenshot('try');

    const job = await finalJobOutput(wb);
    const jobId = (await job.getAttribute('data-job-id')) ?? '';
    assert.match(jobId, /^job-/);
    const counts = await stateCounts(job);
    assert.equal(counts['dead-lettered'], 1, `one dead-lettered item (T-017): ${JSON.stringify(counts)}`);
    assert.equal(counts['cached'], 5, `the 5 tried items are reused: ${JSON.stringify(counts)}`);
    assert.equal((counts['succeeded'] ?? 0) + (counts['cached'] ?? 0), 19, `19 answered: ${JSON.stringify(counts)}`);
    assert.equal(await job.locator('[data-testid="job-failures"] li[data-failure-class]').count(), 1);
    const deadRow = job.locator('tr[data-testid="result-row"][data-item-id="T-017"]');
    assert.equal(await deadRow.getAttribute('data-state'), 'dead_letter');
    const answered = job.locator('tr[data-testid="result-row"][data-state="succeeded"]').first();
    const answeredId = (await answered.getAttribute('data-item-id')) ?? '';
    const answerText = (await answered.locator('td[data-column="output"]').innerText()).trim();
    assert.ok(answerText.length > 0, `row ${answeredId} shows its answer`);
    await revealOutput(wb, job.locator('[data-testid="job-progress"]'));
    await wb.screenshot('job-final');

    const results = await outputShown(wb, '[data-testid="results-output"]', 120_000);
    await results.locator('[data-testid="results-exported"]').waitFor({ timeout: 60_000 });
    assert.equal(await results.locator('tr[data-testid="result-row"]').count(), 20);
    assert.equal(await results.getAttribute('data-job-id'), jobId);
    const exportFile = path.join(workspace.dir, 'tickets.results.csv');
    assert.ok(existsSync(exportFile), 'the results cell exported tickets.results.csv');
    const exported = readFileSync(exportFile, 'utf8');
    assert.ok(exported.includes(answeredId) && exported.includes(answerText), `the export has ${answeredId}'s answer as the output shows it`);
    await revealOutput(wb, results);
    await wb.screenshot('results');

    // 3. The store: the try (a sync job) and one batch job whose first batch carries the 15 untried tickets.
    const jobs = await readJobs(workspace.dir);
    assert.equal(jobs.length, 2, `two jobs: ${jobs.map((j) => j.job.name).join(', ')}`);
    const batchJob = jobs.find((j) => j.job.id === jobId);
    const tryJob = jobs.find((j) => j.job.id !== jobId);
    assert.ok(batchJob && tryJob);
    assert.match(tryJob.job.name, /\(try of 5\)/);
    assert.deepEqual(tryJob.batches.map((batch) => batch.remoteId).filter(Boolean), [], 'no batch was created for the try: it went through the sync API');
    assert.equal(tryJob.counts['succeeded'], 5);
    assert.equal(batchJob.batches[0]?.itemCount, 15, 'the first batch carries only the untried tickets');
    assert.equal(batchJob.batches[0]?.strike, 0);

    // 4. Resubmit Failed from the output: the modal names the cost; the output follows the job again.
    const batchesBefore = batchJob.batches.length;
    const sentBefore = sentRequests(fast);
    const resubmit = job.locator('[data-testid="job-actions"] button[data-action="resubmitFailed"]');
    // The output webview does not scroll itself (the notebook scrolls it): bring the button into view first.
    await revealOutput(wb, resubmit);
    await resubmit.click();
    const resubmitQuestion = await confirmModal(wb, /Resubmit 1 failed items?(?:\(s\))? of Ticket triage\?/, 'Resubmit', 'resubmit-confirm');
    assert.match(resubmitQuestion, /At most \$[\d.]+ at the batch price, reserved against your budget/);
    await wb.waitForNotification(/Resubmitted 1 failed items?(?:\(s\))?/, 30_000);
    const resubmitted = await waitFor('the resubmitted item to end again', async () => {
      const found = (await readJobs(workspace.dir)).find((j) => j.job.id === jobId);
      return found && found.batches.length > batchesBefore && ['completed', 'completed_with_failures'].includes(found.job.status) ? found : undefined;
    });
    assert.ok(sentRequests(fast).batches > sentBefore.batches, 'the resubmission went to the provider');
    assert.equal(resubmitted.counts['dead_letter'], 1, 'T-017 fails again, as injected');
    const followed = await finalJobOutput(wb, jobId);
    const inStore = shownWords(resubmitted.counts);
    const countsAfter = await waitFor('the output to show the job after the resubmission', async () => {
      const shown = await stateCounts(followed);
      return Object.entries(inStore).every(([word, value]) => shown[word] === value) ? shown : undefined;
    }, 60_000);
    assert.equal(countsAfter['dead-lettered'], 1);
    await revealOutput(wb, followed.locator('[data-testid="job-progress"]'));
    await wb.screenshot('resubmitted');

    // 5. Run the job cell again: its inputs are unchanged, so it attaches to the job; nothing is sent.
    const jobsBefore = (await readJobs(workspace.dir)).map((j) => `${j.job.id}:${j.batches.length}`).sort();
    const sentBeforeRerun = sentRequests(fast);
    await runCell(wb, 'kind: job');
    const notes = notebookOutputFrame(wb).locator(`[data-testid="job-output"][data-job-id="${jobId}"] [data-testid="job-notes"]`).first();
    await notes.waitFor({ timeout: 60_000 });
    assert.match(await notes.innerText(), new RegExp(`unchanged: showing job ${jobId} \\(not submitted again\\)`));
    await finalJobOutput(wb, jobId);
    assert.deepEqual((await readJobs(workspace.dir)).map((j) => `${j.job.id}:${j.batches.length}`).sort(), jobsBefore, 'no new job or batch');
    assert.deepEqual(sentRequests(fast), sentBeforeRerun, 'nothing was sent to the provider');
    await revealOutput(wb, notes);
    await wb.screenshot('rerun-attached');

    // 6. Save: the file keeps the job id and small summaries, never the result rows.
    await (await revealCell(wb, 'kind: job')).locator('.view-lines').first().click();
    await wb.page.keyboard.press('Escape');
    await wb.page.keyboard.press('Control+S');
    await waitFor('the notebook to be saved with its job id', async () => (readFileSync(notebookFile, 'utf8').includes(jobId) ? true : undefined), 30_000);
    const saved = readFileSync(notebookFile, 'utf8');
    const size = Buffer.byteLength(saved);
    assert.ok(size < 8_000, `the saved notebook is small (${size} bytes)`);
    assert.ok(!saved.includes(answerText), `the saved notebook does not keep ${answeredId}'s answer`);
    copyFileSync(notebookFile, path.join(wb.resultsDir, `saved-${NOTEBOOK}`));
    await wb.screenshot('saved');
  });
});

test('a notebook closed while its job runs shows the job go on when opened again (no new job)', { timeout: 600_000 }, async () => {
  await withWorkbench({ name: 'notebook-reopen', workspaceFolder: slowWorkspace.dir, userSettings: { 'llmBatch.openai.baseUrl': slow.openaiBaseUrl } }, async (wb) => {
    await wb.openFolder();
    await wb.waitForCommand('New LLM Batch Notebook');
    await openNotebookFromExplorer(wb, SLOW_NOTEBOOK);
    // Cell by cell: the results cell is not queued behind the job meanwhile.
    await runCell(wb, 'kind: requests');
    await pickKernelIfAsked(wb);
    await outputShown(wb, '[data-testid="requests-output"]', 120_000);
    await runCell(wb, 'kind: job');
    await confirmModal(wb, /Submit 20 items?(?:\(s\))? to .+ as a batch for about \$[\d.]+\?/, 'Submit');
    const running = await outputShown(wb, '[data-testid="job-output"][data-job-id][data-final="false"] [data-testid="job-progress"]', 60_000);
    const job = notebookOutputFrame(wb).locator('[data-testid="job-output"][data-job-id]').first();
    const jobId = (await job.getAttribute('data-job-id')) ?? '';
    assert.match(jobId, /^job-/);
    await revealOutput(wb, running);
    await wb.screenshot('running');

    // Save (the output keeps the job id), close the editor while the batch is in progress.
    await wb.page.keyboard.press('Escape');
    await wb.page.keyboard.press('Control+S');
    await waitFor('the notebook to be saved with its job id', async () => (readFileSync(path.join(slowWorkspace.dir, SLOW_NOTEBOOK), 'utf8').includes(jobId) ? true : undefined), 30_000);
    // The tab's own close button: the palette's "Close All Editors" sometimes picks a neighbour entry.
    const tab = wb.page.locator('.tabs-container .tab', { hasText: SLOW_NOTEBOOK }).first();
    await tab.hover();
    await tab.locator('.tab-actions a.action-label').first().click({ timeout: 15_000 });
    // The followed output may have moved since the save (the notebook is dirty again): save it then.
    const savePrompt = wb.page.locator('.monaco-dialog-box', { hasText: /save the changes/i });
    if (await savePrompt.waitFor({ timeout: 3_000 }).then(() => true, () => false)) {
      await savePrompt.getByRole('button', { name: 'Save', exact: true }).click();
    }
    await wb.page.locator('.notebook-editor').first().waitFor({ state: 'hidden', timeout: 30_000 });
    const during = (await readJobs(slowWorkspace.dir)).find((j) => j.job.id === jobId);
    assert.ok(during && !['completed', 'completed_with_failures', 'cancelled'].includes(during.job.status), `the job is still running when the notebook is closed (${during?.job.status})`);
    const jobsBefore = (await readJobs(slowWorkspace.dir)).length;
    await wb.screenshot('closed');

    // Open it again: the output follows the job (progress) until it ends, without a new job.
    await openNotebookFromExplorer(wb, SLOW_NOTEBOOK);
    const followed = await outputShown(wb, `[data-testid="job-output"][data-job-id="${jobId}"] [data-testid="job-progress"]`, 60_000);
    await revealOutput(wb, followed);
    await wb.screenshot('reopened-running');
    const final = await finalJobOutput(wb, jobId, 240_000);
    const counts = await stateCounts(final);
    assert.equal(counts['dead-lettered'], 1, `T-017 ends dead-lettered: ${JSON.stringify(counts)}`);
    assert.equal(counts['succeeded'], 19, `the rest answered: ${JSON.stringify(counts)}`);
    const jobs = await readJobs(slowWorkspace.dir);
    assert.equal(jobs.length, jobsBefore, 'reopening made no new job');
    assert.equal(jobs.length, 1);
    await revealOutput(wb, final.locator('[data-testid="job-progress"]'));
    await wb.screenshot('reopened-final');
  });
});

/** The store's counts of the states the output names one to one (its chips say "dead-lettered"). */
function shownWords(counts: Partial<Record<string, number>>): Record<string, number> {
  return { succeeded: counts['succeeded'] ?? 0, cached: counts['cached'] ?? 0, 'dead-lettered': counts['dead_letter'] ?? 0 };
}
