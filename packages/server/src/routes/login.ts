/**
 * Signing in: GET/POST /login (the password step), GET/POST /login/code (the second step with a code from
 * the app) and GET/POST /login/recovery (the second step with a recovery code). Every step that changes
 * privilege puts a new session token in the cookie (fixation).
 */
import { Hono } from 'hono';
import type { AppDeps, AppEnv } from '../context.ts';
import {
  clearDeviceCookie,
  clearSessionCookie,
  rawDeviceCookie,
  rawSessionCookie,
  setDeviceCookie,
  setSessionCookie,
} from '../middleware/session/index.ts';
import { outcomeOf, waitOutcome } from '../outcomes.ts';
import type { FactorKind, LoginResult, SecondStepResult } from '../services/types.ts';
import { loginPage } from '../views/login.ts';
import {
  channelTitle,
  loginCodePage,
  loginMessagePage,
  loginRecoveryPage,
  loginTokenPage,
  type MessageChannel,
} from '../views/login-code.ts';

/** The channels a sign-in code can be sent by, in the order the code page offers them. */
const CHANNELS: readonly MessageChannel[] = ['email', 'sms'];

/** Sending failures that leave the person on the page (with the reason): the sign-in goes on. */
const STAY_ON_PAGE = new Set(['RESEND_TOO_SOON', 'SEND_LIMIT_REACHED', 'MESSAGE_NOT_SENT']);

import { frameFor, type PageContext, readForm, render, seeOther, setRetryAfter } from './page.ts';

export function loginRoutes(deps: AppDeps): Hono<AppEnv> {
  const { services, config } = deps;
  const routes = new Hono<AppEnv>();

  routes.get('/login', (c) => {
    const state = c.get('session')?.state;
    if (state === 'full') return seeOther(c, '/');
    if (state === 'pending') return seeOther(c, '/login/code');
    // After "Sign out everywhere": a fixed key, never free text from the URL.
    const message =
      c.req.query('signed-out') === 'everywhere'
        ? {
            kind: 'success' as const,
            text: 'You are signed out everywhere, and no device is trusted any more.',
          }
        : undefined;
    return render(c, loginPage({ frame: frameFor(c, deps, 'Log in'), ...(message ? { message } : {}) }));
  });

  routes.post('/login', async (c) => {
    const form = await readForm(c, 'email', 'password');
    const previousToken = rawSessionCookie(c, config.secureCookies);
    const deviceToken = rawDeviceCookie(c, config.secureCookies);
    let result: LoginResult;
    try {
      result = await services.auth.login({
        email: form.email,
        password: form.password,
        ...(previousToken ? { previousToken } : {}),
        ...(deviceToken ? { deviceToken } : {}),
      });
    } catch (error) {
      // One message and status for an unknown email and a wrong password (account enumeration), and one for
      // an email limited after too many wrong passwords, whether or not it has an account.
      const outcome = outcomeOf(error);
      setRetryAfter(c, outcome);
      const frame = frameFor(c, deps, 'Log in');
      const page = loginPage({ frame, email: form.email, message: { kind: 'error', text: outcome.message } });
      return render(c, page, outcome.status);
    }
    setSessionCookie(c, config.secureCookies, result.issued.token);
    if (result.device !== undefined) {
      if ('forget' in result.device) clearDeviceCookie(c, config.secureCookies);
      else setDeviceCookie(c, config.secureCookies, result.device);
    }
    if (result.kind === 'full' && result.recovered) return seeOther(c, '/security?done=recovered');
    return seeOther(c, result.kind === 'pending' ? '/login/code' : '/');
  });

  routes.get('/login/code', async (c) => {
    const session = c.get('session');
    if (session?.state === 'full') return seeOther(c, '/');
    if (session?.state !== 'pending') return seeOther(c, '/login');
    // Codes by message and no app: the first channel's page is the code step.
    const channels = CHANNELS.filter((channel) => session.factors.includes(channel));
    const tokenAvailable = session.factors.includes('hotp');
    // No app: the hardware token's page is the code step, else the first channel's.
    if (!session.factors.includes('totp') && tokenAvailable) return seeOther(c, '/login/token');
    if (!session.factors.includes('totp') && channels[0] !== undefined)
      return seeOther(c, `/login/${channels[0]}`);
    const frame = frameFor(c, deps, 'Enter your code');
    const recoveryAvailable = session.factors.includes('recovery');
    // The password was right but the user's 6-digit codes are locked: say how long to wait instead of a form.
    const limit = await services.auth.secondFactorLimit(session.userId);
    if (limit !== undefined) {
      const locked = waitOutcome(limit.code, limit.waitMs);
      setRetryAfter(c, locked);
      return render(
        c,
        loginCodePage({ frame, locked: locked.message, recoveryAvailable, channels, tokenAvailable }),
        locked.status,
      );
    }
    return render(c, loginCodePage({ frame, recoveryAvailable, channels, tokenAvailable }));
  });

  routes.get('/login/token', async (c) => {
    const session = c.get('session');
    if (session?.state === 'full') return seeOther(c, '/');
    if (session?.state !== 'pending') return seeOther(c, '/login');
    if (!session.factors.includes('hotp')) return seeOther(c, '/login/code');
    // As on the code page: the short-term lock or the spent budget, whichever ends later.
    const limit = await services.auth.secondFactorLimit(session.userId);
    if (limit !== undefined) {
      const locked = waitOutcome(limit.code, limit.waitMs);
      setRetryAfter(c, locked);
      return render(c, loginTokenPage({ ...tokenView(c), locked: locked.message }), locked.status);
    }
    return render(c, loginTokenPage(tokenView(c)));
  });

  routes.post('/login/token', (c) => secondStep(c, 'hotp'));
  // Two consecutive codes: one attempt of the hotp factor, in its pair form (factors/hotp.ts).
  routes.post('/login/token/resync', (c) => secondStep(c, 'hotp', 'resync'));

  function tokenView(c: PageContext) {
    const factors = c.get('session')?.factors ?? [];
    return {
      frame: frameFor(c, deps, 'Use your hardware token'),
      recoveryAvailable: factors.includes('recovery'),
      appAvailable: factors.includes('totp'),
      channels: CHANNELS.filter((channel) => factors.includes(channel)),
    };
  }

  for (const channel of CHANNELS) {
    routes.get(`/login/${channel}`, async (c) => {
      const session = c.get('session');
      if (session?.state === 'full') return seeOther(c, '/');
      if (session?.state !== 'pending') return seeOther(c, '/login');
      if (!session.factors.includes(channel)) return seeOther(c, '/login/code');
      const view = messageView(c, channel, { sent: c.req.query('sent') === '1' });
      const limit = await services.auth.secondFactorLimit(session.userId);
      if (limit !== undefined) {
        const locked = waitOutcome(limit.code, limit.waitMs);
        setRetryAfter(c, locked);
        return render(c, loginMessagePage({ ...view, locked: locked.message }), locked.status);
      }
      return render(c, loginMessagePage(view));
    });

    routes.post(`/login/${channel}/send`, async (c) => {
      const pendingToken = c.get('sessionToken');
      if (c.get('session')?.state !== 'pending' || !pendingToken) return seeOther(c, '/login');
      try {
        await services.auth.sendSignInCode({ pendingToken, channel });
      } catch (error) {
        const outcome = outcomeOf(error);
        setRetryAfter(c, outcome);
        if (STAY_ON_PAGE.has(outcome.code)) {
          const page = loginMessagePage({ ...messageView(c, channel, {}), error: outcome.message });
          return render(c, page, outcome.status);
        }
        clearSessionCookie(c, config.secureCookies);
        const frame = frameFor(c, deps, 'Log in');
        return render(
          c,
          loginPage({ frame, message: { kind: 'error', text: outcome.message } }),
          outcome.status,
        );
      }
      return seeOther(c, `/login/${channel}?sent=1`);
    });

    routes.post(`/login/${channel}`, (c) => secondStep(c, channel));
  }

  function messageView(c: PageContext, channel: MessageChannel, extra: { sent?: boolean }) {
    const factors = c.get('session')?.factors ?? [];
    return {
      frame: frameFor(c, deps, channelTitle(channel)),
      channel,
      recoveryAvailable: factors.includes('recovery'),
      appAvailable: factors.includes('totp'),
      ...extra,
    };
  }

  routes.get('/login/recovery', (c) => {
    const session = c.get('session');
    if (session?.state === 'full') return seeOther(c, '/');
    if (session?.state !== 'pending') return seeOther(c, '/login');
    if (!session.factors.includes('recovery')) return seeOther(c, '/login/code');
    return render(c, loginRecoveryPage({ frame: frameFor(c, deps, 'Use a recovery code') }));
  });

  routes.post('/login/code', (c) => secondStep(c, 'totp'));
  routes.post('/login/recovery', (c) => secondStep(c, 'recovery'));

  async function secondStep(c: PageContext, factor: FactorKind, form?: 'resync'): Promise<Response> {
    const pendingToken = c.get('sessionToken');
    const session = c.get('session');
    if (session?.state !== 'pending' || !pendingToken) return seeOther(c, '/login');
    const fields = await readForm(c, 'code', 'nextCode', 'rememberDevice');
    // The pair joined as the factor reads it; a separator typed into a field makes the input malformed.
    const code = form === 'resync' ? `${fields.code}|${fields.nextCode}` : fields.code;
    let signedIn: SecondStepResult;
    try {
      // The session the middleware resolved for this request: looked up once.
      signedIn = await services.auth.verifySecondFactor({
        pendingToken,
        session,
        factor,
        code,
        rememberDevice: fields.rememberDevice === 'yes',
      });
    } catch (error) {
      const outcome = outcomeOf(error);
      const { status, message, code } = outcome;
      const recoveryAvailable = c.get('session')?.factors.includes('recovery') ?? false;
      const page = (view: { error?: string; locked?: string }) =>
        factor === 'recovery'
          ? loginRecoveryPage({ frame: frameFor(c, deps, 'Use a recovery code'), ...view })
          : factor === 'email' || factor === 'sms'
            ? loginMessagePage({ ...messageView(c, factor, {}), ...view })
            : factor === 'hotp'
              ? loginTokenPage({
                  ...tokenView(c),
                  ...(view.locked === undefined ? {} : { locked: view.locked }),
                  ...(view.error === undefined
                    ? {}
                    : form === 'resync'
                      ? { resyncError: view.error }
                      : { error: view.error }),
                })
              : loginCodePage({
                  frame: frameFor(c, deps, 'Enter your code'),
                  recoveryAvailable,
                  channels: CHANNELS.filter((channel) => c.get('session')?.factors.includes(channel)),
                  tokenAvailable: c.get('session')?.factors.includes('hotp') ?? false,
                  ...view,
                });
      if (
        code === 'INVALID_CODE' ||
        code === 'CODE_ALREADY_USED' ||
        code === 'INVALID_MESSAGE_CODE' ||
        code === 'INVALID_RECOVERY_CODE' ||
        code === 'RECOVERY_RATE_LIMITED' || // a right recovery code still works: keep the form
        code === 'MALFORMED_CODE' ||
        code === 'INVALID_INPUT'
      ) {
        setRetryAfter(c, outcome);
        return render(c, page({ error: message }), status);
      }
      if (code === 'SECOND_FACTOR_LOCKED' || code === 'SECOND_FACTOR_BUDGET_SPENT') {
        setRetryAfter(c, outcome);
        return render(c, page({ locked: message }), status);
      }
      // TOO_MANY_ATTEMPTS, SESSION_EXPIRED, NOT_PENDING, FACTOR_NOT_AVAILABLE: the sign-in is over; start again.
      clearSessionCookie(c, config.secureCookies);
      const frame = frameFor(c, deps, 'Log in');
      return render(c, loginPage({ frame, message: { kind: 'error', text: message } }), status);
    }
    setSessionCookie(c, config.secureCookies, signedIn.token);
    if (signedIn.device !== undefined) setDeviceCookie(c, config.secureCookies, signedIn.device);
    return seeOther(c, '/');
  }

  return routes;
}
