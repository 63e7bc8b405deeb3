/** POST /logout: ends the session (also a pending one: "Cancel sign-in") and clears the cookie. */
import { Hono } from 'hono';
import type { AppDeps, AppEnv } from '../context.ts';
import { clearSessionCookie, rawSessionCookie } from '../middleware/session/index.ts';
import { seeOther } from './page.ts';

export function logoutRoutes(deps: AppDeps): Hono<AppEnv> {
  const routes = new Hono<AppEnv>();
  routes.post('/logout', async (c) => {
    const token = c.get('sessionToken') ?? rawSessionCookie(c, deps.config.secureCookies);
    if (token) await deps.services.auth.logout(token);
    clearSessionCookie(c, deps.config.secureCookies);
    return seeOther(c, '/');
  });
  return routes;
}
