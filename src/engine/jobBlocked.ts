// A job the engine will not drive until the user acts: it never reached the provider (a refused
// key, no network), or the provider refused our access mid-run. Commands that follow a job stop
// with this, naming the job, and say how to go on (resume) or give up (cancel).
export class JobBlocked extends Error {
  constructor(
    readonly jobId: string,
    readonly reason: string,
  ) {
    super(`${jobId} waits for you: ${reason}`);
    this.name = 'JobBlocked';
  }
}
