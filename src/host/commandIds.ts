// Every command id in one typed place; package.json's contributes.commands must list the same
// set (a test checks both directions).
export const CommandIds = {
  submitFile: 'llmBatch.submitFile',
  estimateFile: 'llmBatch.estimateFile',
  setApiKey: 'llmBatch.setApiKey',
  openSample: 'llmBatch.openSample',
  refresh: 'llmBatch.refresh',
  cancelJob: 'llmBatch.cancelJob',
  resumeJob: 'llmBatch.resumeJob',
  resubmitFailed: 'llmBatch.resubmitFailed',
  openResults: 'llmBatch.openResults',
  exportResults: 'llmBatch.exportResults',
  inspectFailures: 'llmBatch.inspectFailures',
  revealSourceLine: 'llmBatch.revealSourceLine',
  deleteJob: 'llmBatch.deleteJob',
  importBatches: 'llmBatch.importBatches',
  loadMore: 'llmBatch.loadMore',
  openItem: 'llmBatch.openItem',
  findItem: 'llmBatch.findItem',
  showJob: 'llmBatch.showJob',
  copyId: 'llmBatch.copyId',
  showJobSummary: 'llmBatch.showJobSummary',
  showLog: 'llmBatch.showLog',
  tryNotebookCell: 'llmBatch.notebook.tryCell',
  newNotebook: 'llmBatch.notebook.new',
} as const;

export type CommandId = (typeof CommandIds)[keyof typeof CommandIds];
