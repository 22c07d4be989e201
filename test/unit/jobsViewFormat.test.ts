import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { STATE_LABELS, STATE_ORDER, age, batchLabel, batchStateWords, itemAccessibleLabel, itemDescription, itemTooltip, jobDescription, jobEndpoint, providerName, rungWords, until, waitLines } from '../../src/host/jobsViewFormat';
import type { RowFigures } from '../../src/host/jobsViewFormat';
import type { ItemRow, JobRow } from '../../src/store/stateIndex';
import { ITEM_STATES } from '../../src/store/storeEvents';

const job = { status: 'completed_with_failures', createdAt: '2026-11-27T10:00:00.000Z' } as JobRow;
const item = (overrides: Partial<ItemRow>): ItemRow => ({ line: 12, failureClass: null, failureCode: null, failureMessage: null, cost: 0, state: 'succeeded', strike: 1, ...overrides }) as ItemRow;

const rowFigures = (done: number, total: number, cost: number, estimate: number): RowFigures => ({
  progress: { done, total },
  actual: { cost, inputTokens: 0, outputTokens: 0 },
  estimate: { cost: estimate, max: estimate * 2, inputTokens: null, outputTokens: null },
});

describe('Jobs view formatting', () => {
  it('describes a job by state, progress and cost against the estimate, most important first', () => {
    const running = { ...job, status: 'running', blockedReason: null, waitingReason: null } as JobRow;
    assert.equal(jobDescription(running, rowFigures(180, 200, 0.42, 0.5)), 'running · 180/200 · $0.4200 (est. $0.5000)');
    const waiting = { ...running, waitingReason: 'Waiting for provider capacity: …' } as JobRow;
    assert.equal(jobDescription(waiting, rowFigures(0, 10, 0, 0.01)), 'waiting for capacity · 0/10 · $0.00 (est. $0.0100)');
    const notSubmitted = { ...running, blockedReason: 'not submitted: the provider refused the credentials (check the API key): 401' } as JobRow;
    assert.equal(jobDescription(notSubmitted, rowFigures(0, 2_000, 0, 1.5)), 'not submitted · 0/2,000 · $0.00 (est. $1.50)', 'the reason is in the tooltip, not the row');
    const refused = { ...running, blockedReason: 'the provider refused the credentials' } as JobRow;
    assert.match(jobDescription(refused, rowFigures(1, 2, 0, 0)), /^waits for you · /);
  });

  describe('keeps what matters in a narrow sidebar, which cuts the row off at its end', () => {
    // How many characters a job row shows after its name, as seen in the workbench at the default
    // font: about 36 a row at 300 px (the state and a little more), 60 at 500 px (everything).
    const running = { ...job, status: 'running', blockedReason: null, waitingReason: null } as JobRow;
    const description = jobDescription(running, rowFigures(1_800, 2_000, 12.5, 14));
    const visible = (name: string, rowChars: number) => description.slice(0, Math.max(0, rowChars - name.length - 1));
    const table: [name: string, rowChars: number, shown: readonly string[]][] = [
      ['tickets.jsonl', 36, ['running', '1,800/2,000']],
      ['a.jsonl', 40, ['running', '1,800/2,000', '$12.50']],
      ['tickets.jsonl', 60, ['running', '1,800/2,000', '$12.50', '(est. $14.00)']],
    ];
    for (const [name, rowChars, shown] of table) {
      it(`${name} in ${rowChars} characters shows ${shown.join(', ')}`, () => {
        const text = visible(name, rowChars);
        for (const part of shown) assert.ok(text.includes(part), `"${text}" shows ${part}`);
      });
    }
    it('puts state, progress, cost and estimate in that order', () => {
      const at = ['running', '1,800/2,000', '$12.50', '(est. $14.00)'].map((part) => description.indexOf(part));
      assert.deepEqual(at, [...at].sort((a, b) => a - b));
      assert.equal(at[0], 0);
    });
  });

  it('says why a job waits: the reason, the last problem, the endpoint, remote ids and the next check', () => {
    const now = Date.parse('2026-11-27T10:03:00.000Z');
    const running = { ...job, status: 'running', blockedReason: null, waitingReason: null } as JobRow;
    const lines = waitLines(running, { endpoint: 'http://127.0.0.1:4010/v1', openRemoteIds: ['batch_1', 'batch_2'], lastProblem: { message: 'checking batch_1 failed, will retry: 503', at: now - 120_000 }, nextCheckAt: now + 25_000 }, now);
    assert.equal(lines[0], 'Last problem (2 min ago): checking batch_1 failed, will retry: 503');
    assert.equal(lines[1], 'Endpoint: http://127.0.0.1:4010/v1');
    assert.equal(lines[2], 'At the provider: batch_1, batch_2');
    assert.match(lines[3] ?? '', /^Next check: in 25 s \(\d\d:\d\d:\d\d\)$/);
    assert.deepEqual(waitLines(job, { endpoint: 'x', openRemoteIds: ['b'], lastProblem: undefined, nextCheckAt: now }, now), [], 'a finished job waits for nothing');
    assert.equal(until(now + 150_000, now), 'in 3 min');
    assert.equal(until(now - 1, now), 'now');
  });

  it('describes items with their line, failure class and cost', () => {
    assert.equal(itemDescription(item({})), 'line 12');
    assert.equal(itemDescription(item({ failureClass: 'transient', cost: 0.000004 })), 'line 12 · transient · $0.000004');
    // Words, not identifiers: no snake_case class, no "strike".
    assert.equal(itemTooltip(item({ failureClass: 'invalid_request', failureCode: 'context_length_exceeded', failureMessage: 'too long' })), 'invalid request (context_length_exceeded): too long');
    assert.equal(itemTooltip(item({ state: 'succeeded', strike: 2 })), `${STATE_LABELS.succeeded}, retry 2`);
    assert.equal(itemTooltip(item({ state: 'succeeded', strike: 0 })), `${STATE_LABELS.succeeded}, first try`);
    assert.equal(itemTooltip(item({ state: 'succeeded', strike: 3 })), `${STATE_LABELS.succeeded}, one-by-one call`);
  });

  it('announces an item by its id, line and state, not its tooltip', () => {
    assert.equal(itemAccessibleLabel(item({ id: 'ticket-7', state: 'dead_letter', failureClass: 'invalid_request' })), `ticket-7, line 12, ${STATE_LABELS.dead_letter}, invalid request`);
  });

  it('names remote batches in words, not by their keys', () => {
    assert.equal(batchLabel('job-1.s0.b2'), 'Batch 2');
    assert.equal(batchLabel('job-1.s1.r1'), 'Retry batch 1');
    assert.equal(batchLabel('job-1.s0.m3'), 'Resubmitted batch 3');
    assert.equal(batchLabel('job-1.s0.u1'), 'Resumed batch 1');
    assert.equal(batchLabel('job-1.s0.c2'), 'Batch 2, sent again');
    assert.equal(rungWords(1), 'retry 1');
    assert.equal(batchStateWords('intent'), 'not sent yet');
    assert.equal(batchStateWords('in_progress'), 'in progress');
  });

  it('names a job’s provider by its display name, whatever the provider', () => {
    assert.equal(providerName('openai'), 'OpenAI');
    assert.equal(providerName('bedrock'), 'AWS Bedrock');
    assert.equal(providerName('vertex'), 'Google Vertex AI');
    assert.equal(providerName('someday'), 'someday', 'an id we do not know is shown as recorded');
  });

  it('says where a job’s calls go: its remembered endpoint, the user’s base URL, or the provider and its region', () => {
    const options = (providerSettings?: object) => JSON.stringify({ failureAlertRate: 0.05, ...(providerSettings ? { providerSettings } : {}) });
    assert.equal(jobEndpoint({ provider: 'azure', options: options({ endpoint: 'https://mine.openai.azure.com' }) }, 'https://other'), 'https://mine.openai.azure.com');
    assert.equal(jobEndpoint({ provider: 'anthropic', options: options() }, 'http://127.0.0.1:8080'), 'http://127.0.0.1:8080');
    assert.equal(jobEndpoint({ provider: 'bedrock', options: options({ region: 'eu-west-1', bucket: 'b' }) }, undefined), 'AWS Bedrock (eu-west-1)');
    assert.equal(jobEndpoint({ provider: 'vertex', options: options({ project: 'p', location: 'us-central1' }) }, undefined), 'Google Vertex AI (us-central1)');
    assert.equal(jobEndpoint({ provider: 'openai', options: 'not json' }, undefined), 'OpenAI');
    assert.equal(jobEndpoint({ provider: 'someday', options: options() }, undefined), undefined);
  });

  it('says how long ago', () => {
    const t = Date.parse('2026-11-27T10:00:00.000Z');
    assert.equal(age('2026-11-27T10:00:00.000Z', t + 10_000), 'just now');
    assert.equal(age('2026-11-27T10:00:00.000Z', t + 5 * 3_600_000), '5 h ago');
    assert.equal(age('2026-11-27T10:00:00.000Z', t + 72 * 3_600_000), '3 d ago');
  });

  it('labels and orders every item state, failures first', () => {
    assert.deepEqual([...STATE_ORDER].sort(), [...ITEM_STATES].sort());
    assert.deepEqual(STATE_ORDER.slice(0, 2), ['failed', 'dead_letter']);
    for (const state of ITEM_STATES) assert.ok(STATE_LABELS[state].length > 0);
  });
});
