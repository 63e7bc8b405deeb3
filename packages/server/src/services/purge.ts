/**
 * The periodic purge: sessions past their expiry or idle timeout, password (and recovery-code) windows
 * that have ended, and trusted devices past their 30 days, deleted in bounded batches by a timer, never on a request's path. Dead rows limit nothing
 * (every read checks expiry itself); they only make the tables grow. A sign-in once ran this inline and
 * became an 80 ms full-table scan once the table held many dead rows (issue #12).
 *
 * Several instances on one PostgreSQL each run it: the deletes are idempotent, and a batch that finds nothing
 * costs one index probe.
 */
import type { ServiceContext } from './context.ts';
import { purgeExpiredDeviceBatch } from './devices.ts';
import { PURGE_BATCH_ROWS, PURGE_INTERVAL_MS } from './limits.ts';
import { purgeExpiredSessionBatch } from './sessions.ts';
import { purgeEndedPasswordWindows } from './throttle.ts';

/** What one purge removed. */
export interface PurgeResult {
  readonly sessions: number;
  readonly throttleWindows: number;
  readonly devices: number;
}

export interface PurgeJob {
  /** Runs a whole purge now (every batch until one comes back short). */
  runOnce(): Promise<PurgeResult>;
  /** Stops the timer and waits for a purge in progress. */
  stop(): Promise<void>;
}

/** Batches per purge at most: a backlog beyond this waits for the next tick rather than hold on. */
const MAX_BATCHES = 100;

/** Deletes dead rows batch by batch, yielding to requests between batches. */
export async function purgeExpiredRows(ctx: ServiceContext): Promise<PurgeResult> {
  let sessions = 0;
  let throttleWindows = 0;
  for (let batch = 0; batch < MAX_BATCHES; batch++) {
    const gone = await purgeExpiredSessionBatch(ctx, PURGE_BATCH_ROWS);
    sessions += gone.expired + gone.idle;
    if (gone.expired < PURGE_BATCH_ROWS && gone.idle < PURGE_BATCH_ROWS) break;
    await yieldToRequests();
  }
  for (let batch = 0; batch < MAX_BATCHES; batch++) {
    const gone = await purgeEndedPasswordWindows(ctx, PURGE_BATCH_ROWS);
    throttleWindows += gone;
    if (gone < PURGE_BATCH_ROWS) break;
    await yieldToRequests();
  }
  let devices = 0;
  for (let batch = 0; batch < MAX_BATCHES; batch++) {
    const gone = await purgeExpiredDeviceBatch(ctx, PURGE_BATCH_ROWS);
    devices += gone;
    if (gone < PURGE_BATCH_ROWS) break;
    await yieldToRequests();
  }
  return { sessions, throttleWindows, devices };
}

/**
 * Starts the purge every `intervalMs` (first run one interval after start). The timer does not keep the
 * process alive; a failed run is logged and the next tick tries again.
 */
export function startPurgeJob(ctx: ServiceContext, intervalMs: number = PURGE_INTERVAL_MS): PurgeJob {
  let running: Promise<unknown> | undefined;
  const runOnce = async (): Promise<PurgeResult> => {
    const result = await purgeExpiredRows(ctx);
    if (result.sessions > 0 || result.throttleWindows > 0 || result.devices > 0) {
      ctx.log('purge.done', {
        sessions: result.sessions,
        throttleWindows: result.throttleWindows,
        devices: result.devices,
      });
    }
    return result;
  };
  const timer = setInterval(() => {
    if (running !== undefined) return; // the previous purge is still going: skip this tick
    running = runOnce()
      .catch((error: unknown) =>
        ctx.log('purge.failed', { error: error instanceof Error ? error.message : String(error) }),
      )
      .finally(() => {
        running = undefined;
      });
  }, intervalMs);
  timer.unref();
  return {
    runOnce,
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}

function yieldToRequests(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
