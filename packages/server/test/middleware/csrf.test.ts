// Threat: cross-site request forgery. Another site makes the victim's browser post one of our forms. The
// middleware must refuse unless the Origin is ours (or Sec-Fetch-Site says same-origin) AND the form carries
// the token bound to this browser's session or pre-session cookie.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { Hono } from 'hono';
import type { AppEnv } from '../../src/context.ts';
import {
  type CsrfRefusal,
  csrfProtection,
  csrfToken,
  deriveToken,
  PRE_SESSION_COOKIE,
} from '../../src/middleware/csrf/index.ts';
import { parseSetCookies } from '../support/client.ts';

const ORIGIN = 'https://twofa.example';
const PRE = 'A'.repeat(43); // the shape of a pre-session value: 32 bytes in base64url
const SESSION = 'session-token-value';

function appWith(secureCookies = false) {
  const refusals: CsrfRefusal[] = [];
  const app = new Hono<AppEnv>();
  // Stands in for the session middleware: the X-Test-Session header plays a live session's token.
  app.use('*', async (c, next) => {
    c.set('sessionToken', c.req.header('x-test-session'));
    await next();
  });
  app.use(
    '*',
    csrfProtection({
      publicUrl: `${ORIGIN}/`,
      secureCookies,
      onRefuse: (c, reason) => {
        refusals.push(reason);
        return c.text('refused', 403);
      },
    }),
  );
  app.get('/form', (c) => c.text(csrfToken(c, secureCookies)));
  app.post('/act', (c) => c.text('done'));
  return { app, refusals };
}

function post(
  fields: Record<string, string>,
  headers: Record<string, string> = { Origin: ORIGIN },
  contentType = 'application/x-www-form-urlencoded',
) {
  return {
    method: 'POST',
    headers: { 'Content-Type': contentType, ...headers },
    body: new URLSearchParams(fields).toString(),
  };
}

const withPre = (extra: Record<string, string> = {}) => ({
  Origin: ORIGIN,
  Cookie: `${PRE_SESSION_COOKIE}=${PRE}`,
  ...extra,
});

test('safe methods pass without a token', async () => {
  const { app, refusals } = appWith();
  assert.equal((await app.request('/form')).status, 200);
  assert.deepEqual(refusals, []);
});

test('a form with the right token from our origin passes', async () => {
  const { app } = appWith();
  const res = await app.request('/act', post({ csrf: deriveToken(PRE) }, withPre()));
  assert.equal(res.status, 200);
  assert.equal(await res.text(), 'done');
});

test('multipart forms are read too', async () => {
  const { app } = appWith();
  const body = new FormData();
  body.set('csrf', deriveToken(PRE));
  const res = await app.request('/act', { method: 'POST', headers: withPre(), body });
  assert.equal(res.status, 200);
});

test('no token, an empty token or a wrong token: refused', async () => {
  const { app, refusals } = appWith();
  for (const fields of [
    {},
    { csrf: '' },
    { csrf: deriveToken('B'.repeat(43)) },
    { csrf: `${deriveToken(PRE)}x` },
  ]) {
    assert.equal((await app.request('/act', post(fields, withPre()))).status, 403, JSON.stringify(fields));
  }
  assert.deepEqual(refusals, ['token', 'token', 'token', 'token']);
});

test('a token is refused when the browser has no binding cookie at all', async () => {
  const { app, refusals } = appWith();
  assert.equal((await app.request('/act', post({ csrf: deriveToken(PRE) }))).status, 403);
  assert.deepEqual(refusals, ['token']);
});

test('a pre-session cookie of the wrong shape binds nothing (an attacker-planted short value)', async () => {
  const { app } = appWith();
  const headers = { Origin: ORIGIN, Cookie: `${PRE_SESSION_COOKIE}=abc` };
  assert.equal((await app.request('/act', post({ csrf: deriveToken('abc') }, headers))).status, 403);
});

test('with a live session the token must be bound to the session, not to the pre-session cookie', async () => {
  const { app } = appWith();
  const headers = withPre({ 'X-Test-Session': SESSION });
  assert.equal((await app.request('/act', post({ csrf: deriveToken(PRE) }, headers))).status, 403);
  assert.equal((await app.request('/act', post({ csrf: deriveToken(SESSION) }, headers))).status, 200);
});

test('a foreign, null or look-alike Origin is refused even with a valid token', async () => {
  const { app, refusals } = appWith();
  const token = { csrf: deriveToken(PRE) };
  for (const origin of [
    'https://evil.example',
    'null',
    'http://twofa.example',
    'https://twofa.example:8443',
    `${ORIGIN}.evil`,
  ]) {
    assert.equal((await app.request('/act', post(token, withPre({ Origin: origin })))).status, 403, origin);
  }
  assert.deepEqual(refusals, ['origin', 'origin', 'origin', 'origin', 'origin']);
});

test('without Origin, Sec-Fetch-Site decides: same-origin and none pass, cross-site and same-site do not', async () => {
  const { app } = appWith();
  const token = { csrf: deriveToken(PRE) };
  const cookie = { Cookie: `${PRE_SESSION_COOKIE}=${PRE}` };
  const cases: [string | undefined, number][] = [
    ['same-origin', 200],
    ['none', 200],
    ['same-site', 403],
    ['cross-site', 403],
    [undefined, 403],
  ];
  for (const [site, status] of cases) {
    const headers = site === undefined ? cookie : { ...cookie, 'Sec-Fetch-Site': site };
    assert.equal((await app.request('/act', post(token, headers))).status, status, String(site));
  }
});

test('a text/plain body (what a cross-site form can send without preflight) carries no token', async () => {
  const { app } = appWith();
  const res = await app.request('/act', post({ csrf: deriveToken(PRE) }, withPre(), 'text/plain'));
  assert.equal(res.status, 403);
});

test('csrfToken sets a pre-session cookie when the browser has none, and reuses one it has', async () => {
  const { app } = appWith();
  const first = await app.request('/form');
  const cookie = parseSetCookies(first.headers.getSetCookie()).get(PRE_SESSION_COOKIE);
  assert.ok(cookie, 'sets the cookie');
  assert.match(cookie.value, /^[A-Za-z0-9_-]{43}$/);
  assert.equal(cookie.attributes.get('httponly'), true);
  assert.equal(cookie.attributes.get('samesite'), 'Lax');
  assert.equal(await first.text(), deriveToken(cookie.value));

  const again = await app.request('/form', { headers: { Cookie: `${PRE_SESSION_COOKIE}=${PRE}` } });
  assert.deepEqual(again.headers.getSetCookie(), []);
  assert.equal(await again.text(), deriveToken(PRE));
});

test('secure mode names the pre-session cookie __Host- and marks it Secure', async () => {
  const { app } = appWith(true);
  const res = await app.request('/form');
  const cookie = parseSetCookies(res.headers.getSetCookie()).get(`__Host-${PRE_SESSION_COOKIE}`);
  assert.ok(cookie);
  assert.equal(cookie.attributes.get('secure'), true);
  assert.equal(cookie.attributes.get('path'), '/');
});

test('a page for a signed-in user gets the session-bound token and sets no cookie', async () => {
  const { app } = appWith();
  const res = await app.request('/form', { headers: { 'X-Test-Session': SESSION } });
  assert.equal(await res.text(), deriveToken(SESSION));
  assert.deepEqual(res.headers.getSetCookie(), []);
});

test('the token is not the session token nor its SHA-256 (what the database stores)', () => {
  const token = deriveToken(SESSION);
  assert.notEqual(token, SESSION);
  assert.notEqual(token, createHash('sha256').update(SESSION).digest('base64url'));
  assert.notEqual(token, createHash('sha256').update(SESSION).digest('hex'));
  assert.notEqual(deriveToken('a'), deriveToken('b'));
});
