// Whether another process changed the store since a reader last loaded it. A read-only window
// follows the writer (another window, or a CLI) by reloading the whole index; it asks this
// first, so an idle workspace costs two stat calls per poll instead of a reload. Every change a
// writer makes lands in the journal (an append, or its truncation after a snapshot) or in the
// snapshot (replaced by a rename): their size, modification time and inode say so.
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { JOURNAL, SNAPSHOT } from './workspaceStore';

export type StatFile = (file: string) => Promise<{ readonly size: number; readonly mtimeMs: number; readonly ino: number }>;

export class StoreChangeDetector {
  private lastLoaded: string | undefined;

  /** `root`: the store folder (`<workspace>/.llm-batch`). */
  constructor(
    private readonly root: string,
    private readonly statFile: StatFile = stat,
  ) {}

  /**
   * The files' fingerprint when they differ from what was last loaded (always, before the first
   * load), else undefined. Taken before reloading and passed to `loaded` after it succeeded, so a
   * change made during the reload is seen by the next check.
   */
  async changed(): Promise<string | undefined> {
    const now = await this.current();
    return now === this.lastLoaded ? undefined : now;
  }

  /** The index read after `changed()` returned `fingerprint` is now the one shown. */
  loaded(fingerprint: string): void {
    this.lastLoaded = fingerprint;
  }

  /** The files' fingerprint as they are now (to pass to `loaded` when reading them first). */
  async current(): Promise<string> {
    const stamps = await Promise.all(
      [JOURNAL, SNAPSHOT].map(async (name) => {
        try {
          const { size, mtimeMs, ino } = await this.statFile(path.join(this.root, name));
          return `${size}:${mtimeMs}:${ino}`;
        } catch (error) {
          // Not written yet (a new workspace) or between a rename's two steps: absent is a state too.
          if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'absent';
          throw error;
        }
      }),
    );
    return stamps.join('|');
  }
}
