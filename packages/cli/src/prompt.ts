/**
 * Reading a secret typed at a terminal: `twofa code -` with no pipe. The input is not echoed (it would
 * stay on screen and in scrollback), and Enter ends it, as in `ssh` or `sudo` password prompts.
 */
import { createInterface } from 'node:readline/promises';
import type { ReadStream } from 'node:tty';

/** A yes/no question on stderr, answered on the terminal: only "y" or "yes" (any case) is a yes. */
export async function askAtTerminal(question: string): Promise<boolean> {
  const terminal = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await terminal.question(question);
    return /^\s*y(es)?\s*$/i.test(answer);
  } finally {
    terminal.close();
  }
}

const ENTER = new Set(['\r', '\n', '\u0004']); // Enter, or Ctrl-D
const CTRL_C = '\u0003';
const BACKSPACE = new Set(['\u007f', '\b']);

export function readHiddenLine(
  input: ReadStream,
  prompt: (text: string) => void,
  label: string,
): Promise<string | undefined> {
  // Raw mode (no echo) before the prompt: what is typed as soon as the prompt shows is never echoed.
  input.setRawMode(true);
  prompt(`${label} (not shown as you type; Enter to finish): `);
  input.setEncoding('utf8');
  let line = '';
  return new Promise((resolve) => {
    const finish = (value: string | undefined) => {
      input.off('data', onData);
      input.setRawMode(false);
      input.pause();
      prompt('\n');
      resolve(value);
    };
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ENTER.has(ch)) return finish(line);
        if (ch === CTRL_C) return finish(undefined);
        if (BACKSPACE.has(ch)) line = line.slice(0, -1);
        else line += ch;
      }
    };
    input.on('data', onData);
    input.resume();
  });
}
