/**
 * Session middleware: turns the session cookie into a SessionView (services.auth.resolveSession also
 * touches the idle timeout) and owns the cookie's attributes.
 *
 * Threats: session theft by script (HttpOnly), cross-site request riding (SameSite=Lax, plus the CSRF
 * middleware), cookie injection from a sibling subdomain or over plain HTTP (`__Host-` prefix and Secure
 * when served over HTTPS), fixation (routes call setSessionCookie with a new token at every privilege change).
 */
import type { Context, MiddlewareHandler } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import type { CookieOptions } from 'hono/utils/cookie';
import type { AppEnv } from '../../context.ts';
import type { AuthService } from '../../services/types.ts';

/** Cookie name: `__Host-` requires Secure, Path=/ and no Domain, so browsers refuse it from anywhere else. */
export function cookieName(base: string, secure: boolean): string {
  return secure ? `__Host-${base}` : base;
}

/** The attributes every cookie of this service carries. No Max-Age: the server enforces the timeouts. */
export function cookieOptions(secure: boolean): CookieOptions {
  return secure
    ? { httpOnly: true, sameSite: 'Lax', path: '/', secure: true }
    : { httpOnly: true, sameSite: 'Lax', path: '/' };
}

export const SESSION_COOKIE = 'twofa_session';

export interface SessionOptions {
  readonly auth: Pick<AuthService, 'resolveSession'>;
  readonly secureCookies: boolean;
}

/** Sets `session` and `sessionToken` for the routes; clears a cookie that names no live session. */
export function session(options: SessionOptions): MiddlewareHandler<AppEnv> {
  const name = cookieName(SESSION_COOKIE, options.secureCookies);
  return async (c, next) => {
    const token = getCookie(c, name);
    const view = token ? await options.auth.resolveSession(token) : null;
    if (view && token) {
      c.set('session', view);
      c.set('sessionToken', token);
      c.set('sessionEnded', false);
    } else {
      c.set('session', null);
      c.set('sessionToken', undefined);
      c.set('sessionEnded', token !== undefined);
      if (token !== undefined) deleteCookie(c, name, cookieOptions(options.secureCookies));
    }
    await next();
  };
}

/** Puts a freshly issued session token in the cookie (and in this request's context). */
export function setSessionCookie(c: Context<AppEnv>, secureCookies: boolean, token: string): void {
  setCookie(c, cookieName(SESSION_COOKIE, secureCookies), token, cookieOptions(secureCookies));
  c.set('sessionToken', token);
}

/** Removes the session cookie; the rest of this request is anonymous. */
export function clearSessionCookie(c: Context<AppEnv>, secureCookies: boolean): void {
  deleteCookie(c, cookieName(SESSION_COOKIE, secureCookies), cookieOptions(secureCookies));
  c.set('session', null);
  c.set('sessionToken', undefined);
}

/** The raw cookie value as sent, live or not (login passes it as `previousToken` so it gets revoked). */
export function rawSessionCookie(c: Context<AppEnv>, secureCookies: boolean): string | undefined {
  return getCookie(c, cookieName(SESSION_COOKIE, secureCookies)) || undefined;
}

/**
 * The trusted-device cookie ("Remember this device for 30 days"): the same attributes as the session cookie
 * (HttpOnly, SameSite=Lax, Path=/, and `__Host-` with Secure over HTTPS), plus a Max-Age, since it must
 * outlive the browser's session. Read only by POST /login; the server keeps only its token's hash.
 */
export const DEVICE_COOKIE = 'twofa_device';

/** The device cookie's value as sent, or undefined. */
export function rawDeviceCookie(c: Context<AppEnv>, secureCookies: boolean): string | undefined {
  return getCookie(c, cookieName(DEVICE_COOKIE, secureCookies)) || undefined;
}

/** Puts a device token in the cookie, for `maxAgeMs` (the time left before the device's trust ends). */
export function setDeviceCookie(
  c: Context<AppEnv>,
  secureCookies: boolean,
  device: { readonly token: string; readonly maxAgeMs: number },
): void {
  setCookie(c, cookieName(DEVICE_COOKIE, secureCookies), device.token, {
    ...cookieOptions(secureCookies),
    maxAge: Math.max(1, Math.floor(device.maxAgeMs / 1000)),
  });
}

/** Removes the device cookie (its token is worth nothing now). */
export function clearDeviceCookie(c: Context<AppEnv>, secureCookies: boolean): void {
  deleteCookie(c, cookieName(DEVICE_COOKIE, secureCookies), cookieOptions(secureCookies));
}
