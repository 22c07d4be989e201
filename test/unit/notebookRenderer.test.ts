/// <reference lib="dom" />
// The notebook output renderer, run against linkedom (a DOM in plain Node): each payload kind is
// rendered the way VS Code calls the renderer, and the tests read what a user reads — numbers,
// words, which buttons appear when and what they ask of the host. Model text must stay text.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { parseHTML } from 'linkedom';
import type { OutputItem, RendererApi, RendererContext } from 'vscode-notebook-renderer';
import type { CellOutput, JobOutput, RendererToHost, ResultRow } from '../../src/shared/notebookOutputs';
import type * as MainModule from '../../webview/notebookRenderer/main';
import type * as TextModule from '../../webview/notebookRenderer/outputText';

const HOSTILE = '<img src=x onerror=alert(1)>';

let document: Document;
let activate: typeof MainModule.activate;
let text: typeof TextModule;

before(async () => {
  const dom = parseHTML('<!DOCTYPE html><html><head></head><body></body></html>');
  document = dom.document as unknown as Document;
  // el() and the stylesheet use the page's global document, as they do in the notebook webview.
  Object.assign(globalThis, { document });
  ({ activate } = await import('../../webview/notebookRenderer/main'));
  text = await import('../../webview/notebookRenderer/outputText');
});

/**
 * A renderer as VS Code activates it, with or without the messaging channel: `sent` has the
 * buttons' messages, `watched` the jobs it asked the host to keep up to date, `fromHost` plays the host.
 */
function renderer(messaging: boolean): { api: RendererApi; sent: RendererToHost[]; watched: string[]; fromHost: (message: unknown) => void } {
  const sent: RendererToHost[] = [];
  const watched: string[] = [];
  const listeners: ((message: unknown) => void)[] = [];
  const context: RendererContext<unknown> = {
    setState: () => undefined,
    getState: () => undefined,
    getRenderer: async () => undefined,
    workspace: { isTrusted: true },
    ...(messaging
      ? {
          postMessage: (message: unknown) => {
            const typed = message as RendererToHost;
            if (typed.type === 'watchJob') watched.push(typed.jobId);
            else sent.push(typed);
          },
          onDidReceiveMessage: (listener: (message: unknown) => void) => {
            listeners.push(listener);
            return { dispose: () => undefined };
          },
        }
      : {}),
  };
  const api = activate(context);
  assert.ok(api && !(api instanceof Promise), 'activate returns the renderer at once');
  return { api, sent, watched, fromHost: (message) => listeners.forEach((listener) => listener(message)) };
}

function outputItem(json: () => unknown): OutputItem {
  return {
    id: 'output-1',
    mime: 'application/vnd.llm-batch.cell+json',
    text: () => JSON.stringify(json()),
    json,
    data: () => new Uint8Array(),
    blob: () => {
      throw new Error('not used');
    },
    metadata: undefined,
  };
}

function render(payload: unknown, messaging = true): { element: HTMLElement; sent: RendererToHost[]; watched: string[]; fromHost: (message: unknown) => void } {
  const { api, sent, watched, fromHost } = renderer(messaging);
  const element = document.createElement('div');
  document.body.appendChild(element);
  void api.renderOutputItem(outputItem(() => payload), element, new AbortController().signal);
  return { element, sent, watched, fromHost };
}

function textOf(root: ParentNode, selector: string): string {
  const node = root.querySelector(selector);
  assert.ok(node, `${selector} is drawn`);
  return (node.textContent ?? '').replace(/\s+/g, ' ').trim();
}

function buttons(root: ParentNode): string[] {
  return [...root.querySelectorAll('button')].map((button) => button.textContent ?? '');
}

function row(overrides: Partial<ResultRow> = {}): ResultRow {
  return { id: 'row-1', line: 1, state: 'succeeded', input: 'Summarise: apples', output: 'Apples are fruit.', cost: 0.0012, ...overrides };
}

const runningJob: JobOutput = {
  kind: 'job',
  headline: 'Waiting for the provider',
  notes: ['Inputs changed since job j-old: this is a new job'],
  provider: 'openai',
  model: 'gpt-4o-mini',
  mode: 'batch',
  jobId: 'j-42',
  progress: {
    status: 'running',
    counts: { succeeded: 12, failed: 1, dead_letter: 1, queued: 2, submitted: 1, cached: 2, deduped: 1 },
    total: 20,
    done: 16,
    spent: 0.004,
    estimate: 0.01,
    alert: 'Spend passed 80% of the budget',
  },
  failures: [{ failureClass: 'rate_limit', count: 2, example: 'Too many requests' }],
  rows: [row(), row({ id: 'row-2', line: 2, state: 'failed', output: 'Too many requests', failureClass: 'rate_limit', cost: 0 })],
  final: false,
};

describe('notebook renderer: requests output', () => {
  it('says how many requests went to which file, the skipped rows with why, and the first requests', () => {
    const { element } = render({
      kind: 'requests',
      file: 'out/requests.jsonl',
      count: 1234,
      skipped: [{ row: 7, message: 'empty placeholder {{question}}' }],
      sample: [{ id: 'req-1', text: 'System: be brief\nUser: What is 2+2?' }],
    } satisfies CellOutput);
    assert.equal(textOf(element, '[data-testid="requests-headline"]'), 'Built 1,234 requests → out/requests.jsonl');
    assert.equal(textOf(element, '[data-testid="requests-skipped"] .llmb-section-title'), 'Skipped 1 row:');
    assert.equal(textOf(element, '[data-testid="requests-skipped"] li'), 'Row 7: empty placeholder {{question}}');
    const sample = element.querySelector('[data-testid="request-sample"]');
    assert.equal(sample?.getAttribute('data-request-id'), 'req-1');
    assert.equal(sample?.querySelector('pre')?.textContent, 'System: be brief\nUser: What is 2+2?', 'the text keeps its line breaks');
  });

  it('leaves out the skipped list when no row was skipped', () => {
    const { element } = render({ kind: 'requests', file: 'r.jsonl', count: 1, skipped: [], sample: [] } satisfies CellOutput);
    assert.equal(textOf(element, '[data-testid="requests-headline"]'), 'Built 1 request → r.jsonl');
    assert.equal(element.querySelector('[data-testid="requests-skipped"]'), null);
  });
});

describe('notebook renderer: a job followed by the host', () => {
  it('asks the host to keep an unfinished job up to date and redraws on each update, also after the end (a resubmission)', () => {
    const { element, watched, fromHost } = render(runningJob);
    assert.deepEqual(watched, ['j-42']);
    fromHost({ type: 'jobOutput', output: { ...runningJob, headline: 'Still going', progress: { ...runningJob.progress, done: 18 } } });
    assert.equal(textOf(element, '[data-testid="job-headline"]'), 'Still going');
    assert.equal(element.querySelector('[data-testid="job-progress"] progress')?.getAttribute('value'), '18');
    // Another job's update, or a message that is not one, leaves it alone.
    fromHost({ type: 'jobOutput', output: { ...runningJob, jobId: 'j-other', headline: 'Not this one' } });
    fromHost({ type: 'jobOutput', output: { headline: HOSTILE } });
    assert.equal(textOf(element, '[data-testid="job-headline"]'), 'Still going');
    fromHost({ type: 'jobOutput', output: { ...runningJob, headline: 'Finished', final: true } });
    assert.equal(element.querySelector('[data-testid="job-output"]')?.getAttribute('data-final'), 'true');
    // Resubmitted from the output: the job runs again, and the same output follows it.
    fromHost({ type: 'jobOutput', output: { ...runningJob, headline: 'Resubmitted' } });
    assert.equal(textOf(element, '[data-testid="job-headline"]'), 'Resubmitted');
  });

  it('asks nothing for a finished job, or without a messaging channel', () => {
    assert.deepEqual(render({ ...runningJob, final: true }).watched, []);
    assert.deepEqual(render(runningJob, false).watched, []);
  });
});

describe('notebook renderer: job output', () => {
  it('shows the cost preview figures, the saving and the blockers, and no job buttons before there is a job', () => {
    const { element } = render({
      kind: 'job',
      headline: 'Ready to submit',
      notes: [],
      provider: 'anthropic',
      mode: 'batch',
      preview: {
        items: 12000,
        valid: 11990,
        invalid: 10,
        duplicates: 3,
        cached: 4,
        inputTokens: 1234567,
        outputTokens: 89000,
        expected: 0.5,
        max: 1.25,
        naiveSync: 1,
        complete: true,
        blockers: ['Budget: $1.25 would pass the $1.00 left'],
      },
      final: false,
    } satisfies CellOutput);
    const figure = (key: string) => textOf(element, `[data-figure="${key}"] dd`);
    assert.equal(figure('items'), '12,000');
    assert.equal(figure('valid'), '11,990');
    assert.equal(figure('invalid'), '10');
    assert.equal(figure('duplicates'), '3');
    assert.equal(figure('cached'), '4');
    assert.equal(figure('input-tokens'), '1,234,567');
    assert.equal(figure('output-tokens'), '89,000');
    assert.equal(figure('expected'), '$0.5000');
    assert.equal(figure('max'), '$1.25');
    assert.equal(figure('saving'), '$0.5000 (50%)');
    assert.equal(textOf(element, '[data-testid="cost-blockers"] li'), 'Budget: $1.25 would pass the $1.00 left');
    assert.equal(textOf(element, '[data-testid="job-meta"]'), 'anthropic · batch');
    assert.deepEqual(buttons(element), []);
  });

  it('shows progress, counts in the user’s words, spend and the alert, with the running job’s buttons', () => {
    const { element, sent } = render(runningJob);
    assert.equal(textOf(element, '[data-testid="job-headline"]'), 'Waiting for the provider');
    assert.equal(textOf(element, '[data-testid="job-notes"]'), 'Inputs changed since job j-old: this is a new job');
    assert.equal(textOf(element, '[data-testid="job-meta"]'), 'openai · gpt-4o-mini · batch · job j-42');
    const bar = element.querySelector('[data-testid="job-progress"] progress');
    assert.equal(bar?.getAttribute('value'), '16');
    assert.equal(bar?.getAttribute('max'), '20');
    assert.equal(textOf(element, '[data-testid="progress-text"]'), '16 of 20 items done');
    const chips = [...element.querySelectorAll('[data-testid="state-counts"] li')].map((chip) => chip.textContent);
    assert.deepEqual(chips, ['12 succeeded', '1 failed', '1 dead-lettered', '3 waiting', '2 cached', '1 duplicate']);
    assert.equal(textOf(element, '[data-testid="job-spend"]'), 'Spent $0.0040 of about $0.0100');
    assert.equal(textOf(element, '[data-testid="job-alert"]'), 'Spend passed 80% of the budget');
    assert.deepEqual(buttons(element.querySelector('[data-testid="job-actions"]') as Element), [
      'Cancel Job',
      'Resubmit Failed',
      'Export JSONL',
      'Export CSV',
      'Show in Jobs View',
    ]);
    for (const button of element.querySelectorAll('[data-testid="job-actions"] button')) (button as HTMLButtonElement).click();
    assert.deepEqual(sent, [
      { type: 'cancelJob', jobId: 'j-42' },
      { type: 'resubmitFailed', jobId: 'j-42' },
      { type: 'exportResults', jobId: 'j-42', format: 'jsonl' },
      { type: 'exportResults', jobId: 'j-42', format: 'csv' },
      { type: 'revealJob', jobId: 'j-42' },
    ]);
  });

  it('lists failures by class with an example and asks the host to inspect them', () => {
    const { element, sent } = render(runningJob);
    assert.equal(textOf(element, '[data-failure-class="rate_limit"]'), 'rate_limit: 2 items — e.g. “Too many requests”');
    (element.querySelector('[data-action="inspectFailures"]') as HTMLButtonElement).click();
    assert.deepEqual(sent, [{ type: 'inspectFailures', jobId: 'j-42' }]);
  });

  it('shows the rows with a failed row’s error, and opens an item from its row', () => {
    const { element, sent } = render(runningJob);
    const table = element.querySelector('[data-testid="job-rows"]');
    assert.ok(table?.parentElement?.classList.contains('llmb-table-scroll'), 'the table scrolls sideways in a narrow editor');
    assert.equal(textOf(table as Element, 'caption'), 'Rows of job j-42: first 2 of 20 items');
    const rows = [...element.querySelectorAll('[data-testid="job-rows"] [data-testid="result-row"]')];
    assert.deepEqual(
      rows.map((tr) => [...tr.querySelectorAll('td[data-column]')].map((td) => td.textContent)),
      [
        ['row-1', 'succeeded', 'Summarise: apples', 'Apples are fruit.', '$0.0012'],
        ['row-2', 'failed', 'Summarise: apples', 'rate_limit: Too many requests', '$0.00'],
      ],
    );
    assert.ok(rows[1]?.querySelector('td[data-column="output"]')?.classList.contains('llmb-error'));
    (rows[1]?.querySelector('[data-action="openItem"]') as HTMLButtonElement).click();
    assert.deepEqual(sent, [{ type: 'openItem', jobId: 'j-42', itemId: 'row-2' }]);
  });

  it('offers no Cancel and no Resubmit on a finished job where nothing failed', () => {
    const { element } = render({
      ...runningJob,
      headline: 'Finished',
      progress: { status: 'completed', counts: { succeeded: 20 }, total: 20, done: 20, spent: 0.009, estimate: 0.01 },
      failures: [],
      rows: [row()],
      final: true,
    } satisfies CellOutput);
    assert.deepEqual(buttons(element.querySelector('[data-testid="job-actions"]') as Element), ['Export JSONL', 'Export CSV', 'Show in Jobs View']);
    assert.deepEqual(
      [...element.querySelectorAll('[data-testid="state-counts"] li')].map((chip) => chip.textContent),
      ['20 succeeded', '0 failed'],
    );
    assert.equal(element.querySelector('[data-testid="job-failures"]'), null);
  });

  it('shows the try’s count, spend and rows, opening items of the try’s own job', () => {
    const { element, sent } = render({
      kind: 'job',
      headline: 'Tried 5 items',
      notes: [],
      provider: 'openai',
      model: 'gpt-4o-mini',
      mode: 'sync',
      trial: { jobId: 'j-try', count: 5, spent: 0.0031, rows: [row({ id: 't-1' })] },
      final: false,
    } satisfies CellOutput);
    assert.equal(textOf(element, '[data-testid="trial-summary"]'), 'Tried 5 items · spent $0.0031');
    assert.equal(textOf(element, '[data-testid="trial-rows"] caption'), 'Tried items (job j-try): first 1 of 5 items');
    (element.querySelector('[data-testid="trial-rows"] [data-action="openItem"]') as HTMLButtonElement).click();
    assert.deepEqual(sent, [{ type: 'openItem', jobId: 'j-try', itemId: 't-1' }]);
  });

  it('draws no buttons at all when the renderer has no messaging channel', () => {
    const { element } = render(runningJob, false);
    assert.deepEqual(buttons(element), []);
    assert.equal(element.querySelector('[data-testid="job-actions"]'), null);
    assert.equal(element.querySelectorAll('[data-testid="result-row"]').length, 2, 'the rows are still shown');
  });
});

describe('notebook renderer: results output', () => {
  it('says how many items matched and shows the chosen columns in order, and where they were exported', () => {
    const { element } = render({
      kind: 'results',
      jobId: 'j-42',
      matched: 1500,
      columns: ['output', 'id', 'no-such-column', 'cost'],
      rows: [row()],
      exported: 'exports/j-42.csv',
    } satisfies CellOutput);
    assert.equal(textOf(element, '[data-testid="results-matched"]'), '1,500 matched in job j-42');
    assert.deepEqual(
      [...element.querySelectorAll('[data-testid="results-rows"] th')].map((th) => th.textContent),
      ['Output', 'Id', 'Cost', 'Detail'],
    );
    assert.deepEqual(
      [...element.querySelectorAll('[data-testid="result-row"] td[data-column]')].map((td) => td.textContent),
      ['Apples are fruit.', 'row-1', '$0.0012'],
    );
    assert.equal(textOf(element, '[data-testid="results-rows"] caption'), 'Results of job j-42: first 1 of 1,500 items');
    assert.equal(textOf(element, '[data-testid="results-exported"]'), 'Exported to exports/j-42.csv');
  });
});

describe('notebook renderer: safety and robustness', () => {
  it('shows model output, inputs, notes and sample requests that look like HTML as text', () => {
    const hostileJob: JobOutput = {
      ...runningJob,
      headline: HOSTILE,
      notes: [HOSTILE],
      failures: [{ failureClass: HOSTILE, count: 1, example: HOSTILE }],
      rows: [row({ id: HOSTILE, input: HOSTILE, output: HOSTILE })],
    };
    for (const payload of [
      hostileJob,
      { kind: 'requests', file: HOSTILE, count: 1, skipped: [{ row: 1, message: HOSTILE }], sample: [{ id: HOSTILE, text: HOSTILE }] },
      { kind: 'results', jobId: HOSTILE, matched: 1, columns: ['input', 'output'], rows: [row({ input: HOSTILE, output: HOSTILE })] },
    ] satisfies CellOutput[]) {
      const { element } = render(payload);
      assert.equal(element.querySelectorAll('img').length, 0, `${payload.kind}: no element made from model text`);
      assert.ok((element.textContent ?? '').includes(HOSTILE), `${payload.kind}: the text is shown as written`);
      const handlers = [...element.querySelectorAll('*')].flatMap((node) => [...node.attributes].map((a) => a.name)).filter((name) => /^on/i.test(name));
      assert.deepEqual(handlers, [], `${payload.kind}: no inline handler attribute`);
    }
  });

  it('shows a short error instead of throwing on a payload of the wrong shape or not JSON', () => {
    const { api } = renderer(true);
    const element = document.createElement('div');
    assert.doesNotThrow(() => api.renderOutputItem(outputItem(() => ({ kind: 'job', headline: 3 })), element, new AbortController().signal));
    assert.match(textOf(element, '[data-testid="output-error"]'), /^This output cannot be shown: .+ \(at headline\)\. Run the cell again\.$/);
    assert.doesNotThrow(() =>
      api.renderOutputItem(
        outputItem(() => {
          throw new SyntaxError('Unexpected token');
        }),
        element,
        new AbortController().signal,
      ),
    );
    assert.equal(textOf(element, '[data-testid="output-error"]'), 'This output is not valid JSON.');
  });

  it('replaces the previous drawing when an output updates, and adds its stylesheet once', () => {
    const { api } = renderer(true);
    const element = document.createElement('div');
    document.body.appendChild(element);
    const signal = new AbortController().signal;
    void api.renderOutputItem(outputItem(() => runningJob), element, signal);
    void api.renderOutputItem(outputItem(() => ({ ...runningJob, headline: 'Finished', final: true })), element, signal);
    assert.equal(element.children.length, 1);
    assert.equal(textOf(element, '[data-testid="job-headline"]'), 'Finished');
    const styles = document.head.querySelectorAll('style');
    assert.equal(styles.length, 1);
    assert.doesNotMatch(styles[0]?.textContent ?? '', /#[0-9a-f]{3,6}\b|rgb\(/i, 'colours come from the theme (--vscode-*) only');
  });
});

describe('notebook renderer: output text', () => {
  it('writes money with four decimals under a dollar and separators above', () => {
    assert.equal(text.money(0.0123), '$0.0123');
    assert.equal(text.money(0.5), '$0.5000');
    assert.equal(text.money(0), '$0.00');
    assert.equal(text.money(1234.5), '$1,234.50');
  });

  it('counts items in words', () => {
    assert.equal(text.counted(1, 'item'), '1 item');
    assert.equal(text.counted(2, 'item'), '2 items');
    assert.equal(text.counted(0, 'item'), '0 items');
    assert.equal(text.counted(12345, 'request'), '12,345 requests');
  });

  it('says a run that costs more than one by one costs more, instead of a negative saving', () => {
    assert.equal(text.savingText({ naiveSync: 1, expected: 0.25 }), '$0.7500 (75%)');
    assert.equal(text.savingText({ naiveSync: 1, expected: 1.5 }), '$0.5000 (50%) more');
    assert.equal(text.savingText({ naiveSync: 0, expected: 0 }), '');
  });

  it('offers Export only once an item has finished, and Resubmit only when something failed', () => {
    const base: JobOutput = { kind: 'job', headline: 'Submitted', notes: [], provider: 'openai', mode: 'batch', jobId: 'j-1', final: false };
    const progress = { status: 'running', counts: { submitted: 5 }, total: 5, done: 0, spent: 0, estimate: 0.01 };
    assert.deepEqual(text.jobActions(base), ['cancelJob', 'revealJob']);
    assert.deepEqual(text.jobActions({ ...base, progress }), ['cancelJob', 'revealJob']);
    assert.deepEqual(text.jobActions({ ...base, progress: { ...progress, counts: { succeeded: 4, dead_letter: 1 }, done: 5 }, final: true }), [
      'resubmitFailed',
      'exportJsonl',
      'exportCsv',
      'revealJob',
    ]);
    assert.deepEqual(text.jobActions({ ...base, jobId: undefined }), []);
  });
});
