/**
 * Measurement helpers for benchmarks on a shared, noisy machine: peers run interleaved in the same process,
 * several rounds each, and we report medians and ratios rather than absolute promises.
 */

export interface Contender {
  readonly name: string;
  /** One operation; the return value is kept so the work cannot be optimised away. */
  readonly run: () => unknown;
}

export interface Measured {
  readonly name: string;
  /** Median operations per second over the rounds. */
  readonly opsPerSecond: number;
  readonly rounds: readonly number[];
}

let sink: unknown;

/** Runs `fn` for about `ms` milliseconds and returns operations per second. */
function timeRound(fn: () => unknown, ms: number): number {
  // Calibrate a batch size so the clock is read rarely.
  let batch = 1;
  for (;;) {
    const start = performance.now();
    for (let i = 0; i < batch; i++) sink = fn();
    const took = performance.now() - start;
    if (took > 5) break;
    batch *= 2;
  }
  let ops = 0;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < ms) {
    for (let i = 0; i < batch; i++) sink = fn();
    ops += batch;
    elapsed = performance.now() - start;
  }
  return (ops * 1000) / elapsed;
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Interleaves the contenders round by round (A B C, A B C, ...) so drift in machine load hits all alike. */
export function compare(
  contenders: readonly Contender[],
  options: { rounds?: number; roundMs?: number } = {},
): Measured[] {
  const rounds = options.rounds ?? 5;
  const roundMs = options.roundMs ?? 200;
  const results = contenders.map(() => [] as number[]);
  for (const c of contenders) timeRound(c.run, 50); // warm up the JIT
  for (let r = 0; r < rounds; r++) {
    contenders.forEach((c, i) => {
      results[i]!.push(timeRound(c.run, roundMs));
    });
  }
  if (sink === Symbol.for('never')) console.log(sink);
  return contenders.map((c, i) => ({ name: c.name, opsPerSecond: median(results[i]!), rounds: results[i]! }));
}

export function formatRate(opsPerSecond: number): string {
  if (opsPerSecond >= 1e6) return `${(opsPerSecond / 1e6).toFixed(2)}M/s`;
  if (opsPerSecond >= 1e3) return `${(opsPerSecond / 1e3).toFixed(1)}k/s`;
  return `${opsPerSecond.toFixed(0)}/s`;
}
