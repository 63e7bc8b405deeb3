// Threat: cross-site request forgery. A page on another site makes the victim's browser post our forms with
// the victim's cookies: change the password, turn 2FA off, log out, or log the victim into the attacker's
// account (login CSRF). Every state-changing form needs our Origin and a token bound to this browser's
// session (or, before sign-in, to its pre-session cookie).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { deriveToken } from '../../src/middleware/csrf/index.ts';
import { SESSION_COOKIE } from '../../src/middleware/session/index.ts';
import { makeTestApp, type TestApp } from '../support/app.ts';
import { accountWithTOTP, browserFor, logIn, PASSWORD, signUp, uniqueEmail } from '../support/flows.ts';

let t: TestApp;
before(async () => {
  t = await makeTestApp();
});
after(() => t.close());

const EVIL = 'https://evil.example';

async function victim() {
  const b = browserFor(t);
  const email = uniqueEmail('victim');
  await signUp(b, email);
  await b.get('/security');
  return { b, email };
}

async function passwordStillWorks(email: string): Promise<boolean> {
  return (await logIn(browserFor(t), email, PASSWORD)).status === 303;
}

test("a cross-site post with the victim's cookies but no token is refused; nothing changes", async () => {
  const { b, email } = await victim();
  const res = await b.post(
    '/security/password',
    { currentPassword: PASSWORD, newPassword: 'attacker chose this' },
    { origin: EVIL, csrf: null },
  );
  assert.equal(res.status, 403);
  assert.ok(await passwordStillWorks(email));
});

test('the right token from the wrong Origin is refused (the origin check stands on its own)', async () => {
  const { b, email } = await victim();
  const res = await b.post(
    '/security/password',
    { currentPassword: PASSWORD, newPassword: 'attacker chose this' },
    { origin: EVIL },
  );
  assert.equal(res.status, 403);
  assert.ok(await passwordStillWorks(email));
});

test('Origin: null (sandboxed frames, some redirects) is refused', async () => {
  const { b } = await victim();
  const res = await b.post('/logout', {}, { origin: 'null' });
  assert.equal(res.status, 403);
  assert.ok(await t.services.auth.resolveSession(b.cookie(SESSION_COOKIE)!));
});

test('our Origin without a token is refused', async () => {
  const { b } = await victim();
  assert.equal((await b.post('/logout', {}, { csrf: null })).status, 403);
  assert.equal((await b.post('/logout', {}, { csrf: '' })).status, 403);
});

test("a token from the attacker's own session does not work with the victim's cookie", async () => {
  const attacker = browserFor(t);
  await signUp(attacker, uniqueEmail('attacker'));
  await attacker.get('/security');
  const attackerToken = attacker.csrf!;
  const { b } = await victim();
  const res = await b.post('/security/totp/begin', {}, { csrf: attackerToken });
  assert.equal(res.status, 403);
});

test('cancelling a set-up needs the token and our Origin: a forged post leaves the set-up in place', async () => {
  const { b } = await victim();
  await b.post('/security/totp/begin');
  const before = await b.get('/security');
  const key = /href="(otpauth:[^"]+)"/.exec(before.body)?.[1];
  assert.ok(key, 'a set-up is pending');
  assert.equal((await b.post('/security/totp/cancel', {}, { csrf: null })).status, 403);
  assert.equal((await b.post('/security/totp/cancel', {}, { origin: EVIL })).status, 403);
  assert.ok((await b.get('/security')).body.includes(key), 'the same set-up is still pending');
  assert.equal((await b.post('/security/totp/cancel')).status, 303);
});

test("login CSRF: posting the attacker's credentials into the victim's browser is refused", async () => {
  const attackerEmail = uniqueEmail('attacker');
  await signUp(browserFor(t), attackerEmail);
  const b = browserFor(t);
  await b.get('/'); // the victim's browser, with its own pre-session cookie
  const res = await b.post(
    '/login',
    { email: attackerEmail, password: PASSWORD },
    { origin: EVIL, csrf: null },
  );
  assert.equal(res.status, 403);
  assert.equal(b.cookie(SESSION_COOKIE), undefined);
  const guessed = await b.post(
    '/login',
    { email: attackerEmail, password: PASSWORD },
    { csrf: deriveToken('x'.repeat(43)) },
  );
  assert.equal(guessed.status, 403);
  assert.equal(b.cookie(SESSION_COOKIE), undefined);
});

test('sign-up without a token is refused', async () => {
  const b = browserFor(t);
  await b.get('/');
  const res = await b.post('/signup', { email: uniqueEmail(), password: PASSWORD }, { csrf: null });
  assert.equal(res.status, 403);
});

test('without an Origin header, Sec-Fetch-Site: same-origin plus the token passes; cross-site does not', async () => {
  const { b } = await victim();
  assert.equal(
    (await b.post('/security/totp/begin', {}, { origin: null, secFetchSite: 'cross-site' })).status,
    403,
  );
  assert.equal(
    (await b.post('/security/totp/begin', {}, { origin: null })).status,
    403,
    'neither header: refused',
  );
  assert.equal(
    (await b.post('/security/totp/begin', {}, { origin: null, secFetchSite: 'same-origin' })).status,
    303,
  );
});

test('a token dies with its session: the pre-login token after login, the session token after logout', async () => {
  const email = uniqueEmail();
  await signUp(browserFor(t), email);
  const b = browserFor(t);
  await b.get('/login');
  const anonymousToken = b.csrf!;
  await b.post('/login', { email, password: PASSWORD });
  assert.equal((await b.post('/security/totp/begin', {}, { csrf: anonymousToken })).status, 403);
  await b.get('/security');
  const sessionToken = b.csrf!;
  assert.notEqual(sessionToken, anonymousToken);
  assert.equal((await b.post('/logout')).status, 303);
  await b.get('/login');
  assert.equal((await b.post('/logout', {}, { csrf: sessionToken })).status, 403);
});

test('a form posted after its session ended gets "log in again", not a fault', async () => {
  const { email } = await accountWithTOTP(t);
  const b = browserFor(t);
  await logIn(b, email);
  await b.get('/login/code');
  t.clock.advance(5 * 60_000 + 1_000); // the pending session's 5 minutes
  const res = await b.post('/login/code', { code: '123456' });
  assert.equal(res.status, 401);
  assert.match(res.body, /Your session has ended/);
  assert.match(res.body, /href="\/login"/);
});

test('every post form on every page carries the token', async () => {
  const b = browserFor(t);
  const pages = [await b.get('/signup'), await b.get('/login')];
  await signUp(b, uniqueEmail());
  pages.push(await b.get('/'), await b.get('/security'));
  await b.post('/security/totp/begin');
  pages.push(await b.get('/security'));
  let forms = 0;
  for (const page of pages) {
    for (const form of page.body.match(/<form\b[^>]*method="post"[^>]*>[\s\S]*?<\/form>/g) ?? []) {
      forms += 1;
      assert.match(form, /<input type="hidden" name="csrf" value="[A-Za-z0-9_-]{43}">/, form.slice(0, 80));
    }
  }
  assert.ok(forms >= 8, `found ${forms} forms`);
});

test('refusals are logged with the reason, never the token', async () => {
  const { b } = await victim();
  const forged = 'forged-token-value';
  await b.post('/logout', {}, { csrf: forged });
  const refusals = t.logs.filter((line) => line.includes('"csrf_refused"'));
  assert.ok(refusals.length > 0);
  assert.ok(refusals.every((line) => !line.includes(forged) && !line.includes(b.csrf!)));
  assert.ok(refusals.some((line) => JSON.parse(line).reason === 'token'));
});
