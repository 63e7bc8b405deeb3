import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { encodeBase32 } from '@twofa/otp';
import { SESSION_COOKIE } from '../../src/middleware/session/index.ts';
import { makeTestApp, type TestApp } from '../support/app.ts';
import { keyFromPage } from '../support/client.ts';
import {
  beginSetUp,
  browserFor,
  codeNow,
  enableTOTP,
  logIn,
  logOut,
  PASSWORD,
  recoveryCodesFromPage,
  signUp,
  uniqueEmail,
} from '../support/flows.ts';

let t: TestApp;
before(async () => {
  t = await makeTestApp({ env: { TWOFA_ISSUER: 'Example Co' } });
});
after(() => t.close());

async function signedIn() {
  const b = browserFor(t);
  const email = uniqueEmail();
  await signUp(b, email);
  return { b, email };
}

test('2FA off: the page offers set-up and a change-password form', async () => {
  const { b } = await signedIn();
  const page = await b.get('/security');
  assert.equal(page.status, 200);
  assert.match(page.body, /Off: your password alone signs you in\./);
  assert.match(page.body, /action="\/security\/totp\/begin"/);
  assert.match(page.body, /action="\/security\/password"/);
  assert.match(
    page.body,
    /id="pw-current" name="currentPassword" type="password" autocomplete="current-password"/,
  );
  assert.match(page.body, /id="pw-new" name="newPassword" type="password" autocomplete="new-password"/);
  assert.doesNotMatch(page.body, /otpauth:/);
});

test('set-up shows the QR code, the key in groups of four, a copy button and the otpauth link', async () => {
  const { b, email } = await signedIn();
  const { secret, page } = await beginSetUp(b);
  assert.equal(page.headers.get('cache-control'), 'no-store');
  assert.match(page.body, /<figure class="qr"><svg role="img" aria-label="[^"]+"[^>]*viewBox="0 0 \d+ \d+"/);
  const grouped = /<code id="totp-secret">([A-Z2-7 ]+)<\/code>/.exec(page.body)?.[1];
  assert.ok(grouped, 'the key is shown');
  assert.match(grouped, /^([A-Z2-7]{4} )*[A-Z2-7]{1,4}$/);
  assert.equal(grouped.replaceAll(' ', ''), encodeBase32(secret, { padding: false }));
  assert.match(
    page.body,
    /<button type="button" class="button button-secondary" data-copy="totp-secret" hidden>/,
  );
  assert.match(page.body, /<script src="\/static\/copy.js" defer><\/script>/);
  const key = keyFromPage(page.body);
  assert.equal(key.type, 'totp');
  assert.equal(key.issuer, 'Example Co');
  assert.equal(key.account, email);
  assert.equal(secret.length >= 16, true, 'RFC 4226 R6: at least 128 bits');
  assert.match(page.body, /autocomplete="one-time-code"/);
});

test('the key stays out of every form field and URL: only the page text, the link and the QR carry it', async () => {
  const { b } = await signedIn();
  const { secret, page } = await beginSetUp(b);
  const base32 = encodeBase32(secret, { padding: false });
  for (const input of page.body.match(/<input[^>]*>/g) ?? []) assert.ok(!input.includes(base32), input);
  for (const action of page.body.match(/action="[^"]*"/g) ?? []) assert.ok(!action.includes(base32), action);
});

test('"start over" issues a new key', async () => {
  const { b } = await signedIn();
  const first = await beginSetUp(b);
  const second = await beginSetUp(b);
  assert.notDeepEqual(first.secret, second.secret);
});

test('the confirm form asks for the current password beside the code', async () => {
  const { b } = await signedIn();
  const { page } = await beginSetUp(b);
  const form = /<form method="post" action="\/security\/totp\/confirm"[\s\S]*?<\/form>/.exec(page.body)?.[0];
  assert.ok(form, 'the confirm form');
  assert.match(form, /<label for="confirm-password">Current password<\/label>/);
  assert.match(
    form,
    /id="confirm-password" name="password" type="password" autocomplete="current-password" required/,
  );
  assert.match(form, /name="code"/);
});

test('confirming with a wrong or missing password: 401, 2FA stays off, the code is not used up', async () => {
  const { b } = await signedIn();
  const { secret } = await beginSetUp(b);
  const code = codeNow(secret, t.clock);
  for (const fields of [{ code }, { password: 'not my password', code }]) {
    const bad = await b.post('/security/totp/confirm', fields);
    assert.equal(bad.status, 401);
    assert.match(bad.body, /role="alert">The password is not correct\./);
    assert.match(bad.body, /Off: your password alone signs you in\./);
    assert.match(bad.body, /action="\/security\/totp\/confirm"/, 'the set-up is still on the page');
  }
  const good = await b.post('/security/totp/confirm', { password: PASSWORD, code });
  assert.equal(good.status, 200);
  assert.equal(recoveryCodesFromPage(good.body).length, 10);
  assert.equal(good.headers.get('cache-control'), 'no-store');
});

test('confirming with a wrong code: 401, 2FA stays off; with the right code: on', async () => {
  const { b } = await signedIn();
  const { secret } = await beginSetUp(b);
  const right = codeNow(secret, t.clock);
  const wrong = right === '000000' ? '111111' : '000000';
  const bad = await b.post('/security/totp/confirm', { password: PASSWORD, code: wrong });
  assert.equal(bad.status, 401);
  assert.match(bad.body, /role="alert">That code is not valid/);
  assert.match(bad.body, /Off: your password alone signs you in\./);
  const good = await b.post('/security/totp/confirm', { password: PASSWORD, code: right });
  assert.equal(good.status, 200, 'the recovery codes are shown once, in this response');
  assert.equal(recoveryCodesFromPage(good.body).length, 10);
  const saved = await b.post('/security/recovery/saved', { saved: 'yes', done: 'totp-on' });
  assert.equal(saved.location, '/security?done=totp-on');
  const page = await b.get(saved.location!);
  assert.match(page.body, /Two-factor authentication is on\. From now on/);
  assert.match(page.body, /On: signing in asks for a code/);
  assert.doesNotMatch(page.body, /otpauth:|id="totp-secret"/);
});

test('a set-up in progress can be cancelled: its key is gone and set-up is offered again', async () => {
  const { b } = await signedIn();
  const { page } = await beginSetUp(b);
  assert.match(page.body, /Finish within 15 minutes/);
  const form = /<form method="post" action="\/security\/totp\/cancel">[\s\S]*?<\/form>/.exec(page.body)?.[0];
  assert.ok(form, 'a cancel form');
  assert.match(form, /name="csrf"/);
  assert.match(form, />Cancel set-up<\/button>/);
  const res = await b.post('/security/totp/cancel');
  assert.equal(res.status, 303);
  assert.equal(res.location, '/security?done=totp-cancelled');
  const after = await b.get(res.location!);
  assert.match(after.body, /role="status">The set-up is cancelled/);
  assert.doesNotMatch(after.body, /otpauth:|id="totp-secret"/);
  assert.match(after.body, /action="\/security\/totp\/begin"/);
  // Cancelling again (another tab) is harmless.
  assert.equal((await b.post('/security/totp/cancel')).location, '/security?done=totp-cancelled');
});

test('after 15 minutes the set-up is gone from the page and cannot be confirmed', async () => {
  const { b } = await signedIn();
  const { secret } = await beginSetUp(b);
  t.clock.advance(14 * 60_000 + 1000);
  assert.match((await b.get('/security')).body, /Finish within 1 minute:/);
  t.clock.advance(60_000 - 1000);
  const page = await b.get('/security');
  assert.doesNotMatch(page.body, /otpauth:|id="totp-secret"/);
  assert.match(page.body, /action="\/security\/totp\/begin"/);
  const res = await b.post('/security/totp/confirm', { password: PASSWORD, code: codeNow(secret, t.clock) });
  assert.equal(res.status, 409);
  assert.match(res.body, /no set-up to confirm/);
});

test('cancelling a replacement keeps the current app', async () => {
  const { b, email } = await signedIn();
  const oldSecret = await enableTOTP(b, t.clock);
  t.clock.advance(30_000);
  await b.get('/security');
  await b.post('/security/totp/replace', { password: PASSWORD, code: codeNow(oldSecret, t.clock) });
  const page = await b.get('/security');
  assert.match(page.body, /action="\/security\/totp\/cancel"/);
  const res = await b.post('/security/totp/cancel');
  assert.equal(res.location, '/security?done=totp-cancelled');
  const after = await b.get(res.location!);
  assert.doesNotMatch(after.body, /otpauth:|id="totp-secret"/);
  assert.match(after.body, /On: signing in asks for a code/);
  t.clock.advance(30_000);
  const other = browserFor(t);
  await logIn(other, email);
  await other.get('/login/code');
  assert.equal((await other.post('/login/code', { code: codeNow(oldSecret, t.clock) })).location, '/');
});

test('confirm without a set-up in progress: 409', async () => {
  const { b } = await signedIn();
  await b.get('/security');
  const res = await b.post('/security/totp/confirm', { password: PASSWORD, code: '123456' });
  assert.equal(res.status, 409);
  assert.match(res.body, /no set-up to confirm/);
});

test('begin when 2FA is already on: 409', async () => {
  const { b } = await signedIn();
  await enableTOTP(b, t.clock);
  await b.get('/security');
  const res = await b.post('/security/totp/begin');
  assert.equal(res.status, 409);
  assert.match(res.body, /already on/);
});

test('turning 2FA off needs the password and a current code', async () => {
  const { b, email } = await signedIn();
  const secret = await enableTOTP(b, t.clock);
  t.clock.advance(30_000);
  await b.get('/security');
  const wrongPassword = await b.post('/security/totp/disable', {
    password: 'not my password',
    code: codeNow(secret, t.clock),
  });
  assert.equal(wrongPassword.status, 401);
  assert.match(wrongPassword.body, /The password is not correct\./);
  assert.match(wrongPassword.body, /<details open>/, 'the form with the error is shown open');
  const wrongCode = await b.post('/security/totp/disable', {
    password: PASSWORD,
    code: '000000' === codeNow(secret, t.clock) ? '111111' : '000000',
  });
  assert.equal(wrongCode.status, 401);
  const ok = await b.post('/security/totp/disable', { password: PASSWORD, code: codeNow(secret, t.clock) });
  assert.equal(ok.status, 303);
  assert.equal(ok.location, '/security?done=totp-off');
  await logOut(b);
  assert.equal((await logIn(b, email)).location, '/', 'the password alone signs in again');
});

test('replacing the authenticator: the old one works until the new one is confirmed', async () => {
  const { b, email } = await signedIn();
  const oldSecret = await enableTOTP(b, t.clock);
  t.clock.advance(30_000);
  await b.get('/security');
  const started = await b.post('/security/totp/replace', {
    password: PASSWORD,
    code: codeNow(oldSecret, t.clock),
  });
  assert.equal(started.status, 303);
  const page = await b.get('/security');
  assert.match(page.body, /Set up your new authenticator app/);
  const newSecret = keyFromPage(page.body).secret;
  assert.notDeepEqual(newSecret, oldSecret);

  // Not yet confirmed: a login in another browser still takes the old app's code.
  t.clock.advance(30_000);
  const other = browserFor(t);
  await logIn(other, email);
  await other.get('/login/code');
  assert.equal((await other.post('/login/code', { code: codeNow(oldSecret, t.clock) })).location, '/');

  const confirmed = await b.post('/security/totp/confirm', {
    password: PASSWORD,
    code: codeNow(newSecret, t.clock),
  });
  assert.equal(confirmed.location, '/security?done=totp-replaced');
  t.clock.advance(30_000);
  const third = browserFor(t);
  await logIn(third, email);
  await third.get('/login/code');
  assert.equal(
    (await third.post('/login/code', { code: codeNow(oldSecret, t.clock) })).status,
    401,
    'old app refused',
  );
  assert.equal((await third.post('/login/code', { code: codeNow(newSecret, t.clock) })).location, '/');
});

test('change password: wrong current 401, too short 400, success rotates the session and signs out others', async () => {
  const { b, email } = await signedIn();
  const elsewhere = browserFor(t);
  await logIn(elsewhere, email);
  const otherToken = elsewhere.cookie(SESSION_COOKIE)!;
  await b.get('/security');
  const wrong = await b.post('/security/password', {
    currentPassword: 'nope nope nope',
    newPassword: 'a new password 1',
  });
  assert.equal(wrong.status, 401);
  const short = await b.post('/security/password', { currentPassword: PASSWORD, newPassword: 'short' });
  assert.equal(short.status, 400);
  const before = b.cookie(SESSION_COOKIE)!;
  const ok = await b.post('/security/password', {
    currentPassword: PASSWORD,
    newPassword: 'a new password 1',
  });
  assert.equal(ok.status, 303);
  assert.equal(ok.location, '/security?done=password');
  assert.notEqual(b.cookie(SESSION_COOKIE), before);
  assert.equal(await t.services.auth.resolveSession(before), null);
  assert.equal(await t.services.auth.resolveSession(otherToken), null, 'other devices signed out');
  assert.equal((await b.get('/security')).status, 200, 'this browser stays signed in');
  assert.equal((await logIn(browserFor(t), email, PASSWORD)).status, 401);
  assert.equal((await logIn(browserFor(t), email, 'a new password 1')).status, 303);
});

test('an unknown ?done= key shows no message', async () => {
  const { b } = await signedIn();
  const page = await b.get('/security?done=%3Cscript%3E');
  assert.equal(page.status, 200);
  assert.doesNotMatch(page.body, /notice-success/);
  assert.ok(!page.body.includes('<script>'));
});

test('a ?done= key that names a property every object has shows no message either', async () => {
  const { b } = await signedIn();
  for (const key of ['constructor', 'toString', '__proto__', 'hasOwnProperty', 'valueOf']) {
    const page = await b.get(`/security?done=${key}`);
    assert.equal(page.status, 200, key);
    assert.doesNotMatch(page.body, /notice-success/, key);
    assert.doesNotMatch(page.body, /native code|\[object Object\]/, key);
  }
});

test('signed out: every security route sends the browser to /login', async () => {
  const b = browserFor(t);
  await b.get('/login');
  assert.equal((await b.get('/security')).location, '/login');
  for (const path of [
    '/security/totp/begin',
    '/security/totp/confirm',
    '/security/totp/disable',
    '/security/totp/replace',
    '/security/totp/cancel',
    '/security/password',
  ]) {
    const res = await b.post(path, { code: '123456', password: PASSWORD });
    assert.equal(res.status, 303, path);
    assert.equal(res.location, '/login', path);
  }
});
