/**
 * Threat: replay. A code seen over a shoulder, in a phishing proxy or in a log is used a second time.
 * RFC 6238 s5.2: "the verifier MUST NOT accept the second attempt of the same OTP after the successful
 * validation has been issued for the first OTP". The last accepted time step is stored per credential and
 * advanced with a compare-and-set UPDATE, so even two requests racing with one code (on one instance or on
 * two instances sharing PostgreSQL) cannot both pass. A replayed code is answered CODE_ALREADY_USED (through
 * a re-authentication, INVALID_CODE: "not valid, or already used") and is not counted as a guess.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Config } from '../src/config.ts';
import type { Services } from '../src/services/types.ts';
import {
  codeAt,
  DIALECTS,
  openTestServices,
  rejectsCode,
  signUpWithTotp,
  type TestClock,
} from './support/dialects.ts';

for (const dialect of DIALECTS) {
  describe(`replay on ${dialect.name}`, () => {
    let config: Config;
    let services: Services;
    let clock: TestClock;

    before(async () => {
      config = await dialect.makeConfig();
      ({ services, clock } = await openTestServices(config));
    });
    after(() => services.close());

    test('the same code twice: the second sign-in is refused', async () => {
      const user = await signUpWithTotp(services, clock);
      const code = codeAt(user.secret, clock.nowMs());
      const first = await services.auth.login({ email: user.email, password: user.password });
      await services.auth.verifySecondFactor({ pendingToken: first.issued.token, code });
      clock.advance(10_000); // same time step
      const second = await services.auth.login({ email: user.email, password: user.password });
      await rejectsCode(
        services.auth.verifySecondFactor({ pendingToken: second.issued.token, code }),
        'CODE_ALREADY_USED',
      );
    });

    test('the code that confirmed set-up cannot sign in', async () => {
      const email = `replay-setup-${process.pid}@example.com`;
      const issued = await services.accounts.signUp({ email, password: 'password one' });
      const { secret } = await services.totp.beginEnrollment(issued.session.userId);
      const code = codeAt(secret, clock.nowMs());
      await services.totp.confirmEnrollment({
        userId: issued.session.userId,
        password: 'password one',
        code,
      });
      const login = await services.auth.login({ email, password: 'password one' });
      await rejectsCode(
        services.auth.verifySecondFactor({ pendingToken: login.issued.token, code }),
        'CODE_ALREADY_USED',
      );
      clock.advance(30_000);
    });

    test("once a code is used, an older one (the previous step's, still in the window) is refused", async () => {
      const user = await signUpWithTotp(services, clock);
      const previous = codeAt(user.secret, clock.nowMs() - 30_000);
      const current = codeAt(user.secret, clock.nowMs());
      const first = await services.auth.login({ email: user.email, password: user.password });
      await services.auth.verifySecondFactor({ pendingToken: first.issued.token, code: current });
      const second = await services.auth.login({ email: user.email, password: user.password });
      await rejectsCode(
        services.auth.verifySecondFactor({ pendingToken: second.issued.token, code: previous }),
        'CODE_ALREADY_USED',
      );
      // The next step's code is fine.
      clock.advance(30_000);
      const third = await services.auth.login({ email: user.email, password: user.password });
      const ok = await services.auth.verifySecondFactor({
        pendingToken: third.issued.token,
        code: codeAt(user.secret, clock.nowMs()),
      });
      assert.equal(ok.session.state, 'full');
    });

    test('a code used to turn 2FA off or to start a replacement cannot be used again', async () => {
      const user = await signUpWithTotp(services, clock);
      const code = codeAt(user.secret, clock.nowMs());
      await services.totp.beginReplacement({ userId: user.userId, password: user.password, code });
      await rejectsCode(
        services.totp.disable({ userId: user.userId, password: user.password, code }),
        'INVALID_CODE',
      );
      const login = await services.auth.login({ email: user.email, password: user.password });
      await rejectsCode(
        services.auth.verifySecondFactor({ pendingToken: login.issued.token, code }),
        'CODE_ALREADY_USED',
      );
      clock.advance(30_000);
    });

    test('two sign-ins racing with one code: exactly one succeeds (20 rounds)', async () => {
      const user = await signUpWithTotp(services, clock);
      for (let round = 0; round < 20; round++) {
        const [a, b] = await Promise.all([
          services.auth.login({ email: user.email, password: user.password }),
          services.auth.login({ email: user.email, password: user.password }),
        ]);
        const code = codeAt(user.secret, clock.nowMs());
        const results = await Promise.allSettled([
          services.auth.verifySecondFactor({ pendingToken: a.issued.token, code }),
          services.auth.verifySecondFactor({ pendingToken: b.issued.token, code }),
        ]);
        assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1, `round ${round}`);
        clock.advance(30_000);
      }
    });

    if (dialect.name === 'postgres') {
      test('two instances on one PostgreSQL racing with one code: exactly one succeeds (20 rounds)', async () => {
        const second = await openTestServices(config, clock);
        try {
          const user = await signUpWithTotp(services, clock);
          for (let round = 0; round < 20; round++) {
            const [a, b] = await Promise.all([
              services.auth.login({ email: user.email, password: user.password }),
              second.services.auth.login({ email: user.email, password: user.password }),
            ]);
            const code = codeAt(user.secret, clock.nowMs());
            const results = await Promise.allSettled([
              services.auth.verifySecondFactor({ pendingToken: a.issued.token, code }),
              second.services.auth.verifySecondFactor({ pendingToken: b.issued.token, code }),
            ]);
            assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1, `round ${round}`);
            clock.advance(30_000);
          }
        } finally {
          await second.services.close();
        }
      });
    }

    test('two confirmations of one set-up racing with one code: exactly one enables 2FA', async () => {
      const issued = await services.accounts.signUp({
        email: `race-setup-${process.pid}@example.com`,
        password: 'pw12345678',
      });
      const userId = issued.session.userId;
      const { secret } = await services.totp.beginEnrollment(userId);
      const code = codeAt(secret, clock.nowMs());
      const results = await Promise.allSettled([
        services.totp.confirmEnrollment({ userId, password: 'pw12345678', code }),
        services.totp.confirmEnrollment({ userId, password: 'pw12345678', code }),
      ]);
      assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
      assert.equal((await services.accounts.getUser(userId))?.totpEnabled, true);
      clock.advance(30_000);
    });
  });
}
