// The offline sandbox (`npm run sandbox`, after scripts/sandbox.sh has built and installed):
// every provider's batch emulator on 127.0.0.1 (scripts/workbench/sandboxProviders.ts), a sample
// workspace in .sandbox/workspace, and code-server with the extension (dev mode, this repository's
// dist/) whose user settings point every provider at its emulator.
// Runs in the foreground until Ctrl-C, then stops them all.
//   node --import tsx scripts/workbench/sandbox.ts [--port 8080] [--emulator-port N]
//        [--time-scale fast|default|realistic] [--keep-workspace]
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { REPO_ROOT, freePort, portInUse, startCodeServer } from './codeServer';
import { SANDBOX_PACES, startSandboxEmulators } from './sandboxProviders';
import type { SandboxPace } from './sandboxProviders';

const USAGE = 'usage: npm run sandbox [-- --port 8080] [--emulator-port N] [--time-scale fast|default|realistic] [--keep-workspace] | npm run sandbox -- --estimate-only';

/** The sample files: a clean one, one with bad lines, one whose markers make the emulator fail
 *  items, and a portable one (OpenAI-shaped chat lines any provider takes, with fault markers). */
const SAMPLE_FILES = [
  'examples/classify-reviews.jsonl',
  'examples/with-bad-lines.jsonl',
  'examples/with-failures.jsonl',
  'examples/portable-chat.jsonl',
  // The sample notebook and its dataset.
  'examples/notebook/triage.llmbatch',
  'examples/notebook/tickets.csv',
];

function parseArgs(argv: readonly string[]): { port: number; emulatorPort: number; pace: SandboxPace; keepWorkspace: boolean } {
  const fail = (message: string): never => {
    process.stderr.write(`${message}\n${USAGE}\n`);
    process.exit(2);
  };
  const result = { port: 8080, emulatorPort: 0, pace: 'default' as SandboxPace, keepWorkspace: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = (): string => argv[++i] ?? fail(`${arg} needs a value`);
    if (arg === '--port') result.port = Number(value());
    else if (arg === '--emulator-port') result.emulatorPort = Number(value());
    else if (arg === '--time-scale') {
      const pace = value();
      result.pace = SANDBOX_PACES.find((known) => known === pace) ?? fail('--time-scale must be fast, default or realistic');
    }
    else if (arg === '--keep-workspace') result.keepWorkspace = true;
    else if (arg === '--help' || arg === '-h') {
      process.stdout.write(`${USAGE}\n`);
      process.exit(0);
    } else fail(`unknown option ${arg}`);
  }
  for (const port of [result.port, result.emulatorPort]) {
    if (!Number.isInteger(port) || port < 0 || port > 65_535) fail('a port must be an integer 0-65535');
  }
  // The four emulators take --emulator-port and the next three.
  if (result.emulatorPort > 65_532) fail('--emulator-port must leave room for four ports (at most 65532)');
  return result;
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  const workspace = path.join(REPO_ROOT, '.sandbox', 'workspace');
  // The emulators keep their batches in memory, so jobs of an earlier run could not be followed:
  // start from a fresh workspace unless asked not to.
  if (!options.keepWorkspace) rmSync(workspace, { recursive: true, force: true });
  mkdirSync(workspace, { recursive: true });
  for (const file of SAMPLE_FILES) copyFileSync(path.join(REPO_ROOT, file), path.join(workspace, path.basename(file)));

  const emulators = await startSandboxEmulators(options.pace, options.emulatorPort);
  let port = options.port;
  if (port !== 0 && (await portInUse(port))) {
    const taken = port;
    port = await freePort();
    process.stdout.write(`port ${taken} is in use; using ${port}\n`);
  }
  const runDir = mkdtempSync(path.join(tmpdir(), 'llmb-sandbox-'));
  const logFile = path.join(REPO_ROOT, '.sandbox', 'code-server.log');
  writeFileSync(logFile, '');
  let server: Awaited<ReturnType<typeof startCodeServer>> | undefined;
  let stopping = false;
  const stop = async (code: number): Promise<never> => {
    if (!stopping) {
      stopping = true;
      process.stdout.write('\nstopping the sandbox…\n');
      await server?.close().catch(() => undefined);
      await emulators.close().catch(() => undefined);
      rmSync(runDir, { recursive: true, force: true });
    }
    process.exit(code);
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.once(signal, () => void stop(0));

  try {
    server = await startCodeServer({
      runDir,
      port,
      workspaceFolder: workspace,
      extensionDevPath: REPO_ROOT,
      logFile,
      userSettings: { ...emulators.userSettings },
      // The CLI in the workbench's terminal talks to the emulators too, never to a real API.
      env: { ...emulators.env },
    });
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    await stop(1);
    return;
  }
  process.stdout.write(
    [
      '',
      'emulators (every provider points at its own; no key needed):',
      ...emulators.lines.map((line) => `  ${line}`),
      `workspace: ${path.relative(process.cwd(), workspace) || workspace} (${SAMPLE_FILES.map((f) => path.basename(f)).join(', ')})`,
      `code-server log: ${path.relative(process.cwd(), server.logFile)}`,
      '',
      `LLM Batch Runner sandbox: ${server.folderUrl(workspace)}`,
      '',
      'Ctrl-C stops it.',
      '',
    ].join('\n'),
  );
  // Stay up until a signal; if code-server dies on its own, stop too.
  const liveServer = server;
  const watchdog = setInterval(() => {
    fetch(`${liveServer.url}/healthz`, { signal: AbortSignal.timeout(5_000) }).catch(() => {
      if (stopping) return;
      process.stderr.write(`code-server stopped answering; see ${liveServer.logFile}\n`);
      clearInterval(watchdog);
      void stop(1);
    });
  }, 5_000);
}

main().catch((error: unknown) => {
  process.stderr.write(`sandbox failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
