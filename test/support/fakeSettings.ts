// A user layer and a workspace layer of settings behind the fake `vscode`'s
// `workspace.getConfiguration`, as VS Code's `get()` and `inspect()` report them: a workspace
// value wins in `get`, and `inspect().globalValue` is the user's own.
import './fakeVscode';

export const userSettings = new Map<string, unknown>();
export const workspaceSettings = new Map<string, unknown>();

function getConfiguration(section: string) {
  const full = (key: string) => `${section}.${key}`;
  return {
    get: <T>(key: string, fallback?: T): T | undefined => (workspaceSettings.get(full(key)) ?? userSettings.get(full(key)) ?? fallback) as T | undefined,
    inspect: <T>(key: string) => ({ key: full(key), globalValue: userSettings.get(full(key)) as T | undefined, workspaceValue: workspaceSettings.get(full(key)) as T | undefined }),
  };
}

// fakeVscode registered the module; its namespaces keep what is assigned to them.
export const fakeVscode = require.cache['vscode']?.exports as { workspace: Record<string, unknown>; window: Record<string, unknown> };
fakeVscode.workspace['getConfiguration'] = getConfiguration;

export function clearSettings(): void {
  userSettings.clear();
  workspaceSettings.clear();
}
