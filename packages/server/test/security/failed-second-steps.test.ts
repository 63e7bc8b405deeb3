/**
 * Threat: guessing nobody notices. Someone who has the password tries codes between the owner's sign-ins; before
 * issue #10 the owner was never told. The first page after a full sign-in (and the security page) now says how
 * many attempts at the second step failed since the previous sign-in, with the last one's time, address and
 * device, computed from the audit log; a lock and a spent budget also send a notice (services/messages).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { makeTestApp, type TestApp } from '../support/app.ts';
import { DIALECTS } from '../support/dialects.ts';
import {
  accountWithTOTP,
  browserFor,
  codeNow,
  enableTOTP,
  logIn,
  logOut,
  signUp,
  uniqueEmail,
  verifyEmail,
} from '../support/flows.ts';
import { lastMail, mailsTo } from '../support/outbox.ts';

for (const dialect of DIALECTS) {
  describe(`failed second steps told to the owner (${dialect.name})`, () => {
    let t: TestApp;
    before(async () => {
      t = await makeTestApp({ dialect });
    });
    after(() => t.close());

    async function ownerSignsIn(email: string, secret: Uint8Array) {
      const b = browserFor(t);
      assert.equal((await logIn(b, email)).location, '/login/code');
      await b.get('/login/code');
      assert.equal((await b.post('/login/code', { code: codeNow(secret, t.clock) })).location, '/');
      t.clock.advance(30_000);
      return b;
    }

    test('3 wrong codes between two sign-ins: the first page and the security page say so, once', async () => {
      const { email, secret } = await accountWithTOTP(t);
      await logOut(await ownerSignsIn(email, secret));

      const attacker = browserFor(t);
      await logIn(attacker, email);
      await attacker.get('/login/code');
      const right = codeNow(secret, t.clock);
      for (const code of ['000000', '111111', '222222'].filter((c) => c !== right).slice(0, 3)) {
        assert.equal((await attacker.post('/login/code', { code })).status, 401);
      }
      t.clock.advance(60_000);

      const owner = await ownerSignsIn(email, secret);
      const home = await owner.get('/');
      assert.match(
        home.body,
        /3 failed attempts to pass your second step since your last sign-in<\/strong> \(last: \d{4}-\d\d-\d\d \d\d:\d\d UTC, from/,
      );
      assert.match((await owner.get('/security')).body, /3 failed attempts to pass your second step/);

      // The next sign-in, with nothing failed between: nothing to tell.
      await logOut(owner);
      const later = await ownerSignsIn(email, secret);
      assert.doesNotMatch((await later.get('/')).body, /failed attempt/);
    });

    /** A 6-digit code the app does not show now, nor a step either side. */
    function wrongCode(secret: Uint8Array, n: number): string {
      const taken = new Set([-1, 0, 1].map((d) => codeNow(secret, t.clock, d)));
      for (let i = n; ; i++) {
        const code = String(i).padStart(6, '0');
        if (!taken.has(code)) return code;
      }
    }

    /** One wrong code from a fresh sign-in with the password (the attacker's); the code page's status. */
    async function guess(email: string, secret: Uint8Array, n: number): Promise<number> {
      const attacker = browserFor(t);
      await logIn(attacker, email);
      await attacker.get('/login/code');
      const status = (await attacker.post('/login/code', { code: wrongCode(secret, n) })).status;
      t.clock.advance(10_000); // under the per-client request budget
      return status;
    }

    test('a lock and a spent budget are told by email; a trusted-device sign-in shows every failed attempt', async () => {
      const b = browserFor(t);
      const email = uniqueEmail('told');
      await signUp(b, email);
      await verifyEmail(t, b, email); // notices go to a confirmed address only
      const secret = await enableTOTP(b, t.clock);
      await logOut(b);
      t.clock.advance(30_000);
      // The owner remembers this browser.
      assert.equal((await logIn(b, email)).location, '/login/code');
      await b.get('/login/code');
      const remembered = await b.post('/login/code', {
        code: codeNow(secret, t.clock),
        rememberDevice: 'yes',
      });
      assert.equal(remembered.location, '/');
      await logOut(b);

      // 10 wrong codes: the 10th starts the 15-minute lock.
      for (let i = 0; i < 9; i++) assert.equal(await guess(email, secret, i), 401);
      assert.equal(await guess(email, secret, 9), 429);
      await t.services.messages.flush();
      const locked = await lastMail(t.config, email, /sign-in codes locked/);
      assert.match(locked.text, /refused for 15 minutes/);

      // The owner's trusted device skips the code, and the first page counts all 10 (the one that started
      // the lock too).
      assert.equal((await logIn(b, email)).location, '/', 'the device is not subject to the lock');
      assert.match(
        (await b.get('/')).body,
        /10 failed attempts to pass your second step since your last sign-in/,
      );
      await logOut(b);

      // 20 more, waiting out each lock, spend the 30-code budget: told by email in its own words.
      let n = 10;
      for (let lock = 0; lock < 2; lock++) {
        t.clock.advance(2 * 60 * 60 * 1000); // past the lock (15, then 30 minutes)
        for (let i = 0; i < 9; i++) assert.equal(await guess(email, secret, n++), 401);
        assert.equal(await guess(email, secret, n++), 429);
      }
      await t.services.messages.flush();
      // The 30th code starts the third lock and spends the budget at one instant: the two mails may land in
      // either order, so each is looked for among the lock mails.
      const lockMails = (await mailsTo(t.config, email)).filter((m) =>
        /sign-in codes locked/.test(m.subject),
      );
      assert.equal(
        lockMails.filter((m) => /until the limit refills/.test(m.text)).length,
        1,
        'the spent budget, told once in its own words',
      );
      assert.equal(
        lockMails.filter((m) => /refused for \d+ minutes/.test(m.text)).length,
        3,
        'three locks, each told once',
      );
      assert.equal((await logIn(b, email)).location, '/', 'nor to the spent budget');
      assert.match(
        (await b.get('/')).body,
        /20 failed attempts to pass your second step since your last sign-in/,
      );
    });
  });
}
