// The webview's side of the channel: a typed wrapper over acquireVsCodeApi (which may be called
// once per page), messages from the host checked with the shared zod schema before anything
// reads them, and the ready handshake, sent only once the listener is in place so the host's
// first message cannot arrive before anyone listens.
import type { z } from 'zod';
import { parseMessage } from '../../src/shared/protocol';

interface VsCodeApi {
  postMessage(message: unknown): void;
  getState(): unknown;
  setState(state: unknown): void;
}

declare function acquireVsCodeApi(): VsCodeApi;

export interface HostChannel<Out> {
  post(message: Out): void;
  /** Per-panel UI state VS Code keeps while the panel is hidden (not a place for secrets). */
  getState(): unknown;
  setState(state: unknown): void;
}

export function connectToHost<S extends z.ZodType, Out extends { readonly type: string }>(
  schema: S,
  onMessage: (message: z.infer<S>) => void,
): HostChannel<Out> {
  const api = acquireVsCodeApi();
  window.addEventListener('message', (event: MessageEvent<unknown>) => {
    const message = parseMessage(schema, event.data, (problem) => console.warn(problem));
    if (message !== undefined) onMessage(message);
  });
  api.postMessage({ type: 'ready' });
  return {
    post: (message) => api.postMessage(message),
    getState: () => api.getState(),
    setState: (state) => api.setState(state),
  };
}

/** Request ids for replies: unique within the page's life, which is all they need to be. */
export function newRequestId(): string {
  return crypto.randomUUID();
}
