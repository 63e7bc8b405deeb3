/** GET /: the front page, or the account's state when signed in. */
import { Hono } from 'hono';
import type { AppDeps, AppEnv } from '../context.ts';
import { homePage } from '../views/home.ts';
import { frameFor, render, seeOther } from './page.ts';

export function homeRoutes(deps: AppDeps): Hono<AppEnv> {
  const routes = new Hono<AppEnv>();
  routes.get('/', async (c) => {
    const session = c.get('session');
    if (session?.state === 'pending') return seeOther(c, '/login/code');
    const user = session ? await deps.services.accounts.getUser(session.userId) : null;
    // Any primary factor (the app, codes by email or text message) turns two-factor authentication on.
    const account = user
      ? { email: user.email, totpEnabled: user.factors.some((kind) => kind !== 'recovery') }
      : null;
    const failedSecondSteps = user ? await deps.services.audit.failedSecondSteps(user.id) : undefined;
    return render(
      c,
      homePage({
        frame: frameFor(c, deps, user ? 'Your account' : 'Welcome', { user }),
        account,
        failedSecondSteps,
      }),
    );
  });
  return routes;
}
