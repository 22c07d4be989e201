// Every provider call of an adapter, logged once at the seam for all six providers: the method,
// the batch or request it was about (batch key, URL path, remote id, custom id), how it ended
// (the remote state, the HTTP status or error code) and how long it took. Only those: never an
// argument's content, a request line, an answer or an error's message, which may quote a prompt
// or a key ("Incorrect API key provided: sk-…"), so what reaches the log is safe to share.
import type { BatchProvider, BatchSubmission, FoundBatch, RemoteBatch, SyncOutcome } from './batchProvider';

export type CallLogLevel = 'debug' | 'info';
export type CallLogSink = (level: CallLogLevel, message: string) => void;

/** The adapter with each call logged at debug level (see above); `now` for tests. */
export function withCallLog(adapter: BatchProvider, log: CallLogSink, now: () => number = Date.now): BatchProvider {
  const logged =
    <A extends unknown[], R>(method: string, call: (...args: A) => Promise<R>, about: (...args: A) => string, outcome: (result: R) => string) =>
    async (...args: A): Promise<R> => {
      const started = now();
      const subject = safe(() => about(...args));
      try {
        const result = await call.apply(adapter, args);
        log('debug', line(method, subject, safe(() => outcome(result)), now() - started));
        return result;
      } catch (error) {
        log('debug', line(method, subject, `failed (${errorSummary(error)})`, now() - started));
        throw error;
      }
    };
  return {
    ...adapter,
    verifyAccess: logged('verifyAccess', adapter.verifyAccess, () => '', () => 'ok'),
    stage: logged('stage', adapter.stage, submissionText, (ref) => (ref === undefined ? 'ok, nothing to stage' : 'ok, staged')),
    create: logged('create', adapter.create, (submission) => submissionText(submission), remoteText),
    findCreated: logged('findCreated', adapter.findCreated, (submission) => submissionText(submission), foundText),
    retrieve: logged('retrieve', adapter.retrieve, (remoteId) => token(remoteId), remoteText),
    cancel: logged('cancel', adapter.cancel, (remoteId) => token(remoteId), remoteText),
    fetchResults: logged('fetchResults', adapter.fetchResults, (remote) => token(remote.remoteId), (kinds) => `ok, ${kinds.length > 0 ? kinds.join(' and ') : 'no files'}`),
    readInput: logged('readInput', adapter.readInput, (remote) => token(remote.remoteId), () => 'ok'),
    callSync: logged('callSync', adapter.callSync, (call) => `${token(call.endpoint)} ${token(call.customId)}`, syncText),
    async *list(signal) {
      const started = now();
      let count = 0;
      try {
        for await (const remote of adapter.list(signal)) {
          count++;
          yield remote;
        }
        log('debug', line('list', '', `ok, ${count} batch(es)`, now() - started));
      } catch (error) {
        log('debug', line('list', '', `failed after ${count} batch(es) (${errorSummary(error)})`, now() - started));
        throw error;
      }
    },
  };

  function line(method: string, subject: string, result: string, ms: number): string {
    return `${adapter.id} ${method}${subject ? ` ${subject}` : ''}: ${result}, ${ms} ms`;
  }
}

/** "job-1.s0.b1 /v1/chat/completions" */
function submissionText(submission: BatchSubmission): string {
  return `${token(submission.tags.batchKey)} ${token(submission.endpoint)}`.trim();
}

/** "batch_abc in_progress (in_progress) 3/10 done" */
function remoteText(remote: RemoteBatch): string {
  const raw = remote.rawStatus !== remote.state ? ` (${token(remote.rawStatus)})` : '';
  return `${token(remote.remoteId)} ${remote.state}${raw}, ${remote.counts.completed + remote.counts.failed}/${remote.counts.total} done`;
}

function foundText(found: FoundBatch): string {
  if (found.kind === 'found') return `found ${remoteText(found.remote)}`;
  if (found.kind === 'none') return 'none found';
  return `ambiguous: ${found.candidates.map(token).join(', ')}`;
}

/** The outcome without its message or content: ok, or the status and class. */
function syncText(outcome: SyncOutcome): string {
  if (outcome.ok) return 'ok';
  const status = outcome.httpStatus === undefined ? '' : `status ${outcome.httpStatus}`;
  return ['failed', status, token(outcome.failureClass), token(outcome.code ?? '')].filter(Boolean).join(', ');
}

/** What of an error is safe to log: its name, HTTP status and code — never its message. */
export function errorSummary(error: unknown): string {
  if (!(error instanceof Error)) return typeof error;
  const fields = error as Error & { status?: unknown; code?: unknown };
  const parts = [token(error.name)];
  if (typeof fields.status === 'number') parts.push(`status ${fields.status}`);
  if (typeof fields.code === 'string' || typeof fields.code === 'number') parts.push(`code ${token(String(fields.code))}`);
  return parts.filter(Boolean).join(', ');
}

/**
 * An identifier-like value (a remote id, a batch key, a path, a code) as logged: printable,
 * short, and never something that looks like a credential. Anything else is dropped.
 */
function token(value: string | undefined): string {
  if (value === undefined) return '';
  const clean = value.replace(/[^\w./:@-]/g, '?').slice(0, 160);
  return looksLikeSecret(clean) ? '[redacted]' : clean;
}

/** API keys and tokens as the six providers issue them (sk-…, AIza…, AKIA…, long opaque strings). */
function looksLikeSecret(value: string): boolean {
  return /(^|[^a-z])(sk|pk|rk)-[\w-]{8,}/i.test(value) || /AIza[\w-]{20,}/.test(value) || /A[KS]IA[A-Z0-9]{12,}/.test(value) || /[A-Za-z0-9+/]{40,}/.test(value);
}

function safe(describe: () => string): string {
  try {
    return describe();
  } catch {
    return '';
  }
}
