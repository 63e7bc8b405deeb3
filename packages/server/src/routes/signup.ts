/** GET/POST /signup: create an account with email and password; the new account is signed in. */
import { Hono } from 'hono';
import type { AppDeps, AppEnv } from '../context.ts';
import { rawSessionCookie, setSessionCookie } from '../middleware/session/index.ts';
import { outcomeOf } from '../outcomes.ts';
import { signupPage } from '../views/signup.ts';
import { frameFor, fullSession, readForm, render, seeOther } from './page.ts';

export function signupRoutes(deps: AppDeps): Hono<AppEnv> {
  const { services, config } = deps;
  const routes = new Hono<AppEnv>();

  routes.get('/signup', (c) => {
    if (fullSession(c)) return seeOther(c, '/');
    return render(c, signupPage({ frame: frameFor(c, deps, 'Create an account') }));
  });

  routes.post('/signup', async (c) => {
    const form = await readForm(c, 'email', 'password');
    let token: string;
    try {
      token = (await services.accounts.signUp({ email: form.email, password: form.password })).token;
    } catch (error) {
      const { status, message, field } = outcomeOf(error);
      const frame = frameFor(c, deps, 'Create an account');
      return render(c, signupPage({ frame, email: form.email, error: { message, field } }), status);
    }
    // Whatever session this browser had (another account, a half-finished login) ends here.
    const previous = rawSessionCookie(c, config.secureCookies);
    if (previous) await services.auth.logout(previous);
    setSessionCookie(c, config.secureCookies, token);
    return seeOther(c, '/security?done=welcome');
  });

  return routes;
}
