// The words and numbers a notebook output shows, as pure functions of the payload: money, counts,
// the saving against sending everything one by one, item states in the user's words, and which
// job actions apply. Kept apart from the DOM so each rule is tested on its own.
import type { CostFigures, JobOutput, JobProgress, RequestsOutput } from '../../src/shared/notebookOutputs';

/** Dollars: four decimals under a dollar (batch costs often sit there), two from a dollar up. */
export function money(amount: number): string {
  const digits = Math.abs(amount) < 1 && amount !== 0 ? 4 : 2;
  return `$${amount.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })}`;
}

/** A count with thousands separators: 12,345. */
export function count(value: number): string {
  return value.toLocaleString('en-US');
}

/** "1 item", "2 items", "1,000 requests". */
export function counted(value: number, singular: string, plural = `${singular}s`): string {
  return `${count(value)} ${value === 1 ? singular : plural}`;
}

export function requestsHeadline(output: RequestsOutput): string {
  return `Built ${counted(output.count, 'request')} → ${output.file}`;
}

export function skippedHeadline(skipped: number): string {
  return `Skipped ${counted(skipped, 'row')}:`;
}

export function skippedRowText(row: number, message: string): string {
  return `Row ${count(row)}: ${message}`;
}

/** "openai · gpt-4o-mini · batch" (the model is left out when the file's lines name their own). */
export function jobMeta(output: Pick<JobOutput, 'provider' | 'model' | 'mode'>): string {
  return [output.provider, output.model, output.mode].filter((part) => part !== undefined && part !== '').join(' · ');
}

/**
 * What batching saves against sending the same items one by one at the full price, as
 * "$0.5000 (50%)"; empty when there is nothing to compare with. A run that costs more than the
 * baseline (sync mode with a dearer model, say) says so instead of showing a negative saving.
 */
export function savingText(figures: Pick<CostFigures, 'naiveSync' | 'expected'>): string {
  if (figures.naiveSync <= 0) return '';
  const difference = figures.naiveSync - figures.expected;
  const percent = Math.round((Math.abs(difference) / figures.naiveSync) * 100);
  return difference >= 0 ? `${money(difference)} (${percent}%)` : `${money(-difference)} (${percent}%) more`;
}

/** One figure of the cost preview: a label and its value, and a stable key to select it by. */
export interface Figure {
  readonly key: string;
  readonly label: string;
  readonly value: string;
}

export function previewFigures(figures: CostFigures): Figure[] {
  const list: Figure[] = [
    { key: 'items', label: 'Items', value: count(figures.items) },
    { key: 'valid', label: 'Valid', value: count(figures.valid) },
    { key: 'invalid', label: 'Invalid', value: count(figures.invalid) },
    { key: 'duplicates', label: 'Duplicates', value: count(figures.duplicates) },
    { key: 'cached', label: 'Cached', value: count(figures.cached) },
    { key: 'input-tokens', label: 'Input tokens', value: count(figures.inputTokens) },
    { key: 'output-tokens', label: 'Output tokens', value: count(figures.outputTokens) },
    { key: 'expected', label: 'Expected cost', value: money(figures.expected) },
    { key: 'max', label: 'At most', value: money(figures.max) },
  ];
  const saving = savingText(figures);
  if (saving) list.push({ key: 'saving', label: 'Saving vs one by one', value: saving });
  return list;
}

/** The item states a user reads, in the order they are shown. */
export type StateWord = 'succeeded' | 'failed' | 'dead-lettered' | 'waiting' | 'cached' | 'duplicates' | 'cancelled';

const STATE_ORDER: readonly StateWord[] = ['succeeded', 'failed', 'dead-lettered', 'waiting', 'cached', 'duplicates', 'cancelled'];
/** Shown even at zero: "0 failed" on a finished job is news too. */
const ALWAYS_SHOWN: ReadonlySet<StateWord> = new Set(['succeeded', 'failed']);

/** The store's item state in the user's words; every state not final yet is "waiting". */
export function stateWord(state: string): StateWord {
  switch (state) {
    case 'succeeded':
    case 'failed':
    case 'cached':
    case 'cancelled':
      return state;
    case 'dead_letter':
      return 'dead-lettered';
    case 'deduped':
      return 'duplicates';
    default:
      return 'waiting';
  }
}

/** One row's state: as stateWord, but a single deduplicated item is "duplicate". */
export function rowStateWord(state: string): string {
  const word = stateWord(state);
  return word === 'duplicates' ? 'duplicate' : word;
}

export interface StateCount {
  readonly state: StateWord;
  readonly count: number;
  /** "12 succeeded", "1 duplicate". */
  readonly text: string;
}

export function stateCounts(counts: Readonly<Record<string, number>>): StateCount[] {
  const totals = new Map<StateWord, number>();
  for (const [state, value] of Object.entries(counts)) {
    const word = stateWord(state);
    totals.set(word, (totals.get(word) ?? 0) + value);
  }
  return STATE_ORDER.filter((state) => ALWAYS_SHOWN.has(state) || (totals.get(state) ?? 0) > 0).map((state) => {
    const value = totals.get(state) ?? 0;
    const text = state === 'duplicates' ? counted(value, 'duplicate') : `${count(value)} ${state}`;
    return { state, count: value, text };
  });
}

/** "12 of 20 items done". */
export function progressText(progress: Pick<JobProgress, 'done' | 'total'>): string {
  return `${count(progress.done)} of ${counted(progress.total, 'item')} done`;
}

/** "Spent $0.0040 of about $0.0100". */
export function spendText(progress: Pick<JobProgress, 'spent' | 'estimate'>): string {
  return `Spent ${money(progress.spent)} of about ${money(progress.estimate)}`;
}

/** "Tried 5 items · spent $0.0012". */
export function trialText(trial: { count: number; spent: number }): string {
  return `Tried ${counted(trial.count, 'item')} · spent ${money(trial.spent)}`;
}

/** "3 items — e.g. “Rate limited”". */
export function failureText(failure: { count: number; example: string }): string {
  return failure.example ? `${counted(failure.count, 'item')} — e.g. “${failure.example}”` : counted(failure.count, 'item');
}

/** "2 matched". */
export function matchedText(matched: number): string {
  return `${count(matched)} matched`;
}

/** The caption a rows table carries for screen readers: whose rows, and whether all are shown. */
export function rowsCaption(what: string, shown: number, total: number | undefined): string {
  return total !== undefined && total > shown ? `${what}: first ${count(shown)} of ${counted(total, 'item')}` : `${what}: ${counted(shown, 'item')}`;
}

/** Items that failed for good or went to the dead letter: what "Resubmit Failed" would send again. */
export function failedItems(output: Pick<JobOutput, 'progress' | 'rows' | 'failures'>): number {
  if (output.progress) return (output.progress.counts['failed'] ?? 0) + (output.progress.counts['dead_letter'] ?? 0);
  const fromRows = (output.rows ?? []).filter((row) => row.state === 'failed' || row.state === 'dead_letter').length;
  const fromClasses = (output.failures ?? []).reduce((sum, failure) => sum + failure.count, 0);
  return Math.max(fromRows, fromClasses);
}

/** The job-level buttons, in the order shown. Each posts the RendererToHost message of its name. */
export type JobAction = 'cancelJob' | 'resubmitFailed' | 'exportJsonl' | 'exportCsv' | 'revealJob';

export const JOB_ACTION_LABELS: Readonly<Record<JobAction, string>> = {
  cancelJob: 'Cancel Job',
  resubmitFailed: 'Resubmit Failed',
  exportJsonl: 'Export JSONL',
  exportCsv: 'Export CSV',
  revealJob: 'Show in Jobs View',
};

/**
 * The buttons that apply to a job output: none before there is a job; Cancel while it is not
 * final; Resubmit Failed when anything failed; Export once any item has an answer or a failure.
 */
export function jobActions(output: JobOutput): JobAction[] {
  if (!output.jobId) return [];
  const actions: JobAction[] = [];
  if (!output.final) actions.push('cancelJob');
  if (failedItems(output) > 0) actions.push('resubmitFailed');
  if ((output.progress?.done ?? 0) > 0 || (output.rows?.length ?? 0) > 0) actions.push('exportJsonl', 'exportCsv');
  actions.push('revealJob');
  return actions;
}

/** The results cell's columns a row can fill, with their headers. */
export const RESULT_COLUMNS = {
  id: 'Id',
  line: 'Line',
  state: 'State',
  input: 'Input',
  output: 'Output',
  cost: 'Cost',
  failureClass: 'Failure class',
} as const;
export type ResultColumn = keyof typeof RESULT_COLUMNS;
export const DEFAULT_COLUMNS: readonly ResultColumn[] = ['id', 'state', 'input', 'output', 'cost'];

/** The chosen columns a row can fill, in the chosen order; the default set if none of them can. */
export function knownColumns(columns: readonly string[]): ResultColumn[] {
  const known = columns.filter((column): column is ResultColumn => Object.hasOwn(RESULT_COLUMNS, column));
  return known.length > 0 ? [...new Set(known)] : [...DEFAULT_COLUMNS];
}
