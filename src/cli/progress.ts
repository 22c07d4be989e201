// Progress for long estimates, on stderr and only when stderr is a terminal, so pipes and
// `--json` consumers never see it. Redraws at most a few times a second.

export interface ProgressReporter {
  update(done: number, total: number): void;
  done(): void;
}

const MIN_BYTES = 20_000_000;
const REDRAW_MS = 200;

export function progressReporter(stream: NodeJS.WriteStream): ProgressReporter {
  let lastDraw = 0;
  let drawn = false;
  return {
    update(done, total) {
      if (!stream.isTTY || total < MIN_BYTES) return;
      const now = Date.now();
      if (now - lastDraw < REDRAW_MS && done < total) return;
      lastDraw = now;
      drawn = true;
      const percent = total === 0 ? 100 : Math.floor((done / total) * 100);
      stream.write(`\rreading ${(done / 1e6).toFixed(0)} / ${(total / 1e6).toFixed(0)} MB (${percent}%)`);
    },
    done() {
      if (drawn) stream.write('\r\x1b[K');
      drawn = false;
    },
  };
}
