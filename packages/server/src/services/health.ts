/** Health: can the database answer `SELECT 1`, and does it within a bound? */
import { sql } from 'kysely';
import type { ServiceContext } from './context.ts';
import type { HealthService } from './types.ts';

/**
 * How long /healthz waits for the database. A host that stops answering would otherwise hang the probe
 * (pg's connection timeout does not cover a query on a connection already open), and a load balancer
 * learns nothing from a probe that never ends.
 */
export const HEALTH_TIMEOUT_MS = 2_000;

export interface HealthServiceOptions {
  /** @default HEALTH_TIMEOUT_MS */
  readonly timeoutMs?: number;
}

const TIMED_OUT = Symbol('timed out');

export function createHealthService(
  ctx: Pick<ServiceContext, 'db' | 'kind' | 'log'>,
  options: HealthServiceOptions = {},
): HealthService {
  const timeoutMs = options.timeoutMs ?? HEALTH_TIMEOUT_MS;
  return {
    async check() {
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<typeof TIMED_OUT>((resolve) => {
        timer = setTimeout(() => resolve(TIMED_OUT), timeoutMs);
      });
      try {
        // The query keeps running if the timer wins; race() has subscribed to it, so a late rejection is
        // handled, and the pool's own timeouts end it.
        const outcome = await Promise.race([sql`select 1`.execute(ctx.db), timedOut]);
        if (outcome === TIMED_OUT) throw new Error(`did not answer within ${timeoutMs} ms`);
        return { ok: true, database: ctx.kind };
      } catch (error) {
        // The detail goes to the operator's log; the answer (often public) says only what failed.
        ctx.log('health.database_error', {
          message: String((error as Error).message).split('\n')[0] ?? '',
        });
        return { ok: false, database: ctx.kind, error: 'the database did not answer' };
      } finally {
        clearTimeout(timer);
      }
    },
  };
}
