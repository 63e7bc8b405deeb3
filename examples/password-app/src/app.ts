/**
 * A small web app with its own users and passwords (scrypt, in memory) that hands the second factor to
 * twofa through @twofa/client. The user id it gives twofa is its own (`subject`); twofa never sees a
 * password. Written as a fetch handler (Request -> Response) so it runs in-process in tests and behind
 * node:http in src/main.ts.
 *
 * Sign-in: password here, then, if the user turned 2FA on, `twofa.verify(user.id, code)`. Turning 2FA on:
 * `startEnrollment` (show the QR code), then `confirmEnrollment` with a code from the app (show the recovery
 * codes once).
 */
import { randomBytes, scryptSync, timingSafeEqual } from 'node:crypto';
import { TwofaApiError, type TwofaClient } from '@twofa/client';

interface User {
  readonly id: string;
  readonly username: string;
  readonly passwordHash: string;
  twofa: boolean;
}

interface Session {
  readonly userId: string;
  /** `pending`: the password was right and a code is due. */
  state: 'pending' | 'full';
}

export interface PasswordAppOptions {
  readonly twofa: TwofaClient;
}

const COOKIE = 'sid';

export function createPasswordApp({ twofa }: PasswordAppOptions): (request: Request) => Promise<Response> {
  const users = new Map<string, User>();
  const sessions = new Map<string, Session>();

  function hashPassword(password: string): string {
    const salt = randomBytes(16);
    return `${salt.toString('hex')}:${scryptSync(password, salt, 32).toString('hex')}`;
  }

  function checkPassword(password: string, stored: string): boolean {
    const [salt = '', hash = ''] = stored.split(':');
    const expected = Buffer.from(hash, 'hex');
    const actual = scryptSync(password, Buffer.from(salt, 'hex'), 32);
    return expected.length === actual.length && timingSafeEqual(expected, actual);
  }

  function startSession(userId: string, state: Session['state']): string {
    const token = randomBytes(32).toString('base64url');
    sessions.set(token, { userId, state });
    // SameSite=Strict: another site's form cannot post with this cookie (the example's CSRF defence).
    return `${COOKIE}=${token}; Path=/; HttpOnly; SameSite=Strict`;
  }

  function sessionOf(request: Request): { token: string; session: Session; user: User } | undefined {
    const token = /(?:^|;\s*)sid=([^;]+)/.exec(request.headers.get('cookie') ?? '')?.[1];
    const session = token === undefined ? undefined : sessions.get(token);
    const user = session === undefined ? undefined : [...users.values()].find((u) => u.id === session.userId);
    return token && session && user ? { token, session, user } : undefined;
  }

  return async (request) => {
    const url = new URL(request.url);
    const route = `${request.method} ${url.pathname}`;
    const form =
      request.method === 'POST' ? new URLSearchParams(await request.text()) : new URLSearchParams();
    const signedIn = sessionOf(request);
    const full = signedIn?.session.state === 'full' ? signedIn : undefined;

    switch (route) {
      case 'GET /':
        if (full === undefined) {
          return page('Welcome', '<p><a href="/signup">Sign up</a> or <a href="/login">log in</a>.</p>');
        }
        return page(
          `Hello, ${escapeHtml(full.user.username)}`,
          full.user.twofa
            ? '<p>Two-factor authentication is on.</p>'
            : '<p>Two-factor authentication is off.</p><form method="post" action="/2fa/setup"><button>Turn it on</button></form>',
        );
      case 'GET /signup':
        return page('Sign up', credentialsForm('/signup', 'Sign up'));
      case 'POST /signup': {
        const username = form.get('username') ?? '';
        const password = form.get('password') ?? '';
        if (!/^[a-z0-9._-]{1,64}$/.test(username) || password.length < 8) {
          return page(
            'Sign up',
            `<p>Choose a user name (a-z 0-9 . _ -) and a password of 8 or more.</p>${credentialsForm('/signup', 'Sign up')}`,
            400,
          );
        }
        if (users.has(username)) return page('Sign up', '<p>That name is taken.</p>', 409);
        const user: User = {
          id: `u-${randomBytes(8).toString('hex')}`,
          username,
          passwordHash: hashPassword(password),
          twofa: false,
        };
        users.set(username, user);
        return redirect('/', startSession(user.id, 'full'));
      }
      case 'GET /login':
        return page('Log in', credentialsForm('/login', 'Log in'));
      case 'POST /login': {
        const user = users.get(form.get('username') ?? '');
        if (user === undefined || !checkPassword(form.get('password') ?? '', user.passwordHash)) {
          return page(
            'Log in',
            `<p>Wrong user name or password.</p>${credentialsForm('/login', 'Log in')}`,
            401,
          );
        }
        if (signedIn !== undefined) sessions.delete(signedIn.token);
        return redirect(
          user.twofa ? '/login/code' : '/',
          startSession(user.id, user.twofa ? 'pending' : 'full'),
        );
      }
      case 'GET /login/code':
        return page('Enter your code', codeForm());
      case 'POST /login/code': {
        if (signedIn?.session.state !== 'pending') return redirect('/login');
        try {
          // The app's own user id is the subject. A 6-digit code or a recovery code; each works once.
          const result = await twofa.verify(signedIn.user.id, form.get('code') ?? '');
          if (!result.valid)
            return page('Enter your code', `<p>That code is not right.</p>${codeForm()}`, 401);
          sessions.delete(signedIn.token);
          return redirect('/', startSession(signedIn.user.id, 'full'));
        } catch (error) {
          return twofaError(error, 'Enter your code', codeForm());
        }
      }
      case 'POST /2fa/setup': {
        if (full === undefined) return redirect('/login');
        let enrollment: Awaited<ReturnType<TwofaClient['startEnrollment']>>;
        try {
          enrollment = await twofa.startEnrollment(full.user.id, {
            accountName: full.user.username,
            issuer: 'Password App',
          });
        } catch (error) {
          // E.g. TOTP_ALREADY_ENABLED: a second tab posted this form after the first turned 2FA on.
          return twofaError(error, 'Set up your authenticator app', '<p><a href="/">Back</a></p>');
        }
        const key = new URL(enrollment.otpauthUri).searchParams.get('secret') ?? '';
        return page(
          'Set up your authenticator app',
          `<p>Scan this with your authenticator app:</p><img alt="QR code" src="${enrollment.qrPngDataUrl}">` +
            `<p>Or <a href="${escapeHtml(enrollment.otpauthUri)}">open it on this phone</a>, or type the key <code>${key}</code>.</p>` +
            `<form method="post" action="/2fa/confirm"><input type="hidden" name="enrollmentId" value="${escapeHtml(enrollment.enrollmentId)}">` +
            '<label>Code from the app <input name="code" inputmode="numeric" autocomplete="one-time-code"></label> <button>Turn on</button></form>',
        );
      }
      case 'POST /2fa/confirm': {
        if (full === undefined) return redirect('/login');
        try {
          const { recoveryCodes } = await twofa.confirmEnrollment(
            full.user.id,
            form.get('enrollmentId') ?? '',
            form.get('code') ?? '',
          );
          full.user.twofa = true;
          return page(
            'Two-factor authentication is on',
            `<p>Save these recovery codes: each works once if you lose your phone. They are not shown again.</p><ul>${(recoveryCodes ?? []).map((c) => `<li><code>${c}</code></li>`).join('')}</ul><p><a href="/">Done</a></p>`,
          );
        } catch (error) {
          return twofaError(error, 'Set up your authenticator app', '<p><a href="/">Start again</a></p>');
        }
      }
      case 'POST /logout':
        if (signedIn !== undefined) sessions.delete(signedIn.token);
        return redirect('/', `${COOKIE}=; Path=/; Max-Age=0`);
      default:
        return page('Not found', '<p>There is no page here.</p>', 404);
    }
  };
}

/** A refusal from twofa as a page: its own words and status, and the wait when it gave one. */
function twofaError(error: unknown, heading: string, body: string): Response {
  if (!(error instanceof TwofaApiError)) throw error;
  const wait =
    error.retryAfterSeconds === undefined
      ? ''
      : ` Try again in ${Math.ceil(error.retryAfterSeconds / 60)} minutes.`;
  const status = error.status === 429 ? 429 : 400;
  const message =
    error.code === 'INVALID_SETUP_CODE' ? 'That code is not right.' : error.message.replace(/^[A-Z_]+: /, '');
  return page(heading, `<p>${escapeHtml(message)}${wait}</p>${body}`, status);
}

function credentialsForm(action: string, label: string): string {
  return `<form method="post" action="${action}"><label>User name <input name="username"></label> <label>Password <input name="password" type="password"></label> <button>${label}</button></form>`;
}

function codeForm(): string {
  return '<form method="post" action="/login/code"><label>Code from your app, or a recovery code <input name="code" autocomplete="one-time-code"></label> <button>Continue</button></form>';
}

function page(title: string, body: string, status = 200): Response {
  return new Response(
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${title}</title></head><body><h1>${title}</h1>${body}</body></html>`,
    { status, headers: { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' } },
  );
}

function redirect(location: string, cookie?: string): Response {
  const headers = new Headers({ Location: location });
  if (cookie !== undefined) headers.set('Set-Cookie', cookie);
  return new Response(null, { status: 303, headers });
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
