/**
 * Request log: one JSON line per request with a request id, the method, the route pattern, the status and
 * the duration.
 *
 * Threat: logs are read by more people and kept longer than the database. So the line holds the route
 * pattern (`/login/code`), never the URL with its query string, and no header, cookie or body: nothing that
 * could carry a password, code, secret, session token or CSRF token.
 */
import { randomUUID } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import { matchedRoutes } from 'hono/route';
import type { AppEnv } from '../../context.ts';

export interface RequestLogOptions {
  /** Where the line goes; undefined assigns request ids without logging (TWOFA_LOG=0). */
  readonly log: ((line: string) => void) | undefined;
  readonly nowMs: () => number;
}

/** The pattern of the route that matched, or `(none)` when only middleware matched (a 404). */
export const NO_ROUTE = '(none)';

export function requestLog(options: RequestLogOptions): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const requestId = randomUUID();
    c.set('requestId', requestId);
    const started = performance.now();
    await next();
    c.res.headers.set('X-Request-Id', requestId);
    if (options.log === undefined) return;
    // Middleware is registered for every method as ALL; the last route registered for a method is the page.
    const route = matchedRoutes(c).findLast((r) => r.method !== 'ALL')?.path ?? NO_ROUTE;
    options.log(
      JSON.stringify({
        time: new Date(options.nowMs()).toISOString(),
        event: 'request',
        requestId,
        method: c.req.method,
        route,
        status: c.res.status,
        ms: Math.round((performance.now() - started) * 10) / 10,
      }),
    );
  };
}
