/**
 * The bench's side of bench/loop-probe-install.ts: a server child started with `nodeArgs` counts its CPU time,
 * context switches, event-loop delay and GC pauses; `sample()` asks for what it saw since the last call
 * (SIGUSR2) and reads the line it appends. Used around each round of bare node:http and of the single-process
 * code steps: CPU per response is the steady measure of cost, and the rest tells a tail that comes from the
 * server's event loop (a synchronous stall, a GC pause) from one the machine adds (the thread off its CPU).
 */
import { readFileSync } from 'node:fs';
import type { RunningChild } from './child.ts';

/** What a server's probe saw over one period (between two samples). */
export interface LoopSample {
  /** How long the period was. */
  readonly periodMs: number;
  /** CPU time of the whole process (every thread, user and system) over the period. */
  readonly cpuMs: number;
  /** Times the OS took the CPU from one of the process's threads. */
  readonly involuntarySwitches: number;
  /** Times a thread of the process gave up its CPU itself (to wait for I/O, a lock, a timer). */
  readonly voluntarySwitches: number;
  /**
   * The event loop's delay: the time between ticks of a 1 ms timer (`monitorEventLoopDelay`, which counts the
   * whole interval: about 1 ms when nothing holds the loop), its median, p99 and worst over the period.
   */
  readonly delayP50Ms: number;
  /** See delayP50Ms. */
  readonly delayP99Ms: number;
  /** See delayP50Ms. */
  readonly delayMaxMs: number;
  /** Garbage-collector pauses in the period: how many, their sum and the longest. */
  readonly gcCount: number;
  /** See gcCount. */
  readonly gcTotalMs: number;
  /** See gcCount. */
  readonly gcMaxMs: number;
}

/** A round's sample beside the responses the server gave in it. */
export interface ProbedRound extends LoopSample {
  /** Responses the load received in the round. */
  readonly responses: number;
}

/** The bench's handle on one server's probe. */
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
  /** The sequence number the answer to the next signal carries (the child counts its answers from 0). */
  let expected = 0;
  const answers = (): Array<LoopSample & { seq: number }> => {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      return [];
    }
    // Only whole lines: the child may be part-way through writing the last one.
    return text
      .slice(0, text.lastIndexOf('\n') + 1)
      .split('\n')
      .filter(Boolean)
      .flatMap((line) => {
        try {
          return [JSON.parse(line) as LoopSample & { seq: number }];
        } catch {
          return [];
        }
      });
  };
  return {
    nodeArgs: ['--import', INSTALL],
    attach(started) {
      child = started;
    },
    async sample() {
      const process = child?.process;
      if (process === undefined || process.exitCode !== null || process.signalCode !== null) return undefined;
      if (!process.kill('SIGUSR2')) return undefined;
      const wanted = expected++;
      const deadline = performance.now() + ANSWER_WAIT_MS;
      while (performance.now() < deadline) {
        // A late answer to an earlier signal has a smaller number and is passed over.
        const answer = answers().find((candidate) => candidate.seq >= wanted);
        if (answer !== undefined) {
          expected = answer.seq + 1;
          const { seq: _seq, ...sample } = answer;
          return sample;
        }
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      return undefined;
    },
  };
}
