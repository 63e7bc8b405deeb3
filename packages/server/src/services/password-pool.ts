/**
 * The password pool: a bound on argon2id work. node:crypto runs argon2 on libuv's threadpool (UV_THREADPOOL_SIZE
 * threads, 4 by default); unbounded, a login storm queues seconds of hashing there, ahead of every real
 * person's sign-in and of the other work that needs those threads. Here at most `concurrency` hashes run at
 * once (the threadpool's size, leaving a core to the event loop), at most `maxQueue` wait, each for at most `maxWaitMs`; beyond either, BUSY
 * (503 with Retry-After) at once, before any work. Cheap pages never wait for it.
 *
 * Per process: each instance has its own threads, so the bound is the machine's, not the service's.
 */
import { availableParallelism } from 'node:os';
import type { PasswordHasher } from '../crypto/passwords.ts';
import { PASSWORD_BUSY_RETRY_MS, PASSWORD_QUEUE_PER_THREAD, PASSWORD_QUEUE_WAIT_MS } from './limits.ts';
import { ServiceError } from './types.ts';

export interface PasswordPoolOptions {
  /** Hashes at once. @default defaultConcurrency(): the libuv threadpool's size, at most cores - 1 */
  readonly concurrency?: number;
  /** Hashes waiting at most. @default concurrency x PASSWORD_QUEUE_PER_THREAD */
  readonly maxQueue?: number;
  /** The longest a hash waits for a thread before BUSY. @default PASSWORD_QUEUE_WAIT_MS */
  readonly maxWaitMs?: number;
  /** Schedules a waiter's timeout; returns its cancel (tests fire it by hand). @default setTimeout, unref'd */
  readonly schedule?: (fn: () => void, ms: number) => () => void;
}

export interface PasswordPool extends PasswordHasher {
  /** Hashes running and waiting now (for tests). */
  stats(): { readonly running: number; readonly queued: number };
  /** Throws BUSY when a hash asked for now would be refused: callers check before any other work (a
   *  database write, a lookup), so a refusal in a storm costs next to nothing. */
  admitOrThrow(): void;
}

/** libuv's threadpool size: UV_THREADPOOL_SIZE (1 to 1024) when set, else 4. */
export function threadpoolSize(env: Record<string, string | undefined> = process.env): number {
  const size = Number(env.UV_THREADPOOL_SIZE);
  return Number.isInteger(size) && size >= 1 ? Math.min(size, 1024) : 4;
}

/**
 * Hashes at once by default: the threadpool's size, but leaving one core to the event loop (argon2 is pure
 * CPU: 4 threads on 2 cores take the core every other request needs). At least 1.
 */
export function defaultConcurrency(
  env: Record<string, string | undefined> = process.env,
  cores: number = availableParallelism(),
): number {
  return Math.max(1, Math.min(threadpoolSize(env), cores - 1));
}

function busy(): ServiceError {
  return new ServiceError('BUSY', { retryAfterMs: PASSWORD_BUSY_RETRY_MS });
}

const defaultSchedule = (fn: () => void, ms: number) => {
  const timer = setTimeout(fn, ms);
  timer.unref();
  return () => clearTimeout(timer);
};

/** `inner` with its hash and verify bounded as above; needsRehash (no work) is passed through. */
export function boundedPasswordHasher(
  inner: PasswordHasher,
  options: PasswordPoolOptions = {},
): PasswordPool {
  const concurrency = options.concurrency ?? defaultConcurrency();
  const maxQueue = options.maxQueue ?? concurrency * PASSWORD_QUEUE_PER_THREAD;
  const maxWaitMs = options.maxWaitMs ?? PASSWORD_QUEUE_WAIT_MS;
  const schedule = options.schedule ?? defaultSchedule;
  let running = 0;
  const queue: { start: () => void; cancel: () => void }[] = [];

  /** A thread for one hash: now, after a wait in the queue, or BUSY. */
  function acquire(): Promise<void> {
    if (running < concurrency) {
      running += 1;
      return Promise.resolve();
    }
    if (queue.length >= maxQueue) return Promise.reject(busy());
    return new Promise((resolve, reject) => {
      const waiter = {
        start: () => {
          waiter.cancel();
          running += 1;
          resolve();
        },
        cancel: () => {},
      };
      waiter.cancel = schedule(() => {
        const at = queue.indexOf(waiter);
        if (at >= 0) queue.splice(at, 1);
        reject(busy());
      }, maxWaitMs);
      queue.push(waiter);
    });
  }

  function release(): void {
    running -= 1;
    queue.shift()?.start();
  }

  async function bounded<T>(work: () => Promise<T>): Promise<T> {
    await acquire();
    try {
      return await work();
    } finally {
      release();
    }
  }

  return {
    hash: (password) => bounded(() => inner.hash(password)),
    verify: (password, phc) => bounded(() => inner.verify(password, phc)),
    needsRehash: (phc) => inner.needsRehash(phc),
    stats: () => ({ running, queued: queue.length }),
    admitOrThrow: () => {
      if (running >= concurrency && queue.length >= maxQueue) throw busy();
    },
  };
}
