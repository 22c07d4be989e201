// Which lines of which file the Problems panel lists after an estimate, kept free of `vscode` so
// it is unit-tested in plain Node. Every estimated file gets an entry, an empty one when it is
// clean, so a later estimate clears what an earlier one reported.
import type { EstimateReport } from '../shared/estimateReport';

/** More than this many problems per file would only slow the Problems panel; the estimate counts them all. */
export const MAX_INVALID_LINES_PER_FILE = 1_000;

export interface InvalidLine {
  /** 1-based, as in the estimate report. */
  readonly line: number;
  readonly message: string;
}

export interface FileInvalidLines {
  readonly file: string;
  /** In line order, at most `limit` of them. */
  readonly lines: InvalidLine[];
  /** Invalid lines of this file left out by the limit. */
  omitted: number;
}

export function invalidLinesByFile(report: Pick<EstimateReport, 'files' | 'invalid'>, limit = MAX_INVALID_LINES_PER_FILE): FileInvalidLines[] {
  const byFile = new Map<string, FileInvalidLines>();
  const entry = (file: string): FileInvalidLines => {
    let found = byFile.get(file);
    if (!found) byFile.set(file, (found = { file, lines: [], omitted: 0 }));
    return found;
  };
  for (const { file } of report.files) entry(file);
  // A loop, not a sort of everything: a file with a million invalid lines keeps only `limit`.
  for (const { file, line, message } of report.invalid) {
    const found = entry(file);
    if (found.lines.length < limit) found.lines.push({ line, message });
    else found.omitted++;
  }
  for (const found of byFile.values()) found.lines.sort((a, b) => a.line - b.line);
  return [...byFile.values()];
}
