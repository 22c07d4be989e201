// End-to-end harness: the extension in a real VS Code workbench (code-server from .workbench/),
// driven by playwright-core in Debian's Chromium. One workbench per test:
//
//   await withWorkbench({ name: 'estimate', workspaceFolder: dir }, async (wb) => {
//     await wb.openFolder();
//     await wb.waitForCommand('Estimate Cost of JSONL File');
//     await wb.rightClickExplorer('classify-reviews.jsonl');
//     await wb.clickMenuItem('Estimate Cost of JSONL File');
//     await wb.screenshot('estimated');
//   });
//
// withWorkbench takes a screenshot named `failure` when the body throws and always closes the
// browser and code-server. Screenshots and logs go to test-results/e2e/<name>/.
// Install first: scripts/workbench/install.sh; build first: npm run build.
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import type { BrowserContext, FrameLocator, Locator, Page } from 'playwright-core';
import { CHROMIUM, REPO_ROOT, removeOnExit, startCodeServer, workbenchMissing } from '../../scripts/workbench/codeServer';
import type { RunningCodeServer } from '../../scripts/workbench/codeServer';
import { startOpenAiEmulator } from '../emulators/openai/server';
import type { EmulatorOptions, RunningEmulator } from '../emulators/openai/server';

export { workbenchMissing } from '../../scripts/workbench/codeServer';

export const RESULTS_DIR = path.join(REPO_ROOT, 'test-results', 'e2e');

export interface WorkbenchOptions {
  /** Names the results folder test-results/e2e/<name>/ (screenshots, logs). */
  name: string;
  /** The folder the workbench opens (absolute). */
  workspaceFolder: string;
  /** Settings merged over the quiet defaults (user and machine scope). */
  userSettings?: Record<string, unknown>;
  /** The extension folder to load in dev mode (default: this repository, built). */
  extensionDevPath?: string;
  /** Install this .vsix instead of loading extensionDevPath (default: $LLM_BATCH_E2E_VSIX, so CI
   *  can run the same tests against the packaged extension). */
  vsix?: string;
  /** Browser window size (default 1600×1000, so panels show whole reports). */
  viewport?: { width: number; height: number };
}

export interface Workbench {
  page: Page;
  server: RunningCodeServer;
  /** test-results/e2e/<name>/ */
  resultsDir: string;
  /** Opens the workspace folder in the workbench and waits for the workbench to render. */
  openFolder(): Promise<void>;
  /** Waits for the extension's view container in the activity bar (the ready gate for its menus). */
  waitForExtensionReady(containerTitle: string, timeoutMs?: number): Promise<void>;
  /** Waits until the command palette lists `title`: the extension host has registered the
   *  extension's contributions (a ready gate that needs no view container). */
  waitForCommand(title: string, timeoutMs?: number): Promise<void>;
  /** F1, `>title`, Enter (waits for the entry to be listed first). */
  runCommand(title: string): Promise<void>;
  /** Shows the explorer and right-clicks the row of `fileName` (a name at the tree's top level or expanded). */
  rightClickExplorer(fileName: string): Promise<void>;
  /** Clicks an entry of the open context menu. */
  clickMenuItem(title: string): Promise<void>;
  /** The content of the active webview (two nested iframes). */
  webviewFrame(): FrameLocator;
  /** The visible notification toasts' messages. */
  notifications(): Promise<string[]>;
  /** Waits for a notification toast containing `text` and returns its locator. */
  waitForNotification(text: string | RegExp, timeoutMs?: number): Promise<Locator>;
  /** The output panel's rendered lines (what is on screen; long output scrolls). */
  outputPanelText(): Promise<string>;
  /** Waits until the output panel shows `text`. */
  waitForOutput(text: string | RegExp, timeoutMs?: number): Promise<string>;
  /** The whole text of an output channel, from the log file VS Code keeps of it (not limited to
   *  what is on screen); '' when the channel has written nothing yet. */
  outputChannelText(channelName: string): string;
  /** Saves test-results/e2e/<name>/<nn>-<label>.png and returns its path. */
  screenshot(label: string): Promise<string>;
  /** Closes the browser and stops code-server; safe to call twice. `keepLogs` copies VS Code's
   *  logs (extension host, renderer) into the results folder. */
  close(options?: { keepLogs?: boolean }): Promise<void>;
}

/** Starts code-server with the extension and a headless Chromium on it. Call close() always;
 *  withWorkbench does. */
export async function startWorkbench(options: WorkbenchOptions): Promise<Workbench> {
  const missing = workbenchMissing();
  if (missing) throw new Error(missing);
  const resultsDir = path.join(RESULTS_DIR, options.name);
  rmSync(resultsDir, { recursive: true, force: true });
  mkdirSync(resultsDir, { recursive: true });
  // Short path: code-server puts Unix sockets under runDir/tmp (108-byte limit).
  const runDir = mkdtempSync(path.join(tmpdir(), 'llmb-e2e-'));
  const runDirCleanup = removeOnExit(runDir);
  const workspaceFolder = path.resolve(options.workspaceFolder);

  let server: RunningCodeServer | undefined;
  let context: BrowserContext | undefined;
  let closed = false;
  const consoleLog: string[] = [];
  const close = async (failed = false): Promise<void> => {
    if (closed) return;
    closed = true;
    if (consoleLog.length > 0) writeFileSync(path.join(resultsDir, 'browser-console.log'), `${consoleLog.join('\n')}\n`);
    await context?.close().catch(() => undefined);
    await server?.close().catch(() => undefined);
    if (failed && server && existsSync(path.join(server.userDataDir, 'logs'))) {
      // Keep VS Code's own logs (extension host, output channels) beside the screenshots.
      cpSync(path.join(server.userDataDir, 'logs'), path.join(resultsDir, 'vscode-logs'), { recursive: true, force: true });
    }
    rmSync(runDir, { recursive: true, force: true });
    runDirCleanup.forget();
  };

  try {
    const serverOptions: Parameters<typeof startCodeServer>[0] = {
      runDir,
      workspaceFolder,
      logFile: path.join(resultsDir, 'code-server.log'),
    };
    if (options.userSettings) serverOptions.userSettings = options.userSettings;
    const vsix = options.vsix ?? (process.env.LLM_BATCH_E2E_VSIX || undefined);
    if (vsix) serverOptions.vsix = vsix;
    else serverOptions.extensionDevPath = options.extensionDevPath ?? REPO_ROOT;
    server = await startCodeServer(serverOptions);

    const profile = path.join(runDir, 'chromium');
    mkdirSync(profile);
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      viewport: options.viewport ?? { width: 1600, height: 1000 },
      // Without these, Chromium writes crash reports and dconf into the real home.
      env: { ...process.env, HOME: profile, XDG_CONFIG_HOME: profile, XDG_CACHE_HOME: profile },
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--disable-dev-shm-usage',
      ],
    });
    const page = context.pages()[0] ?? (await context.newPage());
    page.on('console', (message) => {
      if (message.type() === 'error' || message.type() === 'warning') consoleLog.push(`[${message.type()}] ${message.text()}`);
    });
    page.on('pageerror', (error) => consoleLog.push(`[pageerror] ${error.message}`));

    const liveServer = server;
    let shots = 0;
    const wb: Workbench = {
      page,
      server: liveServer,
      resultsDir,
      async openFolder() {
        await page.goto(liveServer.folderUrl(workspaceFolder));
        await page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
        // The explorer is the first thing a test uses; wait for the folder's tree to render.
        await page.locator('.explorer-folders-view [role=tree]').first().waitFor({ timeout: 60_000 });
      },
      async waitForExtensionReady(containerTitle, timeoutMs = 60_000) {
        await page.locator(`.activitybar a.action-label[aria-label^="${cssString(containerTitle)}"]`).first().waitFor({ timeout: timeoutMs });
      },
      async waitForCommand(title, timeoutMs = 60_000) {
        const deadline = Date.now() + timeoutMs;
        for (;;) {
          const listed = await paletteLists(page, title);
          if (listed) {
            await page.keyboard.press('Escape');
            return;
          }
          await page.keyboard.press('Escape');
          if (Date.now() > deadline) throw new Error(`the command palette never listed "${title}" (is the extension installed and built?)`);
          await page.waitForTimeout(500);
        }
      },
      async runCommand(title) {
        if (!(await paletteLists(page, title, 15_000))) {
          await page.keyboard.press('Escape');
          throw new Error(`the command palette does not list "${title}"`);
        }
        await page.keyboard.press('Enter');
      },
      async rightClickExplorer(fileName) {
        const row = page.locator('.explorer-folders-view').getByRole('treeitem', { name: fileName, exact: true });
        if (!(await row.isVisible())) {
          await paletteRun(page, 'View: Show Explorer');
        }
        await row.waitFor({ timeout: 30_000 });
        await row.click({ button: 'right' });
        await page.locator('.context-view .monaco-menu').first().waitFor({ timeout: 15_000 });
      },
      async clickMenuItem(title) {
        const item = page.getByRole('menuitem', { name: title, exact: true });
        const menu = page.locator('.context-view .monaco-menu').first();
        await item.click({ timeout: 15_000 });
        // Seen in CI: a click that lands while the menu is still settling leaves it open with the
        // entry highlighted. The menu closes when an entry runs; if it did not, run it by keyboard.
        for (let attempt = 0; attempt < 3; attempt++) {
          try {
            await menu.waitFor({ state: 'hidden', timeout: 2_000 });
            return;
          } catch {
            await item.hover();
            await page.keyboard.press('Enter');
          }
        }
        await menu.waitFor({ state: 'hidden', timeout: 2_000 });
      },
      webviewFrame() {
        return page.frameLocator('iframe.webview.ready').frameLocator('iframe#active-frame');
      },
      async notifications() {
        return page.locator('.notifications-toasts .notification-list-item-message').allInnerTexts();
      },
      async waitForNotification(text, timeoutMs = 30_000) {
        const toast = page.locator('.notifications-toasts .notification-list-item-message').filter({ hasText: text }).first();
        await toast.waitFor({ timeout: timeoutMs });
        return toast;
      },
      async outputPanelText() {
        const lines = page.locator('[id="workbench.panel.output"] .view-lines .view-line');
        // Rendered lines are absolutely positioned; sort them by their top offset.
        const entries = await lines.evaluateAll((nodes) =>
          nodes.map((node) => ({ top: Number.parseFloat((node as { style?: { top?: string } }).style?.top ?? '0'), text: node.textContent ?? '' })),
        );
        return entries
          .sort((a, b) => a.top - b.top)
          .map((entry) => entry.text.replace(/\u00a0/g, ' '))
          .join('\n');
      },
      async waitForOutput(text, timeoutMs = 30_000) {
        const deadline = Date.now() + timeoutMs;
        let last = '';
        for (;;) {
          last = await wb.outputPanelText();
          if (typeof text === 'string' ? last.includes(text) : text.test(last)) return last;
          if (Date.now() > deadline) throw new Error(`the output panel never showed ${String(text)}; it shows:\n${last}`);
          await page.waitForTimeout(250);
        }
      },
      outputChannelText(channelName) {
        return readOutputChannelLog(path.join(liveServer.userDataDir, 'logs'), channelName);
      },
      async screenshot(label) {
        shots += 1;
        const file = path.join(resultsDir, `${String(shots).padStart(2, '0')}-${label.replace(/[^\w.-]+/g, '-')}.png`);
        await page.screenshot({ path: file });
        return file;
      },
      async close(closeOptions) {
        await close(closeOptions?.keepLogs ?? false);
      },
    };
    return wb;
  } catch (error) {
    await close(true);
    throw error;
  }
}

/** Runs `body` against a fresh workbench; on failure takes a `failure` screenshot and keeps
 *  VS Code's logs; always closes everything. */
export async function withWorkbench<T>(options: WorkbenchOptions, body: (wb: Workbench) => Promise<T>): Promise<T> {
  const wb = await startWorkbench(options);
  try {
    const result = await body(wb);
    await wb.close();
    return result;
  } catch (error) {
    await wb.screenshot('failure').catch(() => undefined);
    await wb.close({ keepLogs: true });
    throw error;
  }
}

/** The OpenAI batch emulator, in process, on a free 127.0.0.1 port. Its `openaiBaseUrl` is what
 *  `llmBatch.openai.baseUrl` takes. */
export function startEmulator(options: EmulatorOptions = {}): Promise<RunningEmulator> {
  return startOpenAiEmulator(options);
}

/** Copies `files` (paths relative to the repository) into a fresh temporary workspace folder. */
export function makeWorkspace(files: readonly string[]): { dir: string; remove(): void } {
  const dir = mkdtempSync(path.join(tmpdir(), 'llmb-ws-'));
  const cleanup = removeOnExit(dir);
  for (const file of files) cpSync(path.join(REPO_ROOT, file), path.join(dir, path.basename(file)));
  return {
    dir,
    remove: () => {
      rmSync(dir, { recursive: true, force: true });
      cleanup.forget();
    },
  };
}

/** Opens the palette with `>title` and reports whether an entry with exactly that label shows. */
async function paletteLists(page: Page, title: string, timeoutMs = 3_000): Promise<boolean> {
  await page.keyboard.press('F1');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ timeout: 15_000 });
  await input.fill(`>${title}`);
  const row = page.locator('.quick-input-list .monaco-list-row').filter({ has: page.locator('.label-name', { hasText: title }) });
  try {
    await row.first().waitFor({ timeout: timeoutMs });
    return true;
  } catch {
    return false;
  }
}

async function paletteRun(page: Page, title: string): Promise<void> {
  if (!(await paletteLists(page, title, 15_000))) throw new Error(`the command palette does not list "${title}"`);
  await page.keyboard.press('Enter');
}

/** VS Code logs each output channel as logs/<session>/exthost<N>/output_logging_<time>/<n>-<name>.log
 *  (':' and other unsafe characters dropped from the name). */
function readOutputChannelLog(logsDir: string, channelName: string): string {
  const wanted = channelName.replace(/[^\w .-]+/g, '');
  const found: string[] = [];
  const visit = (dir: string, depth: number): void => {
    if (!existsSync(dir)) return;
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory() && depth < 4) visit(full, depth + 1);
      else if (entry.isFile() && entry.name.replace(/^\d+-/, '').replace(/\.log$/, '').replace(/[^\w .-]+/g, '') === wanted) found.push(full);
    }
  };
  visit(logsDir, 0);
  return found.map((file) => readFileSync(file, 'utf8')).join('');
}

function cssString(value: string): string {
  return value.replace(/["\\]/g, '\\$&');
}

/** Polls `probe` every half second until it returns a value (which it returns), or fails after `timeoutMs` naming `what`. */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 120_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

/** Waits until the extension has opened the workspace's job state (its log says so): the status
 *  bar item cannot tell, it shows only while a batch runs or something was spent today. */
export async function waitForJobState(wb: Workbench, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!wb.outputChannelText('LLM Batch Runner').includes("opened the workspace's job state")) {
    if (Date.now() > deadline) throw new Error("the extension never logged \"opened the workspace's job state\"");
    await wb.page.waitForTimeout(500);
  }
}

/** The built-in themes a panel is shown in (their names in the theme picker), ending on the default light one. */
const THEMES = [
  ['Dark 2026', 'dark'],
  ['Dark High Contrast', 'high-contrast'],
  ['Light High Contrast', 'high-contrast-light'],
  ['Light 2026', 'light'],
] as const;

/**
 * Takes `<label>-<theme>` screenshots of what is on screen in the dark, both high-contrast and the
 * light theme, waiting for `ready` after each switch; the workbench is left in the light theme.
 * Our panels are styled from theme variables only, so each theme is a real check of contrast.
 */
export async function screenshotInThemes(wb: Workbench, label: string, ready: () => Promise<unknown>): Promise<void> {
  const input = wb.page.locator('.quick-input-widget input');
  for (const [theme, suffix] of THEMES) {
    // Not runCommand: Enter would run the first fuzzy match, which may be the marketplace's theme browser.
    await wb.page.keyboard.press('F1');
    await input.fill('>Preferences: Color Theme');
    await wb.page.locator('.quick-input-list .monaco-list-row', { has: wb.page.locator('.label-name', { hasText: /^Preferences: Color Theme$/ }) }).first().click({ timeout: 15_000 });
    // The picker's list is virtual (a row far down is not in the page): filter it, then click the row.
    await wb.page.locator('.quick-input-widget input[placeholder^="Select Color Theme"]').waitFor({ timeout: 15_000 });
    await input.fill(theme);
    await wb.page.locator('.quick-input-list .monaco-list-row', { has: wb.page.locator('.label-name', { hasText: new RegExp(`^${theme}$`) }) }).first().click({ timeout: 15_000 });
    await wb.page.locator('.quick-input-widget').waitFor({ state: 'hidden', timeout: 15_000 });
    await ready();
    // The webview repaints with the new variables a moment after the workbench does.
    await wb.page.waitForTimeout(1_000);
    await wb.screenshot(`${label}-${suffix}`);
  }
}
