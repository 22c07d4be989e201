// The Jobs view's words and numbers, kept free of `vscode` so they are unit-tested in plain Node.
import type { JobFigures } from '../app/jobFigures';
import { figureLines, formatCount } from '../app/jobFiguresText';
import { formatDollars } from '../core/budget';
import { FINAL_JOB_STATES } from '../engine/engine';
import type { JobProblem } from '../engine/engine';
import { PROVIDER_LIMITS, isProviderId } from '../core/providerLimits';
import { FIRST_BATCH_STRIKE, SYNC_STRIKE } from '../engine/retryLadder';
import type { ItemRow, JobRow } from '../store/stateIndex';
import type { ItemState, JobOptions } from '../store/storeEvents';

export const STATE_LABELS: Readonly<Record<ItemState, string>> = {
  queued: 'Queued',
  submitted: 'Pending',
  succeeded: 'Succeeded',
  failed: 'Failed',
  deduped: 'Duplicates (not sent)',
  cached: 'Cached (not sent)',
  dead_letter: 'Dead letter',
  cancelled: 'Cancelled',
};

/** Failures first: they are what a user opens the view for. */
export const STATE_ORDER: readonly ItemState[] = ['failed', 'dead_letter', 'submitted', 'queued', 'succeeded', 'cached', 'deduped', 'cancelled'];

/** How a job's provider is shown: its display name ("AWS Bedrock"), or the id as recorded when it is not one we know. */
export function providerName(provider: string): string {
  return isProviderId(provider) ? PROVIDER_LIMITS[provider].displayName : provider;
}

/**
 * Where a job's calls go, for its tooltip: the endpoint it remembers (Azure), else the base URL the
 * user points its provider at, else the provider itself with the region or location it runs in.
 */
export function jobEndpoint(job: Pick<JobRow, 'provider' | 'options'>, userBaseUrl: string | undefined): string | undefined {
  if (!isProviderId(job.provider)) return undefined;
  let settings: JobOptions['providerSettings'];
  try {
    settings = (JSON.parse(job.options) as Partial<JobOptions>).providerSettings;
  } catch {
    settings = undefined;
  }
  const url = settings?.endpoint ?? userBaseUrl;
  if (url) return url;
  const place = settings?.region ?? settings?.location;
  return `${providerName(job.provider)}${place ? ` (${place})` : ''}`;
}

/** A job's state in a word or two, for its row (the tooltip says why in full). */
export function shortJobState(job: Pick<JobRow, 'status' | 'blockedReason' | 'waitingReason'>): string {
  if (job.blockedReason !== null) return job.blockedReason.startsWith('not submitted') ? 'not submitted' : 'waits for you';
  if (job.waitingReason) return 'waiting for capacity';
  return job.status.replace(/_/g, ' ');
}

/** The figures a row shows. */
export type RowFigures = Pick<JobFigures, 'progress' | 'actual' | 'estimate'>;

/**
 * "running · 180/200 · $0.42 (est. $0.50)": the most important first — state, progress, cost
 * against the estimate — so a narrow sidebar, which cuts the row's end off, keeps what matters.
 * The reason a job waits is in its tooltip: here it is a word or two.
 */
export function jobDescription(job: Pick<JobRow, 'status' | 'blockedReason' | 'waitingReason'>, figures: RowFigures): string {
  const progress = `${formatCount(figures.progress.done)}/${formatCount(figures.progress.total)}`;
  return `${shortJobState(job)} · ${progress} · ${formatDollars(figures.actual.cost)} (est. ${formatDollars(figures.estimate.cost)})`;
}

/** What says why a job waits and where its work is: for the tooltip and the job summary. */
export interface JobWhereabouts {
  /** The provider endpoint the job talks to (the user's base URL, or the provider's default with its region). */
  readonly endpoint: string | undefined;
  /** The provider's ids of the job's batches still open there. */
  readonly openRemoteIds: readonly string[];
  readonly lastProblem: JobProblem | undefined;
  /** When the job is checked next (epoch ms), when this window drives it and a step said. */
  readonly nextCheckAt?: number | undefined;
}

/** "in 25 s", "in 3 min", "now". */
export function until(at: number, now: number): string {
  const seconds = Math.round((at - now) / 1000);
  if (seconds <= 0) return 'now';
  if (seconds < 120) return `in ${seconds} s`;
  return `in ${Math.round(seconds / 60)} min`;
}

/** Why an unfinished job waits, line by line: what it waits for, the last problem, endpoint, remote ids, next check. */
export function waitLines(job: JobRow, where: JobWhereabouts | undefined, now: number): string[] {
  const lines: string[] = [];
  if (job.blockedReason) lines.push(`Waits for you: ${job.blockedReason}. Resume it once fixed, or cancel it.`);
  if (job.waitingReason) lines.push(job.waitingReason);
  if (where?.lastProblem) lines.push(`Last problem (${age(new Date(where.lastProblem.at).toISOString(), now)}): ${where.lastProblem.message}`);
  if (!where || FINAL_JOB_STATES.has(job.status)) return lines;
  if (where.endpoint) lines.push(`Endpoint: ${where.endpoint}`);
  if (where.openRemoteIds.length > 0) {
    const more = where.openRemoteIds.length > 5 ? ` and ${where.openRemoteIds.length - 5} more` : '';
    lines.push(`At the provider: ${where.openRemoteIds.slice(0, 5).join(', ')}${more}`);
  }
  if (where.nextCheckAt !== undefined) lines.push(`Next check: ${until(where.nextCheckAt, now)} (${new Date(where.nextCheckAt).toLocaleTimeString('en-GB')})`);
  return lines;
}

/** Every line of a job's tooltip, the figures first, then why it waits. */
export function jobTooltipLines(job: JobRow, figures: JobFigures, counts: Partial<Record<ItemState, number>>, where: JobWhereabouts | undefined, now: number): string[] {
  return [
    `${job.name} (${job.id})`,
    `${providerName(job.provider)} · ${job.model} · submitted ${age(job.createdAt, now)}`,
    `${shortJobState(job)} · ${formatCount(figures.progress.done)} of ${formatCount(figures.progress.total)} items done`,
    ...figureLines(figures).map(({ label, text }) => `${label}: ${text}`),
    STATE_ORDER.filter((state) => (counts[state] ?? 0) > 0)
      .map((state) => `${STATE_LABELS[state]}: ${formatCount(counts[state] ?? 0)}`)
      .join(' · '),
    ...(job.alert ? [`⚠ ${job.alert}`] : []),
    ...waitLines(job, where, now),
  ].filter((line) => line.length > 0);
}

/** "line 12 · server error · $0.000004" */
export function itemDescription(item: ItemRow): string {
  return `line ${item.line}${item.failureClass ? ` · ${words(item.failureClass)}` : ''}${item.cost > 0 ? ` · ${formatDollars(item.cost)}` : ''}`;
}

export function itemTooltip(item: ItemRow): string {
  return item.failureMessage
    ? `${words(item.failureClass ?? '')}${item.failureCode ? ` (${item.failureCode})` : ''}: ${item.failureMessage}`
    : `${STATE_LABELS[item.state]}, ${rungWords(item.strike)}`;
}

/** What a screen reader announces for an item: its id, its line and its state (the tooltip is for the pointer). */
export function itemAccessibleLabel(item: ItemRow): string {
  return `${item.id}, line ${item.line}, ${STATE_LABELS[item.state]}${item.failureClass ? `, ${words(item.failureClass)}` : ''}`;
}

/**
 * A remote batch in words, from its key (`<job>.s<strike>.<kind><n>`): "Batch 2" for the first
 * submission's, "Retry batch 1" for the retry ladder's, "Resubmitted batch 1" for the user's,
 * "Resumed batch 1" after a resume, "Batch 1, sent again" after a capacity refusal.
 */
export function batchLabel(key: string): string {
  const match = /\.s\d+\.([a-z])(\d+)$/.exec(key);
  if (!match) return 'Batch';
  const [, kind, n] = match;
  switch (kind) {
    case 'b':
      return `Batch ${n}`;
    case 'r':
      return `Retry batch ${n}`;
    case 'm':
      return `Resubmitted batch ${n}`;
    case 'u':
      return `Resumed batch ${n}`;
    case 'c':
      return `Batch ${n}, sent again`;
    default:
      return `Batch ${n}`;
  }
}

/** A remote batch's state in words: a planned one is "not sent yet", never an "intent". */
export function batchStateWords(state: string): string {
  return state === 'intent' ? 'not sent yet' : state.replace(/_/g, ' ');
}

/** Which try a strike is, in words: "first try", "retry 1", "retry 2", "one-by-one call". */
export function rungWords(strike: number): string {
  if (strike <= FIRST_BATCH_STRIKE) return 'first try';
  return strike >= SYNC_STRIKE ? 'one-by-one call' : `retry ${strike}`;
}

/** `invalid_request` → "invalid request": words, not identifiers. */
function words(name: string): string {
  return name.replace(/_/g, ' ');
}

/** "just now", "3 min ago", "2 h ago", "4 d ago". */
export function age(iso: string, now: number): string {
  const minutes = Math.max(0, Math.round((now - Date.parse(iso)) / 60_000));
  if (minutes < 1) return 'just now';
  if (minutes < 60) return `${minutes} min ago`;
  if (minutes < 48 * 60) return `${Math.round(minutes / 60)} h ago`;
  return `${Math.round(minutes / 1440)} d ago`;
}
