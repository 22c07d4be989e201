import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { contentSecurityPolicy, escapeHtml, newNonce, webviewShellHtml } from '../../src/host/webviewHtml';

const CSP_SOURCE = 'https://file+.vscode-resource.vscode-cdn.net';

function directives(csp: string): Map<string, string[]> {
  return new Map(
    csp
      .split(';')
      .map((d) => d.trim().split(/\s+/))
      .filter((parts) => parts[0])
      .map(([name = '', ...values]) => [name, values]),
  );
}

describe('webview CSP', () => {
  it('denies by default and allows scripts only by nonce', () => {
    const nonce = newNonce();
    const csp = directives(contentSecurityPolicy(CSP_SOURCE, nonce));
    assert.deepEqual(csp.get('default-src'), ["'none'"]);
    assert.deepEqual(csp.get('script-src'), [`'nonce-${nonce}'`]);
    assert.deepEqual(csp.get('style-src'), [CSP_SOURCE]);
    assert.deepEqual(csp.get('img-src'), [CSP_SOURCE, 'data:']);
    assert.deepEqual(csp.get('base-uri'), ["'none'"]);
  });

  it('never allows inline code, eval or remote hosts', () => {
    const csp = contentSecurityPolicy(CSP_SOURCE, newNonce());
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|unsafe-hashes|strict-dynamic/);
    assert.doesNotMatch(csp, /\*|https:(?!\/\/file\+)|http:/);
  });

  it('uses a fresh nonce of at least 128 random bits, in base64', () => {
    const nonces = new Set(Array.from({ length: 200 }, () => newNonce()));
    assert.equal(nonces.size, 200);
    for (const nonce of nonces) {
      assert.match(nonce, /^[A-Za-z0-9+/]+={0,2}$/);
      assert.ok(Buffer.from(nonce, 'base64').length >= 16, nonce);
    }
  });
});

describe('webview shell', () => {
  const nonce = newNonce();
  const html = webviewShellHtml({
    cspSource: CSP_SOURCE,
    nonce,
    scriptUri: `${CSP_SOURCE}/ext/dist/webview/costPreview/main.js`,
    styleUri: `${CSP_SOURCE}/ext/media/webview.css`,
    title: 'Cost preview <img src=x onerror=alert(1)>',
  });

  it('puts the policy before anything it governs', () => {
    const meta = html.indexOf('http-equiv="Content-Security-Policy"');
    assert.ok(meta > 0);
    assert.ok(meta < html.indexOf('<link'));
    assert.ok(meta < html.indexOf('<script'));
  });

  it('loads exactly one script, with the nonce, and no inline script or style', () => {
    const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
    assert.equal(scripts.length, 1);
    assert.match(scripts[0]?.[1] ?? '', new RegExp(`nonce="${nonce.replace(/[+/=]/g, (c) => `\\${c}`)}"`));
    assert.match(scripts[0]?.[1] ?? '', /src="[^"]+\/dist\/webview\/costPreview\/main\.js"/);
    assert.equal(scripts[0]?.[2], '');
    assert.doesNotMatch(html, /<style/i);
    assert.doesNotMatch(html, /<[a-z][^>]*\s(on[a-z]+|style)=/i);
  });

  it('escapes what it interpolates', () => {
    assert.doesNotMatch(html, /<img/);
    assert.match(html, /&#60;img src=x onerror=alert\(1\)&#62;/);
    assert.equal(escapeHtml(`<a href="x" title='y'>&</a>`), '&#60;a href=&#34;x&#34; title=&#39;y&#39;&#62;&#38;&#60;/a&#62;');
  });
});
