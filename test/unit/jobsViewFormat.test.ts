import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { STATE_LABELS, STATE_ORDER, age, itemDescription, itemTooltip, jobDescription, jobEndpoint, providerName } from '../../src/host/jobsViewFormat';
import type { ItemRow, JobRow } from '../../src/store/stateIndex';
import { ITEM_STATES } from '../../src/store/storeEvents';

const job = { status: 'completed_with_failures', createdAt: '2026-11-27T10:00:00.000Z' } as JobRow;
const item = (overrides: Partial<ItemRow>): ItemRow => ({ line: 12, failureClass: null, failureCode: null, failureMessage: null, cost: 0, state: 'succeeded', strike: 1, ...overrides }) as ItemRow;

describe('Jobs view formatting', () => {
  it('describes a job by state, progress, cost and age', () => {
    const now = Date.parse('2026-11-27T10:03:00.000Z');
    assert.equal(jobDescription(job, { succeeded: 90, deduped: 5, dead_letter: 5 }, 0.0123, now), 'completed with failures · 95/100 done · $0.0123 · 3 min ago');
    const waiting = { ...job, status: 'running', blockedReason: null, waitingReason: 'Waiting for provider capacity: …' } as JobRow;
    assert.equal(jobDescription(waiting, { queued: 10 }, 0, now), 'waiting for capacity · 0/10 done · $0.00 · 3 min ago');
  });

  it('describes items with their line, failure class and cost', () => {
    assert.equal(itemDescription(item({})), 'line 12');
    assert.equal(itemDescription(item({ failureClass: 'transient', cost: 0.000004 })), 'line 12 · transient · $0.000004');
    assert.equal(itemTooltip(item({ failureClass: 'invalid_request', failureCode: 'context_length_exceeded', failureMessage: 'too long' })), 'invalid_request (context_length_exceeded): too long');
    assert.equal(itemTooltip(item({ state: 'succeeded', strike: 2 })), 'succeeded, strike 2');
    assert.equal(itemTooltip(item({ state: 'succeeded', strike: 0 })), 'succeeded, first batch', 'the first batch is not a strike');
    assert.equal(itemTooltip(item({ state: 'succeeded', strike: 3 })), 'succeeded, strike 3 (sync)');
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
