// Native behaviour in a real VS Code workbench: the cost preview of a file with invalid lines lists
// them in the Problems panel (one error per line, source "LLM Batch"); estimating the file again
// once it is fixed clears them, and so does deleting a file. In a fresh workspace the status-bar item stays hidden (nothing runs,
// nothing was spent today) and `.llm-batch/` is not in the Explorer.
// Run with `npm run test:e2e` (needs scripts/workbench/install.sh).
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { estimateFiles } from '../../src/core/estimate';
import { DEFAULT_OUTPUT_BUFFER } from '../../src/core/tokens';
import { makeWorkspace, waitForJobState, withWorkbench } from './workbench';
import type { Workbench } from './workbench';

const FILE = 'with-bad-lines.jsonl';
/** A second copy, estimated with "Estimate Cost of JSONL File" and then deleted. */
const DOOMED = 'doomed.jsonl';

let workspace: ReturnType<typeof makeWorkspace>;
before(() => {
  workspace = makeWorkspace([`examples/${FILE}`]);
  copyFileSync(path.join(workspace.dir, FILE), path.join(workspace.dir, DOOMED));
});
after(() => workspace.remove());

test('the cost preview lists invalid lines in the Problems panel; a clean estimate or a delete clears them', { timeout: 300_000 }, async () => {
  const file = path.join(workspace.dir, FILE);
  // What the estimate itself finds, so the test follows the fixture rather than copying it.
  const { report } = await estimateFiles([file], { outputBuffer: DEFAULT_OUTPUT_BUFFER });
  assert.equal(report.invalid.length, 3, 'the fixture has 3 invalid lines');

  await withWorkbench({ name: 'problems-panel', workspaceFolder: workspace.dir }, async (wb) => {
    await wb.openFolder();
    await wb.waitForExtensionReady('LLM Batches');
    await wb.page.locator('.activitybar a.action-label[aria-label^="LLM Batches"]').first().click();
    await waitForJobState(wb);
    // Nothing runs and nothing was spent today: no status-bar item.
    assert.equal(await wb.page.locator('.statusbar-item', { hasText: /today/ }).count(), 0, 'the idle status-bar item is hidden');

    await wb.waitForCommand('Submit as LLM Batch…');
    await wb.rightClickExplorer(FILE);
    await wb.clickMenuItem('Submit as LLM Batch…');
    await wb.webviewFrame().getByText('What would be sent').waitFor({ timeout: 90_000 });
    // The session has written .llm-batch/ by now; the Explorer hides it by default.
    assert.ok(existsSync(path.join(workspace.dir, '.llm-batch')), 'the session made .llm-batch/');
    assert.equal(await wb.page.locator('.explorer-folders-view').getByRole('treeitem', { name: '.llm-batch', exact: true }).count(), 0, '.llm-batch is hidden in the Explorer');

    await wb.runCommand('View: Toggle Problems');
    const problems = wb.page.locator('.markers-panel');
    await problems.waitFor({ timeout: 15_000 });
    const rows = problems.locator('.monaco-list-row');
    // One row for the file, one per invalid line.
    await rows.nth(report.invalid.length).waitFor({ timeout: 30_000 });
    const text = (await problems.innerText()).replace(/\u00a0/g, ' ');
    assert.match(text, new RegExp(FILE.replace('.', '\\.')));
    for (const { line, message } of report.invalid) {
      assert.ok(text.includes(message.slice(0, 40)), `the Problems panel lists line ${line}: ${message}\n--- it shows:\n${text}`);
      assert.match(text, new RegExp(`\\[Ln ${line}, Col 1\\]`), `line ${line} is located`);
    }
    assert.equal((text.match(/LLM Batch/g) ?? []).length, report.invalid.length, 'each problem names its source');
    await wb.screenshot('problems-panel');

    // "Estimate Cost of JSONL File" lists another file's problems beside them; deleting that
    // file clears its problems.
    await wb.rightClickExplorer(DOOMED);
    await wb.clickMenuItem('Estimate Cost of JSONL File');
    await untilProblems(wb, (shown) => shown.includes(DOOMED) && shown.includes(FILE));
    rmSync(path.join(workspace.dir, DOOMED));
    await untilProblems(wb, (shown) => !shown.includes(DOOMED) && shown.includes(FILE));

    // Fix the file (keep only the valid lines) and estimate it again: its problems are cleared.
    const bad = new Set(report.invalid.map((p) => p.line));
    const clean = readFileSync(file, 'utf8')
      .split('\n')
      .filter((_, index) => !bad.has(index + 1))
      .join('\n');
    writeFileSync(file, clean);
    await wb.rightClickExplorer(FILE);
    await wb.clickMenuItem('Estimate Cost of JSONL File');
    await untilProblems(wb, (shown) => /No problems have been detected/.test(shown));
    await wb.screenshot('problems-cleared');
  });
});

/** Brings the Problems tab forward until it shows what `ok` wants: the estimate command shows
 *  its report in the Output panel when it ends, which takes the panel away from Problems. */
async function untilProblems(wb: Workbench, ok: (shown: string) => boolean, timeoutMs = 60_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let shown = '';
  for (;;) {
    await wb.page.locator('.part.panel .composite-bar .action-label', { hasText: /^Problems/ }).first().click();
    shown = (await wb.page.locator('.markers-panel').innerText().catch(() => '')).replace(/\u00a0/g, ' ');
    if (ok(shown)) return shown;
    if (Date.now() > deadline) throw new Error(`the Problems panel never showed what was expected; it shows:\n${shown}`);
    await wb.page.waitForTimeout(1_000);
  }
}
