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
import { accountWithTOTP, browserFor, codeNow, logIn, logOut } from '../support/flows.ts';

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
  });
}
