// The item detail page's words and texts, built from the assembled detail (app/itemDetail.ts).
// Kept free of `vscode` so it is unit-tested in plain Node: the labels a user reads (no internal
// terms), the texts clipped to what a page shows, and the texts "Copy" puts on the clipboard.
import type { ItemAttempt, ItemDetail } from '../app/itemDetail';
import { MAX_BATCH_STRIKES, SYNC_STRIKE } from '../engine/retryLadder';
import { ITEM_DETAIL_ATTEMPTS_SHOWN, ITEM_DETAIL_TEXT_LIMIT } from '../shared/protocol';
import type { ItemDetailSection, ItemDetailView } from '../shared/protocol';
import type { ItemState } from '../store/storeEvents';
import { providerName } from './jobsViewFormat';

const ITEM_STATE_WORDS: Readonly<Record<ItemState, string>> = {
  queued: 'Queued',
  submitted: 'Pending at the provider',
  succeeded: 'Succeeded',
  failed: 'Failed',
  deduped: 'Duplicate (not sent)',
  cached: 'Cached (not sent)',
  dead_letter: 'Dead letter (given up)',
  cancelled: 'Cancelled',
};

/** Which rung of the retry ladder a strike is, in words: "first batch", "retry batch 2", "one-by-one call". */
export function rungName(strike: number): string {
  if (strike <= 0) return 'first batch';
  if (strike <= MAX_BATCH_STRIKES) return `retry batch ${strike}`;
  return strike === SYNC_STRIKE ? 'one-by-one call' : `retry ${strike}`;
}

/** "server error" for `transient`-like class names: words, not identifiers. */
export function failureWords(failureClass: string | null): string | null {
  return failureClass === null ? null : failureClass.replace(/_/g, ' ');
}

function clip(text: string): { text: string; truncated: boolean; length: number } {
  return text.length <= ITEM_DETAIL_TEXT_LIMIT ? { text, truncated: false, length: text.length } : { text: text.slice(0, ITEM_DETAIL_TEXT_LIMIT), truncated: true, length: text.length };
}

function attemptLabel(attempt: ItemAttempt, number: number): string {
  return `Attempt ${number} · ${rungName(attempt.strike)}`;
}

/**
 * What the page draws: every text clipped, every label in words; the latest attempts when there
 * are very many. `sentTo` is where the job's calls go (the base URL or the provider and region,
 * see `jobEndpoint`), shown before the API path the job recorded.
 */
export function itemDetailView(detail: ItemDetail, sentTo?: string): ItemDetailView {
  const { job, item } = detail;
  const earlier = Math.max(0, detail.attempts.length - ITEM_DETAIL_ATTEMPTS_SHOWN);
  return {
    job: { id: job.id, name: job.name, provider: providerName(job.provider), endpoint: sentTo ? `${sentTo} (${job.endpoint})` : job.endpoint },
    item: {
      id: item.id,
      line: item.line,
      state: ITEM_STATE_WORDS[item.state] ?? item.state,
      model: item.model,
      tokensIn: item.tokensIn,
      tokensOut: item.tokensOut,
      cost: item.cost,
      estimatedCost: item.estimatedCost,
      estimatedMax: item.estimatedMax,
    },
    source: {
      file: detail.source.file,
      line: detail.source.line,
      text: detail.source.text === undefined ? null : clip(detail.source.text),
      problem: detail.source.problem ?? null,
      changedSinceSubmit: detail.source.changedSinceSubmit,
    },
    request: { text: detail.request === undefined ? null : clip(detail.request), note: detail.requestNote ?? null },
    answer: detail.answer ? { content: detail.answer.content === undefined ? null : clip(detail.answer.content), raw: clip(detail.answer.raw), from: detail.answer.from } : null,
    attempts: detail.attempts.slice(earlier).map((attempt, i) => ({
      label: attemptLabel(attempt, earlier + i + 1),
      outcome: attempt.outcome,
      failure: failureWords(attempt.failureClass),
      code: attempt.code,
      message: attempt.message,
      remoteId: attempt.remoteId,
      batchKey: attempt.batchKey,
      tokensIn: attempt.tokensIn,
      tokensOut: attempt.tokensOut,
      cost: attempt.cost,
      at: attempt.at,
      raw: attempt.rawResult === null ? null : clip(attempt.rawResult),
    })),
    earlierAttempts: earlier,
    batches: detail.batches.map((batch) => ({ key: batch.key, remoteId: batch.remoteId, label: rungName(batch.strike), state: batch.state.replace(/_/g, ' ') })),
    deadLetter: detail.deadLetter ? { at: detail.deadLetter.at, reason: detail.deadLetter.reason ?? null } : null,
    duplicateOf: detail.duplicateOf ?? null,
    cachedFrom: detail.cachedFrom ? { jobId: detail.cachedFrom.jobId ?? null, itemId: detail.cachedFrom.itemId ?? null } : null,
    historyProblem: detail.historyProblem ?? null,
  };
}

/** The whole text a section's "Copy" puts on the clipboard (never the page's clipped one); undefined when the section is empty. */
export function itemDetailCopyText(detail: ItemDetail, section: ItemDetailSection): string | undefined {
  switch (section) {
    case 'source':
      return detail.source.text;
    case 'request':
      return detail.request;
    case 'answer':
      return detail.answer?.content ?? detail.answer?.raw;
    case 'rawAnswer':
      return detail.answer?.raw;
    case 'errors': {
      const failed = detail.attempts.map((attempt, i) => ({ attempt, number: i + 1 })).filter(({ attempt }) => attempt.outcome !== 'succeeded');
      if (failed.length === 0 && !detail.deadLetter) return undefined;
      const lines = failed.map(({ attempt, number }) => {
        const where = attempt.remoteId ? ` (${attempt.remoteId})` : '';
        const why = [failureWords(attempt.failureClass), attempt.code && `[${attempt.code}]`, attempt.message].filter(Boolean).join(' ');
        return `${attemptLabel(attempt, number)}${where}: ${attempt.outcome}${why ? ` — ${why}` : ''}`;
      });
      if (detail.deadLetter) lines.push(`Given up (dead letter)${detail.deadLetter.reason ? `: ${detail.deadLetter.reason}` : ''}`);
      return lines.join('\n');
    }
  }
}

/** How the panel's tab is titled: the item, then its job. */
export function itemDetailTitle(jobName: string, itemId: string): string {
  return `Item ${itemId} · ${jobName}`;
}
