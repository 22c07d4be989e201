import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { registeredCommands } from '../support/fakeVscode';

interface Manifest {
  name: string;
  displayName: string;
  main: string;
  bin: Record<string, string>;
  engines: Record<string, string>;
  activationEvents: string[];
  contributes: { commands: { command: string; title: string; category?: string }[] };
}

const manifest = JSON.parse(readFileSync(path.resolve(__dirname, '../../package.json'), 'utf8')) as Manifest;

describe('extension manifest', () => {
  it('names the product and its entry points', () => {
    assert.equal(manifest.name, 'llm-batch-runner');
    assert.equal(manifest.displayName, 'LLM Batch Runner');
    assert.equal(manifest.main, './dist/extension.js');
    assert.equal(manifest.bin['llm-batch'], './dist/cli.js');
    assert.match(manifest.engines.vscode ?? '', /^\^1\.\d+\.0$/);
  });

  it('activates narrowly, never on startup', () => {
    assert.ok(manifest.activationEvents.length > 0);
    for (const event of manifest.activationEvents) assert.doesNotMatch(event, /^\*$|onStartupFinished/);
  });

  it('registers every contributed command, and contributes every registered one', async () => {
    const { activate } = await import('../../src/extension');
    const subscriptions: { dispose(): unknown }[] = [];
    const secrets = { onDidChange: () => ({ dispose: () => undefined }), get: () => Promise.resolve(undefined) };
    activate({ subscriptions, secrets, extensionUri: { fsPath: '/ext' } } as unknown as Parameters<typeof activate>[0]);
    const contributed = manifest.contributes.commands.map((c) => c.command).sort();
    assert.deepEqual([...registeredCommands].sort(), contributed);
    assert.ok(subscriptions.length > 0, 'registrations are handed to context.subscriptions');
  });

  it('gives every command a category and a title', () => {
    for (const command of manifest.contributes.commands) {
      assert.equal(command.category, 'LLM Batch');
      assert.ok(command.title.length > 0);
    }
  });
});
