/// <reference lib="dom" />
// The webviews' only DOM builder, run against linkedom (a DOM in plain Node): hostile strings
// from a model, a file name or an error must come out as text, never as elements or handlers.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { parseHTML } from 'linkedom';
import type * as ElModule from '../../webview/common/el';

const HOSTILE = [
  '<img src=x onerror=alert(1)>',
  '<script>alert(1)</script>',
  '"><svg onload=alert(1)>',
  "'; alert(1); '",
  '<a href="javascript:alert(1)">x</a>',
  '&lt;b&gt;entity&lt;/b&gt;',
];

let el: typeof ElModule.el;
let replaceChildren: typeof ElModule.replaceChildren;
let document: Document;

before(async () => {
  const dom = parseHTML('<!DOCTYPE html><html><body><main id="app"></main></body></html>');
  document = dom.document as unknown as Document;
  // el() uses the page's global document, as it does in the webview.
  Object.assign(globalThis, { document });
  ({ el, replaceChildren } = await import('../../webview/common/el'));
});

describe('el()', () => {
  for (const payload of HOSTILE) {
    it(`renders ${JSON.stringify(payload)} as text`, () => {
      const node = el('div', { attrs: { title: payload, 'aria-label': payload } }, payload, el('span', {}, payload));
      document.body.appendChild(node);
      assert.equal(node.children.length, 1, 'only the span we built');
      assert.equal(node.querySelectorAll('img, script, svg, a').length, 0);
      assert.equal(node.textContent, payload + payload);
      assert.equal(node.getAttribute('title'), payload);
      // Serialised, the markup characters are escaped text, not tags.
      assert.doesNotMatch(node.innerHTML, /<(img|script|svg|a)\b/);
      node.remove();
    });
  }

  it('keeps a hostile string inert through replaceChildren too', () => {
    const host = el('p', {}, 'old');
    replaceChildren(host, HOSTILE[0], 42, null, false, undefined);
    assert.equal(host.textContent, `${HOSTILE[0]}42`);
    assert.equal(host.children.length, 0);
  });

  it('refuses inline handlers and URL-loading attributes', () => {
    for (const name of ['onclick', 'ONERROR', 'onload', 'style', 'href', 'src', 'srcdoc', 'formaction']) {
      assert.throws(() => el('div', { attrs: { [name]: 'alert(1)' } }), /not allowed/, name);
    }
  });

  it('sets classes, boolean attributes and listeners', () => {
    let clicks = 0;
    const button = el('button', { className: 'link x', attrs: { disabled: true, hidden: false, tabindex: -1 }, on: { click: () => clicks++ } }, 'Go');
    assert.equal(button.className, 'link x');
    assert.equal(button.getAttribute('disabled'), '');
    assert.equal(button.hasAttribute('hidden'), false);
    assert.equal(button.getAttribute('tabindex'), '-1');
    button.dispatchEvent(new (document.defaultView as unknown as { Event: typeof Event }).Event('click'));
    assert.equal(clicks, 1);
  });
});
