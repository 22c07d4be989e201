// Asking before spending: a y/N question on the terminal; without one, the question (with its
// cost) is still shown, the answer is no, and the user is told to pass --yes.
import { createInterface } from 'node:readline/promises';

export async function confirm(question: string): Promise<boolean> {
  if (!process.stdin.isTTY) {
    process.stderr.write(`${question.trimEnd()}\nNo terminal to confirm on: pass --yes to go ahead without asking.\n`);
    return false;
  }
  const readline = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await readline.question(question)).trim());
  } finally {
    readline.close();
  }
}
