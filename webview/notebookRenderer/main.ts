// The notebook output renderer: draws a `.llmbatch` cell's output (CELL_OUTPUT_MIME) inside the
// notebook's webview. It only shows and asks: every figure comes from the payload, and every
// button posts a RendererToHost message for the host to act on (and to confirm what spends or
// stops). Built as an ES module (VS Code imports renderers), with text-only DOM (el()): model
// output is shown as text, never markup.
import '../common/zodJitless';
import type { ActivationFunction, OutputItem } from 'vscode-notebook-renderer';
import { cellOutputSchema, hostToRendererSchema } from '../../src/shared/notebookOutputs';
import type { CellOutput, RendererToHost } from '../../src/shared/notebookOutputs';
import { el, replaceChildren } from '../common/el';
import type { PostToHost } from './buttons';
import { renderJob } from './renderJob';
import { renderRequests } from './renderRequests';
import { renderResults } from './renderResults';
import { installStyles } from './styles';

export const activate: ActivationFunction = (context) => {
  const post: PostToHost = context.postMessage ? (message: RendererToHost) => context.postMessage?.(message) : undefined;
  /** The elements showing each job: the host's updates redraw them (a finished job runs again after a resubmission). */
  const showing = new Map<string, Set<HTMLElement>>();
  context.onDidReceiveMessage?.((message: unknown) => {
    const update = hostToRendererSchema.safeParse(message);
    if (!update.success) return;
    const { output } = update.data;
    for (const element of showing.get(output.jobId ?? '') ?? []) {
      if (!element.isConnected) continue;
      replaceChildren(element, renderOutputSafely(output, post));
    }
  });
  return {
    renderOutputItem(item: OutputItem, element: HTMLElement): void {
      installStyles(element);
      const { node, output } = renderItem(item, post);
      replaceChildren(element, node);
      if (output?.kind === 'job' && output.jobId !== undefined) {
        const elements = showing.get(output.jobId) ?? new Set<HTMLElement>();
        elements.add(element);
        showing.set(output.jobId, elements);
        // An unfinished job: ask the host to keep this output up to date.
        if (!output.final) post?.({ type: 'watchJob', jobId: output.jobId });
      }
    },
    disposeOutputItem(id?: string): void {
      // The elements are checked with isConnected on each update; a cleared output drops out then.
      if (id === undefined) showing.clear();
    },
  };
};

function renderOutputSafely(output: CellOutput, post: PostToHost): HTMLElement {
  try {
    return renderOutput(output, post);
  } catch (error) {
    return problem(`This output cannot be shown: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** The output's DOM (and the output it shows), or a short error in its place: a bad payload never breaks the notebook. */
function renderItem(item: OutputItem, post: PostToHost): { node: HTMLElement; output?: CellOutput } {
  let payload: unknown;
  try {
    payload = item.json();
  } catch {
    return { node: problem('This output is not valid JSON.') };
  }
  const parsed = cellOutputSchema.safeParse(payload);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue && issue.path.length > 0 ? ` (at ${issue.path.map(String).join('.')})` : '';
    return { node: problem(`This output cannot be shown: ${issue?.message ?? 'unexpected shape'}${where}. Run the cell again.`) };
  }
  return { node: renderOutputSafely(parsed.data, post), output: parsed.data };
}

function renderOutput(output: CellOutput, post: PostToHost): HTMLElement {
  switch (output.kind) {
    case 'requests':
      return renderRequests(output);
    case 'job':
      return renderJob(output, post);
    case 'results':
      return renderResults(output, post);
  }
}

function problem(message: string): HTMLElement {
  return el('div', { className: 'llmb-output' }, el('p', { className: 'llmb-error', attrs: { role: 'alert', 'data-testid': 'output-error' } }, message));
}
