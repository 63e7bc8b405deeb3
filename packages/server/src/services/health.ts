/** Health: can the database answer `SELECT 1`? */
import { sql } from 'kysely';
import type { ServiceContext } from './context.ts';
import type { HealthService } from './types.ts';

export function createHealthService(ctx: ServiceContext): HealthService {
  return {
    async check() {
      try {
        await sql`select 1`.execute(ctx.db);
        return { ok: true, database: ctx.kind };
      } catch (error) {
        // The detail goes to the operator's log; the answer (often public) says only what failed.
        ctx.event('health.database_error', {
          message: String((error as Error).message).split('\n')[0] ?? '',
        });
        return { ok: false, database: ctx.kind, error: 'the database did not answer' };
      }
    },
  };
}
