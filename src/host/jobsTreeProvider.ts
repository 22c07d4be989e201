// The Jobs view's data provider: reads the session's index (paged queries only) and rebuilds
// nodes on demand. It never writes, never notifies; the session's change event refreshes it.
import * as vscode from 'vscode';
import { jobFigures } from '../app/jobFigures';
import type { JobRow } from '../store/stateIndex';
import { BatchNode, ItemNode, JobNode, LoadMoreNode, PAGE_SIZE, StateGroupNode } from './jobsTreeNodes';
import type { JobsTreeNode, JobWhereabouts } from './jobsTreeNodes';
import { whereaboutsOf } from './jobWhereabouts';
import { STATE_ORDER, batchLabel } from './jobsViewFormat';
import type { WorkspaceSession } from './workspaceSession';

export class JobsTreeProvider implements vscode.TreeDataProvider<JobsTreeNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<JobsTreeNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  /** How many items each state group shows (grows with "Load more"). */
  private readonly shown = new Map<string, number>();
  private session: WorkspaceSession | undefined;
  private subscription: vscode.Disposable | undefined;

  setSession(session: WorkspaceSession | undefined): void {
    this.subscription?.dispose();
    this.session = session;
    this.subscription = session?.onDidChange(() => this.refresh());
    this.refresh();
  }

  refresh(): void {
    this.changed.fire(undefined);
  }

  loadMore(node: LoadMoreNode): void {
    const key = groupKey(node.parent);
    this.shown.set(key, (this.shown.get(key) ?? PAGE_SIZE) + PAGE_SIZE);
    this.changed.fire(node.parent);
  }

  getTreeItem(node: JobsTreeNode): vscode.TreeItem {
    return node.toTreeItem();
  }

  getParent(node: JobsTreeNode): JobsTreeNode | undefined {
    return node.parent;
  }

  getChildren(node?: JobsTreeNode): JobsTreeNode[] {
    const index = this.session?.store.index;
    if (!index) return [];
    const now = Date.now();
    if (!node) {
      // Per-job totals only (counts, spend by strike): the top level never scans items.
      return index.jobs().map((row) => {
        const job = this.asShown(row);
        const counts = index.countsByState(job.id);
        const figures = jobFigures({ job, counts, byStrike: index.spendByStrike(job.id) });
        return new JobNode(job, counts, figures.actual.cost, now, this.whereabouts(job), figures);
      });
    }
    switch (node.kind) {
      case 'job': {
        const jobId = node.job.id;
        const batches = index.batches(jobId).map((batch) => new BatchNode(node, batch, batch.key, batchLabel(batch.key), index.countsByStateInBatch(jobId, batch.key)));
        const sync = index.countsByStateInBatch(jobId, 'sync');
        if (Object.keys(sync).length > 0) batches.push(new BatchNode(node, undefined, 'sync', 'One by one (sync API)', sync));
        const unsent = index.countsByStateInBatch(jobId, null);
        if (Object.keys(unsent).length > 0) batches.push(new BatchNode(node, undefined, null, 'Not sent (duplicates and cache hits)', unsent));
        return batches;
      }
      case 'batch':
        return STATE_ORDER.filter((state) => (node.counts[state] ?? 0) > 0).map((state) => new StateGroupNode(node, state, node.counts[state] ?? 0));
      case 'stateGroup': {
        const limit = this.shown.get(groupKey(node)) ?? PAGE_SIZE;
        const items = index.items(node.parent.parent.job.id, { states: [node.state], batchKey: node.parent.batchKey, limit });
        const children: JobsTreeNode[] = items.map((item) => new ItemNode(node, item));
        if (node.count > items.length) children.push(new LoadMoreNode(node, node.count - items.length));
        return children;
      }
      default:
        return [];
    }
  }

  /**
   * A job a stopped process created but never got to the provider is not driven by itself (only
   * an explicit resume sends it): it shows as waiting for the user, like a blocked one.
   */
  private asShown(job: JobRow): JobRow {
    const engine = this.session?.engine;
    if (!engine || job.blockedReason !== null || job.status !== 'submitting' || engine.reachedProvider(job.id)) return job;
    return { ...job, blockedReason: 'not submitted: the process stopped before it reached the provider' };
  }

  private whereabouts(job: JobRow): JobWhereabouts | undefined {
    return this.session && whereaboutsOf(this.session, job);
  }

  dispose(): void {
    this.subscription?.dispose();
    this.changed.dispose();
  }
}

function groupKey(node: StateGroupNode): string {
  return `${node.parent.parent.job.id}/${node.parent.batchKey ?? ''}/${node.state}`;
}
