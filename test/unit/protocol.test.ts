import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PROVIDER_IDS } from '../../src/core/providerLimits';
import {
  SUBMIT_PROVIDERS,
  costPreviewToHostSchema,
  costPreviewToWebviewSchema,
  failureInspectorToHostSchema,
  failureInspectorToWebviewSchema,
  parseMessage,
} from '../../src/shared/protocol';
import { standingBlockers } from '../../src/shared/blockers';
import { sampleReport } from '../support/sampleReport';

const XSS = '<img src=x onerror=alert(1)>';

describe('cost preview messages', () => {
  it('accepts every webview→host message', () => {
    for (const message of [
      { type: 'ready' },
      { type: 'estimate', provider: 'openai' },
      { type: 'estimate', provider: 'azure', model: 'gpt-4.1' },
      { type: 'estimate', provider: 'anthropic' },
      { type: 'estimate', provider: 'bedrock', model: 'anthropic.claude-3-5-haiku-20241022-v1:0' },
      { type: 'setApiKey' },
      { type: 'cancelEstimate' },
      { type: 'confirm', skipInvalid: true },
      { type: 'dismiss' },
      { type: 'openLine', file: '/w/a.jsonl', line: 12 },
    ]) {
      assert.deepEqual(parseMessage(costPreviewToHostSchema, message), message, JSON.stringify(message));
    }
  });

  it('refuses malformed, unknown and over-reaching webview→host messages', () => {
    for (const message of [
      null,
      'ready',
      {},
      { type: 'submitEverything' },
      { type: 'estimate', provider: 'mistral' },
      { type: 'estimate', provider: 'OpenAI' },
      { type: 'estimate', provider: 'openai', model: '' },
      { type: 'estimate', provider: 'openai', model: 'x'.repeat(201) },
      { type: 'confirm' },
      { type: 'confirm', skipInvalid: 'yes' },
      { type: 'openLine', file: '/w/a.jsonl', line: 0 },
      { type: 'openLine', file: '/w/a.jsonl', line: 1.5 },
      { type: 'openLine', file: '', line: 1 },
      { type: 'ready', extra: true },
    ]) {
      assert.equal(parseMessage(costPreviewToHostSchema, message), undefined, JSON.stringify(message));
    }
  });

  it('accepts every host→webview message, hostile text included', () => {
    for (const message of [
      { type: 'init', files: [`/w/${XSS}.jsonl`], providers: [{ id: 'openai', label: 'OpenAI' }], provider: 'openai' },
      { type: 'init', files: ['/w/a.jsonl'], providers: [], provider: 'azure', model: XSS, readOnlyReason: 'locked' },
      { type: 'progress', done: 10, total: 100 },
      { type: 'estimate', report: sampleReport(), budget: { accepted: true, remainingToday: 4.5 }, blockers: [], models: [XSS] },
      { type: 'estimate', report: sampleReport(), budget: { accepted: false, message: 'Refused' }, blockers: [{ kind: 'budget', message: 'Refused' }], models: [] },
      { type: 'estimate', report: sampleReport(), budget: { accepted: true }, blockers: [{ kind: 'no_credentials', message: 'AWS Bedrock needs …' }], models: [], credentialsFix: 'settings' },
      { type: 'error', message: XSS },
      { type: 'submitting' },
      { type: 'submitted', jobIds: ['job-1'] },
    ]) {
      assert.deepEqual(parseMessage(costPreviewToWebviewSchema, message), message, JSON.stringify(message).slice(0, 80));
    }
  });

  it('the preview offers every provider the engine has an adapter for', () => {
    assert.deepEqual([...SUBMIT_PROVIDERS], [...PROVIDER_IDS]);
  });

  it('refuses an estimate whose report does not match the report schema', () => {
    const report = { ...sampleReport(), version: 2 };
    assert.equal(parseMessage(costPreviewToWebviewSchema, { type: 'estimate', report, budget: { accepted: true }, blockers: [], models: [] }), undefined);
    assert.equal(parseMessage(costPreviewToWebviewSchema, { type: 'progress', done: -1, total: 1 }), undefined);
  });
});

describe('failure inspector messages', () => {
  it('accepts every webview→host message', () => {
    for (const message of [
      { type: 'ready' },
      { type: 'load', classes: [], page: 0 },
      { type: 'load', classes: ['transient', 'unclassified'], page: 3 },
      { type: 'retry', ids: ['a', 'b'], mode: 'batch', requestId: 'r1' },
      { type: 'retry', ids: ['a'], mode: 'sync', requestId: 'r2' },
      { type: 'deadLetter', ids: ['a'], requestId: 'r3' },
      { type: 'openLine', line: 7 },
      { type: 'copy', text: `a\t${XSS}` },
    ]) {
      assert.deepEqual(parseMessage(failureInspectorToHostSchema, message), message, JSON.stringify(message));
    }
  });

  it('refuses malformed and unknown webview→host messages', () => {
    for (const message of [
      { type: 'retry', ids: [], mode: 'batch', requestId: 'r' },
      { type: 'retry', ids: ['a'], mode: 'later', requestId: 'r' },
      { type: 'retry', ids: ['a'], mode: 'batch' },
      { type: 'retry', ids: Array.from({ length: 1001 }, (_, i) => String(i)), mode: 'batch', requestId: 'r' },
      { type: 'deadLetter', ids: [''], requestId: 'r' },
      { type: 'load', classes: [], page: -1 },
      { type: 'load', classes: 'transient', page: 0 },
      { type: 'openLine', line: '7' },
      { type: 'openLine', line: 7, file: '/etc/passwd' },
      { type: 'copy', text: 'x'.repeat(1_000_001) },
      { type: 'delete', ids: ['a'] },
    ]) {
      assert.equal(parseMessage(failureInspectorToHostSchema, message), undefined, JSON.stringify(message).slice(0, 80));
    }
  });

  it('accepts items and results, and refuses a page over 100 rows', () => {
    const item = { id: XSS, line: 3, state: 'failed', failureClass: 'transient', code: null, message: XSS, strike: 2, preview: XSS };
    const items = {
      type: 'items',
      job: { id: 'job-1', name: XSS },
      items: [item],
      page: 0,
      pageCount: 1,
      total: 1,
      classes: [{ name: 'transient', count: 1 }],
      filter: [],
    };
    assert.deepEqual(parseMessage(failureInspectorToWebviewSchema, items), items);
    const withProvider = { ...items, job: { id: 'job-1', name: XSS, provider: 'AWS Bedrock' } };
    assert.deepEqual(parseMessage(failureInspectorToWebviewSchema, withProvider), withProvider);
    const result = { type: 'result', requestId: 'r1', message: 'Queued 1', ok: true };
    assert.deepEqual(parseMessage(failureInspectorToWebviewSchema, result), result);
    assert.equal(parseMessage(failureInspectorToWebviewSchema, { ...items, items: Array.from({ length: 101 }, () => item) }), undefined);
    assert.equal(parseMessage(failureInspectorToWebviewSchema, { ...items, job: { id: 'j' } }), undefined);
  });
});

describe('parseMessage', () => {
  it('tells why it dropped a message, without echoing the payload', () => {
    const problems: string[] = [];
    const huge = 'x'.repeat(100_000);
    assert.equal(parseMessage(costPreviewToHostSchema, { type: 'confirm', skipInvalid: huge }, (p) => problems.push(p)), undefined);
    assert.equal(problems.length, 1);
    assert.match(problems[0] ?? '', /confirm/);
    assert.match(problems[0] ?? '', /skipInvalid/);
    assert.ok((problems[0] ?? '').length < 500);
  });

  it('lifts only the invalid-lines blocker when the user skips invalid lines', () => {
    const blockers = [
      { kind: 'invalid_lines' as const, message: '3 invalid lines; fix them, or submit the valid lines only' },
      { kind: 'nothing_to_submit' as const, message: 'there is nothing to submit' },
    ];
    assert.deepEqual(standingBlockers(blockers, { skipInvalid: true }), [blockers[1]]);
    assert.deepEqual(standingBlockers(blockers, { skipInvalid: false }), blockers);
  });

  it('refuses a blocker that is only words: the webview acts on its kind', () => {
    const report = sampleReport();
    assert.equal(parseMessage(costPreviewToWebviewSchema, { type: 'estimate', report, budget: { accepted: true }, blockers: ['3 invalid line(s)'], models: [] }), undefined);
  });
});
