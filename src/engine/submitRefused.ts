// A submission refused before anything was journaled or sent, with the typed reasons: the CLI,
// the cost preview and the notebook each show them their own way.
import type { Blocker } from '../shared/blockers';
import { blockerText } from '../shared/blockers';

export class SubmitRefused extends Error {
  constructor(readonly blockers: readonly Blocker[]) {
    super(`Not submitted: ${blockerText(blockers)}`);
    this.name = 'SubmitRefused';
  }
}
