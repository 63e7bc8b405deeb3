import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { makeTestApp, type TestApp } from '../support/app.ts';
import { accountWithTOTP, browserFor, logIn, signUp, uniqueEmail } from '../support/flows.ts';

let t: TestApp;
before(async () => {
  t = await makeTestApp();
});
after(() => t.close());

test('a visitor sees what the service is, with links to sign up and log in', async () => {
  const page = await browserFor(t).get('/');
  assert.equal(page.status, 200);
  assert.match(page.headers.get('content-type') ?? '', /^text\/html; charset=UTF-8$/i);
  assert.match(page.body, /<html lang="en">/);
  assert.match(page.body, /<meta name="viewport" content="width=device-width, initial-scale=1">/);
  assert.match(page.body, /href="\/signup"/);
  assert.match(page.body, /href="\/login"/);
});

test('a signed-in user sees their email and that 2FA is off, with a way to set it up', async () => {
  const b = browserFor(t);
  const email = uniqueEmail();
  await signUp(b, email);
  const page = await b.get('/');
  assert.equal(page.status, 200);
  assert.ok(page.body.includes(email));
  assert.match(page.body, /Two-factor authentication is <strong>off<\/strong>/);
  assert.match(page.body, /href="\/security"/);
  assert.match(page.body, /action="\/logout"/);
});

test('mid-login (pending), the front page sends the browser to the code step', async () => {
  const { email } = await accountWithTOTP(t);
  const b = browserFor(t);
  await logIn(b, email);
  const page = await b.get('/');
  assert.equal(page.status, 303);
  assert.equal(page.location, '/login/code');
});
