// Every command id in one typed place; package.json's contributes.commands must list the same
// set (a test checks both directions).
export const CommandIds = {
  estimateFile: 'llmBatch.estimateFile',
} as const;

export type CommandId = (typeof CommandIds)[keyof typeof CommandIds];
