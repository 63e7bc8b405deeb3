/**
 * Threat: the lost phone, and the attacker who has the password. Recovery codes are the owner's way back, so
 * they must work when the authenticator is gone or its codes are locked, and give an attacker nothing:
 * each works once (even when two requests on two instances race with it), a new set voids the old one, a
 * copy of the database holds none of them, and burning the 6-digit budget does not lock the owner out of them.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Kysely } from 'kysely';
import type { Config } from '../../src/config.ts';
import { openServices } from '../../src/services/index.ts';
import { MAX_CODE_FAILURES, MAX_RECOVERY_FAILURES, RECOVERY_CODE_COUNT } from '../../src/services/limits.ts';
import type { Services } from '../../src/services/types.ts';
import { openDatabase } from '../../src/store/open.ts';
import type { Database } from '../../src/store/schema.ts';
import {
  codeAt,
  DIALECTS,
  openTestServices,
  rejectsCode,
  type TestClock,
  uniqueEmail,
} from '../support/dialects.ts';
import { dumpTables } from '../support/dump.ts';

const PASSWORD = 'correct horse battery';

for (const dialect of DIALECTS) {
  describe(`recovery codes on ${dialect.name}`, () => {
    let config: Config;
    let services: Services;
    let clock: TestClock;
    let events: Record<string, unknown>[];

    before(async () => {
      config = await dialect.makeConfig();
      ({ services, clock, events } = await openTestServices(config));
    });
    after(() => services.close());

    /** A user with 2FA on, and the codes shown once when it was turned on. */
    async function userWithCodes() {
      const email = uniqueEmail('recovery');
      const issued = await services.accounts.signUp({ email, password: PASSWORD });
      const userId = issued.session.userId;
      const { secret } = await services.totp.beginEnrollment(userId);
      const { recoveryCodes } = await services.totp.confirmEnrollment({
        userId,
        password: PASSWORD,
        code: codeAt(secret, clock.nowMs()),
      });
      clock.advance(30_000);
      assert.ok(recoveryCodes !== null);
      return { email, userId, secret, codes: [...recoveryCodes] };
    }

    async function pending(email: string): Promise<string> {
      const login = await services.auth.login({ email, password: PASSWORD });
      assert.equal(login.kind, 'pending');
      return login.issued.token;
    }

    /** What an attacker with the password does: wrong 6-digit codes over fresh sign-ins until the lock. */
    async function burnSixDigitBudget(email: string, secret: Uint8Array): Promise<void> {
      let wrong = 0;
      while (wrong < MAX_CODE_FAILURES) {
        const token = await pending(email);
        for (let i = 0; i < 5 && wrong < MAX_CODE_FAILURES; i++, wrong++) {
          const right = codeAt(secret, clock.nowMs());
          const guess = String((Number(right) + 500_000 + wrong) % 1_000_000).padStart(6, '0');
          await services.auth.verifySecondFactor({ pendingToken: token, code: guess }).catch(() => {});
        }
      }
    }

    test('turning 2FA on makes 10 distinct codes of 80 bits, shown as xxxx-xxxx-xxxx-xxxx', async () => {
      const { codes, userId } = await userWithCodes();
      assert.equal(codes.length, RECOVERY_CODE_COUNT);
      assert.equal(new Set(codes).size, RECOVERY_CODE_COUNT);
      for (const code of codes) assert.match(code, /^[0-9a-hjkmnp-tv-z]{4}(-[0-9a-hjkmnp-tv-z]{4}){3}$/);
      assert.equal((await services.accounts.getUser(userId))?.recoveryCodesLeft, RECOVERY_CODE_COUNT);
    });

    test('a code signs in once; typed in capitals without dashes it still works; a second use is refused', async () => {
      const { email, userId, codes } = await userWithCodes();
      const code = codes[0]!;
      const typed = ` ${code.replaceAll('-', '').toUpperCase()} `;
      const session = await services.auth.verifySecondFactor({
        pendingToken: await pending(email),
        factor: 'recovery',
        code: typed,
      });
      assert.equal(session.session.state, 'full');
      assert.equal((await services.accounts.getUser(userId))?.recoveryCodesLeft, RECOVERY_CODE_COUNT - 1);
      await rejectsCode(
        services.auth.verifySecondFactor({ pendingToken: await pending(email), factor: 'recovery', code }),
        'INVALID_RECOVERY_CODE',
      );
      const mine = events.filter((e) => e.userId === userId);
      assert.ok(
        mine.some((e) => e.event === 'recovery_code.used' && e.remaining === RECOVERY_CODE_COUNT - 1),
      );
      assert.ok(mine.some((e) => e.event === 'sign_in.succeeded' && e.factor === 'recovery'));
    });

    test("another user's code does not work (the hash is bound to the user)", async () => {
      const alice = await userWithCodes();
      const bob = await userWithCodes();
      await rejectsCode(
        services.auth.verifySecondFactor({
          pendingToken: await pending(bob.email),
          factor: 'recovery',
          code: alice.codes[0]!,
        }),
        'INVALID_RECOVERY_CODE',
      );
    });

    test('what cannot be a recovery code is refused without spending an attempt', async () => {
      const { email } = await userWithCodes();
      const token = await pending(email);
      await rejectsCode(
        services.auth.verifySecondFactor({ pendingToken: token, factor: 'recovery', code: 'abc' }),
        'MALFORMED_CODE',
      );
      const view = await services.auth.resolveSession(token);
      assert.equal(view?.attemptsLeft, 5);
    });

    test('the 6-digit lock does not block recovery codes', async () => {
      const { email, secret, codes } = await userWithCodes();
      // An attacker with the password burns the user's 6-digit budget over several sign-ins.
      await burnSixDigitBudget(email, secret);
      // The owner, with the right code from the app, is refused...
      await rejectsCode(
        services.auth.verifySecondFactor({
          pendingToken: await pending(email),
          code: codeAt(secret, clock.nowMs()),
        }),
        'SECOND_FACTOR_LOCKED',
      );
      // ...but a recovery code signs them in.
      const session = await services.auth.verifySecondFactor({
        pendingToken: await pending(email),
        factor: 'recovery',
        code: codes[1]!,
      });
      assert.equal(session.session.state, 'full');
    });

    test('wrong recovery codes are slowed after 10 in 15 minutes, but the right one always gets through', async () => {
      const { email, secret, codes } = await userWithCodes();
      const wrong = 'aaaa-bbbb-cccc-dddd';
      for (let i = 0; i < MAX_RECOVERY_FAILURES; i++) {
        const token = await pending(email);
        await rejectsCode(
          services.auth.verifySecondFactor({ pendingToken: token, factor: 'recovery', code: wrong }),
          'INVALID_RECOVERY_CODE',
        );
      }
      const limited = await rejectsCode(
        services.auth.verifySecondFactor({
          pendingToken: await pending(email),
          factor: 'recovery',
          code: wrong,
        }),
        'RECOVERY_RATE_LIMITED',
      );
      assert.ok((limited.retryAfterMs ?? 0) > 0, 'the wait is said');
      // Someone with the password has also locked the app's codes: the owner's right recovery code still works.
      await burnSixDigitBudget(email, secret);
      const session = await services.auth.verifySecondFactor({
        pendingToken: await pending(email),
        factor: 'recovery',
        code: codes[0]!,
      });
      assert.equal(session.session.state, 'full');
      // And a right code starts the wrong ones over.
      await rejectsCode(
        services.auth.verifySecondFactor({
          pendingToken: await pending(email),
          factor: 'recovery',
          code: wrong,
        }),
        'INVALID_RECOVERY_CODE',
      );
    });

    test('a new set needs the password and a code, and voids every old code', async () => {
      const { userId, email, codes, secret } = await userWithCodes();
      await rejectsCode(
        services.recovery.regenerate({
          userId,
          password: 'wrong password',
          code: codeAt(secret, clock.nowMs()),
        }),
        'WRONG_PASSWORD',
      );
      // A recovery code may stand in for the app's code here (it is then used up).
      const fresh = await services.recovery.regenerate({ userId, password: PASSWORD, code: codes[0]! });
      assert.equal(fresh.length, RECOVERY_CODE_COUNT);
      for (const old of codes.slice(1, 3)) {
        await rejectsCode(
          services.auth.verifySecondFactor({
            pendingToken: await pending(email),
            factor: 'recovery',
            code: old,
          }),
          'INVALID_RECOVERY_CODE',
        );
      }
      const session = await services.auth.verifySecondFactor({
        pendingToken: await pending(email),
        factor: 'recovery',
        code: fresh[0]!,
      });
      assert.equal(session.session.state, 'full');
    });

    test('turning 2FA off removes the codes; replacing the app keeps them', async () => {
      const { userId, secret, codes } = await userWithCodes();
      const replacement = await services.totp.beginReplacement({
        userId,
        password: PASSWORD,
        code: codeAt(secret, clock.nowMs()),
      });
      clock.advance(30_000);
      const confirmed = await services.totp.confirmEnrollment({
        userId,
        password: PASSWORD,
        code: codeAt(replacement.secret, clock.nowMs()),
      });
      assert.equal(confirmed.recoveryCodes, null, 'a replacement keeps the saved set');
      assert.equal((await services.accounts.getUser(userId))?.recoveryCodesLeft, RECOVERY_CODE_COUNT);
      await services.totp.disable({ userId, password: PASSWORD, code: codes[0]! });
      const user = await services.accounts.getUser(userId);
      assert.equal(user?.totpEnabled, false);
      assert.equal(user?.recoveryCodesLeft, 0);
    });

    test('a dump of the database holds none of the codes, in any form', async () => {
      const { codes } = await userWithCodes();
      const { db } = openDatabase(config);
      try {
        const dump = (await dumpTables(db as Kysely<Database>, dialect.name)).toLowerCase();
        for (const code of codes) {
          assert.ok(!dump.includes(code), 'formatted code in the dump');
          assert.ok(!dump.includes(code.replaceAll('-', '')), 'bare code in the dump');
        }
        assert.ok(dump.includes('recovery_codes'), 'the dump is real (it has the table)');
      } finally {
        await db.destroy();
      }
    });

    test('two requests racing with one code: exactly one signs in (10 rounds)', async () => {
      const { email, codes } = await userWithCodes();
      for (let round = 0; round < codes.length; round++) {
        const [a, b] = [await pending(email), await pending(email)];
        const results = await Promise.allSettled([
          services.auth.verifySecondFactor({ pendingToken: a, factor: 'recovery', code: codes[round]! }),
          services.auth.verifySecondFactor({ pendingToken: b, factor: 'recovery', code: codes[round]! }),
        ]);
        assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1, `round ${round}`);
      }
    });

    // Several instances is what PostgreSQL is for (on SQLite, node:sqlite waits for another connection's lock
    // synchronously, so two instances inside one test process would wait on each other).
    const skip =
      dialect.name === 'sqlite' ? 'SQLite runs one instance; several instances need PostgreSQL' : false;
    test('two instances racing with one code: exactly one signs in', { skip }, async () => {
      const other = await openServices(config, { nowMs: clock.nowMs, log: () => {} });
      try {
        const { email, codes } = await userWithCodes();
        for (const code of codes.slice(0, 5)) {
          const a = await pending(email);
          const b = (await other.auth.login({ email, password: PASSWORD })).issued.token;
          const results = await Promise.allSettled([
            services.auth.verifySecondFactor({ pendingToken: a, factor: 'recovery', code }),
            other.auth.verifySecondFactor({ pendingToken: b, factor: 'recovery', code }),
          ]);
          assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
        }
      } finally {
        await other.close();
      }
    });
  });
}
