// Loads sql.js once per process. Bundled, the wasm sits beside the bundle (the build copies it);
// from source (tests, benchmarks) it comes from the package.
import { existsSync } from 'node:fs';
import path from 'node:path';
import initSqlJs from 'sql.js';
import type { SqlJsStatic } from 'sql.js';

let loading: Promise<SqlJsStatic> | undefined;

export function loadSqlJs(): Promise<SqlJsStatic> {
  loading ??= initSqlJs({ locateFile: (file: string) => wasmPath(file) });
  return loading;
}

function wasmPath(file: string): string {
  const beside = path.join(__dirname, file);
  return existsSync(beside) ? beside : require.resolve(`sql.js/dist/${file}`);
}
