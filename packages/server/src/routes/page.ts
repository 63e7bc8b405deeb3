/** Helpers the page routes share: the frame of a page, reading a form, guarding signed-in pages. */
import type { Context } from 'hono';
import type { AppDeps, AppEnv } from '../context.ts';
import { csrfToken } from '../middleware/csrf/index.ts';
import type { SessionView, UserView } from '../services/types.ts';
import type { Frame, Nav } from '../views/layout.ts';
import type { Html } from '../views/parts.ts';

export type PageContext = Context<AppEnv>;

/** The frame for a page. Pass the user when the route has read it; otherwise the nav omits the email. */
export function frameFor(
  c: PageContext,
  deps: AppDeps,
  title: string,
  options: { user?: UserView | null; scripts?: readonly string[] } = {},
): Frame {
  const session = c.get('session');
  let nav: Nav = { kind: 'anonymous' };
  if (session?.state === 'pending') nav = { kind: 'pending' };
  else if (session?.state === 'full') {
    nav = options.user ? { kind: 'signed-in', email: options.user.email } : { kind: 'signed-in' };
  }
  const frame: Frame = { title, nav, csrf: csrfToken(c, deps.config.secureCookies) };
  return options.scripts ? { ...frame, scripts: options.scripts } : frame;
}

export async function render(
  c: PageContext,
  page: Html,
  status: 200 | 400 | 401 | 403 | 404 | 409 | 413 | 422 | 429 | 500 | 503 = 200,
): Promise<Response> {
  return c.html(await page, status);
}

/** RFC 9110 s10.2.3: how many seconds a client should wait before asking again (429 responses). */
export function setRetryAfter(c: PageContext, error: { readonly retryAfterSeconds?: number }): void {
  if (error.retryAfterSeconds !== undefined) c.header('Retry-After', String(error.retryAfterSeconds));
}

/** See Other: after a form post the browser fetches the next page with GET (post/redirect/get). */
export function seeOther(c: PageContext, location: string): Response {
  return c.redirect(location, 303);
}

/** The string fields of a form body; files and absent fields read as ''. */
export async function readForm<K extends string>(c: PageContext, ...names: K[]): Promise<Record<K, string>> {
  const body = await c.req.parseBody();
  const out = {} as Record<K, string>;
  for (const name of names) {
    const value = body[name];
    out[name] = typeof value === 'string' ? value : '';
  }
  return out;
}

/** The signed-in (full) session, or undefined: a pending session grants nothing but the code step. */
export function fullSession(c: PageContext): SessionView | undefined {
  const session = c.get('session');
  return session?.state === 'full' ? session : undefined;
}
