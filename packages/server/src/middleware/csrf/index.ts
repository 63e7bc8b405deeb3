/**
 * CSRF protection for every state-changing request.
 *
 * Threat: another site makes the victim's browser submit one of our forms (change the password, turn 2FA off,
 * log the victim into the attacker's account). Two independent checks, both required:
 * 1. Origin: the `Origin` header must be exactly the public URL's origin. Browsers omit it on a few old
 *    paths; then `Sec-Fetch-Site` must say `same-origin` or `none`. Neither present: refused. (With
 *    `Referrer-Policy: no-referrer` Chromium sends `Origin: null` on same-origin form posts, which is why the
 *    security-headers middleware sends `same-origin`.)
 * 2. A token in the form, bound to a secret only the browser holds: HMAC-SHA256 keyed with the live session
 *    token, or, for anonymous forms (sign-up, login), with a random pre-session cookie. The server keeps no
 *    state for it (two instances agree), a token dies with its session (rotation at login and logout), and it
 *    reveals nothing about the cookie: the key never leaves the HttpOnly cookie and the message is fixed.
 *    Compared with timingSafeEqual.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Context, MiddlewareHandler } from 'hono';
import { getCookie, setCookie } from 'hono/cookie';
import type { AppEnv } from '../../context.ts';
import { formFields, formType } from '../form/index.ts';
import { cookieName, cookieOptions } from '../session/index.ts';

/** The form field that carries the token. */
export const CSRF_FIELD = 'csrf';
export const PRE_SESSION_COOKIE = 'twofa_csrf';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
/** Domain separation: the token is never equal to anything else derived from the session token. */
const TOKEN_MESSAGE = 'twofa/csrf/v1';
/** 32 random bytes in base64url, the shape this middleware writes. Anything else is ignored. */
const PRE_SESSION_SHAPE = /^[A-Za-z0-9_-]{43}$/;

export type CsrfRefusal = 'origin' | 'token';

export interface CsrfOptions {
  /** The service's public URL; its origin is the only one accepted. */
  readonly publicUrl: string;
  readonly secureCookies: boolean;
  /** Builds the 403 response (the app renders a page and logs the refusal). */
  readonly onRefuse: (c: Context<AppEnv>, reason: CsrfRefusal) => Response | Promise<Response>;
}

/** Refuses an unsafe request unless both the origin and the token check pass. Needs the session middleware. */
export function csrfProtection(options: CsrfOptions): MiddlewareHandler<AppEnv> {
  const expectedOrigin = new URL(options.publicUrl).origin;
  return async (c, next) => {
    if (SAFE_METHODS.has(c.req.method)) return next();
    if (!isSameOrigin(c.req.header('origin'), c.req.header('sec-fetch-site'), expectedOrigin)) {
      return options.onRefuse(c, 'origin');
    }
    const sent = await readField(c, CSRF_FIELD);
    const binding = bindingOf(c, options.secureCookies);
    if (typeof sent !== 'string' || binding === undefined || !tokensEqual(sent, deriveToken(binding))) {
      return options.onRefuse(c, 'token');
    }
    return next();
  };
}

/**
 * The token to put in this page's forms. Bound to the live session if there is one; otherwise to the
 * pre-session cookie, which this sets when the browser does not have one yet.
 */
export function csrfToken(c: Context<AppEnv>, secureCookies: boolean): string {
  const existing = bindingOf(c, secureCookies);
  if (existing !== undefined) return deriveToken(existing);
  const fresh = randomBytes(32).toString('base64url');
  setCookie(c, cookieName(PRE_SESSION_COOKIE, secureCookies), fresh, cookieOptions(secureCookies));
  c.set('preSessionToken', fresh);
  return deriveToken(fresh);
}

/** Exported for tests: the token a form bound to `binding` carries. */
export function deriveToken(binding: string): string {
  return createHmac('sha256', binding).update(TOKEN_MESSAGE).digest('base64url');
}

function bindingOf(c: Context<AppEnv>, secureCookies: boolean): string | undefined {
  const sessionToken = c.get('sessionToken');
  if (sessionToken) return sessionToken;
  const known = c.get('preSessionToken');
  if (known) return known;
  const cookie = getCookie(c, cookieName(PRE_SESSION_COOKIE, secureCookies));
  if (cookie === undefined || !PRE_SESSION_SHAPE.test(cookie)) return undefined;
  c.set('preSessionToken', cookie);
  return cookie;
}

/**
 * True when an unsafe request passes the origin check (step 1 above); csrfProtection refuses every other one
 * before any handler runs. The per-client budget counts only these: a post another site's page makes from its
 * visitors' browsers is refused anyway, and must not spend their network's budget.
 */
export function passesOriginCheck(c: Context<AppEnv>, publicUrl: string): boolean {
  return isSameOrigin(c.req.header('origin'), c.req.header('sec-fetch-site'), new URL(publicUrl).origin);
}

function isSameOrigin(origin: string | undefined, fetchSite: string | undefined, expected: string): boolean {
  if (origin !== undefined) return origin === expected;
  return fetchSite === 'same-origin' || fetchSite === 'none';
}

/** The field from a form body; undefined for other content types (text/plain is a classic CSRF vector). */
async function readField(c: Context<AppEnv>, name: string): Promise<unknown> {
  if (formType(c.req.header('content-type')) === undefined) return undefined;
  try {
    return (await formFields(c))[name];
  } catch {
    return undefined; // a malformed body carries no token
  }
}

function tokensEqual(sent: string, expected: string): boolean {
  const a = Buffer.from(sent);
  const b = Buffer.from(expected);
  // The length of a valid token is public; only the content must be compared in constant time.
  return a.length === b.length && timingSafeEqual(a, b);
}
