// What makes a notebook run "the same run": the input's bytes and every option that changes what
// is sent or how. A job remembers its key, so running an unchanged cell again — after a reload, a
// crash, or on another day — finds its job instead of paying for a second one.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import type { WorkspaceStore } from '../../store/workspaceStore';
import type { JobOptions } from '../../store/storeEvents';
import type { JobRow } from '../../store/stateIndex';

export interface RunIdentity {
  readonly inputSha256: string;
  readonly provider: string;
  readonly model: string | undefined;
  readonly mode: 'batch' | 'sync';
  readonly providerSettings: unknown;
  readonly checks: unknown;
  /** Set for a try: its sample size (a try and the batch are different runs). */
  readonly trySize?: number | undefined;
}

export async function fileSha256(file: string, signal?: AbortSignal): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20, signal }) as AsyncIterable<Buffer>) hash.update(chunk);
  return hash.digest('hex');
}

export function runKeyOf(identity: RunIdentity): string {
  const canonical = JSON.stringify([
    identity.inputSha256,
    identity.provider,
    identity.model ?? null,
    identity.mode,
    identity.providerSettings ?? null,
    identity.checks ?? null,
    identity.trySize ?? null,
  ]);
  return createHash('sha256').update(canonical).digest('hex').slice(0, 32);
}

/** The newest job made with this key, if any (a deleted job is gone from the index). */
export function jobWithRunKey(store: WorkspaceStore, runKey: string): JobRow | undefined {
  const jobs = store.index.jobs().filter((job) => (JSON.parse(job.options) as JobOptions).runKey === runKey);
  return jobs.sort((a, b) => b.createdAt.localeCompare(a.createdAt))[0];
}
