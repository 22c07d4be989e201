// The user's own prices, for models the price data does not know (an Azure deployment, a
// fine-tune) or where a negotiated rate applies: {"models": {"name": {"inputPerMTok": 1.25, ...}}}.
import { z } from 'zod';

export const pricesFileSchema = z.object({
  models: z.record(
    z.string(),
    z.object({
      /** Dollars per million input tokens at the synchronous price. */
      inputPerMTok: z.number().nonnegative(),
      outputPerMTok: z.number().nonnegative(),
      /** Share of the sync price a batch costs; defaults to the provider's (0.5). */
      batchMultiplier: z.number().positive().max(1).optional(),
    }),
  ),
});
