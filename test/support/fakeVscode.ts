// Just enough of the `vscode` module to run activate() in plain Node and see what it registers.
// Anything not modelled here is a harmless stand-in (a callable that returns a disposable
// stand-in), so the manifest checks do not break each time a feature uses one more API.
// The real workbench is exercised by the e2e tier.
import Module from 'node:module';

export const registeredCommands: string[] = [];

class Disposable {
  static from(...items: { dispose(): unknown }[]): Disposable {
    return new Disposable(() => items.forEach((item) => item.dispose()));
  }
  constructor(private readonly onDispose: () => void) {}
  dispose(): void {
    this.onDispose();
  }
}

class EventEmitter<T> {
  private listeners: ((value: T) => void)[] = [];
  readonly event = (listener: (value: T) => void) => {
    this.listeners.push(listener);
    return new Disposable(() => (this.listeners = this.listeners.filter((l) => l !== listener)));
  };
  fire(value: T): void {
    for (const listener of this.listeners) listener(value);
  }
  dispose(): void {
    this.listeners = [];
  }
}

/** A value that can be called, read or disposed in any way and is always another stand-in. */
function standIn(): unknown {
  const target = function () {
    return standIn();
  };
  return new Proxy(target, {
    get: (_target, property) => {
      if (property === 'then') return undefined; // not a thenable
      if (property === 'dispose') return () => undefined;
      if (property === Symbol.toPrimitive) return () => '';
      return standIn();
    },
    apply: () => standIn(),
    // Taken and forgotten: a function's own `name` is read-only, and bundled code is strict.
    set: () => true,
  });
}

function namespace(real: Record<string, unknown>): unknown {
  return new Proxy(real, { get: (target, property: string) => (property in target ? target[property] : standIn()) });
}

const fake = namespace({
  Disposable,
  EventEmitter,
  commands: namespace({
    registerCommand(id: string) {
      registeredCommands.push(id);
      return new Disposable(() => undefined);
    },
    executeCommand: () => Promise.resolve(undefined),
  }),
  window: namespace({}),
  notebooks: namespace({}),
  languages: namespace({}),
  workspace: namespace({ workspaceFolders: undefined, notebookDocuments: [], isTrusted: true, onDidGrantWorkspaceTrust: () => new Disposable(() => undefined) }),
  StatusBarAlignment: { Left: 1, Right: 2 },
  ProgressLocation: { Notification: 15 },
});

type Resolve = (request: string, ...rest: unknown[]) => string;
const moduleWithResolve = Module as unknown as { _resolveFilename: Resolve };
const original = moduleWithResolve._resolveFilename;
moduleWithResolve._resolveFilename = function (request: string, ...rest: unknown[]) {
  return request === 'vscode' ? 'vscode' : original.call(this, request, ...rest);
};
require.cache.vscode = { id: 'vscode', filename: 'vscode', loaded: true, exports: fake } as unknown as NodeJS.Module;
