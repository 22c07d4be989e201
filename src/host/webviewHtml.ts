// The HTML shell of a webview panel and its Content Security Policy. Pure (no `vscode` import)
// so a unit test can read the policy; panelWebview.ts feeds it the webview's real values.
//
// The policy is the strictest one the panels work under:
// - `default-src 'none'`: nothing loads unless named below (no fetch, frames, fonts, media).
// - `script-src 'nonce-…'`: only our bundle's <script> tag runs; no inline handlers, no eval.
// - `style-src ${cspSource}`: only stylesheets loaded from the extension (media/webview.css).
//   No nonce and no 'unsafe-inline': @vscode-elements/elements (Lit) styles its shadow roots
//   with constructable stylesheets (`adoptedStyleSheets`), which CSP does not govern, and sets
//   dynamic styles through the CSSOM (`element.style.x = …`), which CSP allows. Lit only falls
//   back to nonce'd <style> elements where adoptedStyleSheets is missing, which is never the
//   case in VS Code's Chromium. VS Code's own default styles and its `acquireVsCodeApi` script
//   are inserted ahead of our <meta> tag, so this policy does not block them.
// - `img-src ${cspSource} data:`: the toolkit's inline images; no remote images (no beacons).
// - no `font-src`: the panels use no icon font (codicons are not loaded).
import { randomBytes } from 'node:crypto';

export interface WebviewShell {
  /** `webview.cspSource`. */
  readonly cspSource: string;
  /** A fresh nonce per render (see newNonce). */
  readonly nonce: string;
  /** The bundle, already converted with `webview.asWebviewUri`. */
  readonly scriptUri: string;
  /** media/webview.css, converted the same way. */
  readonly styleUri: string;
  /** The document title (the panel tab shows the panel's own title). */
  readonly title: string;
}

/** 128 random bits from the OS CSPRNG, base64: unguessable by a page that cannot read it. */
export function newNonce(): string {
  return randomBytes(16).toString('base64');
}

export function contentSecurityPolicy(cspSource: string, nonce: string): string {
  return [
    "default-src 'none'",
    `img-src ${cspSource} data:`,
    `style-src ${cspSource}`,
    `script-src 'nonce-${nonce}'`,
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
}

/**
 * The document: the policy first in <head> (it only governs what comes after it), the theme
 * stylesheet, an empty <main> for the bundle to fill, and the bundle itself. Every interpolated
 * value is escaped, though none of them is user data.
 */
export function webviewShellHtml(shell: WebviewShell): string {
  const csp = contentSecurityPolicy(shell.cspSource, shell.nonce);
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${escapeHtml(csp)}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${escapeHtml(shell.styleUri)}">
<title>${escapeHtml(shell.title)}</title>
</head>
<body>
<main id="app" aria-busy="true"></main>
<script nonce="${escapeHtml(shell.nonce)}" src="${escapeHtml(shell.scriptUri)}"></script>
</body>
</html>
`;
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
