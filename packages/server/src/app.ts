/**
 * Builds the HTTP app from its parts. No listening and no globals: tests drive it with `app.request()`,
 * `serve()` in ./index.ts puts it behind @hono/node-server.
 */
import { Hono } from 'hono';
import { createApiApp } from './api.ts';
import type { Config } from './config.ts';
import type { AppDeps, AppEnv } from './context.ts';
import { requestLog } from './middleware/request-log/index.ts';
import { securityHeaders } from './middleware/security-headers/index.ts';
import { createPagesApp, showErrorPage } from './pages.ts';
import { healthRoutes } from './routes/health.ts';
import { staticRoutes } from './routes/static.ts';
import type { Services } from './services/types.ts';

export interface CreateAppOptions {
  readonly config: Config;
  readonly services: Services;
  /** Receives one JSON line per event (requests when `config.logRequests`, refusals, faults). */
  readonly log: (line: string) => void;
  /**
   * Clock for log timestamps.
   * @default Date.now
   */
  readonly nowMs?: () => number;
}

export function createApp(options: CreateAppOptions): Hono<AppEnv> {
  const deps: AppDeps = {
    config: options.config,
    services: options.services,
    log: options.log,
    nowMs: options.nowMs ?? Date.now,
  };
  const { config } = deps;
  const app = new Hono<AppEnv>();

  app.use('*', requestLog({ log: config.logRequests ? deps.log : undefined, nowMs: deps.nowMs }));
  app.use('*', securityHeaders({ hsts: hstsMode(config) }));

  // Routes registered before the pages answer without their middleware: static files and the health check
  // never read the session cookie (nor touch its idle timeout). Order matters here.
  app.route('/', staticRoutes());
  app.route('/', healthRoutes(deps));
  // The JSON API answers every /api path itself (a JSON 404 included), so the pages' middleware (session
  // cookie, CSRF, HTML errors), registered after it, never runs for one.
  app.route('/', createApiApp(deps));
  app.route('/', createPagesApp(deps));

  app.notFound((c) => showErrorPage(c, deps, 404, 'Not found', 'There is no page at this address.'));
  return app;
}

/** HSTS for an https: public URL; behind a TLS proxy, on the requests it says came over HTTPS. */
function hstsMode(config: Config): 'always' | 'forwarded-https' | 'never' {
  if (config.publicUrl.startsWith('https:')) return 'always';
  return config.behindTlsProxy ? 'forwarded-https' : 'never';
}
