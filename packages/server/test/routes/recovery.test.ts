/**
 * The recovery-code pages: the way back on the code step (also while app codes are locked), and a new set
 * from the security page (password and a code; the old set void; shown once, never cached).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { MAX_CODE_FAILURES } from '../../src/services/limits.ts';
import { makeTestApp, type TestApp } from '../support/app.ts';
import {
  browserFor,
  codeNow,
  enableTOTPWithCodes,
  logIn,
  logOut,
  PASSWORD,
  recoveryCodesFromPage,
  signUp,
  uniqueEmail,
} from '../support/flows.ts';

let t: TestApp;
before(async () => {
  t = await makeTestApp();
});
after(() => t.close());

async function accountWithCodes() {
  const b = browserFor(t);
  const email = uniqueEmail();
  await signUp(b, email);
  const { secret, recoveryCodes } = await enableTOTPWithCodes(b, t.clock);
  t.clock.advance(30_000);
  return { b, email, secret, recoveryCodes };
}

test('the code page points to recovery codes; one signs in once', async () => {
  const { b, email, recoveryCodes } = await accountWithCodes();
  await logOut(b);
  await logIn(b, email);
  const codePage = await b.get('/login/code');
  assert.match(codePage.body, /Lost your phone\? <a href="\/login\/recovery">Use a recovery code<\/a>/);
  await b.get('/login/recovery');
  const ok = await b.post('/login/recovery', { code: recoveryCodes[0]! });
  assert.equal(ok.status, 303);
  assert.equal(ok.location, '/');
  await logOut(b);
  await logIn(b, email);
  await b.get('/login/recovery');
  const again = await b.post('/login/recovery', { code: recoveryCodes[0]! });
  assert.equal(again.status, 401);
  assert.match(again.body, /That recovery code is not valid, or it was already used\./);
  assert.match(again.body, /id="recovery-code"[^>]*aria-invalid="true"/);
});

test('while app codes are locked, the code page still offers the recovery code, and it works', async () => {
  const { b, email, secret, recoveryCodes } = await accountWithCodes();
  await logOut(b);
  for (let wrong = 0; wrong < MAX_CODE_FAILURES; ) {
    await logIn(b, email);
    await b.get('/login/code');
    for (let i = 0; i < 4 && wrong < MAX_CODE_FAILURES; i++, wrong++) {
      const right = codeNow(secret, t.clock);
      const guess = String((Number(right) + 500_000 + wrong) % 1_000_000).padStart(6, '0');
      await b.post('/login/code', { code: guess });
    }
    await logOut(b);
  }
  await logIn(b, email);
  const locked = await b.get('/login/code');
  assert.equal(locked.status, 429);
  assert.match(locked.body, /A recovery code still works\./);
  assert.match(locked.body, /href="\/login\/recovery"/);
  await b.get('/login/recovery');
  const ok = await b.post('/login/recovery', { code: recoveryCodes[1]! });
  assert.equal(ok.status, 303);
});

test('a new set: refused without the password (field marked), then shown once; the old codes stop working', async () => {
  const { b, email, secret, recoveryCodes } = await accountWithCodes();
  await b.get('/security');
  const refused = await b.post('/security/recovery/regenerate', {
    password: 'not the password',
    code: codeNow(secret, t.clock),
  });
  assert.equal(refused.status, 401);
  assert.match(
    refused.body,
    /id="recovery-password"[^>]*aria-describedby="recovery-password-error"[^>]*aria-invalid="true"/,
  );
  const fresh = await b.post('/security/recovery/regenerate', {
    password: PASSWORD,
    code: recoveryCodes[2]!,
  });
  assert.equal(fresh.status, 200);
  assert.equal(fresh.headers.get('cache-control'), 'no-store');
  const codes = recoveryCodesFromPage(fresh.body);
  assert.equal(codes.length, 10);
  assert.ok(!codes.includes(recoveryCodes[3]!));
  const saved = await b.post('/security/recovery/saved', { saved: 'yes', done: 'recovery-new' });
  const page = await b.get(saved.location!);
  assert.match(page.body, /Your new recovery codes are ready\./);
  assert.match(page.body, /10 unused recovery codes/);
  assert.match(page.body, /New set of 10 recovery codes made/);
  await logOut(b);
  await logIn(b, email);
  await b.get('/login/recovery');
  assert.equal((await b.post('/login/recovery', { code: recoveryCodes[3]! })).status, 401);
  assert.equal((await b.post('/login/recovery', { code: codes[0]! })).status, 303);
});
