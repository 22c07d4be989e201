// `llm-batch import --provider azure` as a user runs it against the emulator: Azure is reached in
// the URL style its environment configures (AZURE_OPENAI_ENDPOINT + OPENAI_API_VERSION → the dated
// API; no api-version → the v1 API), without an extra flag.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { AzureOpenAI, toFile } from 'openai';
import type { BatchCreateParams } from 'openai/resources/batches';
import { startOpenAiEmulator } from '../emulators/openai/server';
import type { RunningEmulator } from '../emulators/openai/server';

const root = path.resolve(__dirname, '../..');
const API_VERSION = '2024-10-21';
const KEY = 'azure-key';

/** The CLI as a child process (async: the emulator answers it from this process). */
function cli(env: Record<string, string>, ...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  // Only what the test sets configures a provider: the runner's own variables are left out.
  const { OPENAI_BASE_URL, OPENAI_API_VERSION, AZURE_OPENAI_ENDPOINT, AZURE_OPENAI_API_KEY, OPENAI_API_KEY, ...base } = process.env;
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { cwd: root, env: { ...base, ...env } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** A batch started outside this tool, through Azure's dated API. */
async function startBatchElsewhere(emu: RunningEmulator): Promise<string> {
  const az = new AzureOpenAI({ apiKey: KEY, endpoint: emu.azureEndpoint, apiVersion: API_VERSION, maxRetries: 0 });
  const line = { custom_id: 'elsewhere-1', method: 'POST', url: '/chat/completions', body: { model: 'my-deployment', messages: [{ role: 'user', content: 'hi' }] } };
  const file = await az.files.create({ file: await toFile(Buffer.from(`${JSON.stringify(line)}\n`), 'in.jsonl'), purpose: 'batch' });
  const batch = await az.batches.create({ input_file_id: file.id, endpoint: '/chat/completions' as BatchCreateParams['endpoint'], completion_window: '24h' });
  return batch.id;
}

describe('llm-batch import --provider azure', () => {
  let emu: RunningEmulator;
  before(async () => {
    emu = await startOpenAiEmulator({ apiKey: KEY, timeScale: { validatingMs: 20, inProgressMs: 50, finalizingMs: 20 } });
  });
  after(async () => {
    await emu.close();
  });
  beforeEach(() => emu.reset());

  it('uses the dated API when OPENAI_API_VERSION is configured, with no --api-version flag', async () => {
    const remoteId = await startBatchElsewhere(emu);
    const before = emu.requests().length;
    const workspace = mkdtempSync(path.join(tmpdir(), 'cli-import-'));
    const env = { AZURE_OPENAI_ENDPOINT: emu.azureEndpoint, AZURE_OPENAI_API_KEY: KEY, OPENAI_API_VERSION: API_VERSION };
    const result = await cli(env, 'import', '--provider', 'azure', '--workspace', workspace, '--json');
    assert.equal(result.code, 0, result.stderr);
    const { imported } = JSON.parse(result.stdout) as { imported: { remoteId: string; jobId: string }[] };
    assert.deepEqual(
      imported.map((i) => i.remoteId),
      [remoteId],
    );
    const calls = emu.requests().slice(before);
    assert.ok(calls.length > 0);
    for (const call of calls) {
      assert.ok(call.path.startsWith('/openai/') && !call.path.startsWith('/openai/v1/'), `${call.method} ${call.path}`);
      assert.match(call.query, new RegExp(`(^|&)api-version=${API_VERSION}(&|$)`), `${call.method} ${call.path}?${call.query}`);
    }
  });

  it('uses the v1 API when no api-version is configured', async () => {
    await startBatchElsewhere(emu);
    const before = emu.requests().length;
    const workspace = mkdtempSync(path.join(tmpdir(), 'cli-import-'));
    const result = await cli({ AZURE_OPENAI_ENDPOINT: emu.azureEndpoint, AZURE_OPENAI_API_KEY: KEY }, 'import', '--provider', 'azure', '--workspace', workspace, '--json');
    assert.equal(result.code, 0, result.stderr);
    const calls = emu.requests().slice(before);
    assert.ok(calls.length > 0);
    for (const call of calls) assert.ok(call.path.startsWith('/openai/v1/'), `${call.method} ${call.path}`);
  });
});
