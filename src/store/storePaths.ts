// What a journal record may name on disk. Ids and paths in the journal, the job histories and the
// index are data, and a workspace can be cloned with a `.llm-batch/` someone else wrote: a job id
// like `../../elsewhere/x` or an input file outside the store would make `watch` upload or write
// files outside the workspace. Ids follow one strict pattern, and every store path is checked
// to stay inside `.llm-batch/` before it becomes a file name.
import path from 'node:path';

/**
 * Job ids and batch keys: letters, digits, `.`, `_` and `-`, starting with a letter or digit (so
 * never `.` or `..`), no separators, short enough that `<key>.output.jsonl` is a legal file name.
 */
const STORE_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,159}$/;

export function isStoreId(value: unknown): value is string {
  return typeof value === 'string' && STORE_ID.test(value);
}

/** Why `value` is not a valid job id or batch key (`kind` names which), or undefined when it is. */
export function storeIdProblem(kind: string, value: unknown): string | undefined {
  if (isStoreId(value)) return undefined;
  return `${kind} ${JSON.stringify(value) ?? String(value)} is not a valid id (letters, digits, ".", "_" and "-", starting with a letter or digit, at most 160 characters)`;
}

/** Why `storePath` is not a relative path inside the store, or undefined when it is one. */
export function storePathProblem(storePath: unknown): string | undefined {
  if (typeof storePath !== 'string' || storePath === '') return `store path ${JSON.stringify(storePath) ?? String(storePath)} is not a non-empty string`;
  const shown = JSON.stringify(storePath);
  // Forward slashes only: a backslash or a drive colon means something else on Windows.
  if (/[\\:\0]/.test(storePath) || storePath.startsWith('/')) return `store path ${shown} is not a relative path with forward slashes`;
  if (storePath.split('/').some((segment) => segment === '' || segment === '.' || segment === '..')) return `store path ${shown} leaves the workspace's .llm-batch folder`;
  return undefined;
}

/** A path under the store root named by a store path that failed the checks above. */
export class StorePathError extends Error {
  constructor(
    readonly storePath: string,
    readonly root: string,
    reason: string,
  ) {
    super(`Refusing ${JSON.stringify(storePath)}: ${reason}. Every file LLM Batch Runner reads or writes for a job stays inside ${root}; a journal or index written elsewhere may name other paths.`);
    this.name = 'StorePathError';
  }
}

/** The absolute path of a store path under `root`; throws `StorePathError` for one that would leave it. */
export function resolveStorePath(root: string, storePath: string): string {
  const problem = storePathProblem(storePath);
  if (problem !== undefined) throw new StorePathError(storePath, root, problem);
  const resolved = path.resolve(root, ...storePath.split('/'));
  const relative = path.relative(path.resolve(root), resolved);
  // The checks above already exclude this; kept so that no future relaxation of them can.
  if (relative === '' || relative.startsWith('..') || path.isAbsolute(relative)) throw new StorePathError(storePath, root, 'it resolves outside the store');
  return resolved;
}

/** Top-level fields of store events that hold store paths. */
const PATH_FIELDS = ['itemsFile', 'inputFile', 'outputFile', 'errorFile'] as const;
/** Top-level fields that hold job ids or batch keys. */
const ID_FIELDS = ['jobId', 'fromJobId', 'batchKey', 'retryKey'] as const;

/**
 * Why a journal record (or an event about to be journaled) names an id or a path the store must
 * not use, or undefined when everything it names is safe. Unknown fields are not judged: what
 * they mean is up to the event, but the paths it is resolved through are checked again there.
 */
export function recordProblem(record: { readonly [key: string]: unknown }): string | undefined {
  for (const field of ID_FIELDS) {
    // Absent or null: nothing named (`item.syncAborted` puts back a null batch key).
    if (record[field] === undefined || record[field] === null) continue;
    const problem = storeIdProblem(field === 'jobId' || field === 'fromJobId' ? 'job id' : 'batch key', record[field]);
    if (problem !== undefined) return problem;
  }
  for (const field of PATH_FIELDS) {
    if (record[field] === undefined) continue;
    const problem = storePathProblem(record[field]);
    if (problem !== undefined) return `${field}: ${problem}`;
  }
  // Result references: an outcome's, a batch's outcomes', copied results'.
  const refs: unknown[] = [];
  const collect = (holder: unknown) => {
    if (typeof holder === 'object' && holder !== null && 'ref' in holder && holder.ref !== undefined) refs.push(holder.ref);
  };
  collect(record['outcome']);
  for (const list of [record['outcomes'], record['results']]) if (Array.isArray(list)) list.forEach(collect);
  for (const ref of refs) {
    const file = typeof ref === 'object' && ref !== null && 'file' in ref ? ref.file : ref;
    const problem = storePathProblem(file);
    if (problem !== undefined) return `result reference: ${problem}`;
  }
  return undefined;
}
