// What a panel keeps through a window reload: the webview saves it with setState, VS Code hands
// it back to the panel serializer, and the host opens the panel again from it. Checked like any
// message (the host never trusts its shape), and small: ids and choices, never results.
import { z } from 'zod';

export const costPreviewRestoreSchema = z.object({
  files: z.array(z.string().min(1)).min(1).max(1_000),
  provider: z.string().optional(),
  model: z.string().optional(),
});
export type CostPreviewRestore = z.infer<typeof costPreviewRestoreSchema>;

export const failureInspectorRestoreSchema = z.object({
  jobId: z.string().min(1),
  filter: z.array(z.string()),
  page: z.number().int().min(0),
});
export type FailureInspectorRestore = z.infer<typeof failureInspectorRestoreSchema>;
