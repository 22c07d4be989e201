import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { requestPreview } from '../../src/core/requestPreview';

const line = (record: unknown) => JSON.stringify(record);

describe('requestPreview', () => {
  it('takes the last user message of a chat request', () => {
    const text = requestPreview(
      line({
        custom_id: 'a',
        method: 'POST',
        url: '/v1/chat/completions',
        body: {
          model: 'gpt-4o-mini',
          messages: [
            { role: 'system', content: 'Be brief.' },
            { role: 'user', content: 'First question' },
            { role: 'assistant', content: 'An answer' },
            { role: 'user', content: [{ type: 'text', text: 'Second' }, { type: 'image_url', image_url: { url: 'data:' } }, { type: 'text', text: 'question' }] },
          ],
        },
      }),
    );
    assert.equal(text, 'Second question');
  });

  it('reads the Responses API, Anthropic, Gemini and embeddings shapes', () => {
    assert.equal(requestPreview(line({ custom_id: 'a', body: { model: 'm', input: 'Plain input' } })), 'Plain input');
    assert.equal(requestPreview(line({ custom_id: 'a', body: { input: [{ role: 'user', content: [{ type: 'input_text', text: 'Turn' }] }] } })), 'Turn');
    assert.equal(requestPreview(line({ custom_id: 'a', params: { model: 'claude', max_tokens: 5, messages: [{ role: 'user', content: 'Hi Claude' }] } })), 'Hi Claude');
    assert.equal(requestPreview(line({ key: 'a', request: { contents: [{ role: 'user', parts: [{ text: 'Hi Gemini' }] }] } })), 'Hi Gemini');
    assert.equal(requestPreview(line({ custom_id: 'a', body: { model: 'e', input: ['one', 'two'] } })), 'one two');
  });

  it('collapses whitespace and cuts at the limit without splitting a character', () => {
    const long = `${'word '.repeat(60)}end`;
    const text = requestPreview(line({ body: { messages: [{ role: 'user', content: `  a\n\n\tb ${long}` }] } }));
    assert.equal(Array.from(text).length, 120);
    assert.ok(text.startsWith('a b word'));
    assert.ok(text.endsWith('…'));
    const emoji = requestPreview(line({ body: { messages: [{ role: 'user', content: '😀'.repeat(200) }] } }), 10);
    assert.equal(emoji, `${'😀'.repeat(9)}…`);
  });

  it('falls back to the start of the body, or the raw line, and keeps markup as plain text', () => {
    assert.equal(requestPreview(line({ body: { model: 'm', temperature: 0 } })), '{"model":"m","temperature":0}');
    assert.equal(requestPreview('not json <img src=x onerror=alert(1)>'), 'not json <img src=x onerror=alert(1)>');
  });
});
