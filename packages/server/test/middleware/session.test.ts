// Threats: session theft by script, cookie injection, and stale or forged cookies being treated as sessions.
// The middleware resolves only live sessions, clears the rest, and owns the cookie's attributes.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Hono } from 'hono';
import type { AppEnv } from '../../src/context.ts';
import {
  clearSessionCookie,
  cookieName,
  SESSION_COOKIE,
  session,
  setSessionCookie,
} from '../../src/middleware/session/index.ts';
import type { SessionView } from '../../src/services/types.ts';
import { parseSetCookies } from '../support/client.ts';

const LIVE = 'live-token';
const VIEW: SessionView = {
  id: 's1',
  userId: 'u1',
  state: 'full',
  factors: [],
  createdAtMs: 0,
  expiresAtMs: 1,
  attemptsLeft: 0,
};

function appWith(secureCookies: boolean) {
  const asked: string[] = [];
  const auth = {
    async resolveSession(token: string) {
      asked.push(token);
      return token === LIVE ? VIEW : null;
    },
  };
  const app = new Hono<AppEnv>();
  app.use('*', session({ auth, secureCookies }));
  app.get('/who', (c) =>
    c.json({ userId: c.get('session')?.userId ?? null, token: c.get('sessionToken') ?? null }),
  );
  app.post('/issue', (c) => {
    setSessionCookie(c, secureCookies, 'new-token');
    return c.json({ token: c.get('sessionToken') ?? null });
  });
  app.post('/clear', (c) => {
    clearSessionCookie(c, secureCookies);
    return c.json({ session: c.get('session'), token: c.get('sessionToken') ?? null });
  });
  return { app, asked };
}

test('a live session cookie resolves to the session and its token', async () => {
  const { app } = appWith(false);
  const res = await app.request('/who', { headers: { Cookie: `${SESSION_COOKIE}=${LIVE}` } });
  assert.deepEqual(await res.json(), { userId: 'u1', token: LIVE });
  assert.deepEqual(res.headers.getSetCookie(), []);
});

test('no cookie: anonymous, nothing asked, nothing set', async () => {
  const { app, asked } = appWith(false);
  const res = await app.request('/who');
  assert.deepEqual(await res.json(), { userId: null, token: null });
  assert.deepEqual(asked, []);
  assert.deepEqual(res.headers.getSetCookie(), []);
});

test('an unknown or expired token is anonymous and its cookie is cleared', async () => {
  const { app } = appWith(false);
  const res = await app.request('/who', { headers: { Cookie: `${SESSION_COOKIE}=stale` } });
  assert.deepEqual(await res.json(), { userId: null, token: null });
  const cookie = parseSetCookies(res.headers.getSetCookie()).get(SESSION_COOKIE);
  assert.ok(cookie, 'a Set-Cookie clears it');
  assert.equal(cookie.value, '');
  assert.equal(cookie.attributes.get('max-age'), '0');
});

test('secure mode reads only the __Host- cookie: a plain-named one (settable over HTTP) is ignored', async () => {
  const { app, asked } = appWith(true);
  const plain = await app.request('/who', { headers: { Cookie: `${SESSION_COOKIE}=${LIVE}` } });
  assert.deepEqual(await plain.json(), { userId: null, token: null });
  assert.deepEqual(asked, []);
  const prefixed = await app.request('/who', { headers: { Cookie: `__Host-${SESSION_COOKIE}=${LIVE}` } });
  assert.deepEqual(await prefixed.json(), { userId: 'u1', token: LIVE });
});

for (const secure of [false, true]) {
  test(`setSessionCookie: HttpOnly, SameSite=Lax, Path=/, no Domain${secure ? ', Secure, __Host-' : ''}`, async () => {
    const { app } = appWith(secure);
    const res = await app.request('/issue', { method: 'POST' });
    assert.deepEqual(await res.json(), { token: 'new-token' });
    const name = cookieName(SESSION_COOKIE, secure);
    assert.equal(name, secure ? '__Host-twofa_session' : 'twofa_session');
    const cookie = parseSetCookies(res.headers.getSetCookie()).get(name);
    assert.ok(cookie);
    assert.equal(cookie.value, 'new-token');
    assert.equal(cookie.attributes.get('httponly'), true);
    assert.equal(cookie.attributes.get('samesite'), 'Lax');
    assert.equal(cookie.attributes.get('path'), '/');
    assert.equal(cookie.attributes.has('domain'), false);
    assert.equal(
      cookie.attributes.has('max-age'),
      false,
      'a browser-session cookie; the server enforces timeouts',
    );
    assert.equal(cookie.attributes.get('secure'), secure ? true : undefined);
  });
}

test('clearSessionCookie makes the rest of the request anonymous', async () => {
  const { app } = appWith(false);
  const res = await app.request('/clear', {
    method: 'POST',
    headers: { Cookie: `${SESSION_COOKIE}=${LIVE}` },
  });
  assert.deepEqual(await res.json(), { session: null, token: null });
  assert.equal(
    parseSetCookies(res.headers.getSetCookie()).get(SESSION_COOKIE)?.attributes.get('max-age'),
    '0',
  );
});
