// Threat: brute force. Someone who has a user's password signs in again and again to get 5 more guesses at
// the 6-digit code each time; someone without it guesses passwords. Wrong codes count per user across
// sign-ins (10, then codes are refused for 15 minutes, even the right one), wrong passwords per email
// (10 in 15 minutes, then refused, the same way whether or not the email has an account). The pages say
// how long to wait, with status 429 and a Retry-After header; the password step keeps working during a
// code lock, and the code step then says to wait instead of showing a form.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { makeTestApp, type TestApp } from '../support/app.ts';
import type { Browser, Page } from '../support/client.ts';
import { DIALECTS } from '../support/dialects.ts';
import {
  accountWithTOTP,
  browserFor,
  codeNow,
  enableTOTP,
  logIn,
  PASSWORD,
  signUp,
  uniqueEmail,
} from '../support/flows.ts';

let t: TestApp;

const FIFTEEN_MINUTES_S = '900';

function wrongCode(secret: Uint8Array, n = 0): string {
  const window = [-1, 0, 1].map((offset) => codeNow(secret, t.clock, offset));
  for (let i = n; ; i++) {
    const candidate = String(i).padStart(6, '0');
    if (!window.includes(candidate)) return candidate;
  }
}

/** Password step, then the code page on screen (its form token is bound to the pending session). */
async function pendingBrowser(email: string): Promise<Browser> {
  const b = browserFor(t);
  assert.equal((await logIn(b, email)).location, '/login/code');
  await b.get('/login/code');
  return b;
}

async function wrongCodes(b: Browser, secret: Uint8Array, count: number): Promise<Page | undefined> {
  let last: Page | undefined;
  for (let i = 0; i < count; i++) {
    last = await b.post('/login/code', { code: wrongCode(secret, i) });
    assert.equal(last.status, 401, `wrong code ${i + 1}`);
  }
  return last;
}

function assertCodesLocked(page: Page, retryAfter = FIFTEEN_MINUTES_S, wait = '15 minutes'): void {
  assert.equal(page.status, 429);
  assert.equal(page.headers.get('retry-after'), retryAfter);
  assert.match(page.body, /Too many wrong codes were entered for this account/);
  assert.ok(page.body.includes(`Wait ${wait}, then try again.`), wait);
  assert.doesNotMatch(page.body, /name="code"/, 'no code form while codes are refused');
}

for (const dialect of DIALECTS) {
  describe(`brute force on ${dialect.name}`, () => {
    before(async () => {
      t = await makeTestApp({ dialect });
    });
    after(() => t.close());

    test('codes: the 11th over three sign-ins is refused even when right, with the wait on the page', async () => {
      const { email, secret } = await accountWithTOTP(t);
      await wrongCodes(await pendingBrowser(email), secret, 4);
      await wrongCodes(await pendingBrowser(email), secret, 4);
      const third = await pendingBrowser(email);
      const ninth = await wrongCodes(third, secret, 1);
      assert.match(ninth!.body, /1 attempt left/, 'the nearer limit (the user) is the one shown');
      assertCodesLocked(await third.post('/login/code', { code: wrongCode(secret) }));
      assertCodesLocked(await third.post('/login/code', { code: codeNow(secret, t.clock) }));
      assert.equal((await third.get('/security')).location, '/login', 'not signed in');

      // The password still works: the code step answers with the wait instead of a form.
      const fourth = browserFor(t);
      const res = await logIn(fourth, email);
      assert.equal(res.status, 303);
      assert.equal(res.location, '/login/code');
      assertCodesLocked(await fourth.get('/login/code'));
      assertCodesLocked(await fourth.post('/login/code', { code: codeNow(secret, t.clock) }));

      t.clock.advance(14 * 60_000 + 30_000); // 30 seconds left: "1 minute" (rounded up, never too short)
      const late = await pendingBrowser(email);
      assertCodesLocked(await late.post('/login/code', { code: codeNow(secret, t.clock) }), '30', '1 minute');
      t.clock.advance(30_000);
      const after = await pendingBrowser(email);
      const done = await after.post('/login/code', { code: codeNow(secret, t.clock) });
      assert.equal(done.status, 303);
      assert.equal(done.location, '/');
    });

    test('codes: wrong codes on the security page count too, and its forms show the wait', async () => {
      const b = browserFor(t);
      await signUp(b, uniqueEmail());
      const secret = await enableTOTP(b, t.clock);
      t.clock.advance(30_000);
      await b.get('/security');
      for (let i = 0; i < 9; i++) {
        const res = await b.post('/security/totp/disable', {
          password: PASSWORD,
          code: wrongCode(secret, i),
        });
        assert.equal(res.status, 401, `wrong code ${i + 1}`);
      }
      for (const code of [wrongCode(secret), codeNow(secret, t.clock)]) {
        const res = await b.post('/security/totp/disable', { password: PASSWORD, code });
        assert.equal(res.status, 429);
        assert.equal(res.headers.get('retry-after'), FIFTEEN_MINUTES_S);
        assert.match(res.body, /Too many wrong codes were entered for this account.*Wait 15 minutes/);
      }
      assert.match((await b.get('/security')).body, /Turn off/, '2FA is still on');
    });

    test('passwords: a known and an unknown email get the same 429 page, the right password too', async () => {
      const known = uniqueEmail('known');
      await signUp(browserFor(t), known);
      const unknown = uniqueEmail('nobody');
      const pages: { page: Page; body: string }[] = [];
      for (const email of [known, unknown]) {
        for (let i = 0; i < 10; i++) {
          assert.equal(
            (await logIn(browserFor(t), email, `wrong password ${i}`)).status,
            401,
            `${email} ${i + 1}`,
          );
        }
        for (const password of ['wrong password 11', PASSWORD]) {
          const b = browserFor(t);
          const page = await logIn(b, email, password);
          pages.push({
            page,
            body: page.body.replaceAll(email, '<EMAIL>').replaceAll(b.csrf ?? '<none>', '<CSRF>'),
          });
        }
      }
      const first = pages[0]!;
      assert.equal(first.page.status, 429);
      assert.equal(first.page.headers.get('retry-after'), FIFTEEN_MINUTES_S);
      assert.match(
        first.body,
        /Too many failed attempts to sign in with this email\. Wait 15 minutes, then try again\./,
      );
      assert.match(first.body, /action="\/login"/, 'the login form stays, to try again later');
      for (const other of pages.slice(1)) {
        assert.equal(other.page.status, first.page.status);
        assert.equal(other.page.headers.get('retry-after'), first.page.headers.get('retry-after'));
        assert.equal(other.body, first.body);
      }
      t.clock.advance(15 * 60_000);
      assert.equal((await logIn(browserFor(t), known)).location, '/', 'the window is over');
    });
  });
}
