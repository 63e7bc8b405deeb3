/**
 * The pages: a sub-app with its own session cookie, CSRF protection and HTML error pages, mounted by app.ts.
 * A JSON API can sit beside it with its own authentication and JSON errors; neither knows the other.
 */
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { HTTPException } from 'hono/http-exception';
import { parseTrustedProxies } from './client-address.ts';
import type { Config } from './config.ts';
import type { AppDeps, AppEnv } from './context.ts';
import { type CsrfRefusal, csrfProtection, passesOriginCheck } from './middleware/csrf/index.ts';
import { requestMeta } from './middleware/request-meta/index.ts';
import { session } from './middleware/session/index.ts';
import { OUTCOMES, outcomeOf, UNAVAILABLE_RETRY_AFTER_SECONDS } from './outcomes.ts';
import { accountRecoveryRoutes } from './routes/account-recovery.ts';
import { emailRoutes } from './routes/email.ts';
import { homeRoutes } from './routes/home.ts';
import { loginRoutes } from './routes/login.ts';
import { logoutRoutes } from './routes/logout.ts';
import { frameFor, type PageContext, render, setRetryAfter } from './routes/page.ts';
import { passwordResetRoutes } from './routes/password-reset.ts';
import { securityRoutes } from './routes/security.ts';
import { signupRoutes } from './routes/signup.ts';
import { ServiceError } from './services/types.ts';
import { type ErrorView, errorPage } from './views/error.ts';

/**
 * The form posts counted against the client's request budget (services/client-limits.ts): every one that
 * checks a password or a code, or sends a message. Reading pages and signed-in settings are not counted.
 */
const BUDGETED_POSTS = [
  '/signup',
  '/login',
  '/login/code',
  '/login/recovery',
  '/login/token',
  '/login/token/resync',
  '/login/email',
  '/login/sms',
  '/login/email/send',
  '/login/sms/send',
  '/login/account-recovery',
  '/password/forgot',
  '/password/reset/send',
  '/password/reset',
] as const;

/** The anonymous form posts that run argon2 (the signed-in ones are few and the service bounds them too). */
const PASSWORD_POSTS = ['/login', '/signup', '/password/reset'] as const;

/** Forms here are a few short fields; anything larger is not one of ours. */
const MAX_BODY_BYTES = 16 * 1024;

export function createPagesApp(deps: AppDeps): Hono<AppEnv> {
  const { config } = deps;
  const pages = new Hono<AppEnv>();
  const event = (c: PageContext, name: string, fields: Record<string, unknown>) =>
    deps.log(
      JSON.stringify({
        time: new Date(deps.nowMs()).toISOString(),
        event: name,
        requestId: c.get('requestId'),
        ...fields,
      }),
    );

  // A login storm: while the password pool can take no check, the password posts are refused before the
  // body, the CSRF token or the session are read, so the refusals cost the event loop as little as possible
  // and the other pages stay fast. The service refuses the same way further in (a post read while it filled).
  pages.on('POST', [...PASSWORD_POSTS], async (c, next) => {
    try {
      deps.services.auth.refuseWhileBusy();
    } catch (error) {
      if (!(error instanceof ServiceError) || error.code !== 'BUSY') throw error;
      const outcome = outcomeOf(error);
      setRetryAfter(c, outcome);
      return showErrorPage(c, deps, 503, 'Busy', outcome.message);
    }
    await next();
  });
  pages.use(
    '*',
    bodyLimit({
      maxSize: MAX_BODY_BYTES,
      onError: (c) =>
        showErrorPage(
          c as PageContext,
          deps,
          413,
          'Too large',
          'That request was larger than any form here.',
        ),
    }),
  );
  pages.use(
    '*',
    requestMeta({
      trustedProxies: parseTrustedProxies(config.trustedProxies.join(',')),
      withRequest: deps.services.withRequest,
    }),
  );
  // The per-client budget, before the session lookup: a refused post costs one statement (two with the wait).
  // A cross-site post is not counted: the origin check below refuses it before any handler (otherwise any page
  // its visitors open could spend their network's budget with hidden form posts).
  pages.on('POST', [...BUDGETED_POSTS], async (c, next) => {
    if (!passesOriginCheck(c, config.publicUrl)) return next();
    try {
      await deps.services.clientLimits.spend();
    } catch (error) {
      if (!(error instanceof ServiceError) || error.code !== 'CLIENT_RATE_LIMITED') throw error;
      const outcome = outcomeOf(error);
      setRetryAfter(c, outcome);
      event(c, 'client_rate_limited', { path: c.req.path });
      return showErrorPage(c, deps, 429, 'Too many requests', outcome.message);
    }
    await next();
  });
  pages.use('*', session({ auth: deps.services.auth, secureCookies: config.secureCookies }));
  pages.use(
    '*',
    csrfProtection({
      publicUrl: config.publicUrl,
      secureCookies: config.secureCookies,
      onRefuse: (c, reason) => {
        event(c, 'csrf_refused', { reason, method: c.req.method });
        // The usual cause of a token mismatch: the form was bound to a session that has since ended.
        if (reason === 'token' && c.get('sessionEnded')) {
          return showErrorPage(c, deps, 401, 'Your session has ended', SESSION_ENDED, {
            next: { href: '/login', label: 'Log in again' },
          });
        }
        return showErrorPage(c, deps, 403, 'Request refused', refusalMessage(reason, config.publicUrl));
      },
    }),
  );

  pages.route('/', homeRoutes(deps));
  pages.route('/', signupRoutes(deps));
  pages.route('/', loginRoutes(deps));
  pages.route('/', logoutRoutes(deps));
  pages.route('/', securityRoutes(deps));
  pages.route('/', emailRoutes(deps));
  pages.route('/', passwordResetRoutes(deps));
  pages.route('/', accountRecoveryRoutes(deps));

  // The one place an escaped error becomes a page. Nothing of the request goes into the log line.
  pages.onError((error, c) => {
    if (error instanceof ServiceError && error.code === 'UNAVAILABLE') {
      // The services logged the driver's reason; this line ties the refusal to the request.
      event(c, 'unavailable', { method: c.req.method });
      c.header('Retry-After', String(UNAVAILABLE_RETRY_AFTER_SECONDS));
      return showErrorPage(c, deps, 503, 'Try again in a moment', OUTCOMES.UNAVAILABLE.message);
    }
    if (error instanceof ServiceError) {
      const known = outcomeOf(error);
      setRetryAfter(c, known);
      return showErrorPage(c, deps, known.status, 'Something went wrong', known.message);
    }
    if (error instanceof HTTPException && error.status < 500) {
      return showErrorPage(c, deps, 400, 'Bad request', 'The request could not be read.');
    }
    event(c, 'error', { error: error.name, message: error.message });
    return showErrorPage(
      c,
      deps,
      500,
      'Something went wrong',
      'The server could not finish this request. Try again.',
      { requestId: true },
    );
  });

  return pages;
}

/** An HTML error page in the site's frame. */
export function showErrorPage(
  c: PageContext,
  deps: AppDeps,
  status: 400 | 401 | 403 | 404 | 409 | 413 | 422 | 429 | 500 | 503,
  heading: string,
  message: string,
  extra: { requestId?: boolean; next?: { href: string; label: string } } = {},
): Promise<Response> {
  const requestId = c.get('requestId');
  const view: ErrorView = {
    frame: frameFor(c, deps, heading),
    heading,
    message,
    ...(extra.requestId && requestId ? { requestId } : {}),
    ...(extra.next ? { next: extra.next } : {}),
  };
  return render(c, errorPage(view), status);
}

const SESSION_ENDED =
  'This page belonged to a session that has ended: it timed out, or you signed out. Log in again to continue.';

function refusalMessage(reason: CsrfRefusal, publicUrl: Config['publicUrl']): string {
  return reason === 'origin'
    ? `This form was not sent from ${publicUrl}. Open ${publicUrl} in your browser and try again.`
    : 'This form has expired or was not sent from this site. Go back, reload the page and try again.';
}
