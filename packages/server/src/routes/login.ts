/**
 * Signing in: GET/POST /login (the password step) and GET/POST /login/code (the second step when 2FA is on).
 * Every step that changes privilege puts a new session token in the cookie (fixation).
 */
import { Hono } from 'hono';
import type { AppDeps, AppEnv } from '../context.ts';
import { clearSessionCookie, rawSessionCookie, setSessionCookie } from '../middleware/session/index.ts';
import type { LoginResult, ServiceError } from '../services/types.ts';
import { loginPage } from '../views/login.ts';
import { loginCodePage } from '../views/login-code.ts';
import { pageErrorOf, waitPageError } from './errors.ts';
import { frameFor, readForm, render, seeOther, setRetryAfter } from './page.ts';

export function loginRoutes(deps: AppDeps): Hono<AppEnv> {
  const { services, config } = deps;
  const routes = new Hono<AppEnv>();

  routes.get('/login', (c) => {
    const state = c.get('session')?.state;
    if (state === 'full') return seeOther(c, '/');
    if (state === 'pending') return seeOther(c, '/login/code');
    return render(c, loginPage({ frame: frameFor(c, deps, 'Log in') }));
  });

  routes.post('/login', async (c) => {
    const form = await readForm(c, 'email', 'password');
    const previousToken = rawSessionCookie(c, config.secureCookies);
    let result: LoginResult;
    try {
      result = await services.auth.login({
        email: form.email,
        password: form.password,
        ...(previousToken ? { previousToken } : {}),
      });
    } catch (error) {
      // One message and status for an unknown email and a wrong password (account enumeration), and one for
      // an email limited after too many wrong passwords, whether or not it has an account.
      const pageError = pageErrorOf(error);
      const { status, message } = pageError;
      setRetryAfter(c, pageError);
      const frame = frameFor(c, deps, 'Log in');
      return render(
        c,
        loginPage({ frame, email: form.email, message: { kind: 'error', text: message } }),
        status,
      );
    }
    setSessionCookie(c, config.secureCookies, result.issued.token);
    return seeOther(c, result.kind === 'pending' ? '/login/code' : '/');
  });

  routes.get('/login/code', async (c) => {
    const session = c.get('session');
    if (session?.state === 'full') return seeOther(c, '/');
    if (session?.state !== 'pending') return seeOther(c, '/login');
    // The password was right but the user's codes are locked: say how long to wait instead of a form.
    const waitMs = await services.auth.secondFactorWaitMs(session.userId);
    if (waitMs > 0) {
      const locked = waitPageError('SECOND_FACTOR_LOCKED', waitMs);
      setRetryAfter(c, locked);
      const page = loginCodePage({ frame: frameFor(c, deps, 'Enter your code'), locked: locked.message });
      return render(c, page, locked.status);
    }
    return render(c, loginCodePage({ frame: frameFor(c, deps, 'Enter your code') }));
  });

  routes.post('/login/code', async (c) => {
    const pendingToken = c.get('sessionToken');
    if (c.get('session')?.state !== 'pending' || !pendingToken) return seeOther(c, '/login');
    const form = await readForm(c, 'code');
    let token: string;
    try {
      token = (await services.auth.verifySecondFactor({ pendingToken, code: form.code })).token;
    } catch (error) {
      const pageError = pageErrorOf(error);
      const { status, message, code } = pageError;
      if (code === 'INVALID_CODE' || code === 'INVALID_INPUT') {
        const text = withAttemptsLeft(message, (error as ServiceError).attemptsLeft);
        return render(c, loginCodePage({ frame: frameFor(c, deps, 'Enter your code'), error: text }), status);
      }
      if (code === 'SECOND_FACTOR_LOCKED') {
        setRetryAfter(c, pageError);
        const page = loginCodePage({ frame: frameFor(c, deps, 'Enter your code'), locked: message });
        return render(c, page, status);
      }
      // TOO_MANY_ATTEMPTS, SESSION_EXPIRED, NOT_PENDING: the pending session is gone; start over.
      clearSessionCookie(c, config.secureCookies);
      const frame = frameFor(c, deps, 'Log in');
      return render(c, loginPage({ frame, message: { kind: 'error', text: message } }), status);
    }
    setSessionCookie(c, config.secureCookies, token);
    return seeOther(c, '/');
  });

  return routes;
}

function withAttemptsLeft(message: string, attemptsLeft: number | undefined): string {
  if (attemptsLeft === undefined) return message;
  return `${message} ${attemptsLeft} ${attemptsLeft === 1 ? 'attempt' : 'attempts'} left.`;
}
