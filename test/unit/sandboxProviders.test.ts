// The sandbox (`npm run sandbox`) offers every provider: the user settings it writes must let the
// extension host make an adapter for each one with no key stored, and each adapter's calls must
// land on the local emulator the sandbox started for it (never a real API).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { clearSettings, userSettings as user } from '../support/fakeSettings';
import { PROVIDER_IDS } from '../../src/core/providerLimits';
import { ApiKeys } from '../../src/host/apiKeys';
import { WorkspaceSession } from '../../src/host/workspaceSession';
import { startSandboxEmulators } from '../../scripts/workbench/sandboxProviders';
import type { SandboxEmulators } from '../../scripts/workbench/sandboxProviders';

/** No key stored for any provider. */
const noSecrets = { get: () => Promise.resolve(undefined), store: () => Promise.resolve(), delete: () => Promise.resolve(), onDidChange: () => ({ dispose: () => undefined }) };
const log = { trace: () => undefined, debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined } as unknown as Parameters<typeof WorkspaceSession.open>[2];

let root: string;
let emulators: SandboxEmulators;
before(async () => {
  root = mkdtempSync(path.join(tmpdir(), 'sandbox-providers-'));
  emulators = await startSandboxEmulators('fast');
});
after(async () => {
  await emulators.close();
  rmSync(root, { recursive: true, force: true });
});

describe('the sandbox’s provider settings', () => {
  it('every provider gets an adapter without a key, and its access check is answered by its emulator', async () => {
    clearSettings();
    for (const [key, value] of Object.entries(emulators.userSettings)) user.set(key, value);
    const session = await WorkspaceSession.open(root, new ApiKeys(noSecrets as unknown as ConstructorParameters<typeof ApiKeys>[0]), log);
    try {
      for (const provider of PROVIDER_IDS) {
        const adapter = session.providerFor(provider);
        await assert.doesNotReject(adapter.verifyAccess(AbortSignal.timeout(10_000)), `${provider} reaches its emulator`);
      }
    } finally {
      session.dispose();
      clearSettings();
    }
  });

  it('points every provider at a loopback URL, the CLI included', () => {
    const urls = Object.entries(emulators.userSettings).filter(([key]) => /\.(baseUrl|endpoint)$/.test(key));
    assert.deepEqual(urls.map(([key]) => key.split('.')[1]).sort(), [...PROVIDER_IDS].sort());
    for (const [key, url] of urls) assert.match(url, /^http:\/\/127\.0\.0\.1:\d+/, key);
    for (const [name, value] of Object.entries(emulators.env)) if (/_BASE_URL|_ENDPOINT/.test(name)) assert.match(value, /^http:\/\/127\.0\.0\.1:\d+/, name);
  });
});
