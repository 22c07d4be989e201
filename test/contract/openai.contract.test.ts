// Contract test: the real `openai` SDK against the local OpenAI / Azure OpenAI emulator. Every
// endpoint and fault switch is driven through the SDK's own calls, so the emulator stays faithful
// to what the SDK sends and parses (spec: docs/PROVIDER_BATCH_APIS.md §1, §2, §6).

import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import {
  APIError,
  AuthenticationError,
  AzureOpenAI,
  BadRequestError,
  InternalServerError,
  NotFoundError,
  OpenAI,
  RateLimitError,
  toFile,
  toStreamingFile,
} from 'openai';
import type { Batch, BatchCreateParams } from 'openai/resources/batches';
import type { ChatCompletion } from 'openai/resources/chat/completions';
import { startOpenAiEmulator } from '../emulators/openai/server';
import type { RunningEmulator } from '../emulators/openai/server';
import type { TimeScale } from '../emulators/openai/batchRunner';

const FAST: TimeScale = { validatingMs: 20, inProgressMs: 50, finalizingMs: 20 };
const TERMINAL = new Set(['completed', 'failed', 'expired', 'cancelled']);
const MODEL = 'gpt-4o-mini';

interface ResultLine {
  id: string;
  custom_id: string;
  response: { status_code: number; request_id: string; body: Record<string, unknown> } | null;
  error: { code: string; message: string } | null;
}

interface ErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

type Line = { custom_id: string; method: string; url: string; body: Record<string, unknown> };

const chatLine = (customId: string, text: string, extraBody: Record<string, unknown> = {}, url = '/v1/chat/completions'): Line => ({
  custom_id: customId,
  method: 'POST',
  url,
  body: { model: MODEL, messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: text }], ...extraBody },
});

const responsesLine = (customId: string, input: unknown, extraBody: Record<string, unknown> = {}): Line => ({
  custom_id: customId,
  method: 'POST',
  url: '/v1/responses',
  body: { model: MODEL, input, ...extraBody },
});

const jsonl = (lines: readonly unknown[]): string => `${lines.map((l) => JSON.stringify(l)).join('\n')}\n`;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

const openaiClient = (emu: RunningEmulator, maxRetries = 0): OpenAI => new OpenAI({ apiKey: 'test', baseURL: emu.openaiBaseUrl, maxRetries });

async function upload(client: OpenAI, text: string | Buffer, purpose: 'batch' | 'user_data' = 'batch'): Promise<string> {
  const file = await client.files.create({ file: await toFile(Buffer.from(text), 'input.jsonl'), purpose });
  return file.id;
}

/** Polls the way a real client does (retrieve until terminal), with a short interval for the fast time scale. */
async function waitFor(client: OpenAI, id: string, done: (b: Batch) => boolean = (b) => TERMINAL.has(b.status), timeoutMs = 10_000): Promise<Batch> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const batch = await client.batches.retrieve(id);
    if (done(batch)) return batch;
    if (Date.now() > deadline) throw new Error(`batch ${id} still ${batch.status} after ${timeoutMs} ms`);
    await sleep(5);
  }
}

async function download(client: OpenAI, fileId: string | null | undefined): Promise<string> {
  assert.ok(fileId, 'expected a file id');
  return (await client.files.content(fileId)).text();
}

const parseLines = (text: string): ResultLine[] =>
  text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as ResultLine);

const byCustomId = (lines: ResultLine[]): Map<string, ResultLine> => new Map(lines.map((l) => [l.custom_id, l]));

interface BatchRun {
  batch: Batch;
  created: Batch;
  output: ResultLine[];
  errors: ResultLine[];
}

/** Upload → create → poll → download both files: the path every adapter takes. */
async function runBatch(
  client: OpenAI,
  lines: readonly Line[],
  endpoint: BatchCreateParams['endpoint'] = '/v1/chat/completions',
  metadata?: Record<string, string>,
): Promise<BatchRun> {
  const inputFileId = await upload(client, jsonl(lines));
  const created = await client.batches.create({ input_file_id: inputFileId, endpoint, completion_window: '24h', ...(metadata ? { metadata } : {}) });
  const batch = await waitFor(client, created.id);
  const output = batch.output_file_id ? parseLines(await download(client, batch.output_file_id)) : [];
  const errors = batch.error_file_id ? parseLines(await download(client, batch.error_file_id)) : [];
  return { batch, created, output, errors };
}

const contentOf = (line: ResultLine | undefined): string => {
  const body = line?.response?.body as ChatCompletion | undefined;
  const content = body?.choices[0]?.message.content;
  assert.equal(typeof content, 'string');
  return content ?? '';
};

const statusOf = (err: unknown): number | undefined => (err instanceof APIError ? err.status : undefined);

let emu: RunningEmulator;
let client: OpenAI;

before(async () => {
  emu = await startOpenAiEmulator({ timeScale: FAST });
  client = openaiClient(emu);
});

after(async () => {
  await emu.close();
});

beforeEach(() => {
  emu.reset();
});

describe('OpenAI batch lifecycle', () => {
  it('uploads, creates with metadata, polls to completed and returns shuffled results matched by custom_id', async () => {
    const lines = Array.from({ length: 12 }, (_, i) => chatLine(`row-${i}`, `Question number ${i}: what is ${i} + ${i}?`));
    lines.push(chatLine('json-row', 'Give me JSON please', { response_format: { type: 'json_object' } }));
    const { created, batch, output, errors } = await runBatch(client, lines, '/v1/chat/completions', { project: 'contract', run: '1' });

    assert.equal(created.object, 'batch');
    assert.equal(created.status, 'validating');
    assert.equal(created.completion_window, '24h');
    assert.equal(created.endpoint, '/v1/chat/completions');
    assert.deepEqual(created.metadata, { project: 'contract', run: '1' });
    assert.deepEqual(created.request_counts, { total: 0, completed: 0, failed: 0 });
    assert.equal(typeof created.created_at, 'number');
    assert.equal(created.expires_at, created.created_at + 86_400);
    assert.equal(created.output_file_id, null);

    assert.equal(batch.status, 'completed');
    for (const field of ['in_progress_at', 'finalizing_at', 'completed_at'] as const) assert.equal(typeof batch[field], 'number', field);
    assert.equal(batch.failed_at, null);
    assert.deepEqual(batch.request_counts, { total: 13, completed: 13, failed: 0 });
    assert.equal(batch.model, MODEL);
    assert.equal(batch.error_file_id, null, 'OpenAI sets no error file when nothing failed');
    assert.deepEqual(errors, []);

    assert.equal(output.length, 13);
    assert.notDeepEqual(
      output.map((l) => l.custom_id),
      lines.map((l) => l.custom_id),
      'output order must not be input order',
    );
    const results = byCustomId(output);
    let inputTokens = 0;
    let outputTokens = 0;
    for (const line of lines) {
      const result = results.get(line.custom_id);
      assert.ok(result, `missing ${line.custom_id}`);
      assert.match(result.id, /^batch_req_/);
      assert.equal(result.error, null);
      assert.equal(result.response?.status_code, 200);
      assert.match(result.response?.request_id ?? '', /^req_/);
      const body = result.response?.body as unknown as ChatCompletion | undefined;
      assert.equal(body?.object, 'chat.completion');
      assert.equal(body?.model, MODEL);
      assert.equal(body?.choices[0]?.finish_reason, 'stop');
      const usage = body?.usage;
      const messages = line.body['messages'] as { content: string }[];
      const totalChars = messages.reduce((n, m) => n + m.content.length, 0);
      const content = contentOf(result);
      assert.equal(usage?.prompt_tokens, Math.ceil(totalChars / 4));
      assert.equal(usage?.completion_tokens, Math.ceil(content.length / 4));
      assert.equal(usage?.total_tokens, (usage?.prompt_tokens ?? 0) + (usage?.completion_tokens ?? 0));
      assert.equal(usage?.prompt_tokens_details?.cached_tokens, 0);
      assert.equal(usage?.completion_tokens_details?.reasoning_tokens, 0);
      inputTokens += usage?.prompt_tokens ?? 0;
      outputTokens += usage?.completion_tokens ?? 0;
    }
    assert.equal(contentOf(results.get('row-3')), 'Echo: Question number 3: what is 3 + 3?');
    assert.deepEqual(JSON.parse(contentOf(results.get('json-row'))), { echo: 'Give me JSON please', length: 19 });
    assert.equal(batch.usage?.input_tokens, inputTokens);
    assert.equal(batch.usage?.output_tokens, outputTokens);
    assert.equal(batch.usage?.total_tokens, inputTokens + outputTokens);

    const outFile = await client.files.retrieve(batch.output_file_id ?? '');
    assert.equal(outFile.purpose, 'batch_output');
    assert.equal(outFile.bytes, Buffer.byteLength(await download(client, batch.output_file_id)));
  });

  it('reports in_progress with growing request_counts, then finalizing', async () => {
    const slow = await startOpenAiEmulator({ timeScale: { validatingMs: 20, inProgressMs: 400, finalizingMs: 100 } });
    try {
      const c = openaiClient(slow);
      const inputFileId = await upload(c, jsonl(Array.from({ length: 40 }, (_, i) => chatLine(`r${i}`, `item ${i}`))));
      const { id } = await c.batches.create({ input_file_id: inputFileId, endpoint: '/v1/chat/completions', completion_window: '24h' });
      const mid = await waitFor(c, id, (b) => b.status === 'in_progress' && (b.request_counts?.completed ?? 0) > 0);
      assert.ok((mid.request_counts?.completed ?? 0) < 40);
      assert.equal(mid.request_counts?.total, 40);
      const fin = await waitFor(c, id, (b) => b.status === 'finalizing' || TERMINAL.has(b.status));
      assert.equal(fin.status, 'finalizing');
      assert.deepEqual(fin.request_counts, { total: 40, completed: 40, failed: 0 });
      assert.equal(fin.output_file_id, null, 'files appear only once completed');
    } finally {
      await slow.close();
    }
  });

  it('runs a /v1/responses batch with string and list input, and JSON via text.format', async () => {
    const lines = [
      responsesLine('s', 'Plain string input'),
      responsesLine('l', [
        { role: 'user', content: 'first turn' },
        { role: 'assistant', content: 'ok' },
        { role: 'user', content: [{ type: 'input_text', text: 'last user turn' }] },
      ]),
      responsesLine('j', 'structured please', { text: { format: { type: 'json_schema', name: 'x', schema: { type: 'object' } } } }),
    ];
    const { batch, output } = await runBatch(client, lines, '/v1/responses');
    assert.equal(batch.status, 'completed');
    const results = byCustomId(output);
    const textOf = (id: string): string => {
      const body = results.get(id)?.response?.body as { object: string; output: { content: { type: string; text: string }[] }[]; usage: { input_tokens: number; output_tokens: number; total_tokens: number } };
      assert.equal(body.object, 'response');
      return body.output[0]?.content[0]?.text ?? '';
    };
    assert.equal(textOf('s'), 'Echo: Plain string input');
    assert.equal(textOf('l'), 'Echo: last user turn');
    assert.deepEqual(JSON.parse(textOf('j')), { echo: 'structured please', length: 17 });
    const usage = (results.get('s')?.response?.body as { usage: { input_tokens: number; output_tokens: number; total_tokens: number } }).usage;
    assert.equal(usage.input_tokens, Math.ceil('Plain string input'.length / 4));
    assert.equal(usage.total_tokens, usage.input_tokens + usage.output_tokens);
  });

  it('retrieves, lists and deletes files; unknown ids are 404', async () => {
    const id = await upload(client, jsonl([chatLine('a', 'x')]));
    const file = await client.files.retrieve(id);
    assert.equal(file.purpose, 'batch');
    assert.equal(file.filename, 'input.jsonl');
    assert.equal(file.status, 'processed');
    assert.equal(typeof file.expires_at, 'number', 'batch input files expire after 30 days by default');
    const listed = [];
    for await (const f of client.files.list({ purpose: 'batch' })) listed.push(f.id);
    assert.deepEqual(listed, [id]);
    assert.deepEqual(await client.files.delete(id), { id, object: 'file', deleted: true });
    await assert.rejects(client.files.retrieve(id), (err) => err instanceof NotFoundError && err.param === 'id');
    await assert.rejects(client.batches.retrieve('batch_nope'), NotFoundError);
  });

  it('rejects bad create parameters with 400s the SDK maps to BadRequestError', async () => {
    const good = await upload(client, jsonl([chatLine('a', 'x')]));
    const notBatch = await upload(client, jsonl([chatLine('a', 'x')]), 'user_data');
    const cases: [Record<string, unknown>, string][] = [
      [{ input_file_id: 'file-missing', endpoint: '/v1/chat/completions', completion_window: '24h' }, 'input_file_id'],
      [{ input_file_id: notBatch, endpoint: '/v1/chat/completions', completion_window: '24h' }, 'input_file_id'],
      [{ input_file_id: good, endpoint: '/v1/nope', completion_window: '24h' }, 'endpoint'],
      [{ input_file_id: good, endpoint: '/chat/completions', completion_window: '24h' }, 'endpoint'],
      [{ input_file_id: good, endpoint: '/v1/chat/completions', completion_window: '48h' }, 'completion_window'],
      [
        { input_file_id: good, endpoint: '/v1/chat/completions', completion_window: '24h', metadata: Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`k${i}`, 'v'])) },
        'metadata',
      ],
    ];
    for (const [params, param] of cases) {
      await assert.rejects(client.batches.create(params as unknown as BatchCreateParams), (err) => err instanceof BadRequestError && err.param === param, param);
    }
    assert.equal(emu.batches().length, 0);
  });

  it('pages batches.list newest first with the SDK auto-pager (after = last id)', async () => {
    const inputFileId = await upload(client, jsonl([chatLine('a', 'x')]));
    const ids: string[] = [];
    for (let i = 0; i < 25; i++) {
      ids.push((await client.batches.create({ input_file_id: inputFileId, endpoint: '/v1/chat/completions', completion_window: '24h' })).id);
    }
    const firstPage = await client.batches.list({ limit: 10 });
    assert.equal(firstPage.data.length, 10);
    assert.equal(firstPage.has_more, true);
    const seen: string[] = [];
    for await (const b of client.batches.list({ limit: 10 })) seen.push(b.id);
    assert.deepEqual(seen, ids.slice().reverse());
    const listCalls = emu.requests().filter((r) => r.method === 'GET' && r.path === '/v1/batches');
    assert.equal(listCalls.length, 4, 'one page for the manual call, three for the auto-pager');
    assert.ok(listCalls[2]?.query.includes(`after=${ids[15]}`), listCalls[2]?.query);
    assert.ok(listCalls[3]?.query.includes(`after=${ids[5]}`), listCalls[3]?.query);
    const raw = (await (await fetch(`${emu.openaiBaseUrl}/batches?limit=10&after=${ids[15]}`, { headers: { authorization: 'Bearer t' } })).json()) as Record<string, unknown>;
    assert.equal(raw['first_id'], ids[14]);
    assert.equal(raw['last_id'], ids[5]);
    assert.equal(raw['has_more'], true);
  });

  it('cancels mid-flight: cancelling → cancelled, partial output kept, the rest batch_cancelled', async () => {
    const slow = await startOpenAiEmulator({ timeScale: { validatingMs: 20, inProgressMs: 800, finalizingMs: 30 } });
    try {
      const c = openaiClient(slow);
      const lines = Array.from({ length: 40 }, (_, i) => chatLine(`r${i}`, `item ${i}`));
      const inputFileId = await upload(c, jsonl(lines));
      const { id } = await c.batches.create({ input_file_id: inputFileId, endpoint: '/v1/chat/completions', completion_window: '24h' });
      await waitFor(c, id, (b) => b.status === 'in_progress' && (b.request_counts?.completed ?? 0) >= 5);
      const cancelling = await c.batches.cancel(id);
      assert.equal(cancelling.status, 'cancelling');
      assert.equal(typeof cancelling.cancelling_at, 'number');
      const done = await waitFor(c, id);
      assert.equal(done.status, 'cancelled');
      assert.equal(typeof done.cancelled_at, 'number');
      const finished = done.request_counts?.completed ?? 0;
      assert.ok(finished >= 5 && finished < 40, `finished ${finished}`);
      const output = parseLines(await download(c, done.output_file_id));
      const errors = parseLines(await download(c, done.error_file_id));
      assert.equal(output.length, finished);
      assert.equal(errors.length, 40 - finished);
      for (const e of errors) {
        assert.equal(e.response, null);
        assert.equal(e.error?.code, 'batch_cancelled');
      }
      assert.deepEqual(new Set([...output, ...errors].map((l) => l.custom_id)), new Set(lines.map((l) => l.custom_id)));
      await assert.rejects(c.batches.cancel(id), BadRequestError);
    } finally {
      await slow.close();
    }
  });

  it('cancels while validating: every item comes back batch_cancelled', async () => {
    const inputFileId = await upload(client, jsonl([chatLine('a', 'x'), chatLine('b', 'y')]));
    const { id } = await client.batches.create({ input_file_id: inputFileId, endpoint: '/v1/chat/completions', completion_window: '24h' });
    assert.equal((await client.batches.cancel(id)).status, 'cancelling');
    const done = await waitFor(client, id);
    assert.equal(done.status, 'cancelled');
    assert.equal(done.output_file_id, null);
    assert.deepEqual(
      parseLines(await download(client, done.error_file_id)).map((l) => l.error?.code),
      ['batch_cancelled', 'batch_cancelled'],
    );
  });
});

describe('validation failures', () => {
  it('fails the batch with line-numbered errors', async () => {
    const lines = [
      JSON.stringify(chatLine('ok', 'fine')),
      '{"custom_id": "broken", ',
      JSON.stringify(chatLine('wrong-url', 'x', {}, '/v1/responses')),
      JSON.stringify(chatLine('ok', 'duplicate id')),
      JSON.stringify({ ...chatLine('other-model', 'x'), body: { model: 'gpt-4o', messages: [] } }),
      JSON.stringify({ ...chatLine('get', 'x'), method: 'GET' }),
      JSON.stringify({ custom_id: 'no-body', method: 'POST', url: '/v1/chat/completions' }),
    ];
    const inputFileId = await upload(client, `${lines.join('\n')}\n`);
    const { id } = await client.batches.create({ input_file_id: inputFileId, endpoint: '/v1/chat/completions', completion_window: '24h' });
    const batch = await waitFor(client, id);
    assert.equal(batch.status, 'failed');
    assert.equal(typeof batch.failed_at, 'number');
    assert.equal(batch.in_progress_at, null);
    assert.equal(batch.output_file_id, null);
    assert.equal(batch.error_file_id, null);
    assert.equal(batch.errors?.object, 'list');
    assert.deepEqual(
      batch.errors?.data?.map((e) => [e.line, e.code]),
      [
        [2, 'invalid_json_line'],
        [3, 'url_mismatch'],
        [4, 'duplicate_custom_id'],
        [5, 'model_mismatch'],
        [6, 'invalid_request'],
        [7, 'invalid_request'],
      ],
    );
    for (const e of batch.errors?.data ?? []) assert.equal(typeof e.message, 'string');
  });

  it('fails an empty file with empty_file', async () => {
    const inputFileId = await upload(client, '');
    const { id } = await client.batches.create({ input_file_id: inputFileId, endpoint: '/v1/chat/completions', completion_window: '24h' });
    const batch = await waitFor(client, id);
    assert.equal(batch.status, 'failed');
    assert.equal(batch.errors?.data?.[0]?.code, 'empty_file');
  });

  it('caps OpenAI at 50,000 lines (too_many_tasks) while Azure accepts up to 100,000', async () => {
    const text = jsonl(Array.from({ length: 50_001 }, (_, i) => ({ custom_id: `r${i}`, method: 'POST', url: '/v1/chat/completions', body: { model: MODEL, messages: [] } })));
    const inputFileId = await upload(client, text);
    const { id } = await client.batches.create({ input_file_id: inputFileId, endpoint: '/v1/chat/completions', completion_window: '24h' });
    const batch = await waitFor(client, id);
    assert.equal(batch.status, 'failed');
    assert.equal(batch.errors?.data?.[0]?.code, 'too_many_tasks');

    const azure = new OpenAI({ apiKey: 'k', baseURL: `${emu.url}/openai/v1`, maxRetries: 0 });
    const azFileId = await upload(azure, text);
    const azBatch = await azure.batches.create({ input_file_id: azFileId, endpoint: '/v1/chat/completions', completion_window: '24h' });
    const passed = await waitFor(azure, azBatch.id, (b) => b.status !== 'validating');
    assert.notEqual(passed.status, 'failed');
    assert.equal(passed.request_counts?.total, 50_001);
  });

  it('failValidation fails the next batch only', async () => {
    emu.setFaults({ failValidation: true });
    const first = await runBatch(client, [chatLine('a', 'x')]);
    assert.equal(first.batch.status, 'failed');
    assert.equal(first.batch.errors?.data?.[0]?.line, 1);
    const second = await runBatch(client, [chatLine('a', 'x')]);
    assert.equal(second.batch.status, 'completed');
  });
});

describe('capacity refusals (enqueued-token quota)', () => {
  // The exact wording the emulator promises (README, spec §1.2 / §2.3), written out here so a
  // change to it shows up as a failing contract rather than a silently different fixture.
  const openAiRefusal =
    'Enqueued token limit reached for gpt-4o-mini in organization org-emulator. Limit: 90,000 enqueued tokens. Please try again once some in_progress batches have been completed.';
  const azureRefusal = (deployment: string, limit: string): string =>
    `The number of enqueued tokens has surpassed the configured limit of ${limit} for the deployment '${deployment}'. Please either increase the limit or try again once the current jobs have finished.`;

  /** What every whole-batch capacity refusal looks like through the SDK, whatever the flavour. */
  function assertRefused(batch: Batch, message: string): void {
    assert.equal(batch.status, 'failed');
    assert.equal(typeof batch.failed_at, 'number');
    assert.equal(batch.in_progress_at, null, 'nothing ran');
    assert.equal(batch.output_file_id, null);
    assert.equal(batch.error_file_id, null);
    assert.deepEqual(batch.request_counts, { total: 0, completed: 0, failed: 0 });
    assert.deepEqual(batch.errors, { object: 'list', data: [{ code: 'token_limit_exceeded', line: null, param: null, message }] });
  }

  it('capacityRefusals: N refuses the next N batches as a whole (token_limit_exceeded, line null, no files), then lets them through', async () => {
    emu.setFaults({ capacityRefusals: 2 });
    const lines = [chatLine('a', 'one'), chatLine('b', 'two')];
    const first = await runBatch(client, lines);
    assertRefused(first.batch, openAiRefusal);
    assert.equal(first.created.status, 'validating', 'the refusal comes after validation, as on the real API');
    assertRefused((await runBatch(client, lines)).batch, openAiRefusal);
    const third = await runBatch(client, lines);
    assert.equal(third.batch.status, 'completed');
    assert.equal(third.output.length, 2);
    assert.equal(emu.createCalls(), 3);
  });

  it('a file with bad lines still fails for those lines while a refusal is pending', async () => {
    emu.setFaults({ capacityRefusals: 1 });
    const inputFileId = await upload(client, `${JSON.stringify(chatLine('a', 'x'))}\n{"custom_id": \n`);
    const { id } = await client.batches.create({ input_file_id: inputFileId, endpoint: '/v1/chat/completions', completion_window: '24h' });
    const batch = await waitFor(client, id);
    assert.deepEqual(
      batch.errors?.data?.map((e) => [e.line, e.code]),
      [[2, 'invalid_json_line']],
    );
  });

  it('Azure (dated and v1 styles): the same shape, Azure wording with the deployment name and the configured limit', async () => {
    emu.setFaults({ capacityRefusals: 2, capacityLimitTokens: 30_000 });
    const deploymentLine = (customId: string, url: string): Line => ({ ...chatLine(customId, 'x', {}, url), body: { model: 'gpt-4.1-batch', messages: [{ role: 'user', content: 'x' }] } });
    const dated = new AzureOpenAI({ apiKey: 'k', endpoint: emu.azureEndpoint, apiVersion: '2024-10-21', maxRetries: 0 });
    const viaDated = await runBatch(dated, [deploymentLine('a', '/chat/completions')], '/chat/completions' as BatchCreateParams['endpoint']);
    assertRefused(viaDated.batch, azureRefusal('gpt-4.1-batch', '30K'));
    const v1 = new OpenAI({ apiKey: 'k', baseURL: `${emu.url}/openai/v1`, maxRetries: 0 });
    assertRefused((await runBatch(v1, [deploymentLine('a', '/v1/chat/completions')])).batch, azureRefusal('gpt-4.1-batch', '30K'));
  });

  it('capacityRefusalFailFast: the create itself is a 400 BadRequestError with code token_limit_exceeded, and no batch exists', async () => {
    emu.setFaults({ capacityRefusals: 1, capacityRefusalFailFast: true });
    const az = new AzureOpenAI({ apiKey: 'k', endpoint: emu.azureEndpoint, apiVersion: '2024-10-21', maxRetries: 2 });
    const inputFileId = await upload(az, jsonl([{ ...chatLine('a', 'x', {}, '/chat/completions'), body: { model: 'my-batch-deployment', messages: [] } }]));
    const params = { input_file_id: inputFileId, endpoint: '/chat/completions' as BatchCreateParams['endpoint'], completion_window: '24h' as const };
    const error = await az.batches.create(params).then(
      () => assert.fail('the create should have been refused'),
      (e: unknown) => e,
    );
    assert.ok(error instanceof BadRequestError);
    assert.equal(error.status, 400);
    assert.equal(error.code, 'token_limit_exceeded');
    assert.equal((error.error as ErrorBody['error']).message, azureRefusal('my-batch-deployment', '90K'));
    assert.equal(emu.createCalls(), 1, 'the SDK does not retry a 400');
    assert.deepEqual(emu.batches(), []);
    assert.equal((await az.batches.create(params)).status, 'validating', 'the next create goes through');
  });

  it('is switched over HTTP too, validated, and counts down where GET /__emulator/faults shows it', async () => {
    const post = (body: unknown): Promise<Response> =>
      fetch(`${emu.url}/__emulator/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    assert.equal((await post({ capacityRefusals: -1 })).status, 400);
    assert.equal((await post({ capacityRefusals: 1.5 })).status, 400);
    assert.equal((await post({ capacityLimitTokens: 0 })).status, 400);
    assert.equal((await post({ capacityRefusalFailFast: 'yes' })).status, 400);
    assert.equal((await post({ capacityRefusals: 1 })).status, 200);
    assertRefused((await runBatch(client, [chatLine('a', 'x')])).batch, openAiRefusal);
    const faults = (await (await fetch(`${emu.url}/__emulator/faults`)).json()) as { faults: { capacityRefusals?: number } };
    assert.equal(faults.faults.capacityRefusals, 0);
    assert.equal((await runBatch(client, [chatLine('a', 'x')])).batch.status, 'completed');
  });
});

describe('item-level outcomes', () => {
  it('writes HTTP-level item failures to the error file with error: null', async () => {
    emu.setFaults({ itemErrors: { 'forced-422': { status: 422, code: 'unprocessable_thing' } } });
    const lines = [
      chatLine('ok-1', 'fine'),
      chatLine('ctx', 'too long [[fail:context_length_exceeded]]'),
      chatLine('boom', '[[fail:server_error]]'),
      chatLine('slow', '[[fail:rate_limit_exceeded]]'),
      chatLine('policy', '[[fail:content_policy_violation]]'),
      chatLine('odd', '[[fail:weird_code]]'),
      chatLine('forced-422', 'fine text'),
      chatLine('ok-2', 'fine'),
    ];
    const { batch, output, errors } = await runBatch(client, lines);
    assert.equal(batch.status, 'completed');
    assert.deepEqual(batch.request_counts, { total: 8, completed: 2, failed: 6 });
    assert.deepEqual(output.map((l) => l.custom_id).sort(), ['ok-1', 'ok-2']);
    const failed = byCustomId(errors);
    const expected: Record<string, [number, string, string]> = {
      ctx: [400, 'context_length_exceeded', 'invalid_request_error'],
      boom: [500, 'server_error', 'server_error'],
      slow: [429, 'rate_limit_exceeded', 'requests'],
      policy: [400, 'content_policy_violation', 'invalid_request_error'],
      odd: [400, 'weird_code', 'invalid_request_error'],
      'forced-422': [422, 'unprocessable_thing', 'invalid_request_error'],
    };
    for (const [customId, [status, code, type]] of Object.entries(expected)) {
      const line = failed.get(customId);
      assert.ok(line, customId);
      assert.equal(line.error, null, 'HTTP-level failures keep error: null');
      assert.equal(line.response?.status_code, status, customId);
      const body = line.response?.body as unknown as ErrorBody;
      assert.equal(body.error.code, code);
      assert.equal(body.error.type, type);
      assert.equal(typeof body.error.message, 'string');
      assert.ok('param' in body.error);
    }
  });

  it('[[fail-once:…]] fails the first attempt only; the retry batch and the sync call succeed', async () => {
    const line = chatLine('flaky', 'sometimes [[fail-once:server_error]]');
    const first = await runBatch(client, [line, chatLine('steady', 'fine')]);
    assert.equal(first.errors[0]?.custom_id, 'flaky');
    assert.equal(first.errors[0]?.response?.status_code, 500);
    const retry = await runBatch(client, [line]);
    assert.equal(retry.batch.request_counts?.completed, 1);
    assert.equal(contentOf(retry.output[0]), 'Echo: sometimes [[fail-once:server_error]]');

    const syncBody = { model: MODEL, messages: [{ role: 'user' as const, content: 'sync [[fail-once:server_error]]' }] };
    await assert.rejects(client.chat.completions.create(syncBody), InternalServerError);
    const ok = await client.chat.completions.create(syncBody);
    assert.equal(ok.choices[0]?.message.content, 'Echo: sync [[fail-once:server_error]]');
  });

  it('expireAfterFraction: expired with the first half finished and the rest batch_expired', async () => {
    emu.setFaults({ expireAfterFraction: 0.5 });
    const lines = Array.from({ length: 20 }, (_, i) => chatLine(`r${i}`, `item ${i}`));
    const { batch, output, errors } = await runBatch(client, lines);
    assert.equal(batch.status, 'expired');
    assert.equal(typeof batch.expired_at, 'number');
    assert.equal(batch.completed_at, null);
    assert.equal(output.length, 10);
    assert.equal(errors.length, 10);
    for (const e of errors) {
      assert.equal(e.response, null);
      assert.equal(e.error?.code, 'batch_expired');
    }
    assert.equal(new Set([...output, ...errors].map((l) => l.custom_id)).size, 20);
  });

  it('completedWithNullOutput: completed, output_file_id null, every item in the error file', async () => {
    emu.setFaults({ completedWithNullOutput: true });
    const { batch, errors } = await runBatch(client, Array.from({ length: 5 }, (_, i) => chatLine(`r${i}`, 'x')));
    assert.equal(batch.status, 'completed');
    assert.equal(batch.output_file_id, null);
    assert.ok(batch.error_file_id);
    assert.deepEqual(batch.request_counts, { total: 5, completed: 0, failed: 5 });
    assert.equal(errors.length, 5);
    assert.ok(errors.every((e) => e.error === null && e.response?.status_code === 500));
  });

  it('ordered: true writes output in input order', async () => {
    emu.setFaults({ ordered: true });
    const lines = Array.from({ length: 10 }, (_, i) => chatLine(`r${i}`, 'x'));
    const { output } = await runBatch(client, lines);
    assert.deepEqual(
      output.map((l) => l.custom_id),
      lines.map((l) => l.custom_id),
    );
  });

  it('truncateDownload (abort): the SDK response body rejects, and the next download is whole', async () => {
    const { batch } = await runBatch(client, Array.from({ length: 10 }, (_, i) => chatLine(`r${i}`, `item ${i}`)));
    emu.setFaults({ truncateDownload: true });
    const response = await client.files.content(batch.output_file_id ?? '');
    assert.equal(response.status, 200, 'the cut happens after the headers');
    await assert.rejects(response.text(), (err) => err instanceof TypeError && err.message === 'terminated');
    assert.equal(parseLines(await download(client, batch.output_file_id)).length, 10);
  });

  it("truncateDownload 'short': a well-formed but short body whose last line is cut", async () => {
    const { batch } = await runBatch(client, Array.from({ length: 10 }, (_, i) => chatLine(`r${i}`, `item ${i}`)));
    const full = await download(client, batch.output_file_id);
    emu.setFaults({ truncateDownload: 'short' });
    const short = await download(client, batch.output_file_id);
    assert.ok(short.length < full.length);
    assert.ok(!short.endsWith('\n'));
    const last = short.split('\n').pop() ?? '';
    assert.throws(() => JSON.parse(last));
  });

  it('duplicateOutputLines writes one success line twice', async () => {
    emu.setFaults({ duplicateOutputLines: true });
    const { batch, output } = await runBatch(client, Array.from({ length: 6 }, (_, i) => chatLine(`r${i}`, 'x')));
    assert.equal(batch.request_counts?.completed, 6);
    assert.equal(output.length, 7);
    assert.equal(byCustomId(output).size, 6);
  });

  it('emptyContent / nonJsonContent apply to every item, even when JSON was asked for', async () => {
    const lines = [chatLine('a', 'x', { response_format: { type: 'json_object' } }), chatLine('b', 'y')];
    emu.setFaults({ emptyContent: true });
    const empty = await runBatch(client, lines);
    assert.deepEqual(empty.output.map(contentOf), ['', '']);
    assert.ok(empty.output.every((l) => (l.response?.body as unknown as ChatCompletion).usage?.completion_tokens === 0));
    emu.setFaults({ nonJsonContent: true });
    const nonJson = await runBatch(client, lines);
    for (const line of nonJson.output) assert.throws(() => JSON.parse(contentOf(line)));
  });

  it('[[empty]] and [[not-json]] markers shape single items', async () => {
    const { output } = await runBatch(client, [
      chatLine('e', 'say nothing [[empty]]', { response_format: { type: 'json_object' } }),
      chatLine('n', 'bad json [[not-json]]', { response_format: { type: 'json_schema', json_schema: { name: 'x', schema: {} } } }),
      chatLine('j', 'good json', { response_format: { type: 'json_object' } }),
    ]);
    const results = byCustomId(output);
    assert.equal(contentOf(results.get('e')), '');
    assert.throws(() => JSON.parse(contentOf(results.get('n'))));
    assert.deepEqual(JSON.parse(contentOf(results.get('j'))), { echo: 'good json', length: 9 });
  });
});

describe('sync calls (third retry strike)', () => {
  it('chat.completions.create answers with the same fake model, markers included', async () => {
    const ok = await client.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'hello there' }] });
    assert.equal(ok.object, 'chat.completion');
    assert.equal(ok.model, MODEL);
    assert.equal(ok.choices[0]?.message.content, 'Echo: hello there');
    assert.deepEqual(
      [ok.usage?.prompt_tokens, ok.usage?.completion_tokens, ok.usage?.total_tokens],
      [3, 5, 8],
    );
    const json = await client.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'j' }], response_format: { type: 'json_object' } });
    assert.deepEqual(JSON.parse(json.choices[0]?.message.content ?? ''), { echo: 'j', length: 1 });
    const empty = await client.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: '[[empty]]' }] });
    assert.equal(empty.choices[0]?.message.content, '');
    const notJson = await client.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: '[[not-json]]' }], response_format: { type: 'json_object' } });
    assert.throws(() => JSON.parse(notJson.choices[0]?.message.content ?? ''));

    await assert.rejects(
      client.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: '[[fail:context_length_exceeded]]' }] }),
      (err) => err instanceof BadRequestError && err.code === 'context_length_exceeded' && err.type === 'invalid_request_error' && err.param === 'messages',
    );
    await assert.rejects(
      client.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: '[[fail:server_error]]' }] }),
      (err) => err instanceof InternalServerError && err.headers?.get('retry-after') === '0' && typeof err.requestID === 'string',
    );
    await assert.rejects(
      client.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: '[[fail:rate_limit_exceeded]]' }] }),
      (err) => err instanceof RateLimitError && err.headers?.get('retry-after') === '0',
    );
    // With SDK retries on, retry-after: 0 keeps three attempts at a persistent 500 fast.
    const chatCalls = (): number => emu.requests().filter((r) => r.path === '/v1/chat/completions').length;
    const callsBefore = chatCalls();
    const started = Date.now();
    await assert.rejects(
      openaiClient(emu, 2).chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: '[[fail:server_error]] again' }] }),
      InternalServerError,
    );
    assert.ok(Date.now() - started < 1000);
    assert.equal(chatCalls() - callsBefore, 3, 'maxRetries 2 = three attempts');
  });

  it('responses.create answers with a response object the SDK adds output_text to', async () => {
    const res = await client.responses.create({ model: MODEL, input: 'tell me something', instructions: 'be short' });
    assert.equal(res.object, 'response');
    assert.equal(res.status, 'completed');
    assert.equal(res.output_text, 'Echo: tell me something');
    assert.equal(res.usage?.input_tokens, Math.ceil(('tell me something'.length + 'be short'.length) / 4));
    assert.equal(res.usage?.input_tokens_details.cached_tokens, 0);
    assert.equal(res.usage?.output_tokens_details.reasoning_tokens, 0);
    const structured = await client.responses.create({
      model: MODEL,
      input: [{ role: 'user', content: 'shape it' }],
      text: { format: { type: 'json_schema', name: 's', schema: { type: 'object' } } },
    });
    assert.deepEqual(JSON.parse(structured.output_text), { echo: 'shape it', length: 8 });
    await assert.rejects(client.responses.create({ model: MODEL, input: 'nope [[fail:content_policy_violation]]' }), (err) => err instanceof BadRequestError && err.code === 'content_policy_violation');
  });
});

describe('endpoint faults and SDK retries', () => {
  it('429/500 on create surface as errors with maxRetries: 0', async () => {
    const inputFileId = await upload(client, jsonl([chatLine('a', 'x')]));
    const params: BatchCreateParams = { input_file_id: inputFileId, endpoint: '/v1/chat/completions', completion_window: '24h' };
    emu.setFaults({ endpointFaults: [{ endpoint: 'POST /batches', times: 1, status: 500 }] });
    await assert.rejects(client.batches.create(params), (err) => err instanceof InternalServerError && err.status === 500 && err.headers?.get('retry-after') === '0');
    emu.setFaults({ endpointFaults: [{ endpoint: 'POST /batches', times: 1, status: 429, retryAfter: 7 }] });
    await assert.rejects(client.batches.create(params), (err) => err instanceof RateLimitError && err.code === 'rate_limit_exceeded' && err.headers?.get('retry-after') === '7');
    emu.setFaults({ endpointFaults: [{ endpoint: 'POST /batches', times: 1, status: 503, retryAfter: null }] });
    await assert.rejects(client.batches.create(params), (err) => statusOf(err) === 503 && err instanceof APIError && err.headers?.get('retry-after') === null);
    assert.equal(emu.batches().length, 0);
    assert.equal(emu.createCalls(), 3);
    // The switch ran out: the next create goes through.
    assert.equal((await client.batches.create(params)).status, 'validating');
  });

  it('with maxRetries: 2 the SDK rides out two 429s and exactly one batch is created', async () => {
    const inputFileId = await upload(client, jsonl([chatLine('a', 'x')]));
    emu.setFaults({ endpointFaults: [{ endpoint: 'POST /batches', times: 2, status: 429, retryAfter: 0 }] });
    const batch = await openaiClient(emu, 2).batches.create({ input_file_id: inputFileId, endpoint: '/v1/chat/completions', completion_window: '24h' });
    assert.equal(emu.createCalls(), 3);
    const records = emu.batches();
    assert.equal(records.length, 1);
    assert.equal(records[0]?.id, batch.id);
    assert.equal(records[0]?.createAttempt, 3);
  });

  it('faults on other routes: upload 503 retried, retrieve 500 surfaced', async () => {
    emu.setFaults({
      endpointFaults: [
        { endpoint: 'POST /files', times: 1, status: 503 },
        { endpoint: 'GET /batches/{id}', times: 1, status: 500 },
      ],
    });
    const inputFileId = await upload(openaiClient(emu, 1), jsonl([chatLine('a', 'x')]));
    assert.equal(emu.requests().filter((r) => r.method === 'POST' && r.path === '/v1/files').length, 2);
    const { id } = await client.batches.create({ input_file_id: inputFileId, endpoint: '/v1/chat/completions', completion_window: '24h' });
    await assert.rejects(client.batches.retrieve(id), InternalServerError);
    assert.equal((await client.batches.retrieve(id)).id, id);
  });
});

describe('auth', () => {
  it('answers 401 with the OpenAI error body when no key is sent', async () => {
    const res = await fetch(`${emu.openaiBaseUrl}/batches`);
    assert.equal(res.status, 401);
    const body = (await res.json()) as ErrorBody;
    assert.deepEqual(Object.keys(body.error).sort(), ['code', 'message', 'param', 'type']);
    assert.equal(body.error.type, 'invalid_request_error');
    const noAuth = new OpenAI({ apiKey: 'test', baseURL: emu.openaiBaseUrl, maxRetries: 0, defaultHeaders: { Authorization: null } });
    await assert.rejects(noAuth.batches.list(), AuthenticationError);
  });

  it('accepts only the configured key, as Bearer or api-key', async () => {
    const locked = await startOpenAiEmulator({ timeScale: FAST, apiKey: 'secret' });
    try {
      await assert.rejects(
        new OpenAI({ apiKey: 'wrong', baseURL: locked.openaiBaseUrl, maxRetries: 0 }).batches.list(),
        (err) => err instanceof AuthenticationError && err.code === 'invalid_api_key',
      );
      assert.deepEqual((await new OpenAI({ apiKey: 'secret', baseURL: locked.openaiBaseUrl, maxRetries: 0 }).batches.list()).data, []);
      assert.deepEqual((await new AzureOpenAI({ apiKey: 'secret', endpoint: locked.azureEndpoint, apiVersion: '2024-10-21', maxRetries: 0 }).batches.list()).data, []);
    } finally {
      await locked.close();
    }
  });
});

describe('Azure OpenAI', () => {
  it('dated api-version style (AzureOpenAI): full flow, no /v1 in line urls, empty error file on success', async () => {
    const az = new AzureOpenAI({ apiKey: 'azure-key', endpoint: emu.azureEndpoint, apiVersion: '2024-10-21', maxRetries: 0 });
    const lines = Array.from({ length: 6 }, (_, i) => chatLine(`r${i}`, `azure ${i}`, {}, i % 2 === 0 ? '/chat/completions' : '/v1/chat/completions'));
    const { batch, output } = await runBatch(az, lines, '/chat/completions' as BatchCreateParams['endpoint']);
    assert.equal(batch.status, 'completed');
    assert.equal(output.length, 6);
    assert.ok(batch.error_file_id, 'Azure gives a clean batch an error file');
    assert.equal(await download(az, batch.error_file_id), '');
    assert.equal((await az.files.retrieve(batch.error_file_id)).bytes, 0);
    const body = output[0]?.response?.body as Record<string, unknown>;
    assert.ok(Array.isArray(body['prompt_filter_results']), 'Azure chat bodies carry content-filter results');

    const sync = await az.chat.completions.create({ model: 'my-deployment', messages: [{ role: 'user', content: 'hi' }] });
    assert.equal(sync.model, 'my-deployment');
    const paths = emu.requests().map((r) => `${r.method} ${r.path}?${r.query}`);
    assert.ok(paths.includes('POST /openai/batches?api-version=2024-10-21'));
    assert.ok(paths.includes('POST /openai/deployments/my-deployment/chat/completions?api-version=2024-10-21'));
  });

  it('dated style without api-version is a 404, as on Azure', async () => {
    const res = await fetch(`${emu.url}/openai/batches`, { headers: { 'api-key': 'k' } });
    assert.equal(res.status, 404);
  });

  it('v1 style (plain OpenAI client, baseURL …/openai/v1): full flow with Bearer auth', async () => {
    const v1 = new OpenAI({ apiKey: 'entra-or-key', baseURL: `${emu.url}/openai/v1`, maxRetries: 0 });
    const { batch, output } = await runBatch(v1, [chatLine('a', 'one'), chatLine('b', 'two')]);
    assert.equal(batch.status, 'completed');
    assert.equal(contentOf(byCustomId(output).get('b')), 'Echo: two');
    const listed = [];
    for await (const b of v1.batches.list()) listed.push(b.id);
    assert.deepEqual(listed, [batch.id]);
    assert.equal(emu.batches()[0]?.flavor, 'azure');
  });

  it('azureVariants: ISO timestamps, capitalised status, "" file ids, null counts while validating', async () => {
    emu.setFaults({ azureVariants: true });
    const az = new AzureOpenAI({ apiKey: 'k', endpoint: emu.azureEndpoint, apiVersion: '2024-10-21', maxRetries: 0 });
    const inputFileId = await upload(az, jsonl([chatLine('a', 'x')]));
    const created = (await az.batches.create({ input_file_id: inputFileId, endpoint: '/chat/completions' as BatchCreateParams['endpoint'], completion_window: '24h' })) as unknown as Record<string, unknown>;
    assert.equal(created['status'], 'Validating');
    assert.match(String(created['created_at']), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.match(String(created['expires_at']), /^\d{4}-\d\d-\d\dT/);
    assert.equal(created['output_file_id'], '');
    assert.equal(created['error_file_id'], '');
    assert.deepEqual(created['request_counts'], { total: null, completed: null, failed: null });
    const done = await waitFor(az, String(created['id']), (b) => String(b.status).toLowerCase() === 'completed');
    assert.equal(done.status as string, 'Completed');
    assert.deepEqual(done.request_counts, { total: 1, completed: 1, failed: 0 });
    assert.equal(parseLines(await download(az, done.output_file_id)).length, 1);
  });
});

describe('control endpoints and scale', () => {
  it('POST /__emulator/faults, GET /__emulator/batches and POST /__emulator/reset work over HTTP', async () => {
    const post = (path: string, body?: unknown): Promise<Response> =>
      fetch(`${emu.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    assert.equal((await post('/__emulator/faults', { endpointFaults: [{ endpoint: 'POST /batches', times: 1, status: 500 }] })).status, 200);
    assert.equal((await post('/__emulator/faults', { endpointFaults: [{ endpoint: 'POST /nope', times: 1, status: 500 }] })).status, 400);
    assert.equal((await post('/__emulator/faults', { typoSwitch: true })).status, 400);
    assert.equal((await post('/__emulator/faults', { endpointFaults: [{ endpoint: 'POST /batches', times: 1, status: 500 }] })).status, 200);
    const inputFileId = await upload(client, jsonl([chatLine('a', 'x')]));
    const params: BatchCreateParams = { input_file_id: inputFileId, endpoint: '/v1/chat/completions', completion_window: '24h', metadata: { k: 'v' } };
    await assert.rejects(client.batches.create(params), InternalServerError);
    const created = await client.batches.create(params);
    const listed = (await (await fetch(`${emu.url}/__emulator/batches`)).json()) as { batches: { id: string; metadata: unknown }[]; createCalls: number };
    assert.equal(listed.createCalls, 2);
    assert.deepEqual(
      listed.batches.map((b) => [b.id, b.metadata]),
      [[created.id, { k: 'v' }]],
    );
    assert.equal((await post('/__emulator/reset')).status, 200);
    assert.equal(emu.batches().length, 0);
    await assert.rejects(client.batches.retrieve(created.id), NotFoundError);
  });

  it('handles a 10,000-line file quickly and returns every custom_id', async () => {
    const lines = Array.from({ length: 10_000 }, (_, i) => chatLine(`row-${i}`, `item ${i} ${'lorem ipsum '.repeat(4)}`));
    const inputFileId = await upload(client, jsonl(lines));
    const { id } = await client.batches.create({ input_file_id: inputFileId, endpoint: '/v1/chat/completions', completion_window: '24h' });
    let slowest = 0;
    let batch: Batch | undefined;
    while (!batch || !TERMINAL.has(batch.status)) {
      await sleep(5);
      const started = performance.now();
      batch = await client.batches.retrieve(id);
      slowest = Math.max(slowest, performance.now() - started);
    }
    assert.equal(batch.status, 'completed');
    // The whole validate + run + write work lands in at most a couple of retrieves.
    assert.ok(slowest < 1000, `slowest retrieve took ${Math.round(slowest)} ms`);
    const output = byCustomId(parseLines(await download(client, batch.output_file_id)));
    assert.equal(output.size, 10_000);
    assert.ok(lines.every((l) => output.get(l.custom_id)?.response?.status_code === 200));
  });

  it('accepts a large upload through the SDK streaming multipart encoder', async () => {
    const line = `${JSON.stringify(chatLine('x', 'y'.repeat(4000)))}\n`;
    const chunk = Buffer.from(line.repeat(256));
    // ≈ 32 MB keeps the suite fast; 200 MB goes through the same linear path (measured by hand: ~1 s).
    const chunks = 32;
    async function* body(): AsyncGenerator<Buffer> {
      for (let i = 0; i < chunks; i++) yield chunk;
    }
    const file = await client.files.create({ file: toStreamingFile(body(), 'big.jsonl'), purpose: 'batch' });
    assert.equal(file.bytes, chunk.length * chunks);
    assert.equal(file.filename, 'big.jsonl');
  });
});
