// The scaffolding every emulator's HTTP front shares: listening on 127.0.0.1 and closing, the
// request log with its onResponse listeners, and the control endpoints under /__emulator/. Each
// emulator supplies its own routes, error bodies and callbacks.

import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { FaultConfigError } from './faultParsing';
import { readBody } from './http';

const MAX_LOG_ENTRIES = 100_000;

/** Every request the emulator saw, with its status filled in once the response has been sent. */
export class RequestLog<Entry extends { status: number }> {
  private entries: Entry[] = [];
  private readonly listeners = new Set<(entry: Entry) => void>();

  /** Logs `entry` now; sets its status and tells the listeners when `res` has been sent. */
  record(entry: Entry, res: ServerResponse): void {
    this.entries.push(entry);
    // Halving keeps a long soak run's memory bounded while keeping the recent history.
    if (this.entries.length > MAX_LOG_ENTRIES) this.entries.splice(0, MAX_LOG_ENTRIES / 2);
    res.once('finish', () => {
      entry.status = res.statusCode;
      for (const listener of this.listeners) listener(entry);
    });
  }

  all(): Entry[] {
    return this.entries.slice();
  }

  clear(): void {
    this.entries = [];
  }

    /** Calls `listener` as each response has been sent, with its log entry; returns the unsubscribe function. */
  onResponse(listener: (entry: Entry) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

export const isControlPath = (pathname: string): boolean => pathname.startsWith('/__emulator/');

/** What the control endpoints and the public handle need from an emulator, whatever its provider. */
export interface EmulatorState<Faults, BatchRecord, Entry extends { status: number }> {
  faults: { get(): Faults; set(config: Faults): void };
  /** Validates a config the way the HTTP route does; throws FaultConfigError on a bad one. */
  parseFaults(input: unknown): Faults;
  log: RequestLog<Entry>;
  /** Every batch created (until reset), oldest first, advanced to now. */
  batches(): BatchRecord[];
  createCalls(): number;
  reset(): void;
}

/** How an emulator answers its control endpoints: its own headers and error bodies. */
export interface ControlReplies {
  /** Bound on the POST /__emulator/faults body. */
  maxBodyBytes: number;
  sendJson(res: ServerResponse, status: number, body: unknown): void;
  /** The emulator's own error body for a bad fault config (400) or an unknown control path (404). */
  sendError(res: ServerResponse, status: 400 | 404, message: string): void;
}

/** GET|POST /__emulator/faults, GET /__emulator/batches|requests|health, POST /__emulator/reset. */
export function handleControl<Faults, BatchRecord, Entry extends { status: number }>(
  method: string,
  pathname: string,
  req: IncomingMessage,
  res: ServerResponse,
  state: EmulatorState<Faults, BatchRecord, Entry>,
  replies: ControlReplies,
): Promise<void> | void {
  const route = `${method} ${pathname}`;
  switch (route) {
    case 'GET /__emulator/health':
      return replies.sendJson(res, 200, { ok: true });
    case 'GET /__emulator/faults':
      return replies.sendJson(res, 200, { faults: state.faults.get() });
    case 'POST /__emulator/faults':
      return readBody(req, replies.maxBodyBytes).then((body) => {
        let parsed: unknown;
        try {
          parsed = JSON.parse(body.toString('utf8') || '{}');
        } catch {
          return replies.sendError(res, 400, 'fault config is not valid JSON');
        }
        try {
          state.faults.set(state.parseFaults(parsed));
        } catch (err) {
          if (err instanceof FaultConfigError) return replies.sendError(res, 400, err.message);
          throw err;
        }
        replies.sendJson(res, 200, { faults: state.faults.get() });
      });
    case 'GET /__emulator/batches':
      return replies.sendJson(res, 200, { batches: state.batches(), createCalls: state.createCalls() });
    case 'GET /__emulator/requests':
      return replies.sendJson(res, 200, { requests: state.log.all() });
    case 'POST /__emulator/reset':
      state.reset();
      return replies.sendJson(res, 200, { ok: true });
    default:
      return replies.sendError(res, 404, `Unknown control endpoint ${route}`);
  }
}

/** What every running emulator offers a test; each provider's handle adds its own URLs and stores. */
export interface EmulatorHandle<Faults, BatchRecord, Entry> {
  /** http://127.0.0.1:PORT */
  url: string;
  /** Replaces the whole fault config and restarts endpoint-fault counters. */
  setFaults(faults: Faults): void;
  /** Every batch created (until reset), oldest first, advanced to now. */
  batches(): BatchRecord[];
  /** Batch create requests that passed auth, including ones answered by an injected fault. */
  createCalls(): number;
  requests(): Entry[];
  /**
   * Calls `listener` as each response (control endpoints included) has been sent, with its log
   * entry; returns the unsubscribe function. Lets a test act at an exact point of a client's
   * conversation, e.g. kill a process the moment its create was answered.
   */
  onResponse(listener: (entry: Entry) => void): () => void;
  /** Drops batches, faults, the request log, the fail-once memory and the counters. */
  reset(): void;
  close(): Promise<void>;
}

export function emulatorHandle<Faults, BatchRecord, Entry extends { status: number }>(
  server: ListeningEmulator,
  state: EmulatorState<Faults, BatchRecord, Entry>,
): EmulatorHandle<Faults, BatchRecord, Entry> {
  return {
    url: server.url,
    // Validated like the HTTP route, so an out-of-range value fails in the test that set it.
    setFaults: (faults) => state.faults.set(state.parseFaults(faults)),
    batches: () => state.batches(),
    createCalls: () => state.createCalls(),
    requests: () => state.log.all(),
    onResponse: (listener) => state.log.onResponse(listener),
    reset: () => state.reset(),
    close: () => server.close(),
  };
}

export interface ListeningEmulator {
  /** http://127.0.0.1:PORT */
  url: string;
  close(): Promise<void>;
}

/**
 * Serves `handle` on 127.0.0.1 (`port` 0 picks a free one). A handler that throws gets
 * `sendInternalError` (the emulator's own 500 body) or, once headers went out, a destroyed socket.
 */
export async function listenEmulator(
  handle: (req: IncomingMessage, res: ServerResponse) => Promise<void>,
  sendInternalError: (res: ServerResponse, message: string) => void,
  options: { port?: number; host?: '127.0.0.1' } = {},
): Promise<ListeningEmulator> {
  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      sendInternalError(res, `Emulator error: ${err instanceof Error ? err.message : String(err)}`);
    });
  });
  // Node closes idle keep-alive sockets after 5 s, racing clients that reuse one just then (seen
  // as ECONNRESET on a 200 MB upload started after a pause). Outliving undici's own 4 s idle
  // timeout leaves closing to the client, which is race-free; close() still ends every socket.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        // The SDKs keep connections alive; without this, close() would wait for them to idle out.
        server.closeAllConnections();
      }),
  };
}
