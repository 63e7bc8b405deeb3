/**
 * Waiting for a limit's slot held only by checks in flight (issue #10, "count what was checked"): a password
 * or code check is counted against its limit while it runs and given back when it was right (or a replay), so
 * a request that finds the slots taken by checks still running is not refused (429) but tries again once one
 * is decided. Past the wait the service is busy: BUSY (503, Retry-After), nothing counted. Real time, not
 * the service's clock: this is how long a request waits, not the length of a limit.
 */
import { ServiceError } from './types.ts';

/** What one try found: the result, or only checks in flight in the way. */
export type SlotTry<T> = { readonly done: T } | 'in_flight';

export interface SlotWait {
  /** Pause between tries, jittered by +-50% so the waiting requests do not all come back at once. */
  readonly retryMs: number;
  /** The longest wait before BUSY. */
  readonly maxWaitMs: number;
  /** Retry-After of the BUSY answer. */
  readonly busyRetryMs: number;
  /** Called once before BUSY is thrown (a log line). */
  readonly onBusy?: () => void;
}

export async function waitForSlot<T>(wait: SlotWait, attempt: () => Promise<SlotTry<T>>): Promise<T> {
  const giveUpAt = performance.now() + wait.maxWaitMs;
  for (;;) {
    const found = await attempt();
    if (found !== 'in_flight') return found.done;
    if (performance.now() >= giveUpAt) {
      wait.onBusy?.();
      throw new ServiceError('BUSY', { retryAfterMs: wait.busyRetryMs });
    }
    await new Promise((resolve) => setTimeout(resolve, wait.retryMs * (0.5 + Math.random())));
  }
}
