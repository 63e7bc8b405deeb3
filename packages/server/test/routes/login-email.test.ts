import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { makeTestApp, type TestApp } from '../support/app.ts';
import { browserFor, logIn, PASSWORD, signUp, uniqueEmail } from '../support/flows.ts';
import { codeOf, startSmtp, type TestSmtp } from '../support/smtp.ts';

let smtp: TestSmtp;
let t: TestApp;
before(async () => {
  smtp = await startSmtp();
  t = await makeTestApp({ env: { TWOFA_SMTP_URL: smtp.url } });
});
after(async () => {
  await t.close();
  await smtp.close();
});

/** Sign up, confirm by the code, turn codes by email on; logged out after. */
async function accountWithEmailCodes(): Promise<string> {
  const b = browserFor(t);
  const email = uniqueEmail();
  await signUp(b, email);
  await b.get('/security');
  const code = codeOf(await smtp.last(email, /confirm your email address/));
  assert.equal((await b.post('/security/email/code', { code })).status, 303);
  await b.get('/security');
  const on = await b.post('/security/email-factor/enable', { password: PASSWORD });
  assert.equal(on.status, 200, 'the recovery codes page');
  assert.match(on.body, /signing in asks for a code we email you/);
  return email;
}

test('codes by email only: the code step is the email page; the emailed code signs in', async () => {
  const email = await accountWithEmailCodes();
  const b = browserFor(t);
  assert.equal((await logIn(b, email)).location, '/login/code');
  assert.equal((await b.get('/login/code')).location, '/login/email');
  const page = await b.get('/login/email');
  assert.match(page.body, /Email me a code/);
  assert.match(page.body, /Use a recovery code/);
  assert.equal((await b.post('/login/email/send')).location, '/login/email?sent=1');
  await b.get('/login/email?sent=1');
  const wrong = await b.post('/login/email', { code: '12345' });
  assert.equal(wrong.status, 400);
  assert.match(wrong.body, /Enter the 6 digits from the message/);
  const code = codeOf(await smtp.last(email, /your sign-in code/));
  const done = await b.post('/login/email', { code });
  assert.equal(done.location, '/');
});

test('the mail server is down: a clear 503 page, the sign-in goes on', async () => {
  const email = await accountWithEmailCodes();
  await smtp.close();
  const b = browserFor(t);
  await logIn(b, email);
  await b.get('/login/email');
  const page = await b.post('/login/email/send');
  assert.equal(page.status, 503);
  assert.match(page.body, /could not be sent just now/);
  assert.match(page.body, /Use a recovery code/, 'another way in is offered');
});
