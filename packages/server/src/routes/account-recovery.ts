/**
 * Account recovery: GET/POST /login/account-recovery (from a pending sign-in: ask, a link is mailed),
 * GET /recovery/confirm/:token and POST /recovery/confirm (the wait starts), GET /recovery/cancel/:token and
 * POST /recovery/cancel (one click from the message), POST /security/account-recovery/cancel (from a signed-in
 * device). Tokens travel in the links' paths for the reasons in routes/email.ts.
 */
import { Hono } from 'hono';
import type { AppDeps, AppEnv } from '../context.ts';
import { OUTCOMES, outcomeOf } from '../outcomes.ts';
import { recoveryDonePage, recoveryLinkPage, recoveryRequestPage } from '../views/account-recovery.ts';
import {
  frameFor,
  fullSession,
  type PageContext,
  readForm,
  render,
  seeOther,
  setRetryAfter,
} from './page.ts';

export function accountRecoveryRoutes(deps: AppDeps): Hono<AppEnv> {
  const { services, config } = deps;
  const routes = new Hono<AppEnv>();
  const hours = config.recoveryDelayHours;
  const title = 'Recover your account';

  routes.get('/login/account-recovery', (c) => {
    if (c.get('session')?.state !== 'pending') return seeOther(c, '/login');
    return render(c, recoveryRequestPage({ frame: frameFor(c, deps, title), hours }));
  });

  routes.post('/login/account-recovery', async (c) => {
    const pendingToken = c.get('sessionToken');
    if (c.get('session')?.state !== 'pending' || !pendingToken) return seeOther(c, '/login');
    try {
      await services.accountRecovery.request({ pendingToken });
    } catch (error) {
      const outcome = outcomeOf(error);
      setRetryAfter(c, outcome);
      const page = recoveryRequestPage({ frame: frameFor(c, deps, title), hours, error: outcome.message });
      return render(c, page, outcome.status);
    }
    return render(
      c,
      recoveryRequestPage({ frame: frameFor(c, deps, 'Check your email'), hours, sent: true }),
    );
  });

  for (const kind of ['confirm', 'cancel'] as const) {
    const heading = kind === 'confirm' ? 'Confirm account recovery' : 'Cancel account recovery';
    const isLive = (token: string) =>
      kind === 'confirm'
        ? services.accountRecovery.isConfirmLinkLive(token)
        : services.accountRecovery.isCancelLinkLive(token);

    routes.get(`/recovery/${kind}/:token`, async (c) => {
      const token = c.req.param('token');
      if (await isLive(token))
        return render(c, recoveryLinkPage({ frame: frameFor(c, deps, heading), kind, token }));
      return invalid(c, kind, heading, OUTCOMES.INVALID_LINK.message);
    });

    routes.post(`/recovery/${kind}`, async (c) => {
      const form = await readForm(c, 'token');
      try {
        if (kind === 'confirm') await services.accountRecovery.confirm(form.token);
        else await services.accountRecovery.cancelByLink(form.token);
      } catch (error) {
        return invalid(c, kind, heading, outcomeOf(error).message);
      }
      return render(c, recoveryDonePage({ frame: frameFor(c, deps, heading), kind, hours }));
    });
  }

  routes.post('/security/account-recovery/cancel', async (c) => {
    const session = fullSession(c);
    if (!session) return seeOther(c, '/login');
    await services.accountRecovery.cancelBySession(session.userId);
    return seeOther(c, '/security?done=recovery-cancelled');
  });

  function invalid(c: PageContext, kind: 'confirm' | 'cancel', heading: string, message: string) {
    const page = recoveryLinkPage({ frame: frameFor(c, deps, heading), kind, token: null, error: message });
    return render(c, page, OUTCOMES.INVALID_LINK.status);
  }

  return routes;
}
