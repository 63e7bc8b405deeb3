/**
 * GET/POST /signup: create an account with email and password. The answer is the same page ("check your
 * email") whether the address is new or taken, with no session either way: the new address gets a message to
 * confirm it, the taken one's owner a message saying someone tried. The new account then logs in as usual.
 */
import { Hono } from 'hono';
import type { AppDeps, AppEnv } from '../context.ts';
import { outcomeOf } from '../outcomes.ts';
import { checkEmailPage } from '../views/email.ts';
import { signupPage } from '../views/signup.ts';
import { frameFor, fullSession, readForm, render, seeOther, setRetryAfter } from './page.ts';

export function signupRoutes(deps: AppDeps): Hono<AppEnv> {
  const { services } = deps;
  const routes = new Hono<AppEnv>();

  routes.get('/signup', (c) => {
    if (fullSession(c)) return seeOther(c, '/');
    return render(c, signupPage({ frame: frameFor(c, deps, 'Create an account') }));
  });

  routes.post('/signup', async (c) => {
    const form = await readForm(c, 'email', 'password');
    try {
      await services.accounts.register({ email: form.email, password: form.password });
    } catch (error) {
      // What was typed is wrong (not an address, a short password): that says nothing about who exists.
      const outcome = outcomeOf(error);
      const { status, message, field } = outcome;
      setRetryAfter(c, outcome); // BUSY: the password pool is full
      const frame = frameFor(c, deps, 'Create an account');
      return render(c, signupPage({ frame, email: form.email, error: { message, field } }), status);
    }
    return render(
      c,
      checkEmailPage({ frame: frameFor(c, deps, 'Check your email'), email: form.email.trim() }),
    );
  });

  return routes;
}
