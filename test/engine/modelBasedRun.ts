// The model-based engine test's machinery, shared by test/engine/modelBased.test.ts (a fixed set of
// seeds) and bench/modelBased/run.ts (many). One seed draws a random sequence of what happens to a
// workspace in real use, against one provider's in-process emulator (any of the six; see
// engineProviders.ts for how the OpenAI fault vocabulary below maps onto each):
//   - files of 2–12 lines submitted through the submit service (markers fail / fail-once /
//     context_length_exceeded, duplicates, lines repeated from earlier files), some changed
//     between the estimate and the submit (must be refused, nothing journaled or uploaded);
//   - steps and `watch` runs; kill -9 between operations, or at a chosen point of the provider
//     conversation (create, upload, download, sync answer, the key check) so the answer lands and
//     what would be journaled next is lost; a new process (store + service) each time;
//   - provider faults: endpoint 429/5xx, capacity refusals (also Azure's fail-fast 400), cut
//     downloads, batches that lose their output or expire, duplicate output lines, a wrong or
//     missing key (401), an outage that drives lines to the sync strike with the key revoked
//     mid-strike, uploads failing so a job is never submitted;
//   - the user's retry-failed, cancel, resume, Delete Job, and a command resuming unfinished jobs.
// Then every job is driven to its end (good key, no faults, blocked jobs resumed) and the promises
// are checked (checkInvariants). Every expectation comes from the fixture (which markers each line
// carries, which user actions were taken), never from the run under test. The operations replay
// exactly from the seed; timing at the emulator does not, so a rare race may need a few replays
// (the bench keeps each failing run's trace). The operations a seed draws do not depend on the
// provider: a fault a provider has no counterpart of is replaced by its nearest (an outage's
// "completed with no output" by every item failing) or dropped, and the trace says so. A
// provider with a minimum batch (Bedrock: 100) gets each file padded with that many plain lines.
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { assembleJobs } from '../../src/app/assembleJobs';
import type { JobService } from '../../src/app/jobService';
import { deleteJob, deleteJobBlocker } from '../../src/engine/deleteJob';
import { FINAL_JOB_STATES } from '../../src/engine/engine';
import { exportResults } from '../../src/engine/exportResults';
import { JobBlocked } from '../../src/engine/jobBlocked';
import { SubmitRefused } from '../../src/engine/submitRefused';
import type { ProviderId } from '../../src/core/providerLimits';
import type { BatchProvider } from '../../src/providers/batchProvider';
import { resultParserFor } from '../../src/providers/resultParsers';
import { WorkspaceStore } from '../../src/store/workspaceStore';
import type { FaultConfig } from '../emulators/openai/faults';
import { seededRandom } from '../support/seededRandom';
import { providerRig } from './engineProviders';
import type { NeutralRoute, ProviderEmulator, ProviderRig } from './engineProviders';
import { FAST_ENGINE } from './harness';

const RIGHT_KEY = 'sk-model-right';
/** How long a `watch` may take under faults before it counts as stuck. */
const WATCH_LIMIT_MS = 6_000;
const WRONG_KEY = 'sk-model-wrong';
/** The states an item may end in. */
const FINAL_ITEM_STATES = new Set(['succeeded', 'dead_letter', 'deduped', 'cached', 'cancelled']);

/**
 * What a line of a generated file is, which alone decides how it must end:
 * plain and fail_once lines are answered (fail-once fails its first attempt only), fail_always
 * (a 500 every time) climbs the whole ladder and ends in dead letter, too_long (a 400
 * context_length_exceeded) goes to dead letter at once. A duplicate repeats a line of its own file
 * (it must be deduped and report its twin's answer); a repeat reuses a plain line of an earlier
 * file (answered, from the cache or afresh).
 */
type LineKind = 'plain' | 'fail_once' | 'fail_always' | 'too_long';

interface FixtureLine {
  readonly id: string;
  readonly text: string;
  readonly kind: LineKind;
  /** The id of the earlier line of the same file with the same request. */
  readonly duplicateOf: string | undefined;
}

interface FixtureJob {
  readonly jobId: string;
  readonly file: string;
  readonly lines: readonly FixtureLine[];
  /** The user cancelled it at least once. */
  everCancelled: boolean;
}

const MARKERS: Readonly<Record<LineKind, string>> = {
  plain: '',
  fail_once: ' [[fail-once:server_error]]',
  fail_always: ' [[fail:server_error]]',
  too_long: ' [[fail:context_length_exceeded]]',
};

export interface ModelRunOptions {
  /** The provider whose emulator and adapter the sequence runs against (default openai). */
  readonly provider?: ProviderId | undefined;
  /** How many random operations before the drive to the end (default 30). */
  readonly operations?: number | undefined;
  /** Called with each operation as it starts (for a verbose replay). */
  readonly onOperation?: ((line: string) => void) | undefined;
}

export interface ModelRunResult {
  readonly seed: number;
  readonly provider: ProviderId;
  /** Each broken promise, in words; empty when the seed passed. */
  readonly failures: string[];
  /** The operations performed, in order. */
  readonly trace: string[];
  readonly jobs: number;
  readonly items: number;
  readonly remoteBatches: number;
  /** What the sequence exercised (operations and what the provider and engine did), to see a seed's reach. */
  readonly coverage: Readonly<Record<string, number>>;
  readonly ms: number;
}

/** How to replay one seed of the npm test with its operations printed. */
export function replayCommand(seed: number, provider: ProviderId = 'openai'): string {
  return `LLM_BATCH_PROVIDER=${provider} LLM_BATCH_SEED=${seed} node --import tsx --test test/engine/modelBased.test.ts`;
}

/** A failure report: the seed, the replay command, the broken promises and the operations that led there. */
export function describeFailure(result: ModelRunResult): string {
  return [
    `model-based seed ${result.seed} (${result.provider}) broke ${result.failures.length} promise(s); replay: ${replayCommand(result.seed, result.provider)}`,
    ...result.failures.map((failure) => `  - ${failure}`),
    '  operations:',
    ...result.trace.map((op, i) => `    ${String(i + 1).padStart(3)}. ${op}`),
  ].join('\n');
}

export async function runModelSequence(seed: number, options: ModelRunOptions = {}): Promise<ModelRunResult> {
  const started = Date.now();
  const rig = providerRig(options.provider ?? 'openai');
  const emulator = await rig.start({ key: RIGHT_KEY, speed: 0.75 });
  const dir = mkdtempSync(path.join(tmpdir(), 'model-based-'));
  const world = await World.open(rig, emulator, dir, seed, options.onOperation);
  try {
    const operations = options.operations ?? 30;
    for (let i = 0; i < operations; i++) await world.randomOperation();
    await world.driveToEnd();
    await world.checkInvariants();
  } catch (error) {
    world.failures.push(`the sequence threw: ${(error as Error).stack ?? String(error)}`);
  } finally {
    await world.close().catch(() => undefined);
    await emulator.close();
    rmSync(dir, { recursive: true, force: true });
  }
  return {
    seed,
    provider: rig.provider,
    failures: world.failures,
    trace: world.trace,
    jobs: world.jobs.length,
    items: world.jobs.reduce((sum, job) => sum + job.lines.length, 0),
    remoteBatches: emulator.batches().length,
    coverage: world.coverage(),
    ms: Date.now() - started,
  };
}

/** A provider that counts every sync call and every paid answer (a 200), per request text. */
interface SyncLedger {
  calls: number;
  readonly paid: Map<string, number>;
}

/**
 * The provider as the engine sees it: each call goes through an adapter made with the key as it
 * is at that moment (a key changed mid-step reaches the next call), and every sync call and paid
 * answer is counted.
 */
function recordingProvider(current: () => BatchProvider, ledger: SyncLedger, lastUserText: (line: Readonly<Record<string, unknown>>) => string): BatchProvider {
  return {
    id: current().id,
    verifyAccess: (signal) => current().verifyAccess(signal),
    stage: (submission, signal) => current().stage(submission, signal),
    create: (submission, staged, signal) => current().create(submission, staged, signal),
    findCreated: (submission, staged, since, signal) => current().findCreated(submission, staged, since, signal),
    retrieve: (remoteId, signal) => current().retrieve(remoteId, signal),
    list: (signal) => current().list(signal),
    cancel: (remoteId, signal) => current().cancel(remoteId, signal),
    fetchResults: (remote, submission, destination, signal) => current().fetchResults(remote, submission, destination, signal),
    readInput: (remote, destination, signal) => current().readInput(remote, destination, signal),
    parseResultLine: (line) => current().parseResultLine(line),
    async callSync(call, signal) {
      const provider = current();
      ledger.calls += 1;
      const outcome = await provider.callSync(call, signal);
      if (outcome.ok) {
        const text = lastUserText(call.line);
        ledger.paid.set(text, (ledger.paid.get(text) ?? 0) + 1);
      }
      return outcome;
    },
  };
}

const FAULT_ROUTES: readonly NeutralRoute[] = [
  'POST /files',
  'POST /batches',
  'GET /batches',
  'GET /batches/{id}',
  'GET /files/{id}/content',
  'POST /batches/{id}/cancel',
  'POST /chat/completions',
];

/** Where a kill may land: when the emulator has answered one of these, or after a few ms. */
type KillPoint = 'POST /files' | 'POST /batches' | 'GET /batches' | 'GET /files/{id}/content' | 'POST /batches/{id}/cancel' | 'POST /chat/completions' | 'delay';
const KILL_POINTS: readonly KillPoint[] = ['POST /batches', 'POST /batches', 'POST /files', 'GET /files/{id}/content', 'POST /chat/completions', 'POST /chat/completions', 'delay'];


class World {
  readonly failures: string[] = [];
  readonly trace: string[] = [];
  readonly jobs: FixtureJob[] = [];
  private readonly ledger: SyncLedger = { calls: 0, paid: new Map() };
  /** Paid sync answers each request text may have: one per unique line carrying it, one more per resubmission of it. */
  private readonly syncAllowance = new Map<string, number>();
  private readonly credentials = { key: RIGHT_KEY };
  private readonly counts = new Map<string, number>();
  private lastNote = '';
  private repeats = 0;
  private faults: FaultConfig = {};
  /** What the deleted jobs had cost when they were deleted: paid, so still today's spend. */
  private deletedCost = 0;
  private deletedJobs = 0;
  /** Reservations the deleted jobs still held (not a promise, a clue when spend disagrees). */
  private deletedOpenReservations = 0;
  /** The remote batches of deleted jobs, by remote id: their intents, which the journal no longer holds. */
  private readonly deletedRemoteKeys = new Map<string, string>();
  private fileCount = 0;
  private store!: WorkspaceStore;
  private service!: JobService;

  private constructor(
    private readonly rig: ProviderRig,
    private readonly emulator: ProviderEmulator,
    private readonly dir: string,
    private readonly random: () => number,
    private readonly onOperation: ((line: string) => void) | undefined,
  ) {}

  static async open(rig: ProviderRig, emulator: ProviderEmulator, dir: string, seed: number, onOperation: ((line: string) => void) | undefined): Promise<World> {
    const world = new World(rig, emulator, dir, seededRandom(seed), onOperation);
    await world.startProcess();
    return world;
  }

  /** A new process on the workspace: a store, and the engine and service assembled as the CLI does. */
  private async startProcess(): Promise<void> {
    this.store = await WorkspaceStore.open(this.dir, { purpose: 'model-based test', snapshotEvery: 11 });
    const { service } = assembleJobs(this.store, {
      // The key is read at call time, so switching it reaches the next call (as a settings change does).
      providerFor: (provider) => {
        const adapter = () => {
          if (!this.credentials.key) throw new Error(`No API key for ${provider}`);
          return this.rig.adapter(this.emulator, this.credentials.key, { maxRetries: 1 });
        };
        adapter();
        return recordingProvider(adapter, this.ledger, (line) => this.rig.lastUserText(line));
      },
      config: FAST_ENGINE,
      budget: () => ({}),
      // The engine's own account of what it did goes into the trace, beside the operations.
      log: (message) => this.note(`    engine: ${oneLine(message)}`),
    });
    this.service = service;
  }

  async close(): Promise<void> {
    await this.store.close();
  }

  // ---- random choices ----------------------------------------------------------------------

  private int(min: number, max: number): number {
    return min + Math.floor(this.random() * (max - min + 1));
  }

  private pick<T>(values: readonly T[]): T {
    const value = values[Math.floor(this.random() * values.length)];
    if (value === undefined) throw new Error('pick from an empty list');
    return value;
  }

  private chance(p: number): boolean {
    return this.random() < p;
  }

  private count(what: string): void {
    this.counts.set(what, (this.counts.get(what) ?? 0) + 1);
  }

  coverage(): Record<string, number> {
    const batches = this.emulator.batches();
    const endedBadly = batches.filter((b) => !b.endedWell).length;
    const paidSync = [...this.ledger.paid.values()].reduce((a, b) => a + b, 0);
    const unauthorized = this.emulator.requests().filter((r) => r.status === 401 || r.status === 403).length;
    return { ...Object.fromEntries(this.counts), 'batches that did not complete': endedBadly, 'sync calls': this.ledger.calls, 'paid sync answers': paidSync, '401/403 answers': unauthorized };
  }

  private note(op: string): void {
    // Top-level operations count by their first word; what followed (indented) is counted where it happens.
    const kind = /^[a-z][a-z-]*(?: -9)?/.exec(op)?.[0];
    if (kind) this.count(kind);
    // A message repeated by a polling loop is kept once, with how often it came.
    if (op === this.lastNote) {
      this.repeats += 1;
      this.trace[this.trace.length - 1] = `${op} (×${this.repeats + 1})`;
      return;
    }
    this.lastNote = op;
    this.repeats = 0;
    this.trace.push(op);
    this.onOperation?.(op);
  }

  private fail(promise: string): void {
    this.failures.push(promise);
  }

  // ---- operations --------------------------------------------------------------------------

  async randomOperation(): Promise<void> {
    // Every choice is drawn from the seed and the fixture only, never from the run's state (which
    // depends on timing), so a seed replays the same operations.
    const roll = this.random();
    if (roll < 0.18 || this.jobs.length === 0) await this.submitFile();
    else if (roll < 0.4) await this.stepJob();
    else if (roll < 0.46) await this.watchJob();
    else if (roll < 0.53) await this.pause();
    else if (roll < 0.58) await this.killAndRestart();
    else if (roll < 0.605) await this.killDuringWork();
    else if (roll < 0.62) await this.killDuringSubmit();
    else if (roll < 0.72) this.changeFaults();
    else if (roll < 0.78) this.switchKey();
    else if (roll < 0.84) await this.retryFailed();
    else if (roll < 0.89) await this.cancel();
    else if (roll < 0.93) await this.resume();
    else if (roll < 0.955) await this.resumeUnfinished();
    else if (roll < 0.97) await this.deleteJob();
    else if (roll < 0.985) await this.outage();
    else await this.strandedSubmit();
  }

  private generateLines(fileNo: number): FixtureLine[] {
    const count = this.int(2, 12);
    const lines: FixtureLine[] = [];
    const earlierPlain = this.jobs.flatMap((job) => job.lines.filter((line) => line.kind === 'plain' && line.duplicateOf === undefined && !line.id.startsWith('pad-')));
    for (let i = 1; i <= count; i++) {
      const id = `item-${i}`;
      const roll = this.random();
      const original = lines[Math.floor(this.random() * lines.length)];
      if (roll < 0.12 && original) {
        lines.push({ id, text: original.text, kind: original.kind, duplicateOf: original.duplicateOf ?? original.id });
      } else if (roll < 0.2 && earlierPlain.length > 0 && !lines.some((line) => earlierPlain.some((e) => e.text === line.text))) {
        lines.push({ id, text: this.pick(earlierPlain).text, kind: 'plain', duplicateOf: undefined });
      } else {
        const kind: LineKind = roll < 0.3 ? 'fail_once' : roll < 0.38 ? 'fail_always' : roll < 0.45 ? 'too_long' : 'plain';
        // Unique per file and line, short enough that the emulator echoes it whole.
        lines.push({ id, text: `f${fileNo} l${i}${MARKERS[kind]}`, kind, duplicateOf: undefined });
      }
    }
    // Below a provider's minimum batch (Bedrock: 100) nothing could be submitted: that many plain
    // lines more, drawn from nothing, so every provider runs the same operations.
    for (let n = 1; n <= this.padding; n++) lines.push({ id: `pad-${n}`, text: `f${fileNo} pad ${n}`, kind: 'plain', duplicateOf: undefined });
    return lines;
  }

  private get padding(): number {
    return this.rig.minRequests > 1 ? this.rig.minRequests : 0;
  }

  /** A file's lines as the trace shows them (the padding counted, not listed). */
  private describeLines(lines: readonly FixtureLine[]): string {
    const own = lines.filter((l) => !l.id.startsWith('pad-'));
    const shown = own.map((l) => (l.duplicateOf ? `dup(${l.duplicateOf})` : l.kind)).join(',');
    return lines.length > own.length ? `${shown} + ${lines.length - own.length} plain padding lines` : shown;
  }

  /**
   * The drawn faults as this provider can have them: a switch it has no counterpart of is replaced
   * by its nearest (a batch completed with no output: every item of it fails) or dropped, noted.
   */
  private providerFaults(faults: FaultConfig): FaultConfig {
    const unsupported = (Object.keys(faults) as (keyof FaultConfig)[]).filter((key) => this.rig.unsupported[key] !== undefined);
    const out = Object.fromEntries(Object.entries(faults).filter(([key]) => !unsupported.includes(key as keyof FaultConfig))) as FaultConfig;
    const changed: string[] = [];
    for (const key of unsupported) {
      if (key === 'completedWithNullOutput') {
        const ids = [...Array.from({ length: 13 }, (_, i) => `item-${i + 1}`), ...Array.from({ length: this.padding }, (_, i) => `pad-${i + 1}`)];
        out.itemErrors = Object.fromEntries(ids.map((id) => [id, { status: 500, code: 'server_error' }]));
        changed.push('completedWithNullOutput → every item of a new batch fails (server_error)');
      } else changed.push(`${key} dropped`);
    }
    if (changed.length > 0) this.note(`  ${this.rig.provider}: ${changed.join('; ')}`);
    return out;
  }

  /** A portable chat line; the job writer converts it for the provider. */
  private requestLine(id: string, text: string): string {
    return JSON.stringify({ custom_id: id, method: 'POST', url: '/v1/chat/completions', body: { model: this.rig.models[0], messages: [{ role: 'user', content: text }], max_completion_tokens: 20 } });
  }

  private writeFile(name: string, lines: readonly FixtureLine[]): string {
    const file = path.join(this.dir, name);
    writeFileSync(file, lines.map((line) => `${this.requestLine(line.id, line.text)}\n`).join(''));
    return file;
  }

  /**
   * Every batch fails as a whole (completed, no output file) while a new file is submitted and
   * watched: its lines climb the whole ladder to the full-price sync calls, whose answers must be
   * kept like a batch's.
   */
  private async outage(): Promise<void> {
    this.faults = { completedWithNullOutput: true };
    const revoke = this.chance(0.5);
    this.note(`faults ${JSON.stringify(this.faults)} (an outage)${revoke ? ', and the key is revoked after the first paid sync answer' : ''}`);
    this.emulator.setFaults(this.providerFaults(this.faults));
    const before = this.jobs.length;
    await this.submitFile();
    const job = this.jobs[before];
    if (!job) return;
    // A key revoked in the middle of the full-price strike: the rest must wait for the user, not be condemned.
    const unsubscribe = revoke
      ? this.emulator.onResponse((entry) => {
          if (entry.route === 'POST /chat/completions' && entry.status === 200) {
            this.credentials.key = WRONG_KEY;
            unsubscribe?.();
          }
        })
      : undefined;
    await this.watch(job);
    unsubscribe?.();
  }

  /**
   * The key is good but every upload fails: the job exists and nothing of it reached the
   * provider. The next command (a resume of unfinished jobs) must leave it alone — only the user
   * sends it (the drive to the end resumes it explicitly).
   */
  private async strandedSubmit(): Promise<void> {
    const previous = this.faults;
    this.faults = { endpointFaults: [{ endpoint: 'POST /files', times: 1_000, status: 503 }] };
    this.note(`faults ${JSON.stringify(this.faults)} (uploads fail)`);
    this.emulator.setFaults(this.providerFaults(this.faults));
    await this.submitFile();
    this.faults = previous;
    this.note(`faults ${JSON.stringify(previous)} (uploads work again)`);
    this.emulator.setFaults(this.providerFaults(previous));
    await this.resumeUnfinished();
  }

  private async submitFile(): Promise<void> {
    const fileNo = ++this.fileCount;
    const lines = this.generateLines(fileNo);
    const file = this.writeFile(`input-${fileNo}.jsonl`, lines);
    const changeIt = this.chance(0.15);
    this.note(`submit input-${fileNo}.jsonl: ${this.describeLines(lines)}${changeIt ? ' (changed after the estimate)' : ''}`);
    const jobsBefore = this.store.index.jobs().map((job) => job.id);
    const uploadsBefore = this.uploads();
    const preview = await this.service.preview({ file, provider: this.rig.provider, providerSettings: this.rig.settings, outputBuffer: 0.25, failureAlertRate: 0.05 });
    if (changeIt) appendFileSync(file, `${this.requestLine(`item-${lines.length - this.padding + 1}`, `f${fileNo} appended`)}\n`);
    let outcome: Awaited<ReturnType<JobService['submit']>> | undefined;
    let error: Error | undefined;
    try {
      outcome = await this.service.submit(preview);
    } catch (caught) {
      error = caught as Error;
    }
    const newJobs = this.store.index.jobs().filter((job) => !jobsBefore.includes(job.id));
    if (error instanceof SubmitRefused || changeIt) {
      const kinds = error instanceof SubmitRefused ? error.blockers.map((b) => b.kind).join(',') : 'none';
      this.count(`submit refused (${kinds})`);
      this.note(`  refused (${kinds})`);
      if (!(error instanceof SubmitRefused)) this.fail(`input-${fileNo}.jsonl changed after its estimate but was not refused (${outcome?.jobId ?? error?.message})`);
      else if (changeIt && this.credentials.key === RIGHT_KEY && !this.routeFaulted('GET /batches') && !kinds.includes('file_changed'))
        this.fail(`input-${fileNo}.jsonl changed after its estimate was refused for ${kinds}, not file_changed`);
      if (newJobs.length > 0) this.fail(`a refused submission of input-${fileNo}.jsonl journaled job(s) ${newJobs.map((j) => j.id).join(', ')}`);
      if (this.uploads() !== uploadsBefore) this.fail(`a refused submission of input-${fileNo}.jsonl uploaded a file`);
      for (const job of newJobs) this.adopt(job.id, file, lines);
      return;
    }
    if (newJobs.length !== 1) {
      this.fail(`one submission of input-${fileNo}.jsonl made ${newJobs.length} jobs`);
      if (newJobs.length === 0) {
        if (error) throw error;
        return;
      }
    }
    const jobId = newJobs[0]?.id ?? '';
    this.adopt(jobId, file, lines);
    if (error) {
      this.note(`  ${jobId} created, then: ${oneLine(error.message)}`);
      if (!error.message.includes(jobId)) this.fail(`a failure after ${jobId} existed does not name it: ${oneLine(error.message)}`);
    } else {
      this.note(`  ${jobId} ${outcome?.submitted ? 'submitted' : `not submitted: ${oneLine(outcome && !outcome.submitted ? outcome.reason : '')}`}`);
    }
  }

  /** A job made from a file: its lines are the fixture's expectations. */
  private adopt(jobId: string, file: string, lines: readonly FixtureLine[]): void {
    this.jobs.push({ jobId, file, lines, everCancelled: false });
    for (const line of lines) if (line.duplicateOf === undefined) this.allowSync(line.text);
  }

  private allowSync(text: string): void {
    this.syncAllowance.set(text, (this.syncAllowance.get(text) ?? 0) + 1);
  }

  private uploads(): number {
    // Where requests go inline in the create (Anthropic), the create is the upload.
    return this.emulator.requests().filter((r) => r.route === 'POST /files' || (this.rig.inlineRequests && r.route === 'POST /batches')).length;
  }

  private routeFaulted(route: NeutralRoute): boolean {
    return (this.faults.endpointFaults ?? []).some((fault) => fault.endpoint === route);
  }

  private unfinishedJobIds(): string[] {
    return this.store.index
      .jobs()
      .filter((job) => !FINAL_JOB_STATES.has(job.status))
      .map((job) => job.id);
  }

  private async stepJob(): Promise<void> {
    const job = this.pick(this.jobs);
    const steps = this.int(1, 3);
    this.note(`step ${job.jobId} ×${steps}`);
    for (let i = 0; i < steps; i++) {
      await this.quietly(`step ${job.jobId}`, () => this.service.engine.step(job.jobId));
      await sleep(this.int(0, 40));
    }
  }

  /** `watch`: the job is run to its end under whatever the provider does now (or until it is blocked). */
  private async watchJob(): Promise<void> {
    await this.watch(this.pick(this.jobs));
  }

  private async watch(job: FixtureJob): Promise<void> {
    this.note(`watch ${job.jobId}`);
    try {
      const row = await this.service.engine.run(job.jobId, { signal: AbortSignal.timeout(WATCH_LIMIT_MS) });
      this.note(`  → ${row.status}`);
    } catch (error) {
      if ((error as Error).name === 'TimeoutError') this.fail(`watch ${job.jobId} did not end within ${WATCH_LIMIT_MS} ms under faults ${JSON.stringify(this.faults)}`);
      const kind = error instanceof JobBlocked ? 'blocked' : 'error';
      this.count(`watch → ${kind}`);
      this.note(`  watch ${job.jobId}: ${kind}: ${oneLine((error as Error).message)}`);
    }
  }

  private async pause(): Promise<void> {
    const ms = this.int(10, 120);
    this.note(`wait ${ms} ms`);
    await sleep(ms);
  }

  private async killAndRestart(): Promise<void> {
    const killed = this.chance(0.8);
    this.note(killed ? 'kill -9 and restart' : 'close and restart');
    await (killed ? this.store.closeWithoutSnapshot() : this.store.close());
    await this.startProcess();
  }

  /**
   * Arms a kill -9 for the moment the emulator has answered `route` (or after `delayMs`): the
   * store closes under whatever is running, so the provider's answer lands but what the process
   * would journal next is lost — a batch created but not recorded, a sync answer paid but not
   * recorded. Returns a disarm function that resolves true when the kill happened.
   */
  private armKill(route: KillPoint): () => Promise<boolean> {
    let killing: Promise<void> | undefined;
    const kill = () => {
      killing ??= this.store.closeWithoutSnapshot();
    };
    const unsubscribe = this.emulator.onResponse((entry) => {
      // Where requests go inline in the create (Anthropic), the upload is the create.
      if (route !== 'delay' && (entry.route === route || (this.rig.inlineRequests && route === 'POST /files' && entry.route === 'POST /batches'))) kill();
    });
    const timer = route === 'delay' ? setTimeout(kill, this.int(0, 60)) : undefined;
    return async () => {
      unsubscribe();
      clearTimeout(timer);
      if (killing === undefined) return false;
      await killing;
      return true;
    };
  }

  /** A `watch` (or a single step) killed at a chosen point of its conversation with the provider; a new process starts after it. */
  private async killDuringWork(): Promise<void> {
    const job = this.pick(this.jobs);
    const point = this.pick(KILL_POINTS);
    this.note(`kill -9 during a watch of ${job.jobId}, when ${point === 'delay' ? 'a few ms have passed' : `${point} is answered`}`);
    const disarm = this.armKill(point);
    await this.service.engine.run(job.jobId, { signal: AbortSignal.timeout(WATCH_LIMIT_MS) }).catch(() => undefined);
    if (await disarm()) {
      this.note('  killed; a new process starts');
      await this.startProcess();
    } else this.note('  the watch ended before that point; no kill');
  }

  /** A submission killed when the upload, the create or the key check is answered; the next command starts a new process. */
  private async killDuringSubmit(): Promise<void> {
    const fileNo = ++this.fileCount;
    const lines = this.generateLines(fileNo);
    const file = this.writeFile(`input-${fileNo}.jsonl`, lines);
    const point = this.pick(['POST /files', 'POST /batches', 'GET /batches'] as const);
    this.note(`submit input-${fileNo}.jsonl and kill -9 when ${point} is answered: ${this.describeLines(lines)}`);
    const jobsBefore = this.store.index.jobs().map((job) => job.id);
    const preview = await this.service.preview({ file, provider: this.rig.provider, providerSettings: this.rig.settings, outputBuffer: 0.25, failureAlertRate: 0.05 });
    const disarm = this.armKill(point);
    const outcome = await this.service.submit(preview).then(
      (done) => (done.submitted ? 'submitted' : `not submitted: ${oneLine(done.reason)}`),
      (error: unknown) => `threw: ${oneLine((error as Error).message)}`,
    );
    const killed = await disarm();
    if (killed) await this.startProcess();
    const newJobs = this.store.index.jobs().filter((job) => !jobsBefore.includes(job.id));
    this.note(`  ${killed ? 'killed; ' : ''}${newJobs.map((job) => job.id).join(', ') || 'no job'} (${outcome})`);
    for (const job of newJobs) this.adopt(job.id, file, lines);
  }

  private changeFaults(): void {
    const faults: FaultConfig = {};
    const count = this.int(0, 2);
    for (let i = 0; i < count; i++) {
      const roll = this.random();
      if (roll < 0.3) {
        const endpoint = this.pick(FAULT_ROUTES);
        // At most two failures in a row for sync calls: the engine's three attempts get through,
        // so a line without a marker is never condemned by an injected fault.
        const already = (faults.endpointFaults ?? []).some((f) => f.endpoint === endpoint);
        if (!already) faults.endpointFaults = [...(faults.endpointFaults ?? []), { endpoint, times: this.int(1, endpoint === 'POST /chat/completions' ? 2 : 3), status: this.pick([429, 500, 503] as const) }];
      } else if (roll < 0.45) {
        faults.capacityRefusals = this.int(1, 3);
        // Azure's fail-fast regions refuse at create (a 400) instead of failing the batch.
        if (this.chance(0.3)) faults.capacityRefusalFailFast = true;
      }
      else if (roll < 0.58) faults.truncateDownload = this.pick([true, 'short'] as const);
      else if (roll < 0.8) faults.completedWithNullOutput = true;
      else if (roll < 0.92) faults.expireAfterFraction = 0.5;
      else faults.duplicateOutputLines = true;
    }
    this.faults = faults;
    this.note(`faults ${JSON.stringify(faults)}`);
    this.emulator.setFaults(this.providerFaults(faults));
  }

  private switchKey(): void {
    const roll = this.random();
    this.credentials.key = roll < 0.3 ? WRONG_KEY : roll < 0.4 ? '' : RIGHT_KEY;
    this.note(`key → ${this.credentials.key === RIGHT_KEY ? 'right' : this.credentials.key === '' ? 'none' : 'wrong (401)'}`);
  }

  private async retryFailed(): Promise<void> {
    const job = this.pick(this.jobs);
    this.note(`retry-failed ${job.jobId}`);
    const ids = await this.quietly(`retry-failed ${job.jobId}`, () => this.service.retryFailed(job.jobId));
    this.resubmitted(job, ids ?? []);
  }

  /** A resubmission may pay one more sync answer for each item it sends again. */
  private resubmitted(job: FixtureJob, ids: readonly string[]): void {
    if (ids.length > 0) this.count('retry-failed resubmitted something');
    if (ids.length > 0) this.note(`  resubmitted ${ids.join(',')}`);
    for (const id of ids) {
      const line = job.lines.find((l) => l.id === id);
      if (line) this.allowSync(line.text);
    }
  }

  private async cancel(): Promise<void> {
    const job = this.pick(this.jobs);
    this.note(`cancel ${job.jobId}`);
    const row = this.store.index.job(job.jobId);
    if (row && !FINAL_JOB_STATES.has(row.status)) job.everCancelled = true;
    await this.quietly(`cancel ${job.jobId}`, () => this.service.cancel(job.jobId));
  }

  private async resume(): Promise<void> {
    const job = this.pick(this.jobs);
    this.note(`resume ${job.jobId}`);
    await this.quietly(`resume ${job.jobId}`, () => this.service.resume(job.jobId));
  }

  /**
   * "Delete Job…": the job leaves the workspace; the answers later jobs reuse from it must stay
   * readable, and what it cost stays in today's spend (it was paid).
   */
  private async deleteJob(): Promise<void> {
    const job = this.pick(this.jobs);
    const blocker = deleteJobBlocker(this.store, job.jobId);
    this.note(`delete ${job.jobId}${blocker ? ' (refused: batches still run)' : ''}`);
    if (blocker) return;
    const cost = this.store.index.actualCost(job.jobId);
    const reserved = this.store.index.openReservation(job.jobId);
    for (const batch of this.store.index.batches(job.jobId)) if (batch.remoteId !== null) this.deletedRemoteKeys.set(batch.remoteId, batch.key);
    this.note(`  it was ${this.store.index.job(job.jobId)?.status}, had cost ${cost}, with ${reserved} reserved and not settled`);
    await deleteJob(this.store, job.jobId);
    this.jobs.splice(this.jobs.indexOf(job), 1);
    this.deletedCost += cost;
    this.deletedJobs += 1;
    this.deletedOpenReservations += reserved;
  }

  private async resumeUnfinished(): Promise<void> {
    this.note('resume-unfinished (a writing command starts)');
    // A job none of whose work reached the provider waits for the user: no other command sends it.
    const waiting = this.store.index
      .jobs()
      .filter((job) => job.blockedReason?.startsWith('not submitted') && !this.service.engine.reachedProvider(job.id))
      .map((job) => job.id);
    await this.quietly('resumeUnfinished', () => this.service.engine.resumeUnfinished());
    for (const jobId of waiting) {
      // By the batch's tags; where the provider carries none (Anthropic), by the journal's remote ids.
      const sent = this.emulator.batches().filter((batch) => batch.jobId === jobId).length + this.store.index.batches(jobId).filter((b) => b.remoteId !== null).length;
      if (sent > 0 || this.service.engine.reachedProvider(jobId)) this.fail(`${jobId} was never submitted, yet resuming unfinished jobs sent it (${sent} batch(es))`);
    }
  }

  /** Runs a user action or a step; what the provider or a block throws is part of the scenario, logged. */
  private async quietly<T>(what: string, action: () => Promise<T>): Promise<T | undefined> {
    try {
      return await action();
    } catch (error) {
      const kind = error instanceof JobBlocked ? 'blocked' : error instanceof SubmitRefused ? 'refused' : 'error';
      this.count(`${what.split(' ')[0]} → ${kind}`);
      this.note(`  ${what}: ${kind}: ${oneLine((error as Error).message)}`);
      return undefined;
    }
  }

  // ---- the end -----------------------------------------------------------------------------

  /** A good key, a healthy provider, every blocked job resumed, and every job run to its end. */
  async driveToEnd(): Promise<void> {
    this.note('— drive to the end: right key, no faults, resume what is blocked, run every unfinished job');
    this.credentials.key = RIGHT_KEY;
    this.faults = {};
    this.emulator.setFaults({});
    for (let round = 1; round <= 3; round++) {
      for (const jobId of this.unfinishedJobIds()) {
        if (this.store.index.job(jobId)?.blockedReason !== null) {
          this.note(`resume ${jobId} (${oneLine(this.store.index.job(jobId)?.blockedReason ?? '')})`);
          await this.quietly(`resume ${jobId}`, () => this.service.resume(jobId));
        }
        try {
          const job = await this.service.engine.run(jobId, { signal: AbortSignal.timeout(30_000) });
          this.note(`run ${jobId} → ${job.status}`);
        } catch (error) {
          this.fail(`round ${round}: ${jobId} did not run to its end with a good key and no faults: ${oneLine((error as Error).message)}`);
        }
      }
      // A sync call cut off by a kill is dead-lettered rather than paid twice blindly; the user
      // sends it again (retry-failed), which the sync allowance counts.
      let retried = false;
      for (const job of this.jobs) {
        const cutOff = this.store.index
          .items(job.jobId, { states: ['dead_letter'] })
          .filter((item) => /sync call/.test(item.failureMessage ?? '') && /stopped/.test(item.failureMessage ?? ''))
          .map((item) => item.id);
        if (cutOff.length === 0) continue;
        this.note(`retry-failed ${job.jobId} ${cutOff.join(',')} (sync calls cut off by a kill)`);
        const ids = await this.quietly(`retry-failed ${job.jobId}`, () => this.service.retryFailed(job.jobId, cutOff));
        this.resubmitted(job, ids ?? []);
        retried = true;
      }
      if (!retried && this.unfinishedJobIds().length === 0) break;
    }
    for (const jobId of this.unfinishedJobIds()) this.fail(`${jobId} is still ${this.store.index.job(jobId)?.status} after three rounds`);
  }

  async checkInvariants(): Promise<void> {
    // Spend and reservations as a restarted process sees them, too.
    await this.killAndRestart();
    const index = this.store.index;
    const journaled = new Set(index.jobs().map((job) => job.id));
    for (const job of this.jobs) if (!journaled.has(job.jobId)) this.fail(`${job.jobId} (${path.basename(job.file)}) vanished from the workspace`);
    if (journaled.size !== this.jobs.length) this.fail(`the workspace holds ${journaled.size} jobs, the user made ${this.jobs.length}`);

    for (const job of this.jobs) await this.checkJob(job);

    // At most one remote batch per chunk per strike: each intent key reaches the provider once.
    // Every remote batch is one a job journaled (else nobody follows, cancels or collects it: paid
    // for nothing), and its intent is its tags' or, where the provider carries none (Anthropic),
    // the journal's record of it. Deleted jobs' batches count as journaled.
    const intents = new Map(index.jobs().flatMap((job) => index.batches(job.id).map((b) => [b.remoteId, b.key] as const)));
    for (const [remoteId, key] of this.deletedRemoteKeys) intents.set(remoteId, key);
    for (const batch of this.emulator.batches()) {
      if (!intents.has(batch.remoteId)) this.fail(`the provider made batch ${batch.remoteId}${batch.batchKey ? ` (intent ${batch.batchKey})` : ''}, which no job journaled: nobody follows, cancels or collects it`);
    }
    const keys = this.emulator.batches().map((batch) => batch.batchKey ?? intents.get(batch.remoteId) ?? `(not journaled: ${batch.remoteId})`);
    const seen = new Map<string, number>();
    for (const key of keys) seen.set(key, (seen.get(key) ?? 0) + 1);
    for (const [key, times] of seen) if (times > 1) this.fail(`intent ${key} was created ${times} times at the provider`);

    // At most one paid sync call per item per strike, and no call the journal did not see.
    for (const [text, paid] of this.ledger.paid) {
      const allowed = this.syncAllowance.get(text) ?? 0;
      if (paid > allowed) this.fail(`"${text}" was answered (and paid) by ${paid} sync calls, at most ${allowed} allowed`);
    }
    const syncRequests = this.emulator.requests().filter((r) => r.route === 'POST /chat/completions').length;
    if (syncRequests !== this.ledger.calls) this.fail(`the emulator saw ${syncRequests} sync requests for ${this.ledger.calls} sync calls by the engine (hidden retries)`);

    // Settled spend equals what the items cost; no reservation left open.
    const today = new Date().toISOString().slice(0, 10);
    const spend = index.spendSince(today);
    const actual = this.jobs.reduce((sum, job) => sum + index.actualCost(job.jobId), 0) + this.deletedCost;
    if (Math.abs(spend - actual) > 1e-9) this.fail(`spend today ${spend} differs from the items' actual cost ${actual}${this.deletedJobs > 0 ? ` (${this.deletedCost} of it by deleted jobs, which held ${this.deletedOpenReservations} in open reservations when deleted)` : ''}`);
    if (Math.abs(spend - actual) > 1e-9) for (const line of this.spendLedger()) this.note(`  spend: ${line}`);
    for (const job of this.jobs) {
      const open = index.openReservation(job.jobId);
      if (open !== 0) this.fail(`${job.jobId} (${index.job(job.jobId)?.status}) still has ${open} reserved`);
    }
  }

  /**
   * Each job's spend rows (reservations, settlements) beside what its items cost: where spend and
   * cost part. Read from the index's own table (diagnostics only; the journal may be compacted).
   */
  private spendLedger(): string[] {
    const index = this.store.index as unknown as { all(sql: string): Record<string, unknown>[] };
    const byJob = new Map<string, string[]>();
    for (const row of index.all('SELECT seq, job_id, kind, amount FROM spend ORDER BY seq')) {
      const jobId = String(row['job_id']);
      const entries = byJob.get(jobId) ?? [];
      entries.push(`#${String(row['seq'])} ${String(row['kind'])} ${String(row['amount'])}`);
      byJob.set(jobId, entries);
    }
    return [...byJob].map(([jobId, entries]) => {
      const live = this.store.index.job(jobId);
      const state = live ? `${live.status}, items cost ${this.store.index.actualCost(jobId)}, open reservation ${this.store.index.openReservation(jobId)}` : 'deleted';
      return `${jobId} (${state}): ${entries.join(', ')}`;
    });
  }

  private async checkJob(job: FixtureJob): Promise<void> {
    const row = this.store.index.job(job.jobId);
    if (!row) return;
    const name = `${job.jobId} (${path.basename(job.file)})`;
    if (!FINAL_JOB_STATES.has(row.status)) this.fail(`${name} ended ${row.status}, not final`);
    const items = this.store.index.items(job.jobId);
    const records = new Map<string, { state: string; content: string | undefined }>();
    for await (const record of exportResults(this.store, job.jobId, resultParserFor(this.rig.provider))) {
      if (records.has(record.custom_id)) this.fail(`${name}: ${record.custom_id} is exported twice`);
      records.set(record.custom_id, { state: record.state, content: record.content });
    }
    if (items.length !== job.lines.length) this.fail(`${name} has ${items.length} items for ${job.lines.length} lines`);
    for (const line of job.lines) {
      const item = items.find((i) => i.id === line.id);
      const record = records.get(line.id);
      const where = `${name} ${line.id} (${line.duplicateOf ? `duplicate of ${line.duplicateOf}, ` : ''}${line.kind})`;
      if (!item || !record) {
        this.fail(`${where} has no item or no exported result`);
        continue;
      }
      if (!FINAL_ITEM_STATES.has(item.state)) this.fail(`${where} ended ${item.state}, not a final outcome`);
      if (line.duplicateOf !== undefined && item.state !== 'deduped') this.fail(`${where} ended ${item.state}, not deduped`);
      if (line.duplicateOf === undefined && item.state === 'deduped') this.fail(`${where} is deduped but no earlier line of its file repeats it`);
      // The answer reported for a line (its twin's for a duplicate) follows from its marker.
      const expected: readonly string[] =
        line.kind === 'plain' || line.kind === 'fail_once' ? ['succeeded', 'cached'] : ['dead_letter'];
      const allowed = job.everCancelled ? [...expected, 'cancelled'] : expected;
      if (!allowed.includes(record.state)) this.fail(`${where} ended ${record.state}, expected ${allowed.join(' or ')}`);
      if ((record.state === 'succeeded' || record.state === 'cached') && record.content !== `Echo: ${line.text}`)
        this.fail(`${where} ${record.state} but its exported content is ${JSON.stringify(record.content)}, expected ${JSON.stringify(`Echo: ${line.text}`)}`);
    }
    // A job the user let run to the end (its last word was not cancel) leaves nothing cancelled.
    if (row.status !== 'cancelled' && !row.cancelRequested) {
      const stranded = items.filter((item) => item.state === 'cancelled').map((item) => item.id);
      if (stranded.length > 0) this.fail(`${name} ended ${row.status} after a resume but ${stranded.join(',')} stayed cancelled`);
    }
  }
}


function oneLine(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > 200 ? `${flat.slice(0, 200)}…` : flat;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
