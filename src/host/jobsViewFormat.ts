// The Jobs view's words and numbers, kept free of `vscode` so they are unit-tested in plain Node.
import { formatDollars } from '../core/budget';
import { PROVIDER_LIMITS, isProviderId } from '../core/providerLimits';
import { strikeLabel } from '../engine/retryLadder';
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

/** "running · 120/150 done · $0.0123 · 3 min ago" */
export function jobDescription(job: JobRow, counts: Partial<Record<ItemState, number>>, actualCost: number, now: number): string {
  const total = Object.values(counts).reduce((a, b) => a + b, 0);
  const done = (counts.succeeded ?? 0) + (counts.deduped ?? 0) + (counts.cached ?? 0);
  const status = job.blockedReason ?? (job.waitingReason ? 'waiting for capacity' : job.status.replace(/_/g, ' '));
  return `${status} · ${done}/${total} done · ${formatDollars(actualCost)} · ${age(job.createdAt, now)}`;
}

/** "line 12 · transient · $0.000004" */
export function itemDescription(item: ItemRow): string {
  return `line ${item.line}${item.failureClass ? ` · ${item.failureClass}` : ''}${item.cost > 0 ? ` · ${formatDollars(item.cost)}` : ''}`;
}

export function itemTooltip(item: ItemRow): string {
  return item.failureMessage ? `${item.failureClass ?? ''}${item.failureCode ? ` (${item.failureCode})` : ''}: ${item.failureMessage}` : `${item.state}, ${strikeLabel(item.strike)}`;
}

/** "just now", "3 min ago", "2 h ago", "4 d ago". */
export function age(iso: string, now: number): string {
  const minutes = Math.max(0, Math.round((now - Date.parse(iso)) / 60_000));
  if (minutes < 1) return 'just now';
  if (minutes < 60) return `${minutes} min ago`;
  if (minutes < 48 * 60) return `${Math.round(minutes / 60)} h ago`;
  return `${Math.round(minutes / 1440)} d ago`;
}
