// Threat: session fixation. An attacker plants a session cookie in the victim's browser (a value they know, or
// their own session) and waits for the victim to sign in with it. The cookie must get a new value at every
// change of privilege (password accepted, code accepted, password changed, logout) and the old value must stop
// working at once.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import { SESSION_COOKIE } from '../../src/middleware/session/index.ts';
import { makeTestApp, type TestApp } from '../support/app.ts';
import {
  accountWithTOTP,
  browserFor,
  codeNow,
  logIn,
  PASSWORD,
  signUp,
  uniqueEmail,
} from '../support/flows.ts';

let t: TestApp;
before(async () => {
  t = await makeTestApp();
});
after(() => t.close());

const live = async (token: string) => (await t.services.auth.resolveSession(token)) !== null;

test('new cookie after the password step, another after the code step; the old ones die', async () => {
  const { email, secret } = await accountWithTOTP(t);
  const b = browserFor(t);
  await b.get('/login');
  await b.post('/login', { email, password: PASSWORD });
  const pending = b.cookie(SESSION_COOKIE)!;
  assert.ok(pending);
  await b.get('/login/code');
  await b.post('/login/code', { code: codeNow(secret, t.clock) });
  const full = b.cookie(SESSION_COOKIE)!;
  assert.ok(full);
  assert.notEqual(full, pending);
  assert.equal(await live(pending), false, 'the pending token no longer works');
  assert.equal(await live(full), true);
  const replayed = await t.app.request('/security', { headers: { Cookie: `${SESSION_COOKIE}=${pending}` } });
  assert.equal(replayed.headers.get('location'), '/login');
});

test('a planted, made-up cookie value never becomes a session', async () => {
  const email = uniqueEmail();
  await signUp(browserFor(t), email);
  const b = browserFor(t);
  const planted = randomBytes(32).toString('base64url');
  b.jar.set(SESSION_COOKIE, planted);
  await b.get('/login');
  const res = await b.post('/login', { email, password: PASSWORD });
  assert.equal(res.status, 303);
  assert.notEqual(b.cookie(SESSION_COOKIE), planted);
  assert.equal(await live(planted), false);
});

test('logging in over a live session (planted or not) revokes it', async () => {
  const attacker = browserFor(t);
  await signUp(attacker, uniqueEmail('attacker'));
  const attackerToken = attacker.cookie(SESSION_COOKIE)!;
  const victimEmail = uniqueEmail('victim');
  await signUp(browserFor(t), victimEmail);
  const b = browserFor(t);
  b.jar.set(SESSION_COOKIE, attackerToken);
  await b.get('/'); // a page of the attacker's account, with a token bound to it
  const res = await b.post('/login', { email: victimEmail, password: PASSWORD });
  assert.equal(res.status, 303);
  assert.notEqual(b.cookie(SESSION_COOKIE), attackerToken);
  assert.equal(await live(attackerToken), false, "the attacker cannot ride the victim's sign-in");
});

test('logout: the token stops working even if someone kept a copy', async () => {
  const b = browserFor(t);
  await signUp(b, uniqueEmail());
  const token = b.cookie(SESSION_COOKIE)!;
  await b.get('/');
  await b.post('/logout');
  assert.equal(await live(token), false);
  const res = await t.app.request('/', { headers: { Cookie: `${SESSION_COOKIE}=${token}` } });
  assert.doesNotMatch(await res.text(), /Your account/);
});

test('changing the password issues a new token and revokes the old', async () => {
  const b = browserFor(t);
  await signUp(b, uniqueEmail());
  const before = b.cookie(SESSION_COOKIE)!;
  await b.get('/security');
  await b.post('/security/password', { currentPassword: PASSWORD, newPassword: 'another good password' });
  const after = b.cookie(SESSION_COOKIE)!;
  assert.notEqual(after, before);
  assert.equal(await live(before), false);
  assert.equal(await live(after), true);
});

test('a pending token stops working once its attempts are used up', async () => {
  const { email, secret } = await accountWithTOTP(t);
  const b = browserFor(t);
  await logIn(b, email);
  const pending = b.cookie(SESSION_COOKIE)!;
  await b.get('/login/code');
  const wrong = codeNow(secret, t.clock) === '000000' ? '111111' : '000000';
  for (let i = 0; i < 5; i++) await b.post('/login/code', { code: wrong });
  assert.equal(await live(pending), false);
});
