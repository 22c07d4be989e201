// The extension in a real VS Code workbench: right-click a JSONL file in the explorer →
// "Estimate Cost of JSONL File" → the report appears in the output panel.
// Run with `npm run test:e2e` (needs scripts/workbench/install.sh and npm run build).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { makeWorkspace, withWorkbench } from './workbench';

const COMMAND = 'Estimate Cost of JSONL File';

let workspace: ReturnType<typeof makeWorkspace>;
before(() => {
  workspace = makeWorkspace(['examples/classify-reviews.jsonl', 'examples/with-bad-lines.jsonl']);
});
after(() => workspace.remove());

test('explorer right-click estimates a JSONL file into the output panel', { timeout: 240_000 }, async () => {
  await withWorkbench({ name: 'estimate', workspaceFolder: workspace.dir }, async (wb) => {
    await wb.openFolder();
    await wb.screenshot('workbench-open');

    // Ready gate: the extension's contributions are registered once the palette lists its command.
    await wb.waitForCommand(COMMAND);

    await wb.rightClickExplorer('classify-reviews.jsonl');
    await wb.screenshot('context-menu');
    await wb.clickMenuItem(COMMAND);

    // What the output panel shows (it scrolls to the report's end)…
    const shown = await wb.waitForOutput('batch after dedup', 60_000);
    await wb.screenshot('estimate-in-output');
    assert.match(shown, /batch after dedup\s+\$0\.\d+ \(\d+% less than sync\)/);
    assert.match(shown, /chunk_\w+\s+openai\s+gpt-4o-mini\s+168\b/);
    // …and the whole report the channel holds: 200 lines, all valid, 32 duplicates, 1 batch.
    const report = wb.outputChannelText('LLM Batch Runner: Estimate');
    assert.match(report, /classify-reviews\.jsonl\s+openai\s+openai\s+200\s+200\s+0\s+32\s+1/);
    assert.deepEqual(
      (await wb.notifications()).filter((message) => /failed/i.test(message)),
      [],
    );
  });
});
