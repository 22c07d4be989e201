// One Bedrock model invocation job (spec §5.1–§5.3), its state computed lazily from elapsed
// (scaled) time on every read, so the emulator owns no timers. Validation reads the input from the
// emulated S3 at the end of Validating; the output objects (`<outputUri><jobId>/<input>.out` and
// `manifest.json.out`) are written once, when the job ends after having run.

import path from 'node:path';
import { processingOrder } from '../shared/order';
import { isJsonObject } from '../shared/content';
import type { Json, JsonObject } from '../shared/content';
import { runBedrockModel } from './fakeBedrockModel';
import type { JobFaults } from './faults';
import { parseS3Uri } from './s3Store';
import type { S3Store } from './s3Store';

export interface BedrockTimeScale {
  submittedMs: number;
  validatingMs: number;
  scheduledMs: number;
  inProgressMs: number;
  stoppingMs: number;
}

export type JobStatus = 'Submitted' | 'Validating' | 'Scheduled' | 'InProgress' | 'Completed' | 'PartiallyCompleted' | 'Failed' | 'Stopping' | 'Stopped' | 'Expired';

const TERMINAL: ReadonlySet<JobStatus> = new Set(['Completed', 'PartiallyCompleted', 'Failed', 'Stopped', 'Expired']);
const STOPPABLE: ReadonlySet<JobStatus> = new Set(['Submitted', 'Validating', 'Scheduled', 'InProgress']);

export interface JobInit {
  jobArn: string;
  /** The last ARN segment: 12 lowercase alphanumerics; also the output subfolder's name. */
  jobId: string;
  jobName: string;
  modelId: string;
  roleArn: string;
  clientRequestToken: string;
  inputUri: string;
  outputUri: string;
  modelInvocationType: 'InvokeModel' | 'Converse';
  tags: { key: string; value: string }[];
  timeoutDurationInHours: number;
  submitMs: number;
  faults: JobFaults;
  timeScale: BedrockTimeScale;
}

interface InputRecord {
  recordId: string;
  modelInput: JsonObject;
  /** The input object the record came from: its output goes to `<that name>.out`. */
  inputKey: string;
}

const ALNUM = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

/** Bedrock's generated recordId for a line without one: "11 character alphanumeric string" [doc:br]. */
function generatedRecordId(seq: number): string {
  let out = '';
  let n = seq + 1;
  for (let i = 0; i < 11; i++) {
    out = (ALNUM[n % ALNUM.length] ?? 'a') + out;
    n = Math.floor(n / ALNUM.length);
  }
  return out;
}

const iso = (ms: number): string => new Date(ms).toISOString();

export class InvocationJob {
  readonly init: JobInit;
  status: JobStatus = 'Submitted';
  message: string | undefined;
  /** createCalls() when the job was made (3: the third create request made it). */
  createAttempt = 0;
  private lastModifiedMs: number;
  private endMs: number | undefined;
  private validated = false;
  private records: InputRecord[] = [];
  private order: Uint32Array = new Uint32Array(0);
  private processed = 0;
  private successCount = 0;
  private errorCount = 0;
  private inputTokens = 0;
  private outputTokens = 0;
  private readonly outputLines = new Map<string, string[]>();
  private stopAtMs: number | null = null;
  private ran = false;

  constructor(
    init: JobInit,
    private readonly s3: S3Store,
    private readonly failedOnce: Set<string>,
  ) {
    this.init = init;
    this.lastModifiedMs = init.submitMs;
  }

  isTerminal(): boolean {
    return TERMINAL.has(this.status);
  }

  private set(status: JobStatus, atMs: number): void {
    if (this.status === status) return;
    this.status = status;
    this.lastModifiedMs = atMs;
    if (TERMINAL.has(status)) this.endMs = atMs;
  }

  /** Brings the state up to `nowMs`. Idempotent; every read calls it first. */
  advance(nowMs: number): void {
    if (this.isTerminal()) return;
    const t = this.init.timeScale;
    if (this.stopAtMs !== null) {
      const stoppedAt = this.stopAtMs + t.stoppingMs;
      if (nowMs >= stoppedAt) this.finish('Stopped', stoppedAt);
      return;
    }
    const validatingAt = this.init.submitMs + t.submittedMs;
    if (nowMs < validatingAt) return;
    const scheduledAt = validatingAt + t.validatingMs;
    if (nowMs < scheduledAt) return this.set('Validating', validatingAt);
    if (!this.validated) this.validate();
    if (this.message !== undefined) {
      this.set('Failed', scheduledAt);
      return;
    }
    const inProgressAt = scheduledAt + t.scheduledMs;
    const fraction = this.init.faults.expireAfterFraction;
    if (fraction === 0 && nowMs >= inProgressAt) {
      // The timeout struck while the job waited in the queue: it never started (spec §5.1).
      this.message = 'The job expired before it started: it was scheduled but did not begin before its timeout.';
      this.set('Expired', inProgressAt);
      return;
    }
    if (nowMs < inProgressAt) return this.set('Scheduled', scheduledAt);
    this.ran = true;
    const n = this.records.length;
    if (fraction !== null && fraction > 0) {
      const timeoutAt = inProgressAt + t.inProgressMs * fraction;
      if (nowMs >= timeoutAt) {
        this.processUpTo(Math.floor(n * fraction));
        this.message = 'The job timed out before every record was processed.';
        this.finish('PartiallyCompleted', timeoutAt);
        return;
      }
    }
    const endAt = inProgressAt + t.inProgressMs;
    if (nowMs < endAt) {
      this.set('InProgress', inProgressAt);
      this.processUpTo(t.inProgressMs > 0 ? Math.floor((n * (nowMs - inProgressAt)) / t.inProgressMs) : n);
      return;
    }
    this.processUpTo(n);
    this.finish('Completed', endAt);
  }

  /** StopModelInvocationJob; returns the status that forbids it when the job cannot be stopped. */
  stop(nowMs: number): { ok: true } | { ok: false; status: JobStatus } {
    this.advance(nowMs);
    if (this.status === 'Stopping') return { ok: true };
    if (!STOPPABLE.has(this.status)) return { ok: false, status: this.status };
    this.stopAtMs = nowMs;
    this.set('Stopping', nowMs);
    return { ok: true };
  }

  private fail(message: string): void {
    this.message = message;
  }

  private validate(): void {
    this.validated = true;
    const f = this.init.faults;
    if (f.failValidation) return this.fail('Emulated validation failure (failValidation fault): the input data could not be validated.');
    const input = parseS3Uri(this.init.inputUri);
    if (input === null) return this.fail(`Invalid input S3 URI: ${this.init.inputUri}`);
    // An s3Uri names one .jsonl object or a folder of them [doc:br].
    const single = this.s3.get(input.bucket, input.key);
    const keys = single ? [input.key] : this.s3.keys(input.bucket, input.key.endsWith('/') || input.key === '' ? input.key : `${input.key}/`).filter((k) => k.endsWith('.jsonl'));
    if (keys.length === 0) return this.fail(`Unable to find any input data at ${this.init.inputUri}. Check the S3 location and that the service role can read it.`);
    const records: InputRecord[] = [];
    for (const key of keys) {
      if (!key.endsWith('.jsonl')) return this.fail(`The input file s3://${input.bucket}/${key} does not have the .jsonl extension.`);
      const data = this.s3.get(input.bucket, key)?.data ?? Buffer.alloc(0);
      const lines = data.toString('utf8').split('\n');
      for (let i = 0; i < lines.length; i++) {
        const text = (lines[i] ?? '').trim();
        if (text === '') continue;
        let parsed: unknown;
        try {
          parsed = JSON.parse(text);
        } catch {
          return this.fail(`The input file s3://${input.bucket}/${key} has a record that is not valid JSON at line ${i + 1}.`);
        }
        if (!isJsonObject(parsed) || !isJsonObject(parsed['modelInput'])) {
          return this.fail(`The input file s3://${input.bucket}/${key} has a record without a modelInput object at line ${i + 1}.`);
        }
        const recordId = parsed['recordId'];
        records.push({ recordId: typeof recordId === 'string' && recordId !== '' ? recordId : generatedRecordId(records.length), modelInput: parsed['modelInput'], inputKey: key });
      }
    }
    // Wording chosen by the emulator (unverified): the real message for an undersized job is not documented.
    if (records.length < f.minRecords) {
      return this.fail(`Batch job ${this.init.jobArn} contains less records (${records.length}) than the required minimum of: ${f.minRecords}`);
    }
    if (records.length > f.maxRecords) {
      return this.fail(`Batch job ${this.init.jobArn} contains more records (${records.length}) than the allowed maximum of: ${f.maxRecords}`);
    }
    this.records = records;
    this.order = processingOrder(records.length, this.init.jobId, f.ordered);
  }

  private processUpTo(target: number): void {
    const end = Math.min(target, this.records.length);
    for (; this.processed < end; this.processed++) {
      const record = this.records[this.order[this.processed] ?? 0];
      if (record) this.runRecord(record);
    }
  }

  private runRecord(record: InputRecord): void {
    const f = this.init.faults;
    let line: JsonObject;
    const forced = Object.hasOwn(f.itemErrors, record.recordId) ? f.itemErrors[record.recordId] : undefined;
    if (forced) {
      line = { recordId: record.recordId, modelInput: record.modelInput, error: { errorCode: forced.errorCode, errorMessage: forced.errorMessage ?? `Emulated record failure (${forced.errorCode}).` } };
    } else {
      const outcome = runBedrockModel(this.init.modelId, record.modelInput, this.init.modelInvocationType === 'Converse', {
        failedOnce: this.failedOnce,
        emptyContent: f.emptyContent,
        nonJsonContent: f.nonJsonContent,
      });
      if (outcome.ok) {
        line = { recordId: record.recordId, modelInput: record.modelInput, modelOutput: outcome.body };
        this.inputTokens += outcome.inputTokens;
        this.outputTokens += outcome.outputTokens;
      } else {
        line = { recordId: record.recordId, modelInput: record.modelInput, error: { errorCode: outcome.error.status, errorMessage: outcome.error.message } };
      }
    }
    if ('error' in line) this.errorCount++;
    else this.successCount++;
    let lines = this.outputLines.get(record.inputKey);
    if (!lines) {
      lines = [];
      this.outputLines.set(record.inputKey, lines);
    }
    lines.push(JSON.stringify(line));
  }

  /** The folder the output objects go to: `<outputUri><jobId>/`. */
  outputFolder(): { bucket: string; prefix: string } | null {
    const out = parseS3Uri(this.init.outputUri);
    if (out === null) return null;
    const base = out.key === '' || out.key.endsWith('/') ? out.key : `${out.key}/`;
    return { bucket: out.bucket, prefix: `${base}${this.init.jobId}/` };
  }

  private finish(status: 'Completed' | 'PartiallyCompleted' | 'Stopped', atMs: number): void {
    this.set(status, atMs);
    if (!this.ran) return;
    const folder = this.outputFolder();
    if (folder === null) return;
    const inputKeys = new Set(this.records.map((r) => r.inputKey));
    for (const key of inputKeys) {
      const lines = this.outputLines.get(key) ?? [];
      this.s3.put(folder.bucket, `${folder.prefix}${path.posix.basename(key)}.out`, Buffer.from(lines.length > 0 ? `${lines.join('\n')}\n` : '', 'utf8'), atMs);
    }
    const manifest = {
      totalRecordCount: this.records.length,
      processedRecordCount: this.processed,
      successRecordCount: this.successCount,
      errorRecordCount: this.errorCount,
      inputTokenCount: this.inputTokens,
      outputTokenCount: this.outputTokens,
    };
    this.s3.put(folder.bucket, `${folder.prefix}manifest.json.out`, Buffer.from(`${JSON.stringify(manifest)}\n`, 'utf8'), atMs);
    this.outputLines.clear();
  }

  /** The GetModelInvocationJob response (and, trimmed of nothing, the list summary). Timestamps are RFC 3339 strings (§5.1 trap). */
  toJSON(): JsonObject {
    const i = this.init;
    const out: { [key: string]: Json } = {
      jobArn: i.jobArn,
      jobName: i.jobName,
      modelId: i.modelId,
      clientRequestToken: i.clientRequestToken,
      roleArn: i.roleArn,
      status: this.status,
      submitTime: iso(i.submitMs),
      lastModifiedTime: iso(this.lastModifiedMs),
      inputDataConfig: { s3InputDataConfig: { s3Uri: i.inputUri, s3InputFormat: 'JSONL' } },
      outputDataConfig: { s3OutputDataConfig: { s3Uri: i.outputUri } },
      timeoutDurationInHours: i.timeoutDurationInHours,
      jobExpirationTime: iso(i.submitMs + i.timeoutDurationInHours * 3_600_000),
      modelInvocationType: i.modelInvocationType,
    };
    if (this.message !== undefined) out['message'] = this.message;
    if (this.endMs !== undefined) out['endTime'] = iso(this.endMs);
    if (this.validated && this.status !== 'Failed') {
      out['totalRecordCount'] = this.records.length;
      out['processedRecordCount'] = this.processed;
      out['successRecordCount'] = this.successCount;
      out['errorRecordCount'] = this.errorCount;
    }
    return out;
  }
}
