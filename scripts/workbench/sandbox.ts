// The offline sandbox (`npm run sandbox`, after scripts/sandbox.sh has built and installed):
// the OpenAI batch emulator on 127.0.0.1, a sample workspace in .sandbox/workspace, and
// code-server with the extension (dev mode, this repository's dist/) pointed at the emulator.
// Runs in the foreground until Ctrl-C, then stops both.
//   node --import tsx scripts/workbench/sandbox.ts [--port 8080] [--emulator-port N]
//        [--time-scale fast|default|realistic] [--keep-workspace]
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startOpenAiEmulator } from '../../test/emulators/openai/server';
import type { TimeScale } from '../../test/emulators/openai/server';
import { REPO_ROOT, freePort, portInUse, startCodeServer } from './codeServer';

const USAGE = 'usage: npm run sandbox [-- --port 8080] [--emulator-port N] [--time-scale fast|default|realistic] [--keep-workspace] | npm run sandbox -- --estimate-only';

const TIME_SCALES: Record<string, TimeScale> = {
  fast: { validatingMs: 20, inProgressMs: 50, finalizingMs: 20 },
  default: { validatingMs: 300, inProgressMs: 700, finalizingMs: 300 },
  realistic: { validatingMs: 10_000, inProgressMs: 60_000, finalizingMs: 10_000 },
};

/** The sample files: a clean one, one with bad lines, one whose markers make the emulator fail items. */
const SAMPLE_FILES = ['examples/classify-reviews.jsonl', 'examples/with-bad-lines.jsonl', 'examples/with-failures.jsonl'];

function parseArgs(argv: readonly string[]): { port: number; emulatorPort: number; timeScale: TimeScale; keepWorkspace: boolean } {
  const fail = (message: string): never => {
    process.stderr.write(`${message}\n${USAGE}\n`);
    process.exit(2);
  };
  const result = { port: 8080, emulatorPort: 0, timeScale: TIME_SCALES.default as TimeScale, keepWorkspace: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = (): string => argv[++i] ?? fail(`${arg} needs a value`);
    if (arg === '--port') result.port = Number(value());
    else if (arg === '--emulator-port') result.emulatorPort = Number(value());
    else if (arg === '--time-scale') result.timeScale = TIME_SCALES[value()] ?? fail('--time-scale must be fast, default or realistic');
    else if (arg === '--keep-workspace') result.keepWorkspace = true;
    else if (arg === '--help' || arg === '-h') {
      process.stdout.write(`${USAGE}\n`);
      process.exit(0);
    } else fail(`unknown option ${arg}`);
  }
  for (const port of [result.port, result.emulatorPort]) {
    if (!Number.isInteger(port) || port < 0 || port > 65_535) fail('a port must be an integer 0-65535');
  }
  return result;
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  const workspace = path.join(REPO_ROOT, '.sandbox', 'workspace');
  // The emulator keeps its batches in memory, so jobs of an earlier run could not be followed:
  // start from a fresh workspace unless asked not to.
  if (!options.keepWorkspace) rmSync(workspace, { recursive: true, force: true });
  mkdirSync(workspace, { recursive: true });
  for (const file of SAMPLE_FILES) copyFileSync(path.join(REPO_ROOT, file), path.join(workspace, path.basename(file)));

  const emulator = await startOpenAiEmulator({ port: options.emulatorPort, timeScale: options.timeScale });
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
      await emulator.close().catch(() => undefined);
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
      userSettings: { 'llmBatch.openai.baseUrl': emulator.openaiBaseUrl },
      // The CLI in the workbench's terminal talks to the emulator too, never to the real API.
      env: { OPENAI_BASE_URL: emulator.openaiBaseUrl, OPENAI_API_KEY: 'sandbox' },
    });
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    await stop(1);
    return;
  }
  process.stdout.write(
    [
      '',
      `emulator (OpenAI batch API): ${emulator.openaiBaseUrl}  — fault switches: POST ${emulator.url}/__emulator/faults`,
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
