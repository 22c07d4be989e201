// Prompt templates of a requests cell: `{{column}}` is replaced by the row's value of that column
// (spaces inside the braces are allowed), `{{_row}}` by the 1-based data row. Values go in as
// plain text: the request body's JSON encoding does all the escaping there is to do.

/** The placeholder that is the row number rather than a column. */
export const ROW_PLACEHOLDER = '_row';

const PLACEHOLDER = /\{\{\s*([^{}]*?)\s*\}\}/g;

/** The names a template uses, each once, in order of first use. */
export function placeholdersOf(template: string): string[] {
  const names = new Set<string>();
  for (const match of template.matchAll(PLACEHOLDER)) names.add(match[1] ?? '');
  return [...names];
}

/**
 * The template with each placeholder replaced by `row[name]` (`_row` by `rowNumber`). A name the
 * row lacks throws: callers check placeholders against the columns first (`missingPlaceholders`).
 */
export function renderTemplate(template: string, row: Readonly<Record<string, string>>, rowNumber?: number): string {
  return template.replace(PLACEHOLDER, (_whole, name: string) => {
    if (name === ROW_PLACEHOLDER && rowNumber !== undefined) return String(rowNumber);
    const value = row[name];
    if (value === undefined) throw new Error(`the template uses {{${name}}}, which this row does not have`);
    return value;
  });
}

/** Placeholders of the templates that name no column (`_row` always exists). */
export function missingPlaceholders(templates: readonly (string | undefined)[], columns: readonly string[]): string[] {
  const known = new Set(columns);
  const missing = new Set<string>();
  for (const template of templates) {
    if (template === undefined) continue;
    for (const name of placeholdersOf(template)) if (name !== ROW_PLACEHOLDER && !known.has(name)) missing.add(name);
  }
  return [...missing];
}

/** "the prompt uses {{sumary}}, but the dataset's columns are id, summary" */
export function missingPlaceholderMessage(missing: readonly string[], columns: readonly string[], source: string): string {
  const uses = missing.map((name) => `{{${name}}}`).join(', ');
  const available = columns.length > 0 ? `the columns of ${source} are ${columns.join(', ')}` : `${source} has no columns`;
  return `the templates use ${uses}, which ${missing.length === 1 ? 'is not a column' : 'are not columns'}: ${available} (and {{${ROW_PLACEHOLDER}}}, the row number)`;
}
