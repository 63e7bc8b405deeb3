import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { SESSION_COOKIE } from '../../src/middleware/session/index.ts';
import { makeTestApp, type TestApp } from '../support/app.ts';
import { accountWithTOTP, browserFor, logIn, signUp, uniqueEmail } from '../support/flows.ts';

let t: TestApp;
before(async () => {
  t = await makeTestApp();
});
after(() => t.close());

test('logout ends the session on the server and clears the cookie', async () => {
  const b = browserFor(t);
  await signUp(b, uniqueEmail());
  const token = b.cookie(SESSION_COOKIE)!;
  await b.get('/');
  const res = await b.post('/logout');
  assert.equal(res.status, 303);
  assert.equal(res.location, '/');
  assert.equal(b.cookie(SESSION_COOKIE), undefined);
  assert.equal(await t.services.auth.resolveSession(token), null);
  assert.equal((await b.get('/security')).location, '/login');
});

test('"Cancel sign-in" ends a pending session', async () => {
  const { email } = await accountWithTOTP(t);
  const b = browserFor(t);
  await logIn(b, email);
  const pending = b.cookie(SESSION_COOKIE)!;
  const page = await b.get('/login/code');
  assert.match(page.body, /Cancel sign-in/);
  const res = await b.post('/logout');
  assert.equal(res.status, 303);
  assert.equal(await t.services.auth.resolveSession(pending), null);
});

test('logout is POST only: a GET (a link or an image on another site) cannot sign anyone out', async () => {
  const b = browserFor(t);
  await signUp(b, uniqueEmail());
  const res = await b.get('/logout');
  assert.equal(res.status, 404);
  assert.ok(await t.services.auth.resolveSession(b.cookie(SESSION_COOKIE)!));
});

test('logout with no session still answers 303', async () => {
  const b = browserFor(t);
  await b.get('/login');
  assert.equal((await b.post('/logout')).status, 303);
});
