// Threat: a stolen session moving the account's mail (and with it the password reset) to its own mailbox.
// Changing the address takes the password and, with 2FA on, a current code; the old address is told.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { makeTestApp, type TestApp } from '../support/app.ts';
import {
  browserFor,
  codeNow,
  enableTOTP,
  logIn,
  PASSWORD,
  signUp,
  uniqueEmail,
  verifyEmail,
} from '../support/flows.ts';
import { codeIn, lastMail } from '../support/outbox.ts';

let t: TestApp;
before(async () => {
  t = await makeTestApp();
});
after(() => t.close());

test('with 2FA on: password and a current code; the old address is told, the new one asked to confirm', async () => {
  const b = browserFor(t);
  const email = uniqueEmail();
  await signUp(b, email);
  await verifyEmail(t, b, email);
  const secret = await enableTOTP(b, t.clock);
  t.clock.advance(60_000); // past the minute since the sign-up's confirmation (the new address gets one)
  const newEmail = uniqueEmail('moved');
  await b.get('/security');
  const noCode = await b.post('/security/email/change', { newEmail, password: PASSWORD, code: '' });
  assert.equal(noCode.status, 400);
  assert.match(noCode.body, /<details open>\s*<summary>Change email address/);
  const wrongPassword = await b.post('/security/email/change', {
    newEmail,
    password: 'not the password',
    code: codeNow(secret, t.clock),
  });
  assert.equal(wrongPassword.status, 401);
  const done = await b.post('/security/email/change', {
    newEmail,
    password: PASSWORD,
    code: codeNow(secret, t.clock),
  });
  assert.equal(done.location, '/security?done=email-changed');
  const page = await b.get('/security?done=email-changed');
  assert.ok(page.body.includes(newEmail));
  assert.match(page.body, /is not confirmed yet/);
  await t.services.messages.flush();
  const told = await lastMail(t.config, email, /your email address was changed/);
  assert.match(told.text, /changed to m\*\*\*@example\.com/);
  assert.ok(!told.text.includes(newEmail), 'the old mailbox learns only a masked address');
  await lastMail(t.config, newEmail, /confirm your email address/);
  assert.equal((await logIn(browserFor(t), newEmail)).location, '/login/code');
  assert.equal((await logIn(browserFor(t), email)).status, 401);
});

test('without 2FA the password is enough; a taken address is refused, naming the field', async () => {
  const taken = uniqueEmail();
  await signUp(browserFor(t), taken);
  const b = browserFor(t);
  const first = uniqueEmail();
  await signUp(b, first);
  await t.services.messages.flush();
  const oldCode = codeIn(await lastMail(t.config, first, /confirm your email address/));
  t.clock.advance(60_000); // past the minute since the sign-up's confirmation (the new address gets one)
  await b.get('/security');
  const refused = await b.post('/security/email/change', { newEmail: taken, password: PASSWORD });
  assert.equal(refused.status, 409);
  assert.match(refused.body, /id="new-email-error"/);
  const done = await b.post('/security/email/change', { newEmail: uniqueEmail('free'), password: PASSWORD });
  assert.equal(done.location, '/security?done=email-changed');
  // The code sent to the old address does not confirm the new one.
  await b.get('/security');
  assert.equal((await b.post('/security/email/code', { code: oldCode })).status, 401);
});

test('changing the address does not reset the limits on sending: no more confirmations than resends allow', async () => {
  // Each change mails the new address; if a change forgot the sends counted so far, flipping between
  // addresses would mail anyone without limit from this service (the once-a-minute, ten-a-day rule).
  const b = browserFor(t);
  const first = uniqueEmail();
  await signUp(b, first);
  t.clock.advance(60_000);
  await b.get('/security');
  const second = uniqueEmail('second');
  const done = await b.post('/security/email/change', { newEmail: second, password: PASSWORD });
  assert.equal(done.location, '/security?done=email-changed');
  await b.get('/security');
  const third = uniqueEmail('third');
  const refused = await b.post('/security/email/change', { newEmail: third, password: PASSWORD });
  assert.equal(refused.status, 429, 'within the minute: refused before anything changes');
  await t.services.messages.flush();
  const user = await t.services.auth.resolveSession(b.cookie('twofa_session')!);
  assert.equal((await t.services.accounts.getUser(user!.userId))?.email, second);
  await assert.rejects(lastMail(t.config, third, /./), /no email/);
  t.clock.advance(60_000);
  await b.get('/security');
  const later = await b.post('/security/email/change', { newEmail: third, password: PASSWORD });
  assert.equal(later.location, '/security?done=email-changed');
});
