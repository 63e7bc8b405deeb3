/** An in-memory IO for calling `run` in-process: captured output, a fake clock, a stop signal the test controls. */
import type { IO } from '../../src/io.ts';

export interface MemoryIO {
  io: IO;
  stdout(): string;
  stderr(): string;
  /** Every sleep the command asked for, in ms. */
  sleeps: number[];
}

export interface MemoryIOOptions {
  isTTY?: boolean;
  env?: Record<string, string>;
  stdin?: string;
  /** The fake clock's start, ms since the epoch. */
  startMs?: number;
  /** Abort the stop signal (as Ctrl-C would) once the command has slept this many times. */
  stopAfterSleeps?: number;
  /** The terminal's width in characters; unknown when left out. */
  columns?: number;
}

export function memoryIO(options: MemoryIOOptions = {}): MemoryIO {
  let out = '';
  let err = '';
  let nowMs = options.startMs ?? 0;
  const sleeps: number[] = [];
  const controller = new AbortController();
  if (options.stopAfterSleeps === 0) controller.abort();
  const io: IO = {
    stdout: {
      write(text) {
        out += text;
      },
    },
    stderr: {
      write(text) {
        err += text;
      },
    },
    stdin: { read: async () => options.stdin ?? '' },
    env: options.env ?? {},
    isTTY: options.isTTY ?? false,
    cwd: process.cwd(),
    clock: {
      nowMs: () => nowMs,
      async sleep(ms) {
        sleeps.push(ms);
        nowMs += ms;
        if (sleeps.length === options.stopAfterSleeps) controller.abort();
      },
    },
    stopSignal: () => controller.signal,
    terminalColumns: () => options.columns,
  };
  return { io, stdout: () => out, stderr: () => err, sleeps };
}
