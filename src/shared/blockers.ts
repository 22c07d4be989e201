// Why a submission cannot go ahead, as data: the CLI prints them, the cost preview lists them and
// lifts the one the user may waive (invalid lines, by submitting only the valid ones). One type for
// every path, so no caller has to recognise a reason by its wording.
import { z } from 'zod';

export const BLOCKER_KINDS = [
  /** Some lines are invalid: the user may submit the valid ones only. */
  'invalid_lines',
  /** A whole-file problem (mixed formats, repeated ids, too large…). */
  'file_problem',
  /** The budget cannot be checked: some model has no price. */
  'unpriced',
  /** The reservation would pass a daily or monthly cap. */
  'budget',
  'nothing_to_submit',
  /** No key (or endpoint) for the provider. */
  'no_credentials',
  /** The provider refused the key or could not be reached: nothing was journaled. */
  'provider_unreachable',
  /** The file is not the one that was estimated any more. */
  'file_changed',
  /** Another window or process writes this workspace's jobs. */
  'read_only',
] as const;
export type BlockerKind = (typeof BLOCKER_KINDS)[number];

export const blockerSchema = z.object({ kind: z.enum(BLOCKER_KINDS), message: z.string() });
export type Blocker = z.infer<typeof blockerSchema>;

/** The blockers that still stand once the user chose to skip invalid lines (or not). */
export function standingBlockers(blockers: readonly Blocker[], options: { skipInvalid: boolean }): Blocker[] {
  return blockers.filter((blocker) => !(options.skipInvalid && blocker.kind === 'invalid_lines'));
}

export function blockerText(blockers: readonly Blocker[]): string {
  return blockers.map((blocker) => blocker.message).join('; ');
}
