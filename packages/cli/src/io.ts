/**
 * What a command may touch of the outside world. `bin.ts` builds it from `process`; tests build their own
 * (a fake clock, a stop signal they control) and call `run` in-process.
 */
import { setTimeout as sleepMs } from 'node:timers/promises';

export interface Output {
  write(text: string): void;
}

/** Wall-clock time and waiting, injectable so `code --watch` can be tested without real seconds passing. */
export interface Clock {
  nowMs(): number;
  /** Waits `ms`, or less when `signal` aborts first. Never rejects. */
  sleep(ms: number, signal: AbortSignal): Promise<void>;
}

export interface IO {
  stdout: Output;
  stderr: Output;
  /** Reads all of standard input. Called only when the user asked for it (`-`). */
  stdin: { read(): Promise<string> };
  env: Record<string, string | undefined>;
  /** Whether stdout is a terminal: QR codes, colour and in-place redraws only then. */
  isTTY: boolean;
  cwd: string;
  clock: Clock;
  /**
   * A signal that aborts on Ctrl-C (SIGINT) or SIGTERM. Long-running commands (`code --watch`, `serve`) call it
   * to stop cleanly; other commands never do, so Ctrl-C kills them as usual.
   */
  stopSignal(): AbortSignal;
  /**
   * Asks a yes/no question at the terminal (on stderr) and reads the answer; absent when standard input is not
   * a terminal (a pipe, a script, a test), and then destructive commands need --yes.
   */
  confirm?(question: string): Promise<boolean>;
  /** The terminal's width in characters, when stdout is a terminal and it is known (read at each redraw). */
  terminalColumns?(): number | undefined;
}

export const systemClock: Clock = {
  nowMs: () => Date.now(),
  async sleep(ms, signal) {
    try {
      await sleepMs(ms, undefined, { signal });
    } catch {
      // aborted: the caller checks signal.aborted
    }
  },
};

/** Colour only on a terminal, and never when NO_COLOR is set to anything but the empty string (no-color.org). */
export function useColor(io: IO): boolean {
  const noColor = io.env.NO_COLOR;
  return io.isTTY && (noColor === undefined || noColor === '');
}
