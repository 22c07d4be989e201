// The renderer's buttons: real <button>s (focusable, Enter and Space work) that post one
// RendererToHost message each. Without a messaging channel (context.postMessage is optional for
// a renderer) there is nobody to ask, so no button is drawn at all.
import type { RendererToHost } from '../../src/shared/notebookOutputs';
import { el } from '../common/el';

/** Sends a message to the extension host; undefined when the renderer has no messaging. */
export type PostToHost = ((message: RendererToHost) => void) | undefined;

export interface ButtonOptions {
  /** What a screen reader says when the label alone is ambiguous ("Open item row-7"). */
  readonly ariaLabel?: string;
  readonly secondary?: boolean;
  /** Stable name for tests and styling (data-action). */
  readonly action: string;
}

export function hostButton(post: PostToHost, label: string, message: RendererToHost, options: ButtonOptions): HTMLButtonElement | null {
  if (!post) return null;
  return el(
    'button',
    {
      className: options.secondary ? 'llmb-button llmb-secondary' : 'llmb-button',
      attrs: { type: 'button', 'data-action': options.action, 'aria-label': options.ariaLabel },
      on: { click: () => post(message) },
    },
    label,
  );
}
