/** GET /healthz: the database's state as JSON; 200 when it answers, 503 when it does not. */
import { Hono } from 'hono';
import type { AppDeps, AppEnv } from '../context.ts';

export function healthRoutes(deps: AppDeps): Hono<AppEnv> {
  const routes = new Hono<AppEnv>();
  routes.get('/healthz', async (c) => {
    let result: Awaited<ReturnType<typeof deps.services.health.check>>;
    try {
      result = await deps.services.health.check();
    } catch (error) {
      result = { ok: false, database: deps.config.databaseUrl ? 'postgres' : 'sqlite', error: String(error) };
    }
    if (!result.ok) {
      // The reason goes to the log for the operator, not to whoever polls the endpoint.
      deps.log(
        JSON.stringify({
          time: new Date(deps.nowMs()).toISOString(),
          event: 'health_failed',
          requestId: c.get('requestId'),
          database: result.database,
          error: result.error ?? 'unknown',
        }),
      );
    }
    return c.json(
      { status: result.ok ? 'ok' : 'unavailable', database: { kind: result.database, ok: result.ok } },
      result.ok ? 200 : 503,
    );
  });
  return routes;
}
