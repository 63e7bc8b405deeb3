#!/usr/bin/env node
/** The `twofa` executable: wires `run` to the real process and sets the exit code, nothing more. */
import { type IO, systemClock } from './io.ts';
import { askAtTerminal, readHiddenLine } from './prompt.ts';
import { run } from './run.ts';

let stop: AbortController | undefined;

// `twofa code --watch | head -1`: the reader went away. That ends a pipeline normally; no stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
    process.exit(typeof process.exitCode === 'number' ? process.exitCode : 0);
  });
}

const io: IO = {
  stdout: { write: (text) => void process.stdout.write(text) },
  stderr: { write: (text) => void process.stderr.write(text) },
  stdin: {
    async read() {
      if (process.stdin.isTTY) {
        const line = await readHiddenLine(process.stdin, (text) => process.stderr.write(text), 'Secret');
        if (line === undefined) process.exit(130); // Ctrl-C at the prompt
        return line;
      }
      const chunks: Buffer[] = [];
      for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks).toString('utf8');
    },
  },
  env: process.env,
  isTTY: process.stdout.isTTY === true,
  cwd: process.cwd(),
  clock: systemClock,
  terminalColumns: () => process.stdout.columns,
  ...(process.stdin.isTTY && process.stderr.isTTY ? { confirm: askAtTerminal } : {}),
  stopSignal() {
    if (stop === undefined) {
      const controller = new AbortController();
      // Once: a second Ctrl-C falls through to the default and kills a process that is slow to stop.
      process.once('SIGINT', () => controller.abort());
      process.once('SIGTERM', () => controller.abort());
      stop = controller;
    }
    return stop.signal;
  },
};

process.exitCode = await run(process.argv.slice(2), io);
