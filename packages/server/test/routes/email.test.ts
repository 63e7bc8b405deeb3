import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { makeTestApp, type TestApp } from '../support/app.ts';
import { browserFor, signUp, uniqueEmail } from '../support/flows.ts';
import { lastMail, linkIn } from '../support/outbox.ts';

let t: TestApp;
before(async () => {
  t = await makeTestApp();
});
after(() => t.close());

test('the link opens a button (opening it changes nothing); the button confirms, once', async () => {
  const owner = browserFor(t);
  const email = uniqueEmail();
  await signUp(owner, email);
  await t.services.messages.flush();
  const link = linkIn(await lastMail(t.config, email, /confirm your email address/), t.config.publicUrl);
  assert.match(link, /^\/email\/verify\/[A-Za-z0-9_-]{43}$/);
  const mailer = browserFor(t); // another device, not signed in
  const page = await mailer.get(link);
  assert.equal(page.status, 200);
  assert.match(page.body, /Confirm my email address/);
  assert.match((await owner.get('/security')).body, /is not confirmed yet/, 'GET verified nothing');
  const done = await mailer.post('/email/verify', { token: link.split('/').at(-1)! });
  assert.equal(done.status, 200);
  assert.match(done.body, /Your email address is confirmed/);
  assert.match((await owner.get('/security')).body, /is confirmed: it can reset your password/);
  assert.equal((await mailer.get(link)).status, 400, 'used up');
});

test('the security page: a wrong code is refused with the field named; send again waits a minute', async () => {
  const b = browserFor(t);
  await signUp(b, uniqueEmail());
  await b.get('/security');
  const wrong = await b.post('/security/email/code', { code: '12345' });
  assert.equal(wrong.status, 400);
  assert.match(wrong.body, /Enter the 6 digits from the message/);
  const soon = await b.post('/security/email/resend');
  assert.equal(soon.status, 429);
  assert.ok(Number(soon.headers.get('retry-after')) > 0);
  t.clock.advance(60_000);
  const sent = await b.post('/security/email/resend');
  assert.equal(sent.location, '/security?done=email-sent');
});
