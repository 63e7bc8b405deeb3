/**
 * Threat: a copy of a trusted-device cookie (malware, a backup, a shared machine) used to guess the owner's
 * password. The device is exempt from the per-email limit, so every guess it is allowed is a guess on top of
 * what the email's limit gives anyone. A budget that refills every 15 minutes gives the holder of a copy 960
 * extra guesses a day for as long as the owner does not sign in on that device; the copy must add at most
 * MAX_DEVICE_PASSWORD_FAILURES guesses in all, however patiently it is used. Every dialect.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DEVICE_COOKIE } from '../../src/middleware/session/index.ts';
import {
  MAX_DEVICE_PASSWORD_FAILURES,
  MAX_PASSWORD_FAILURES,
  PASSWORD_WINDOW_MS,
} from '../../src/services/limits.ts';
import { makeTestApp, type TestApp } from '../support/app.ts';
import { DIALECTS } from '../support/dialects.ts';
import { accountWithRememberedDevice, browserFor, codeNow, logIn, logOut } from '../support/flows.ts';

for (const dialect of DIALECTS) {
  describe(`password guesses from a copied device cookie on ${dialect.name}`, () => {
    let t: TestApp;
    before(async () => {
      t = await makeTestApp({ dialect });
    });
    after(async () => {
      await t.close();
    });

    const rememberedAccount = () => accountWithRememberedDevice(t, 'guess');

    test('a copy adds at most MAX_DEVICE_PASSWORD_FAILURES guesses, however long it waits', async () => {
      const { email, owner } = await rememberedAccount();
      const thief = browserFor(t);
      thief.jar.set(DEVICE_COOKIE, owner.cookie(DEVICE_COOKIE)!);
      const elsewhere = browserFor(t);
      let extra = 0;
      for (let round = 0; round < 4; round++) {
        // The email's own limit is used up (by the thief from anywhere, or by anyone)...
        for (let i = 0; i <= MAX_PASSWORD_FAILURES; i++) await logIn(elsewhere, email, 'wrong guess');
        assert.equal((await logIn(elsewhere, email, 'wrong guess')).status, 429);
        // ...so every password the copy still gets checked is an extra guess.
        for (let i = 0; i <= MAX_DEVICE_PASSWORD_FAILURES; i++) {
          const page = await logIn(thief, email, `guess ${round}-${i}`);
          if (page.status === 401) extra++;
          else assert.equal(page.status, 429);
        }
        t.clock.advance(PASSWORD_WINDOW_MS);
      }
      assert.equal(extra, MAX_DEVICE_PASSWORD_FAILURES, `${extra} guesses past the email's limit`);
    });

    test('the owner gets the device back with the right password (and the code once)', async () => {
      const { email, secret, owner } = await rememberedAccount();
      for (let i = 0; i < MAX_DEVICE_PASSWORD_FAILURES; i++) {
        assert.equal((await logIn(owner, email, 'mistyped')).status, 401);
      }
      t.clock.advance(PASSWORD_WINDOW_MS);
      assert.equal((await logIn(owner, email)).location, '/login/code', 'used up: the code is asked');
      await owner.get('/login/code');
      assert.equal((await owner.post('/login/code', { code: codeNow(secret, t.clock) })).location, '/');
      await logOut(owner);
      t.clock.advance(30_000);
      assert.equal((await logIn(owner, email)).location, '/', 'the right password gave the device back');
    });
  });
}
