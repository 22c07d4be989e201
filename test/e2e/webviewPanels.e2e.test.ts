// The two panel bundles in Chromium, each in the exact HTML shell and CSP the host serves, with
// the host played by the test: what VS Code adds to a webview (acquireVsCodeApi and the theme
// variables, both ahead of our CSP <meta>) is stubbed the same way. Proves what unit tests
// cannot: the strict policy blocks nothing the toolkit needs (no violation is reported and the
// components are styled), hostile text stays text in a real browser, and every action works
// from the keyboard. Needs Chromium (scripts/workbench/install.sh) and `npm run build`.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { chromium } from 'playwright-core';
import type { Browser, Page } from 'playwright-core';
import { newNonce, webviewShellHtml } from '../../src/host/webviewHtml';
import type { CostPreviewToWebview, FailureInspectorToWebview } from '../../src/shared/protocol';
import { sampleReport } from '../support/sampleReport';

const ROOT = path.resolve(__dirname, '../..');
const CHROMIUM = '/usr/bin/chromium';
const RESULTS = path.join(ROOT, 'test-results', 'e2e', 'webview-panels');
/** Sets window.__xss if it ever runs: the proof that a payload executed. */
const XSS = '<img src=x onerror="window.__xss=1"><script>window.__xss=2</script>';

/** What VS Code puts before the page's own <head> content: the API and the theme (dark-ish). */
const VSCODE_PRELUDE = `<script>
  window.__posted = [];
  window.__violations = [];
  document.addEventListener('securitypolicyviolation', (e) => window.__violations.push(e.violatedDirective + ' ' + e.blockedURI));
  globalThis.acquireVsCodeApi = () => ({ postMessage: (m) => window.__posted.push(m), getState: () => undefined, setState: () => undefined });
  const vars = { foreground: '#cccccc', 'font-family': 'sans-serif', 'font-size': '13px', 'editor-background': '#1e1e1e', focusBorder: '#0078d4',
    'button-background': '#0e639c', 'button-foreground': '#ffffff', 'button-secondaryBackground': '#3a3d41', 'button-secondaryForeground': '#ffffff',
    'textLink-foreground': '#3794ff', errorForeground: '#f48771', descriptionForeground: '#9d9d9d', 'badge-background': '#4d4d4d',
    'dropdown-background': '#3c3c3c', 'dropdown-foreground': '#cccccc', 'dropdown-border': '#3c3c3c', 'checkbox-background': '#3c3c3c',
    'checkbox-border': '#6b6b6b', 'widget-border': '#454545', 'progressBar-background': '#0e70c0', 'list-inactiveSelectionBackground': '#37373d' };
  for (const [k, v] of Object.entries(vars)) document.documentElement.style.setProperty('--vscode-' + k, v);
  document.documentElement.style.background = '#1e1e1e';
</script>`;

/** The colours the chips and the table use, as VS Code's Light, Dark and High Contrast themes set them. */
const THEMES: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  light: {
    foreground: '#3b3b3b', 'editor-background': '#ffffff', 'button-background': '#005fb8', 'button-foreground': '#ffffff', 'checkbox-border': '#cecece',
    'input-border': '#cecece', 'badge-background': '#cccccc', focusBorder: '#005fb8', descriptionForeground: '#616161', 'widget-border': '#e5e5e5',
  },
  dark: {
    foreground: '#cccccc', 'editor-background': '#1f1f1f', 'button-background': '#0078d4', 'button-foreground': '#ffffff', 'checkbox-border': '#3c3c3c',
    'input-border': '#3c3c3c', 'badge-background': '#616161', focusBorder: '#0078d4', descriptionForeground: '#9d9d9d', 'widget-border': '#313131',
  },
  'high-contrast': {
    foreground: '#ffffff', 'editor-background': '#000000', 'button-background': '#000000', 'button-foreground': '#ffffff', 'checkbox-border': '#6fc3df',
    contrastBorder: '#6fc3df', contrastActiveBorder: '#f38518', 'badge-background': '#000000', focusBorder: '#f38518', descriptionForeground: '#ffffff',
  },
  'high-contrast-light': {
    foreground: '#292929', 'editor-background': '#ffffff', 'button-background': '#0f4a85', 'button-foreground': '#ffffff', 'checkbox-border': '#0f4a85',
    contrastBorder: '#0f4a85', contrastActiveBorder: '#006bbd', 'badge-background': '#0f4a85', focusBorder: '#006bbd', descriptionForeground: '#292929',
  },
};

/** Each filter chip: pressed or not, its ::before content, and its label's contrast on its background (WCAG). */
const CHIP_STATES = `(() => {
  const rgb = (color) => (color.match(/[\\d.]+/g) || []).slice(0, 3).map(Number);
  const luminance = (color) => {
    const [r, g, b] = rgb(color).map((c) => { const v = c / 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const contrast = (a, b) => { const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x); return (hi + 0.05) / (lo + 0.05); };
  const page = getComputedStyle(document.documentElement).backgroundColor;
  return [...document.querySelectorAll('button.chip')].map((chip) => {
    const style = getComputedStyle(chip);
    const background = style.backgroundColor === 'rgba(0, 0, 0, 0)' ? page : style.backgroundColor;
    return { pressed: chip.getAttribute('aria-pressed') === 'true', check: getComputedStyle(chip, '::before').content, text: contrast(style.color, background) };
  });
})()`;

let server: Server;
let origin: string;
let browser: Browser;
const missing = [CHROMIUM, path.join(ROOT, 'dist/webview/costPreview/main.js'), path.join(ROOT, 'dist/webview/failureInspector/main.js')].filter((f) => !existsSync(f));

before(async () => {
  if (missing.length > 0) return;
  server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    const page = /^\/page\/(costPreview|failureInspector)$/.exec(url.pathname);
    if (page) {
      const html = webviewShellHtml({
        cspSource: origin,
        nonce: newNonce(),
        scriptUri: `${origin}/ext/dist/webview/${page[1]}/main.js`,
        styleUri: `${origin}/ext/media/webview.css`,
        title: 'test',
      }).replace('<head>\n', `<head>\n${VSCODE_PRELUDE}\n`);
      response.writeHead(200, { 'content-type': 'text/html' }).end(html);
      return;
    }
    if (url.pathname === '/favicon.ico') {
      // The browser asks for one; a webview inside VS Code does not.
      response.writeHead(204).end();
      return;
    }
    const file = path.join(ROOT, url.pathname.replace(/^\/ext\//, ''));
    if (!url.pathname.startsWith('/ext/') || !file.startsWith(ROOT) || !existsSync(file)) {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(200, { 'content-type': file.endsWith('.css') ? 'text/css' : 'text/javascript' }).end(readFileSync(file));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const home = mkdtempSync(path.join(tmpdir(), 'llm-batch-chromium-'));
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    env: { ...process.env, HOME: home, XDG_CONFIG_HOME: home, XDG_CACHE_HOME: home },
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run'],
  });
  mkdirSync(RESULTS, { recursive: true });
  after(() => rmSync(home, { recursive: true, force: true }));
});

after(async () => {
  await browser?.close();
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
});

async function openPanel(name: 'costPreview' | 'failureInspector'): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1100, height: 1100 } });
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  page.on('response', (response) => {
    if (response.status() >= 400) errors.push(`${response.status()} ${response.url()}`);
  });
  await page.goto(`${origin}/page/${name}`);
  await page.waitForFunction(() => (window as unknown as { __posted: { type: string }[] }).__posted.some((m) => m.type === 'ready'));
  return { page, errors };
}

async function send(page: Page, message: CostPreviewToWebview | FailureInspectorToWebview): Promise<void> {
  await page.evaluate((m) => window.postMessage(m, '*'), message);
}

async function posted(page: Page): Promise<{ type: string; [key: string]: unknown }[]> {
  return page.evaluate(() => (window as unknown as { __posted: { type: string }[] }).__posted);
}

/** No CSP report, no script error, no payload run, and no element made from data. */
async function assertClean(page: Page, errors: string[]): Promise<void> {
  const state = await page.evaluate(() => ({
    violations: (window as unknown as { __violations: string[] }).__violations,
    xss: (window as unknown as { __xss?: number }).__xss,
    images: document.querySelectorAll('img').length,
    scripts: document.querySelectorAll('script').length,
  }));
  assert.deepEqual(state.violations, [], 'CSP violations');
  assert.deepEqual(errors, [], 'page errors');
  assert.equal(state.xss, undefined, 'a payload ran');
  assert.equal(state.images, 0, 'an <img> was made from data');
  assert.equal(state.scripts, 2, 'only the prelude and our bundle');
}

/** The toolkit styled its shadow DOM (adoptedStyleSheets under the CSP) and our sheet loaded. */
async function assertStyled(page: Page, selector: string): Promise<void> {
  const styled = await page.evaluate((sel) => {
    const element = document.querySelector(sel);
    const sheets = element?.shadowRoot?.adoptedStyleSheets.length ?? 0;
    const ours = [...document.styleSheets].some((s) => s.href?.endsWith('/media/webview.css') && s.cssRules.length > 10);
    return { sheets, ours, display: element ? getComputedStyle(element).display : '' };
  }, selector);
  assert.ok(styled.sheets > 0, `${selector} has no adopted stylesheet`);
  assert.ok(styled.ours, 'media/webview.css did not load');
  assert.notEqual(styled.display, 'inline', `${selector} kept the unstyled default display`);
}

describe('webview panels under the real CSP', { skip: missing.length > 0 ? `needs ${missing.join(', ')}` : false }, () => {
  it('cost preview: renders a hostile report as text and submits from the keyboard', async () => {
    const { page, errors } = await openPanel('costPreview');
    const file = `/w/${XSS}.jsonl`;
    const report = sampleReport();
    report.files = report.files.map((f) => ({ ...f, file, models: [{ model: XSS, items: 2 }] }));
    report.invalid = [{ file, line: 2, message: XSS }];
    report.chunks = report.chunks.map((c) => ({ ...c, file, model: XSS }));
    report.notes = [{ file, message: XSS }];
    await send(page, { type: 'init', files: [file], providers: [{ id: 'openai', label: 'OpenAI' }, { id: 'azure', label: 'Azure OpenAI' }], provider: 'openai' });
    await send(page, { type: 'progress', done: 40, total: 100 });
    await page.getByText('Estimating… 40%').waitFor();
    await send(page, {
      type: 'estimate',
      report,
      budget: { accepted: true, remainingToday: 4.5 },
      blockers: [{ kind: 'invalid_lines', message: '1 invalid line; fix them, or submit the valid lines only' }],
      models: [XSS],
      destination: `OpenAI at ${XSS}, as key …WXYZ`,
      modelPrices: [{ model: XSS, input: 0.15, output: 0.6, batchInput: 0.075, batchOutput: 0.3 }],
      fileCosts: [
        { file: '/w/first.jsonl', items: 2, expected: 0.0012, max: 0.004 },
        { file: '/w/second.jsonl', items: 5, expected: 0.003, max: 0.01 },
      ],
    });
    await page.getByText('What would be sent').waitFor();
    // Where it goes and as whom, the models' prices beside the picker, each file's own cost: as text.
    await page.getByText(`OpenAI at ${XSS}, as key …WXYZ`).waitFor();
    await page.getByText(`${XSS}: $0.1500 in, $0.6000 out per 1M tokens (batch $0.0750, $0.3000)`).waitFor();
    await page.getByText('Each file (its own job)').waitFor();
    await page.getByRole('cell', { name: 'second.jsonl' }).waitFor();
    // A few invalid lines are listed open; the batches are behind a summary the keyboard opens.
    await page.getByText('Show the batches').focus();
    await page.keyboard.press('Enter');
    assert.equal(await page.getByText(XSS).count(), 7, 'file name, invalid message, chunk line, note, model option, destination, model price');
    await page.screenshot({ path: path.join(RESULTS, 'cost-preview.png'), fullPage: true });
    await assertStyled(page, 'vscode-button#confirm');

    // Blocked until the invalid line is skipped; then Enter on the focused button confirms.
    assert.equal(await page.locator('vscode-button#confirm').evaluate((b) => (b as HTMLElement & { disabled: boolean }).disabled), true);
    await page.locator('vscode-checkbox#skip-invalid').focus();
    await page.keyboard.press('Space');
    await page.waitForFunction(() => !(document.querySelector('vscode-button#confirm') as HTMLElement & { disabled: boolean }).disabled);
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'confirm');
    await page.keyboard.press('Enter');
    // The invalid line is a keyboard-reachable button that asks the host to open the file there.
    await page.getByRole('button', { name: /^line 2$/ }).focus();
    await page.keyboard.press('Enter');
    const messages = await posted(page);
    assert.deepEqual(
      messages.filter((m) => m.type === 'confirm' || m.type === 'openLine'),
      [
        { type: 'confirm', skipInvalid: true },
        { type: 'openLine', file, line: 2 },
      ],
    );
    // The pickers show their values and re-estimate from the keyboard, a typed model included.
    assert.equal(await page.locator('vscode-single-select#provider').evaluate((s) => (s as HTMLElement & { value: string }).value), 'openai');
    assert.equal(await page.locator('vscode-single-select#model').evaluate((s) => (s as HTMLElement & { value: string }).value), '');
    // The select's own keys: ArrowDown opens on the current option, ArrowDown moves, Enter picks.
    await page.locator('vscode-single-select#provider').focus();
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('Enter');
    // The model combobox: type a name, ArrowDown to its "Add …" entry, Enter.
    await page.locator('vscode-single-select#model').focus();
    await page.keyboard.type('gpt-5-mini');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('Enter');
    // Typed and Enter at once (no "Add …" entry chosen): the typed name is the model, not a blank field.
    await page.locator('vscode-single-select#model').focus();
    await page.keyboard.press('Control+A');
    await page.keyboard.type('gpt-4.1-nano');
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => (document.querySelector('vscode-single-select#model') as HTMLElement & { value: string }).value === 'gpt-4.1-nano');
    await page.screenshot({ path: path.join(RESULTS, 'cost-preview-pickers.png') });
    assert.deepEqual(
      (await posted(page)).filter((m) => m.type === 'estimate'),
      [
        { type: 'estimate', provider: 'azure' },
        { type: 'estimate', provider: 'azure', model: 'gpt-5-mini' },
        { type: 'estimate', provider: 'azure', model: 'gpt-4.1-nano' },
      ],
    );
    await send(page, { type: 'submitting' });
    await page.getByText('Submitting…').waitFor();
    await assertClean(page, errors);
    await page.close();
  });

  it('cost preview: a read-only window cannot submit, and says why', async () => {
    const { page, errors } = await openPanel('costPreview');
    await send(page, { type: 'init', files: ['/w/a.jsonl'], providers: [{ id: 'openai', label: 'OpenAI' }], provider: 'openai', readOnlyReason: 'another window holds the lock' });
    await send(page, { type: 'estimate', report: sampleReport(), budget: { accepted: true }, blockers: [], models: ['gpt-4o-mini'] });
    await page.getByText('Submitting is off: another window holds the lock').waitFor();
    assert.equal(await page.locator('vscode-button#confirm').evaluate((b) => (b as HTMLElement & { disabled: boolean }).disabled), true);
    await assertClean(page, errors);
    await page.close();
  });

  it('failure inspector: hostile rows stay text; select by keyboard, retry, page', async () => {
    const { page, errors } = await openPanel('failureInspector');
    const items = Array.from({ length: 3 }, (_, i) => ({
      id: `${XSS}-${i}`,
      line: i + 1,
      state: i === 2 ? 'dead_letter' : 'failed',
      failureClass: 'transient',
      code: 'server_error',
      message: XSS,
      strike: 2,
      preview: XSS,
    }));
    await send(page, {
      type: 'items',
      job: { id: 'job-1', name: XSS },
      items,
      page: 0,
      pageCount: 2,
      total: 103,
      classes: [
        { name: 'transient', count: 100 },
        { name: 'invalid_request', count: 3 },
      ],
      filter: [],
    });
    await page.getByText('Page 1 of 2').waitFor();
    assert.equal(await page.getByText(XSS, { exact: true }).count(), 6, 'three messages and three previews');
    await assertStyled(page, 'vscode-button');

    // Tab into the grid (one stop), move down, select two rows with Space.
    await page.locator('tbody tr[tabindex="0"]').focus();
    await page.keyboard.press('Space');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('Space');
    assert.equal(await page.locator('tbody tr[aria-selected="true"]').count(), 2);
    assert.equal(await page.locator('tbody tr[tabindex="0"]').count(), 1, 'one tab stop in the grid');
    await page.keyboard.press('Enter');
    await page.screenshot({ path: path.join(RESULTS, 'failure-inspector.png'), fullPage: true });

    // The chip says the class in words; the filter it asks for is the class itself.
    await page.getByRole('button', { name: /invalid request \(3\)/ }).click();
    await page.locator('vscode-button', { hasText: 'Retry as batch' }).click();
    await page.locator('vscode-button', { hasText: 'Next' }).click();
    const messages = await posted(page);
    const retry = messages.find((m) => m.type === 'retry');
    assert.deepEqual({ ...retry, requestId: typeof retry?.['requestId'] }, { type: 'retry', mode: 'batch', ids: [items[0]?.id, items[1]?.id], requestId: 'string' });
    assert.deepEqual(
      messages.filter((m) => m.type === 'openLine' || m.type === 'load'),
      [
        { type: 'openLine', line: 2 },
        { type: 'load', classes: ['invalid_request'], page: 0 },
        { type: 'load', classes: [], page: 1 },
      ],
    );
    await send(page, { type: 'result', requestId: String(retry?.['requestId']), ok: true, message: 'Queued 2 items in a new batch.' });
    await page.getByText('Queued 2 items in a new batch.').waitFor();
    assert.equal(await page.locator('tbody tr[aria-selected="true"]').count(), 0, 'the selection clears after a successful action');

    // A read-only window: the actions that change state are off.
    await send(page, { type: 'items', job: { id: 'job-1', name: 'n', readOnlyReason: 'another window holds the lock' }, items, page: 0, pageCount: 1, total: 3, classes: [], filter: [] });
    await page.getByText(/Read-only: another window holds the lock/).waitFor();
    await page.locator('tbody tr[tabindex="0"]').focus();
    await page.keyboard.press('Space');
    assert.equal(await page.locator('vscode-button', { hasText: 'Retry as batch' }).evaluate((b) => (b as HTMLElement & { disabled: boolean }).disabled), true);
    assert.equal(await page.locator('vscode-button', { hasText: 'Copy' }).evaluate((b) => (b as HTMLElement & { disabled: boolean }).disabled), false);
    await assertClean(page, errors);
    await page.close();
  });

  it('failure inspector: filter chips read on and off in Light, Dark and both High Contrast themes, and the table fits a narrow editor', async () => {
    for (const [theme, vars] of Object.entries(THEMES)) {
      const { page, errors } = await openPanel('failureInspector');
      await page.setViewportSize({ width: 420, height: 700 });
      await page.evaluate((themeVars) => {
        for (const [k, v] of Object.entries(themeVars)) document.documentElement.style.setProperty(`--vscode-${k}`, v);
        document.documentElement.style.background = themeVars['editor-background'] ?? '';
      }, vars);
      const items = Array.from({ length: 3 }, (_, i) => ({
        id: `request-with-a-long-custom-id-${i}`,
        line: i + 1,
        state: 'failed',
        failureClass: 'invalid_request',
        code: 'context_length_exceeded',
        message: 'This model maximum context length is 128000 tokens; the request asked for far more than that.',
        strike: 0,
        preview: 'Summarise the following long support conversation in three sentences for the weekly report',
      }));
      const classes = [
        { name: 'invalid_request', count: 3 },
        { name: 'transient', count: 1 },
      ];
      await send(page, { type: 'items', job: { id: 'job-1', name: 'tickets.jsonl' }, items, page: 0, pageCount: 1, total: 3, classes, filter: ['invalid_request'] });
      await page.getByText('request-with-a-long-custom-id-2').waitFor();
      // A string, not a function: the test's transpiler names inner functions with a helper the page lacks.
      const chips = (await page.evaluate(CHIP_STATES)) as { pressed: boolean; check: string; text: number }[];
      const on = chips.filter((chip) => chip.pressed);
      const off = chips.filter((chip) => !chip.pressed);
      assert.equal(on.length, 1, theme);
      assert.ok(off.length > 0, theme);
      // On shows a check; off none: the state reads without telling colours apart.
      assert.equal(on[0]?.check, '"✓ "', theme);
      for (const chip of off) assert.equal(chip.check, 'none', theme);
      for (const chip of chips) assert.ok(chip.text >= 3, `${theme}: a chip's label has ${chip.text.toFixed(2)}:1 contrast`);
      // The narrow editor: nothing runs off the edge of the table's box.
      const fits = await page.locator('.table-wrap').evaluate((wrap) => wrap.scrollWidth <= wrap.clientWidth + 1);
      await page.screenshot({ path: path.join(RESULTS, `failure-inspector-${theme}-narrow.png`), fullPage: true });
      assert.ok(fits, `${theme}: the failure table is wider than a 420 px editor`);
      await assertClean(page, errors);
      await page.close();
    }
  });

  it('drops a malformed host message instead of acting on it', async () => {
    const { page, errors } = await openPanel('failureInspector');
    const warnings: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'warning') warnings.push(message.text());
    });
    await page.evaluate((xss) => window.postMessage({ type: 'items', job: { id: 1 }, items: xss }, '*'), XSS);
    await page.waitForFunction(() => true);
    await page.waitForTimeout(100);
    assert.equal(await page.locator('tbody tr').count(), 0);
    assert.ok(warnings.some((w) => w.includes('dropped an invalid message (items)')), warnings.join('\n'));
    await assertClean(page, errors);
    await page.close();
  });
});
