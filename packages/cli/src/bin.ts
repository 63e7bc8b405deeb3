#!/usr/bin/env node
/** The `twofa` executable: wires `run` to the real process and sets the exit code, nothing more. */
import { type IO, systemClock } from './io.ts';
import { run } from './run.ts';

let stop: AbortController | undefined;

const io: IO = {
  stdout: { write: (text) => void process.stdout.write(text) },
  stderr: { write: (text) => void process.stderr.write(text) },
  stdin: {
    async read() {
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
