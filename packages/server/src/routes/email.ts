/**
 * Confirming the account's email address by the link in the message: GET /email/verify/:token shows a button
 * (GET changes nothing), POST /email/verify confirms. The token is the one secret that travels in a URL, as
 * a link must carry it: the request log records the route pattern only, pages send `Referrer-Policy:
 * same-origin` and `Cache-Control: no-store`, and the token works once. The 6-digit code is typed on the
 * security page (routes/security.ts).
 */
import { Hono } from 'hono';
import type { AppDeps, AppEnv } from '../context.ts';
import { OUTCOMES, outcomeOf } from '../outcomes.ts';
import { emailVerifiedPage, verifyLinkPage } from '../views/email.ts';
import { frameFor, fullSession, readForm, render } from './page.ts';

export function emailRoutes(deps: AppDeps): Hono<AppEnv> {
  const { services } = deps;
  const routes = new Hono<AppEnv>();
  const title = 'Confirm your email address';

  routes.get('/email/verify/:token', async (c) => {
    const token = c.req.param('token');
    if (await services.emailVerification.isLinkLive(token)) {
      return render(c, verifyLinkPage({ frame: frameFor(c, deps, title), token }));
    }
    const { status, message } = OUTCOMES.INVALID_LINK;
    return render(
      c,
      verifyLinkPage({ frame: frameFor(c, deps, title), token: null, error: message }),
      status,
    );
  });

  routes.post('/email/verify', async (c) => {
    const form = await readForm(c, 'token');
    try {
      await services.emailVerification.verifyLink(form.token);
    } catch (error) {
      const { status, message } = outcomeOf(error);
      return render(
        c,
        verifyLinkPage({ frame: frameFor(c, deps, title), token: null, error: message }),
        status,
      );
    }
    const signedIn = fullSession(c) !== undefined;
    return render(c, emailVerifiedPage({ frame: frameFor(c, deps, 'Email address confirmed'), signedIn }));
  });

  return routes;
}
