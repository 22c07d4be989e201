// The renderer's stylesheet. A renderer draws into a plain element of the notebook's webview (no
// shadow root of its own and no stylesheet link of ours), so the rules go in one <style> element,
// added once and filled with textContent. Only --vscode-* colours, so Light, Dark and High
// Contrast themes all read well; no fixed widths, so a narrow editor scrolls the table instead of
// cutting it.

const STYLE_ID = 'llm-batch-notebook-renderer-styles';

export const STYLESHEET = `
.llmb-output {
  font-family: var(--vscode-font-family);
  font-size: var(--vscode-font-size);
  color: var(--vscode-foreground);
  line-height: 1.4;
}
.llmb-output > * + * { margin-top: 0.6em; }
.llmb-output section + section {
  border-top: 1px solid var(--vscode-editorWidget-border, var(--vscode-contrastBorder, transparent));
  padding-top: 0.6em;
}
.llmb-headline { font-weight: 600; font-size: 1.05em; margin: 0; }
.llmb-section-title { font-weight: 600; margin: 0 0 0.3em; }
.llmb-muted { color: var(--vscode-descriptionForeground); }
.llmb-list { margin: 0.2em 0; padding-left: 1.4em; }
.llmb-notes { color: var(--vscode-descriptionForeground); }
.llmb-error, .llmb-blockers, .llmb-alert { color: var(--vscode-errorForeground); }
.llmb-warning { color: var(--vscode-editorWarning-foreground, var(--vscode-foreground)); }
.llmb-code, .llmb-meta code {
  font-family: var(--vscode-editor-font-family);
  background: var(--vscode-textCodeBlock-background);
  padding: 0 0.25em;
  border-radius: 3px;
}
.llmb-figures {
  display: flex;
  flex-wrap: wrap;
  gap: 0.4em 1.4em;
  margin: 0;
}
.llmb-figure { display: flex; flex-direction: column; }
.llmb-figure dt { color: var(--vscode-descriptionForeground); font-size: 0.9em; }
.llmb-figure dd { margin: 0; font-variant-numeric: tabular-nums; font-weight: 600; }
.llmb-progress-line { display: flex; flex-wrap: wrap; align-items: center; gap: 0.6em; }
.llmb-progress-line progress { flex: 1 1 12em; min-width: 6em; accent-color: var(--vscode-progressBar-background); }
.llmb-chips { display: flex; flex-wrap: wrap; gap: 0.4em; padding: 0; margin: 0.3em 0; list-style: none; }
.llmb-chip {
  background: var(--vscode-badge-background);
  color: var(--vscode-badge-foreground);
  border: 1px solid var(--vscode-contrastBorder, transparent);
  border-radius: 1em;
  padding: 0.05em 0.7em;
  font-variant-numeric: tabular-nums;
}
.llmb-actions { display: flex; flex-wrap: wrap; gap: 0.4em; }
.llmb-button {
  font: inherit;
  cursor: pointer;
  color: var(--vscode-button-foreground);
  background: var(--vscode-button-background);
  border: 1px solid var(--vscode-button-border, var(--vscode-contrastBorder, transparent));
  border-radius: 2px;
  padding: 0.2em 0.8em;
}
.llmb-button:hover { background: var(--vscode-button-hoverBackground); }
.llmb-button.llmb-secondary {
  color: var(--vscode-button-secondaryForeground);
  background: var(--vscode-button-secondaryBackground);
}
.llmb-button.llmb-secondary:hover { background: var(--vscode-button-secondaryHoverBackground); }
.llmb-button:focus-visible {
  outline: 1px solid var(--vscode-focusBorder);
  outline-offset: 2px;
}
.llmb-table-scroll { overflow-x: auto; max-width: 100%; }
.llmb-table { border-collapse: collapse; width: 100%; }
.llmb-table caption {
  caption-side: top;
  text-align: left;
  color: var(--vscode-descriptionForeground);
  padding-bottom: 0.2em;
}
.llmb-table th, .llmb-table td {
  text-align: left;
  vertical-align: top;
  padding: 0.2em 0.6em 0.2em 0;
  border-bottom: 1px solid var(--vscode-editorWidget-border, var(--vscode-contrastBorder, transparent));
}
.llmb-table th { font-weight: 600; white-space: nowrap; }
.llmb-text { white-space: pre-wrap; overflow-wrap: anywhere; min-width: 14ch; }
.llmb-number { font-variant-numeric: tabular-nums; white-space: nowrap; }
.llmb-sample { margin: 0.3em 0; }
.llmb-sample-text {
  white-space: pre-wrap;
  overflow-wrap: anywhere;
  font-family: var(--vscode-editor-font-family);
  background: var(--vscode-textCodeBlock-background);
  padding: 0.3em 0.5em;
  margin: 0.2em 0 0;
}
`;

/**
 * Adds the stylesheet once to the root the output lives in: the document's head, or a shadow
 * root should VS Code ever put outputs in one (a stylesheet in the head would not reach it).
 */
export function installStyles(element: Element): void {
  const root = element.getRootNode();
  const inShadow = typeof ShadowRoot !== 'undefined' && root instanceof ShadowRoot;
  const container: ParentNode = inShadow ? root : (document.head ?? document.documentElement);
  if (container.querySelector(`#${STYLE_ID}`)) return;
  const style = document.createElement('style');
  style.id = STYLE_ID;
  style.textContent = STYLESHEET;
  container.appendChild(style);
}
