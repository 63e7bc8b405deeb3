/**
 * The bench's side of bench/loop-probe-install.ts: a server child started with `nodeArgs` counts its CPU time,
 * context switches, event-loop delay and GC pauses; `sample()` asks for what it saw since the last call
 * (SIGUSR2) and reads the line it appends. Used around each round of bare node:http and of the single-process
 * code steps: CPU per response is the steady measure of cost, and the rest tells a tail that comes from the
 * server's event loop (a synchronous stall, a GC pause) from one the machine adds (the thread off its CPU).
 */
import { readFileSync } from 'node:fs';
import type { RunningChild } from './child.ts';

export interface LoopSample {
  /** How long the period was. */
  readonly periodMs: number;
  /** CPU time of the whole process (every thread, user and system) over the period. */
  readonly cpuMs: number;
  /** Times the OS took the CPU from one of the process's threads, and times a thread waited of itself. */
  readonly involuntarySwitches: number;
  readonly voluntarySwitches: number;
  /** How late a 1 ms timer fired: percentiles and maximum over the period, in ms. */
  readonly delayP50Ms: number;
  readonly delayP99Ms: number;
  readonly delayMaxMs: number;
  /** Garbage-collector pauses in the period. */
  readonly gcCount: number;
  readonly gcTotalMs: number;
  readonly gcMaxMs: number;
}

/** A round's sample beside the responses the server gave in it. */
export interface ProbedRound extends LoopSample {
  readonly responses: number;
}

export interface LoopProbe {
  /** Node flags that install the probe in the child (its environment names the file). */
  readonly nodeArgs: readonly string[];
  /** Attaches the started child. */
  attach(child: RunningChild): void;
  /** What the child saw since the last sample (or since it started); undefined if it did not answer. */
  sample(): Promise<LoopSample | undefined>;
}

const INSTALL = new URL('./loop-probe-install.ts', import.meta.url).pathname;
const ANSWER_WAIT_MS = 2000;

/** A probe for a child whose environment has TWOFA_BENCH_LOOP_PROBE = `file` (twofa's: `database.env`). */
export function createLoopProbe(file: string): LoopProbe {
  let child: RunningChild | undefined;
  const lines = () => {
    try {
      return readFileSync(file, 'utf8').split('\n').filter(Boolean);
    } catch {
      return [];
    }
  };
  return {
    nodeArgs: ['--import', INSTALL],
    attach(started) {
      child = started;
    },
    async sample() {
      if (child === undefined || child.process.exitCode !== null) return undefined;
      const before = lines().length;
      child.process.kill('SIGUSR2');
      const deadline = performance.now() + ANSWER_WAIT_MS;
      while (performance.now() < deadline) {
        const now = lines();
        if (now.length > before) return JSON.parse(now.at(-1) as string) as LoopSample;
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      return undefined;
    },
  };
}
