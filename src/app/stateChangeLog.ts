// Each job and batch state change, logged once at info level by whoever shows the jobs (the
// extension's Output channel): what changed since the last look at the index, so changes made by
// the poll loop, a command, or another process a read-only window follows are all told the same
// way. Only unfinished jobs (and those that just changed) have their batches compared: a look
// costs a few small reads per running job, never a scan of items.
import { FINAL_JOB_STATES } from '../engine/engine';
import type { StateIndex } from '../store/stateIndex';
import { jobStateWords } from './jobFigures';

export class StateChangeLog {
  private readonly jobStates = new Map<string, string>();
  private readonly batchStates = new Map<string, string>();
  private primed = false;

  constructor(private readonly log: (message: string) => void) {}

  /** Logs what changed since the last call; the first call only takes note (nothing changed yet). */
  observe(index: StateIndex): void {
    const seen = new Set<string>();
    for (const job of index.jobs()) {
      seen.add(job.id);
      const state = jobStateWords(job);
      const before = this.jobStates.get(job.id);
      this.jobStates.set(job.id, state);
      if (this.primed && before === undefined) this.log(`job ${job.id} (${job.name}): ${state}`);
      else if (before !== undefined && before !== state) this.log(`job ${job.id} (${job.name}): ${before} → ${state}`);
      if (FINAL_JOB_STATES.has(job.status) && before === state) continue;
      for (const batch of index.batches(job.id)) {
        const shown = batch.state === 'intent' ? 'not sent yet' : batch.state.replace(/_/g, ' ');
        const previous = this.batchStates.get(batch.key);
        this.batchStates.set(batch.key, shown);
        if (previous === shown || (!this.primed && previous === undefined)) continue;
        const remote = batch.remoteId === null ? '' : ` (${batch.remoteId})`;
        this.log(`batch ${batch.key} of job ${job.id}: ${previous === undefined ? '' : `${previous} → `}${shown}${remote}`);
      }
    }
    for (const jobId of [...this.jobStates.keys()]) {
      if (seen.has(jobId)) continue;
      this.jobStates.delete(jobId);
      for (const key of [...this.batchStates.keys()]) if (key.startsWith(`${jobId}.`)) this.batchStates.delete(key);
      this.log(`job ${jobId}: deleted`);
    }
    this.primed = true;
  }
}
