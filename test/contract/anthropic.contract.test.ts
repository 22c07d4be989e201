// Contract test: the real `@anthropic-ai/sdk` against the Anthropic Message Batches emulator
// (docs/PROVIDER_BATCH_APIS.md §3, §6): wire shapes, every fault switch, and the spec's traps,
// each one a named test.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { APIConnectionError, Anthropic, AuthenticationError, BadRequestError, InternalServerError, OverloadedError, RateLimitError } from '@anthropic-ai/sdk';
import type { MessageBatch, MessageBatchIndividualResponse } from '@anthropic-ai/sdk/resources/messages/batches';
import { QUEUE_FULL_MESSAGE, startAnthropicEmulator } from '../emulators/anthropic/server';
import type { RunningAnthropicEmulator } from '../emulators/anthropic/server';

const FAST = { inProgressMs: 60, cancelingMs: 30 };
const MODEL = 'claude-sonnet-4-5';
const KEY = 'sk-ant-test';

type Request = { custom_id: string; params: Record<string, unknown> };
const request = (customId: string, text: string, extra: Record<string, unknown> = {}): Request => ({
  custom_id: customId,
  params: { model: MODEL, max_tokens: 64, messages: [{ role: 'user', content: text }], ...extra },
});
const requests = (n: number, prefix = 'r'): Request[] => Array.from({ length: n }, (_, i) => request(`${prefix}${i}`, `question ${i}`));

let emu: RunningAnthropicEmulator;
let client: Anthropic;
/** Batches that stay in progress for a minute, for tests that must act on a running batch on a busy machine. */
let slow: RunningAnthropicEmulator;
let slowClient: Anthropic;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function create(reqs: Request[], c: Anthropic = client): Promise<MessageBatch> {
  return c.messages.batches.create({ requests: reqs as never });
}

async function untilEnded(id: string, c: Anthropic = client): Promise<MessageBatch> {
  for (let i = 0; i < 200; i++) {
    const b = await c.messages.batches.retrieve(id);
    if (b.processing_status === 'ended') return b;
    await sleep(15);
  }
  throw new Error(`batch ${id} did not end`);
}

async function results(id: string, c: Anthropic = client): Promise<MessageBatchIndividualResponse[]> {
  const out: MessageBatchIndividualResponse[] = [];
  for await (const r of await c.messages.batches.results(id)) out.push(r);
  return out;
}

const byId = (rs: MessageBatchIndividualResponse[]): Map<string, MessageBatchIndividualResponse['result']> => new Map(rs.map((r) => [r.custom_id, r.result]));

before(async () => {
  emu = await startAnthropicEmulator({ timeScale: FAST, apiKey: KEY });
  client = new Anthropic({ apiKey: KEY, baseURL: emu.url, maxRetries: 0 });
  slow = await startAnthropicEmulator({ timeScale: { inProgressMs: 60_000, cancelingMs: 30 }, apiKey: KEY });
  slowClient = new Anthropic({ apiKey: KEY, baseURL: slow.url, maxRetries: 0 });
});

after(async () => {
  await emu.close();
  await slow.close();
});

beforeEach(() => {
  emu.reset();
  slow.reset();
});

describe('auth and versions (spec §3.1 trap: Bearer in SDK 1.x, x-api-key before)', () => {
  it('the SDK sends Authorization: Bearer and anthropic-version 2026-10-21', async () => {
    await client.messages.batches.list({ limit: 1 });
    const [entry] = emu.requests();
    assert.equal(entry?.auth, 'bearer');
    assert.equal(entry?.version, '2026-10-21');
  });

  it('an older client (x-api-key + 2023-06-01) is accepted too', async () => {
    const old = new Anthropic({ apiKey: null, baseURL: emu.url, maxRetries: 0, defaultHeaders: { 'x-api-key': KEY, 'anthropic-version': '2023-06-01' } });
    await old.messages.batches.list({ limit: 1 });
    const [entry] = emu.requests();
    assert.equal(entry?.auth, 'x-api-key');
    assert.equal(entry?.version, '2023-06-01');
  });

  it('a wrong key is a 401 authentication_error with a request-id', async () => {
    const wrong = new Anthropic({ apiKey: 'sk-ant-wrong', baseURL: emu.url, maxRetries: 0 });
    const error = await wrong.messages.batches.list({ limit: 1 }).then(
      () => assert.fail('expected a 401'),
      (e: unknown) => e,
    );
    assert.ok(error instanceof AuthenticationError);
    assert.equal(error.type, 'authentication_error');
    assert.match(error.requestID ?? '', /^req_/);
  });

  it('a request without anthropic-version is a 400', async () => {
    const response = await fetch(`${emu.url}/v1/messages/batches`, { headers: { 'x-api-key': KEY } });
    assert.equal(response.status, 400);
    const body = (await response.json()) as { type: string; error: { type: string; message: string } };
    assert.equal(body.type, 'error');
    assert.match(body.error.message, /anthropic-version/);
  });
});

describe('lifecycle and results (spec §3.3, §3.4)', () => {
  it('a batch is in_progress with every request processing, then ends with the final counts', async () => {
    const created = await create(requests(5));
    assert.match(created.id, /^msgbatch_/);
    assert.equal(created.type, 'message_batch');
    assert.equal(created.processing_status, 'in_progress');
    assert.deepEqual(created.request_counts, { processing: 5, succeeded: 0, errored: 0, canceled: 0, expired: 0 });
    assert.equal(created.results_url, null);
    assert.equal(created.ended_at, null);
    // RFC 3339 strings, expiring 24 h after creation.
    assert.equal(Date.parse(created.expires_at) - Date.parse(created.created_at), 86_400_000);
    const ended = await untilEnded(created.id);
    assert.deepEqual(ended.request_counts, { processing: 0, succeeded: 5, errored: 0, canceled: 0, expired: 0 });
    assert.ok(ended.ended_at !== null && Date.parse(ended.ended_at) >= Date.parse(created.created_at));
  });

  it('trap: results_url is absolute and points at the emulator itself, so the SDK can follow it', async () => {
    const created = await create(requests(3));
    const ended = await untilEnded(created.id);
    assert.equal(ended.results_url, `${emu.url}/v1/messages/batches/${created.id}/results`);
    const rs = await results(created.id);
    assert.deepEqual(rs.map((r) => r.custom_id).sort(), ['r0', 'r1', 'r2']);
    const results0 = emu.requests().find((e) => e.path.endsWith('/results'));
    assert.equal(results0?.auth, 'bearer');
  });

  it('trap: the results stream has no blank line (the SDK JSONL decoder would throw) and ends in one newline', async () => {
    const created = await create(requests(4));
    await untilEnded(created.id);
    const response = await fetch(`${emu.url}/v1/messages/batches/${created.id}/results`, { headers: { 'x-api-key': KEY, 'anthropic-version': '2023-06-01' } });
    const text = await response.text();
    assert.ok(text.endsWith('}\n'));
    assert.equal(text.split('\n').filter((l) => l === '').length, 1, 'only the final newline');
    assert.match(response.headers.get('request-id') ?? '', /^req_/);
  });

  it('results are not in input order by default (match on custom_id); `ordered` keeps input order', async () => {
    const shuffled = await create(requests(8));
    await untilEnded(shuffled.id);
    assert.notDeepEqual((await results(shuffled.id)).map((r) => r.custom_id), requests(8).map((r) => r.custom_id));
    emu.setFaults({ ordered: true });
    const ordered = await create(requests(8));
    await untilEnded(ordered.id);
    assert.deepEqual((await results(ordered.id)).map((r) => r.custom_id), requests(8).map((r) => r.custom_id));
  });

  it('results before the end are refused, and the SDK refuses locally while results_url is null', async () => {
    const created = await create(requests(2), slowClient);
    await assert.rejects(slowClient.messages.batches.results(created.id), /results_url/);
    const direct = await fetch(`${slow.url}/v1/messages/batches/${created.id}/results`, { headers: { 'x-api-key': KEY, 'anthropic-version': '2023-06-01' } });
    assert.equal(direct.status, 400);
  });

  it('a succeeded result is a Message with text and usage (service_tier batch)', async () => {
    const created = await create([request('a', 'Hello there')]);
    await untilEnded(created.id);
    const [r] = await results(created.id);
    assert.equal(r?.result.type, 'succeeded');
    if (r?.result.type !== 'succeeded') return;
    assert.equal(r.result.message.content[0]?.type, 'text');
    assert.equal(r.result.message.content[0]?.type === 'text' ? r.result.message.content[0].text : '', 'Echo: Hello there');
    assert.equal(r.result.message.usage.service_tier, 'batch');
  });

  it('custom_id must match ^[a-zA-Z0-9_-]{1,64}$ and be unique: a 400 at create', async () => {
    await assert.rejects(create([request('bad id!', 'x')]), BadRequestError);
    await assert.rejects(create([request('same', 'x'), request('same', 'y')]), /Duplicate custom_id/);
    await assert.rejects(create([]), /at least 1 item/);
    assert.equal(emu.batches().length, 0);
  });

  it('more requests than the cap (100,000; lowered here) is a 400', async () => {
    const small = await startAnthropicEmulator({ timeScale: FAST, maxRequests: 3 });
    try {
      const c = new Anthropic({ apiKey: KEY, baseURL: small.url, maxRetries: 0 });
      await assert.rejects(create(requests(4), c), /at most 3 items/);
    } finally {
      await small.close();
    }
  });

  it('delete is allowed only once the batch ended', async () => {
    const created = await create(requests(2), slowClient);
    await assert.rejects(slowClient.messages.batches.delete(created.id), BadRequestError);
    await slowClient.messages.batches.cancel(created.id);
    await untilEnded(created.id, slowClient);
    assert.deepEqual(await slowClient.messages.batches.delete(created.id), { id: created.id, type: 'message_batch_deleted' });
    assert.equal(slow.batches().length, 0);
  });
});

describe('trap: anthropic-version 2026-10-21 removed temperature, top_p and top_k (spec §3.1)', () => {
  it('under 2026-10-21 (the SDK default) items that carry them come back errored', async () => {
    const created = await create([request('t', 'x', { temperature: 0.2 }), request('p', 'x', { top_p: 0.9 }), request('k', 'x', { top_k: 5 }), request('ok', 'x')]);
    await untilEnded(created.id);
    const r = byId(await results(created.id));
    for (const id of ['t', 'p', 'k']) {
      const result = r.get(id);
      assert.equal(result?.type, 'errored', id);
      if (result?.type === 'errored') assert.equal(result.error.error.type, 'invalid_request_error');
    }
    assert.equal(r.get('ok')?.type, 'succeeded');
  });

  it('under 2023-06-01 they are accepted', async () => {
    const old = new Anthropic({ apiKey: null, baseURL: emu.url, maxRetries: 0, defaultHeaders: { 'x-api-key': KEY, 'anthropic-version': '2023-06-01' } });
    const created = await create([request('t', 'x', { temperature: 0.2 })], old);
    await untilEnded(created.id, old);
    assert.equal((await results(created.id, old))[0]?.result.type, 'succeeded');
  });

  it('a sync Messages call with temperature is a 400 under 2026-10-21', async () => {
    await assert.rejects(client.messages.create({ model: MODEL, max_tokens: 5, temperature: 0.5, messages: [{ role: 'user', content: 'x' }] } as never), BadRequestError);
  });
});

describe('fault switches', () => {
  it('endpointFaults: a 429 with retry-after-ms is retried by the SDK (counted), and a 529 is an OverloadedError', async () => {
    emu.setFaults({ endpointFaults: [{ endpoint: 'GET /v1/messages/batches', times: 2, status: 429 }] });
    const retrying = new Anthropic({ apiKey: KEY, baseURL: emu.url, maxRetries: 2 });
    const started = Date.now();
    await retrying.messages.batches.list({ limit: 1 });
    assert.ok(Date.now() - started < 1000, 'retry-after-ms: 1 is honoured, not the 0.5–8 s backoff');
    assert.deepEqual(emu.requests().map((e) => e.status), [429, 429, 200]);
    emu.setFaults({ endpointFaults: [{ endpoint: 'POST /v1/messages', times: 1, status: 529 }] });
    await assert.rejects(client.messages.create({ model: MODEL, max_tokens: 5, messages: [{ role: 'user', content: 'x' }] }), OverloadedError);
  });

  it('endpointFaults: a 500 on create counts as a create call and makes no batch', async () => {
    emu.setFaults({ endpointFaults: [{ endpoint: 'POST /v1/messages/batches', times: 1, status: 500, retryAfter: 2 }] });
    const error = await create(requests(1)).then(
      () => assert.fail('expected a 500'),
      (e: unknown) => e,
    );
    assert.ok(error instanceof InternalServerError);
    assert.equal(error.headers.get('retry-after'), '2');
    assert.equal(emu.createCalls(), 1);
    assert.equal(emu.batches().length, 0);
  });

  it('failValidation: the next create is a 400 naming requests.0, once', async () => {
    emu.setFaults({ failValidation: true });
    await assert.rejects(create(requests(2)), /requests\.0/);
    await create(requests(2));
    assert.equal(emu.batches().length, 1);
  });

  it('capacityRefusals: creates refused with 429 rate_limit_error (the processing queue is full), counted, nothing made', async () => {
    emu.setFaults({ capacityRefusals: 2 });
    for (let i = 0; i < 2; i++) {
      const error = await create(requests(1)).then(
        () => assert.fail('expected a 429'),
        (e: unknown) => e,
      );
      assert.ok(error instanceof RateLimitError);
      assert.equal(error.type, 'rate_limit_error');
      assert.equal(error.apiMessage, QUEUE_FULL_MESSAGE);
    }
    assert.equal(emu.batches().length, 0);
    await create(requests(1));
    assert.equal(emu.batches().length, 1);
  });

  it('itemErrors: the named item comes back errored with that type', async () => {
    emu.setFaults({ itemErrors: { r1: { type: 'overloaded_error', message: 'busy' } } });
    const created = await create(requests(3));
    await untilEnded(created.id);
    const r = byId(await results(created.id));
    const failed = r.get('r1');
    assert.equal(failed?.type, 'errored');
    if (failed?.type === 'errored') assert.deepEqual(failed.error.error, { type: 'overloaded_error', message: 'busy' });
    assert.equal(r.get('r0')?.type, 'succeeded');
  });

  it('expireAfterFraction: the batch ends early, processed items keep their results, the rest are expired', async () => {
    emu.setFaults({ expireAfterFraction: 0.5 });
    const created = await create(requests(10));
    const ended = await untilEnded(created.id);
    assert.deepEqual(ended.request_counts, { processing: 0, succeeded: 5, errored: 0, canceled: 0, expired: 5 });
    const rs = await results(created.id);
    assert.equal(rs.length, 10);
    assert.equal(rs.filter((r) => r.result.type === 'expired').length, 5);
  });

  it('cancel: canceling, then ended with cancel_initiated_at; unprocessed items canceled; cancelling an ended batch is a 400', async () => {
    const created = await create(requests(6), slowClient);
    const canceling = await slowClient.messages.batches.cancel(created.id);
    assert.equal(canceling.processing_status, 'canceling');
    assert.ok(canceling.cancel_initiated_at !== null);
    const ended = await untilEnded(created.id, slowClient);
    assert.equal(ended.request_counts.canceled + ended.request_counts.succeeded, 6);
    assert.ok(ended.request_counts.canceled > 0);
    assert.equal((await results(created.id, slowClient)).filter((r) => r.result.type === 'canceled').length, ended.request_counts.canceled);
    await assert.rejects(slowClient.messages.batches.cancel(created.id), BadRequestError);
  });

  it('truncateDownload "abort": the socket closes mid-body and iterating the results throws', async () => {
    const created = await create(requests(6));
    await untilEnded(created.id);
    emu.setFaults({ truncateDownload: 'abort' });
    await assert.rejects(results(created.id));
    assert.equal((await results(created.id)).length, 6, 'one-shot: the next download is whole');
  });

  it('truncateDownload "short": a consistent but short body whose last line is cut; the SDK decoder throws on it', async () => {
    const created = await create(requests(6));
    await untilEnded(created.id);
    emu.setFaults({ truncateDownload: 'short' });
    await assert.rejects(results(created.id), SyntaxError);
  });

  it('emptyContent and nonJsonContent shape every answer, batch and sync', async () => {
    emu.setFaults({ emptyContent: true });
    const empty = await client.messages.create({ model: MODEL, max_tokens: 5, messages: [{ role: 'user', content: 'x' }] });
    assert.deepEqual(empty.content, [{ type: 'text', text: '' }]);
    emu.setFaults({ nonJsonContent: true });
    const created = await create([request('a', 'x', { output_config: { format: { type: 'json_schema', schema: {} } } })]);
    await untilEnded(created.id);
    const [r] = await results(created.id);
    const text = r?.result.type === 'succeeded' && r.result.message.content[0]?.type === 'text' ? r.result.message.content[0].text : '';
    assert.throws(() => JSON.parse(text));
  });

  it('control endpoints: faults over HTTP (unknown switches refused), batches, reset', async () => {
    const bad = await fetch(`${emu.url}/__emulator/faults`, { method: 'POST', body: JSON.stringify({ nope: true }) });
    assert.equal(bad.status, 400);
    const good = await fetch(`${emu.url}/__emulator/faults`, { method: 'POST', body: JSON.stringify({ ordered: true }) });
    assert.deepEqual(((await good.json()) as { faults: unknown }).faults, { ordered: true });
    await create(requests(1));
    const listed = (await (await fetch(`${emu.url}/__emulator/batches`)).json()) as { batches: { customIds: string[] }[]; createCalls: number };
    assert.deepEqual(listed.batches.map((b) => b.customIds), [['r0']]);
    assert.equal(listed.createCalls, 1);
    await fetch(`${emu.url}/__emulator/reset`, { method: 'POST' });
    assert.equal(emu.batches().length, 0);
  });
});

describe('content markers (batch and sync alike)', () => {
  it('[[fail:CODE]] errors every time with the matching type; [[fail:content_policy_violation]] is a refusal', async () => {
    const created = await create([request('ctx', '[[fail:context_length_exceeded]]'), request('rl', '[[fail:rate_limit_exceeded]]'), request('srv', '[[fail:server_error]]'), request('cp', '[[fail:content_policy_violation]]')]);
    await untilEnded(created.id);
    const r = byId(await results(created.id));
    const typeOf = (id: string): string | undefined => {
      const result = r.get(id);
      return result?.type === 'errored' ? result.error.error.type : result?.type;
    };
    assert.equal(typeOf('ctx'), 'invalid_request_error');
    assert.equal(typeOf('rl'), 'rate_limit_error');
    assert.equal(typeOf('srv'), 'api_error');
    const refusal = r.get('cp');
    assert.equal(refusal?.type === 'succeeded' ? refusal.message.stop_reason : undefined, 'refusal');
    const sync = await client.messages.create({ model: MODEL, max_tokens: 5, messages: [{ role: 'user', content: '[[fail:rate_limit_exceeded]]' }] }).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(sync instanceof RateLimitError);
    assert.equal(sync.headers.get('retry-after-ms'), '1');
  });

  it('[[fail-once:CODE]] fails the first attempt of a request, batch then sync', async () => {
    const created = await create([request('once', '[[fail-once:server_error]] hi')]);
    await untilEnded(created.id);
    assert.equal((await results(created.id))[0]?.result.type, 'errored');
    const again = await client.messages.create(request('once', '[[fail-once:server_error]] hi').params as never);
    assert.equal(again.type, 'message');
  });
});

describe('prompt caching (spec §3.6)', () => {
  const cached = (question: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
    model: MODEL,
    max_tokens: 16,
    system: [{ type: 'text', text: 'A long shared system prompt. '.repeat(20), cache_control: { type: 'ephemeral', ttl: '1h' } }],
    messages: [{ role: 'user', content: question }],
    ...extra,
  });

  it('a cache_control prefix is written on first use and read afterwards; input_tokens counts only the rest', async () => {
    const first = await client.messages.create(cached('one') as never);
    const second = await client.messages.create(cached('two') as never);
    assert.ok(first.usage.cache_creation_input_tokens !== null && first.usage.cache_creation_input_tokens > 0);
    assert.equal(first.usage.cache_read_input_tokens, 0);
    assert.equal(second.usage.cache_creation_input_tokens, 0);
    assert.equal(second.usage.cache_read_input_tokens, first.usage.cache_creation_input_tokens);
    assert.ok(second.usage.input_tokens > 0 && second.usage.input_tokens < first.usage.cache_creation_input_tokens);
  });

  it('inside a batch the first item with a prefix writes it and the others read it', async () => {
    emu.setFaults({ ordered: true });
    const created = await create([{ custom_id: 'a', params: cached('one') }, { custom_id: 'b', params: cached('two') }]);
    await untilEnded(created.id);
    const usage = (await results(created.id)).map((r) => (r.result.type === 'succeeded' ? r.result.message.usage : undefined));
    assert.ok((usage[0]?.cache_creation_input_tokens ?? 0) > 0);
    assert.equal(usage[1]?.cache_read_input_tokens, usage[0]?.cache_creation_input_tokens);
  });

  it('no cache_control, no cache counts', async () => {
    const plain = await client.messages.create({ model: MODEL, max_tokens: 5, messages: [{ role: 'user', content: 'x' }] });
    assert.equal(plain.usage.cache_creation_input_tokens, 0);
    assert.equal(plain.usage.cache_read_input_tokens, 0);
  });
});

describe('list (spec §3.1: after_id / before_id, limit 1–1000, newest first)', () => {
  it('the auto-pager walks every batch newest first with after_id', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await create(requests(1, `b${i}_`))).id);
    const seen: string[] = [];
    for await (const b of client.messages.batches.list({ limit: 2 })) seen.push(b.id);
    assert.deepEqual(seen, ids.slice().reverse());
    assert.ok(emu.requests().some((e) => e.query.includes('after_id=')));
  });

  it('before_id pages towards newer batches; a limit outside 1–1000 is a 400', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await create(requests(1, `c${i}_`))).id);
    const page = await client.messages.batches.list({ before_id: ids[0] ?? '', limit: 1 });
    assert.deepEqual(page.data.map((b) => b.id), [ids[1]]);
    await assert.rejects(client.messages.batches.list({ limit: 1001 }), BadRequestError);
  });
});

describe('connection failures', () => {
  it('a closed emulator is an APIConnectionError', async () => {
    const gone = await startAnthropicEmulator({ timeScale: FAST });
    const url = gone.url;
    await gone.close();
    const c = new Anthropic({ apiKey: KEY, baseURL: url, maxRetries: 0 });
    await assert.rejects(c.messages.batches.list(), APIConnectionError);
  });
});
