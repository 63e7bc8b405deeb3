/**
 * Builds the HTTP app from its parts. No listening and no globals: tests drive it with `app.request()`,
 * `serve()` in ./index.ts puts it behind @hono/node-server.
 */
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { HTTPException } from 'hono/http-exception';
import type { Config } from './config.ts';
import type { AppDeps, AppEnv } from './context.ts';
import { type CsrfRefusal, csrfProtection } from './middleware/csrf/index.ts';
import { requestLog } from './middleware/request-log/index.ts';
import { securityHeaders } from './middleware/security-headers/index.ts';
import { session } from './middleware/session/index.ts';
import { pageErrorOf } from './routes/errors.ts';
import { healthRoutes } from './routes/health.ts';
import { homeRoutes } from './routes/home.ts';
import { loginRoutes } from './routes/login.ts';
import { logoutRoutes } from './routes/logout.ts';
import { frameFor, type PageContext, render, setRetryAfter } from './routes/page.ts';
import { securityRoutes } from './routes/security.ts';
import { signupRoutes } from './routes/signup.ts';
import { staticRoutes } from './routes/static.ts';
import { ServiceError, type Services } from './services/types.ts';
import { type ErrorView, errorPage } from './views/error.ts';

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

/** Forms here are a few short fields; anything larger is not one of ours. */
const MAX_BODY_BYTES = 16 * 1024;

export function createApp(options: CreateAppOptions): Hono<AppEnv> {
  const deps: AppDeps = {
    config: options.config,
    services: options.services,
    log: options.log,
    nowMs: options.nowMs ?? Date.now,
  };
  const { config } = deps;
  const app = new Hono<AppEnv>();
  const event = (c: PageContext, name: string, fields: Record<string, unknown>) =>
    deps.log(
      JSON.stringify({
        time: new Date(deps.nowMs()).toISOString(),
        event: name,
        requestId: c.get('requestId'),
        ...fields,
      }),
    );

  app.use('*', requestLog({ log: config.logRequests ? deps.log : undefined, nowMs: deps.nowMs }));
  app.use('*', securityHeaders({ hsts: hstsMode(config) }));

  // Routes registered before the session middleware answer without it: static files and the health check
  // never read the session cookie (nor touch its idle timeout). Order matters here.
  app.route('/', staticRoutes());
  app.route('/', healthRoutes(deps));

  app.use(
    '*',
    bodyLimit({
      maxSize: MAX_BODY_BYTES,
      onError: (c) =>
        showError(c as PageContext, 413, 'Too large', 'That request was larger than any form here.'),
    }),
  );
  app.use('*', session({ auth: deps.services.auth, secureCookies: config.secureCookies }));
  app.use(
    '*',
    csrfProtection({
      publicUrl: config.publicUrl,
      secureCookies: config.secureCookies,
      onRefuse: (c, reason) => {
        event(c, 'csrf_refused', { reason, method: c.req.method });
        // The usual cause of a token mismatch: the form was bound to a session that has since ended.
        if (reason === 'token' && c.get('sessionEnded')) {
          return showError(c, 401, 'Your session has ended', SESSION_ENDED, {
            next: { href: '/login', label: 'Log in again' },
          });
        }
        return showError(c, 403, 'Request refused', refusalMessage(reason, config.publicUrl));
      },
    }),
  );

  app.route('/', homeRoutes(deps));
  app.route('/', signupRoutes(deps));
  app.route('/', loginRoutes(deps));
  app.route('/', logoutRoutes(deps));
  app.route('/', securityRoutes(deps));

  app.notFound((c) => showError(c, 404, 'Not found', 'There is no page at this address.'));

  // The one place an escaped error becomes a response. Nothing of the request goes into the log line.
  app.onError((error, c) => {
    if (error instanceof ServiceError) {
      const known = pageErrorOf(error);
      setRetryAfter(c, known);
      return showError(c, known.status, 'Something went wrong', known.message);
    }
    if (error instanceof HTTPException && error.status < 500) {
      return showError(c, 400, 'Bad request', 'The request could not be read.');
    }
    event(c, 'error', { error: error.name, message: error.message });
    return showError(c, 500, 'Something went wrong', 'The server could not finish this request. Try again.', {
      requestId: true,
    });
  });

  function showError(
    c: PageContext,
    status: 400 | 401 | 403 | 404 | 409 | 413 | 429 | 500,
    heading: string,
    message: string,
    extra: { requestId?: boolean; next?: { href: string; label: string } } = {},
  ): Promise<Response> {
    const requestId = c.get('requestId');
    const frame = frameFor(c, deps, heading);
    const view: ErrorView = {
      frame,
      heading,
      message,
      ...(extra.requestId && requestId ? { requestId } : {}),
      ...(extra.next ? { next: extra.next } : {}),
    };
    return render(c, errorPage(view), status);
  }

  return app;
}

/** HSTS for an https: public URL; behind a TLS proxy, on the requests it says came over HTTPS. */
function hstsMode(config: Config): 'always' | 'forwarded-https' | 'never' {
  if (config.publicUrl.startsWith('https:')) return 'always';
  return config.behindTlsProxy ? 'forwarded-https' : 'never';
}

const SESSION_ENDED =
  'This page belonged to a session that has ended: it timed out, or you signed out. Log in again to continue.';

function refusalMessage(reason: CsrfRefusal, publicUrl: string): string {
  return reason === 'origin'
    ? `This form was not sent from ${publicUrl}. Open ${publicUrl} in your browser and try again.`
    : 'This form has expired or was not sent from this site. Go back, reload the page and try again.';
}
