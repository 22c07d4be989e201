// The Jobs tree's nodes: job → remote batches → state groups → items (paged). Each node knows
// its parent (so `reveal` works) and builds its TreeItem from the model alone — no I/O here.
import * as vscode from 'vscode';
import { jobFigures } from '../app/jobFigures';
import type { JobFigures } from '../app/jobFigures';
import type { BatchRow, ItemRow, JobRow } from '../store/stateIndex';
import type { ItemState } from '../store/storeEvents';
import { CommandIds } from './commandIds';
import { STATE_LABELS, batchStateWords, itemAccessibleLabel, itemDescription, itemTooltip, jobDescription, jobTooltipLines, rungWords } from './jobsViewFormat';
import { count } from '../shared/wording';
import type { JobWhereabouts } from './jobsViewFormat';

export type { JobWhereabouts } from './jobsViewFormat';

/** Every contextValue the tree uses, in one place (menus in package.json match on these). */
export const ContextValues = {
  jobRunning: 'llmBatch.job.running',
  jobFinished: 'llmBatch.job.finished',
  /** Waits for the user (never submitted, access refused) or was cancelled: it can be resumed. */
  jobResumable: 'llmBatch.job.resumable',
  batch: 'llmBatch.batch',
  /** A batch the provider has (it has a remote id to copy). */
  remoteBatch: 'llmBatch.batch.remote',
  stateGroup: 'llmBatch.stateGroup',
  failedGroup: 'llmBatch.stateGroup.failed',
  item: 'llmBatch.item',
  failedItem: 'llmBatch.item.failed',
  loadMore: 'llmBatch.loadMore',
} as const;

/** Added to a job's contextValue when it has failed or dead-lettered items. */
export const FAILURES_SUFFIX = '.failures';

export const PAGE_SIZE = 200;

export type JobsTreeNode = JobNode | BatchNode | StateGroupNode | ItemNode | LoadMoreNode;

const STATE_ICONS: Readonly<Record<ItemState, [string, string | undefined]>> = {
  queued: ['clock', undefined],
  submitted: ['loading~spin', undefined],
  succeeded: ['pass', 'testing.iconPassed'],
  failed: ['error', 'testing.iconFailed'],
  deduped: ['copy', 'descriptionForeground'],
  cached: ['database', 'descriptionForeground'],
  dead_letter: ['circle-slash', 'list.errorForeground'],
  cancelled: ['debug-stop', 'descriptionForeground'],
};

const JOB_ICONS: Readonly<Record<string, [string, string | undefined]>> = {
  submitting: ['cloud-upload', 'charts.blue'],
  running: ['sync~spin', 'charts.blue'],
  completed: ['pass', 'testing.iconPassed'],
  completed_with_failures: ['warning', 'list.warningForeground'],
  failed: ['error', 'list.errorForeground'],
  cancelled: ['circle-slash', 'descriptionForeground'],
};

export class JobNode {
  readonly kind = 'job';
  constructor(
    readonly job: JobRow,
    readonly counts: Partial<Record<ItemState, number>>,
    readonly actualCost: number,
    readonly now: number,
    readonly whereabouts?: JobWhereabouts,
    /** The job's figures from the index (without them, only what the counts and cost tell). */
    readonly figures: JobFigures = jobFigures({ job, counts, byStrike: [{ strike: 0, cost: actualCost, syncCost: actualCost, tokensIn: 0, tokensOut: 0 }] }),
  ) {}

  get parent(): undefined {
    return undefined;
  }

  toTreeItem(): vscode.TreeItem {
    const item = new vscode.TreeItem(this.job.name, vscode.TreeItemCollapsibleState.Collapsed);
    item.id = this.job.id;
    item.description = jobDescription(this.job, this.figures);
    const [icon, color] = JOB_ICONS[this.job.status] ?? ['circle-outline', undefined];
    item.iconPath = new vscode.ThemeIcon(icon, color ? new vscode.ThemeColor(color) : undefined);
    const base =
      this.job.blockedReason !== null || this.job.status === 'cancelled'
        ? ContextValues.jobResumable
        : this.job.status === 'running' || this.job.status === 'submitting'
          ? ContextValues.jobRunning
          : ContextValues.jobFinished;
    // Failure actions show only on a job that has failures (".failures").
    const failures = (this.counts.failed ?? 0) + (this.counts.dead_letter ?? 0);
    item.contextValue = failures > 0 ? `${base}${FAILURES_SUFFIX}` : base;
    // Text lines (appendText escapes them), then the two actions as trusted command links.
    const tooltip = new vscode.MarkdownString(undefined, true);
    tooltip.isTrusted = { enabledCommands: [CommandIds.showJobSummary, CommandIds.showLog] };
    for (const line of jobTooltipLines(this.job, this.figures, this.counts, this.whereabouts, this.now)) tooltip.appendText(`${line}\n`);
    const summaryArgs = encodeURIComponent(JSON.stringify([this.job.id]));
    tooltip.appendMarkdown(`\n[Show Summary](command:${CommandIds.showJobSummary}?${summaryArgs}) · [Show Log](command:${CommandIds.showLog})`);
    item.tooltip = tooltip;
    return item;
  }
}

export class BatchNode {
  readonly kind = 'batch';
  constructor(
    readonly parent: JobNode,
    /** Undefined for the pseudo-batches: strike-3 sync calls and items never sent. */
    readonly batch: BatchRow | undefined,
    readonly batchKey: string | null,
    readonly label: string,
    readonly counts: Partial<Record<ItemState, number>>,
  ) {}

  toTreeItem(): vscode.TreeItem {
    const item = new vscode.TreeItem(this.label, vscode.TreeItemCollapsibleState.Collapsed);
    item.id = `${this.parent.job.id}/${this.batchKey ?? 'unsent'}`;
    const total = Object.values(this.counts).reduce((a, b) => a + b, 0);
    item.description = this.batch ? `${batchStateWords(this.batch.state)} · ${count(total, 'item')} · ${rungWords(this.batch.strike)}` : count(total, 'item');
    item.iconPath = new vscode.ThemeIcon(this.batch ? 'package' : this.batchKey === 'sync' ? 'zap' : 'copy');
    item.tooltip = this.batch ? `${this.batch.remoteId ?? 'not created yet'} (${this.batch.rawStatus ?? batchStateWords(this.batch.state)})` : this.label;
    item.contextValue = this.batch?.remoteId ? ContextValues.remoteBatch : ContextValues.batch;
    return item;
  }
}

export class StateGroupNode {
  readonly kind = 'stateGroup';
  constructor(
    readonly parent: BatchNode,
    readonly state: ItemState,
    readonly count: number,
  ) {}

  toTreeItem(): vscode.TreeItem {
    const item = new vscode.TreeItem(STATE_LABELS[this.state], vscode.TreeItemCollapsibleState.Collapsed);
    item.id = `${this.parent.parent.job.id}/${this.parent.batchKey ?? 'unsent'}/${this.state}`;
    item.description = this.count.toLocaleString('en-US');
    const [icon, color] = STATE_ICONS[this.state];
    item.iconPath = new vscode.ThemeIcon(icon, color ? new vscode.ThemeColor(color) : undefined);
    item.contextValue = this.state === 'failed' || this.state === 'dead_letter' ? ContextValues.failedGroup : ContextValues.stateGroup;
    return item;
  }
}

export class ItemNode {
  readonly kind = 'item';
  constructor(
    readonly parent: StateGroupNode,
    readonly item: ItemRow,
  ) {}

  toTreeItem(): vscode.TreeItem {
    const row = this.item;
    const item = new vscode.TreeItem(row.id, vscode.TreeItemCollapsibleState.None);
    item.id = `${row.jobId}/${row.id}`;
    item.description = itemDescription(row);
    item.tooltip = itemTooltip(row);
    const [icon, color] = STATE_ICONS[row.state];
    item.iconPath = new vscode.ThemeIcon(icon, color ? new vscode.ThemeColor(color) : undefined);
    item.accessibilityInformation = { label: itemAccessibleLabel(row) };
    item.contextValue = row.state === 'failed' || row.state === 'dead_letter' ? ContextValues.failedItem : ContextValues.item;
    // A click opens the item's detail (request, answer or errors, source line); the source line alone is an inline action.
    item.command = { command: CommandIds.openItem, title: 'Open Item', arguments: [this] };
    return item;
  }
}

export class LoadMoreNode {
  readonly kind = 'loadMore';
  constructor(
    readonly parent: StateGroupNode,
    readonly remaining: number,
  ) {}

  toTreeItem(): vscode.TreeItem {
    const item = new vscode.TreeItem(`Load ${Math.min(PAGE_SIZE, this.remaining)} more…`, vscode.TreeItemCollapsibleState.None);
    item.id = `${this.parent.parent.parent.job.id}/${this.parent.parent.batchKey ?? 'unsent'}/${this.parent.state}/more`;
    item.description = `${this.remaining.toLocaleString('en-US')} not shown`;
    item.iconPath = new vscode.ThemeIcon('ellipsis');
    item.contextValue = ContextValues.loadMore;
    item.command = { command: CommandIds.loadMore, title: 'Load More', arguments: [this] };
    return item;
  }
}
