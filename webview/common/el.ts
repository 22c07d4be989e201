// The one way the webviews build DOM: elements from a tag, attributes and children, where every
// string becomes a Text node or an attribute value and never markup. Nothing here parses HTML,
// so a model output or file name like `<img src=x onerror=alert(1)>` can only ever show as text.

export type Child = Node | string | number | null | undefined | false;

export interface ElOptions {
  /** Space-separated classes. */
  readonly className?: string;
  /** Attributes, set with setAttribute (values are never parsed); `false`/undefined are skipped. */
  readonly attrs?: Readonly<Record<string, string | number | boolean | undefined>>;
  /** Event listeners by event name. */
  readonly on?: Readonly<Record<string, (event: Event) => void>>;
}

/**
 * Attributes el() refuses: inline handlers and anything that loads or runs a URL. The panels need
 * none of them, and refusing them here means no caller can pass data into one by mistake.
 */
const FORBIDDEN_ATTRIBUTE = /^(on|style$|href$|src$|srcdoc$|action$|formaction$|xlink:href$)/i;

export function el<K extends keyof HTMLElementTagNameMap>(tag: K, options?: ElOptions, ...children: Child[]): HTMLElementTagNameMap[K];
export function el(tag: string, options?: ElOptions, ...children: Child[]): HTMLElement;
export function el(tag: string, options: ElOptions = {}, ...children: Child[]): HTMLElement {
  const element = document.createElement(tag);
  if (options.className) element.className = options.className;
  for (const [name, value] of Object.entries(options.attrs ?? {})) {
    if (FORBIDDEN_ATTRIBUTE.test(name)) throw new Error(`el(): attribute ${name} is not allowed`);
    if (value === undefined || value === false) continue;
    element.setAttribute(name, value === true ? '' : String(value));
  }
  for (const [event, listener] of Object.entries(options.on ?? {})) element.addEventListener(event, listener);
  append(element, ...children);
  return element;
}

/** Appends children; strings and numbers as Text nodes. */
export function append(parent: Node, ...children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    parent.appendChild(typeof child === 'string' || typeof child === 'number' ? document.createTextNode(String(child)) : child);
  }
}

/** Replaces every child of `parent` (no innerHTML, even to clear). */
export function replaceChildren(parent: Element, ...children: Child[]): void {
  parent.replaceChildren();
  append(parent, ...children);
}
