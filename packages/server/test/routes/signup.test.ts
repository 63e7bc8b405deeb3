import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { SESSION_COOKIE } from '../../src/middleware/session/index.ts';
import { makeTestApp, type TestApp } from '../support/app.ts';
import { browserFor, logIn, PASSWORD, signUp, uniqueEmail } from '../support/flows.ts';

let t: TestApp;
before(async () => {
  t = await makeTestApp();
});
after(() => t.close());

test('the form: labelled email and new-password fields with the right autocomplete', async () => {
  const page = await browserFor(t).get('/signup');
  assert.equal(page.status, 200);
  assert.match(page.body, /<label for="email">Email<\/label>/);
  assert.match(page.body, /<input id="email" name="email" type="email" autocomplete="username" required/);
  assert.match(page.body, /<label for="password">Password<\/label>/);
  assert.match(
    page.body,
    /id="password" name="password" type="password" autocomplete="new-password" required/,
  );
  assert.match(page.body, /minlength="8"/);
  assert.match(page.body, /<form method="post" action="\/signup"/);
  assert.match(page.body, /name="csrf" value="[A-Za-z0-9_-]{43}"/);
});

test('sign-up: "check your email", no session; the account then logs in', async () => {
  const b = browserFor(t);
  const email = uniqueEmail();
  await b.get('/signup');
  const res = await b.post('/signup', { email, password: PASSWORD });
  assert.equal(res.status, 200);
  assert.match(res.body, /<h1>Check your email<\/h1>/);
  assert.equal(b.cookie(SESSION_COOKIE), undefined, 'no session: a taken address could not get one');
  assert.equal((await logIn(b, email)).status, 303, 'the account works before the address is confirmed');
});

test('a short password: 400, the message, the email kept, no session', async () => {
  const b = browserFor(t);
  await b.get('/signup');
  const email = uniqueEmail();
  const res = await b.post('/signup', { email, password: 'short' });
  assert.equal(res.status, 400);
  assert.match(res.body, /role="alert">Choose a password of 8 to 128 characters\./);
  assert.ok(res.body.includes(`value="${email}"`));
  assert.ok(!res.body.includes('short'), 'the password is not echoed');
  assert.equal(b.cookie(SESSION_COOKIE), undefined);
});

test('an invalid email: 400', async () => {
  const b = browserFor(t);
  await b.get('/signup');
  const res = await b.post('/signup', { email: 'not-an-email', password: PASSWORD });
  assert.equal(res.status, 400);
  assert.match(res.body, /does not look like an email address/);
});

test('missing fields: 400, not a fault', async () => {
  const b = browserFor(t);
  await b.get('/signup');
  const res = await b.post('/signup', {});
  assert.equal(res.status, 400);
});

test('a taken email: the same page, no session; the existing account is untouched', async () => {
  const email = uniqueEmail();
  await signUp(browserFor(t), email);
  const b = browserFor(t);
  await b.get('/signup');
  const res = await b.post('/signup', { email, password: 'another password 123' });
  assert.equal(res.status, 200);
  assert.match(res.body, /Check your email/);
  assert.equal(b.cookie(SESSION_COOKIE), undefined);
  assert.equal((await logIn(browserFor(t), email)).status, 303, 'the old password still works');
  assert.equal((await logIn(browserFor(t), email, 'another password 123')).status, 401);
});

test('what was typed is escaped when shown again', async () => {
  const b = browserFor(t);
  await b.get('/signup');
  const res = await b.post('/signup', { email: '"><script>alert(1)</script>', password: 'x' });
  assert.equal(res.status, 400);
  assert.ok(!res.body.includes('<script>alert(1)</script>'));
  assert.ok(res.body.includes('&quot;&gt;&lt;script&gt;'));
});

test('signed in already: GET /signup goes home', async () => {
  const b = browserFor(t);
  await signUp(b, uniqueEmail());
  const res = await b.get('/signup');
  assert.equal(res.status, 303);
  assert.equal(res.location, '/');
});

test('the log-in page links "Forgot your password?"', async () => {
  const page = await browserFor(t).get('/login');
  assert.match(page.body, /<a href="\/password\/forgot">Forgot your password\?<\/a>/);
});
