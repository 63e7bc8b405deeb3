/**
 * A seeded PRNG (mulberry32) for randomised checks: the same seed gives the same cases, and a failing test
 * prints its seed so the case can be replayed with TWOFA_TEST_SEED=<seed>.
 */
export interface SeededRandom {
  readonly seed: number;
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform integer in [min, max]. */
  int(min: number, max: number): number;
  bytes(length: number): Uint8Array;
  pick<T>(items: readonly T[]): T;
}

export function seededRandom(
  seed = Number(process.env.TWOFA_TEST_SEED ?? Date.now() % 2 ** 31),
): SeededRandom {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (min: number, max: number): number => min + Math.floor(next() * (max - min + 1));
  return {
    seed,
    next,
    int,
    bytes(length) {
      const out = new Uint8Array(length);
      for (let i = 0; i < length; i++) out[i] = int(0, 255);
      return out;
    },
    pick(items) {
      return items[int(0, items.length - 1)]!;
    },
  };
}

/** Runs `body` and, if it throws, rethrows with the seed in the message. */
export function withSeed<T>(random: SeededRandom, body: () => T): T {
  try {
    return body();
  } catch (error) {
    if (error instanceof Error)
      error.message = `${error.message}\n(seed ${random.seed}: rerun with TWOFA_TEST_SEED=${random.seed})`;
    throw error;
  }
}
