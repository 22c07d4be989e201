// Just enough of the `vscode` module to run activate() in plain Node and see what it registers.
// The real workbench is exercised by the e2e tier; this only backs the manifest checks.
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

const fake = {
  Disposable,
  commands: {
    registerCommand(id: string) {
      registeredCommands.push(id);
      return new Disposable(() => undefined);
    },
  },
  window: {
    createOutputChannel: () => ({ dispose: () => undefined, append: () => undefined, clear: () => undefined, show: () => undefined }),
  },
  ProgressLocation: { Notification: 15 },
};

type Resolve = (request: string, ...rest: unknown[]) => string;
const moduleWithResolve = Module as unknown as { _resolveFilename: Resolve };
const original = moduleWithResolve._resolveFilename;
moduleWithResolve._resolveFilename = function (request: string, ...rest: unknown[]) {
  return request === 'vscode' ? 'vscode' : original.call(this, request, ...rest);
};
require.cache.vscode = { id: 'vscode', filename: 'vscode', loaded: true, exports: fake } as unknown as NodeJS.Module;
