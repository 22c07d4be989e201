// Counts as people read them, shared by the host, the CLI and the webviews: "1 item", "2 items",
// "1,234 items" — never "1 items" or "item(s)".

/** `value` with thousands separators and the noun in the number it needs ("1 item", "12,000 items"). */
export function count(value: number, singular: string, plural = `${singular}s`): string {
  return `${value.toLocaleString('en-US')} ${value === 1 ? singular : plural}`;
}
