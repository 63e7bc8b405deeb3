// Threat: the password limit turned against its owner, or raced past. Each password check is counted while it
// runs (a reservation with a lease) and settled when it ends: a failure only when the password was wrong. So
// many concurrent right passwords for one email are never refused (the limit counts guesses, not requests);
// any number of concurrent wrong ones are still checked at most MAX_PASSWORD_FAILURES times; and a check whose
// process died stops holding its slot when its lease ends.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Kysely } from 'kysely';
import type { PasswordHasher } from '../../src/crypto/passwords.ts';
import { openServices } from '../../src/services/index.ts';
import {
  MAX_PASSWORD_FAILURES,
  PASSWORD_CHECK_LEASE_MS,
  PASSWORD_WINDOW_MS,
} from '../../src/services/limits.ts';
import type { ServiceError, Services } from '../../src/services/types.ts';
import { openDatabase } from '../../src/store/open.ts';
import type { Database } from '../../src/store/schema.ts';
import { reservePasswordCheck } from '../../src/store/throttle-repo.ts';
import { DIALECTS, makeClock, type TestClock, uniqueEmail } from '../support/dialects.ts';
import { TEST_PASSWORD_HASHER } from '../support/passwords.ts';

const PASSWORD = 'the right password';
const LIMITS = {
  maxFailures: MAX_PASSWORD_FAILURES,
  windowMs: PASSWORD_WINDOW_MS,
  leaseMs: PASSWORD_CHECK_LEASE_MS,
};

/** The test hasher, counting its checks, each one held a few milliseconds so that concurrent ones overlap. */
function countingHasher(): { hasher: PasswordHasher; checks: () => number } {
  let checks = 0;
  return {
    checks: () => checks,
    hasher: {
      ...TEST_PASSWORD_HASHER,
      async verify(password, phc) {
        checks += 1;
        await new Promise((resolve) => setTimeout(resolve, 5));
        return TEST_PASSWORD_HASHER.verify(password, phc);
      },
    },
  };
}

for (const dialect of DIALECTS) {
  describe(`password checks counted when checked (${dialect.name})`, () => {
    let services: Services;
    let clock: TestClock;
    let db: Kysely<Database>;
    const counting = countingHasher();

    before(async () => {
      const config = await dialect.makeConfig();
      clock = makeClock();
      services = await openServices(config, {
        nowMs: clock.nowMs,
        log: () => {},
        passwordHasher: counting.hasher,
        // The email's limit under test, not the pool's (argon2-pool.test.ts): room for every request at once.
        passwordPool: { concurrency: 4, maxQueue: 100 },
      });
      db = openDatabase(config).db;
    });
    after(async () => {
      await db.destroy();
      await services.close();
    });

    async function keysNow(): Promise<Set<string>> {
      const rows = await db.selectFrom('login_throttle').select('email_key').execute();
      return new Set(rows.map((row) => row.email_key));
    }

    test('20 concurrent right passwords for one email: all signed in', async () => {
      const email = uniqueEmail();
      await services.accounts.signUp({ email, password: PASSWORD });
      const results = await Promise.allSettled(
        Array.from({ length: 20 }, () => services.auth.login({ email, password: PASSWORD })),
      );
      const refused = results
        .filter((r) => r.status === 'rejected')
        .map((r) => (r.reason as ServiceError).code);
      assert.deepEqual(refused, []);
    });

    test('50 concurrent wrong passwords: at most the limit are checked, the rest refused', async () => {
      const email = uniqueEmail();
      await services.accounts.signUp({ email, password: PASSWORD });
      const before = counting.checks();
      const results = await Promise.allSettled(
        Array.from({ length: 50 }, (_, i) => services.auth.login({ email, password: `wrong ${i}` })),
      );
      const codes = results.map((r) =>
        r.status === 'rejected' ? (r.reason as ServiceError).code : 'signed in',
      );
      assert.equal(counting.checks() - before, MAX_PASSWORD_FAILURES);
      assert.equal(codes.filter((code) => code === 'INVALID_CREDENTIALS').length, MAX_PASSWORD_FAILURES);
      assert.equal(codes.filter((code) => code === 'RATE_LIMITED').length, 50 - MAX_PASSWORD_FAILURES);
      // The right password too, until the window ends.
      await assert.rejects(services.auth.login({ email, password: PASSWORD }), { code: 'RATE_LIMITED' });
    });

    test('a check whose process died holds its slot only until its lease ends', async () => {
      const email = uniqueEmail();
      await services.accounts.signUp({ email, password: PASSWORD });
      const known = await keysNow();
      await assert.rejects(services.auth.login({ email, password: 'wrong' }), {
        code: 'INVALID_CREDENTIALS',
      });
      const key = [...(await keysNow())].find((k) => !known.has(k));
      assert.ok(key !== undefined, 'the wrong password made a window');
      // Nine checks reserved and never settled (their processes were killed mid-argon2): with the failure,
      // the window is full of them.
      for (let i = 0; i < MAX_PASSWORD_FAILURES - 1; i++) {
        assert.equal(
          await reservePasswordCheck(db, { key, nowMs: clock.nowMs(), limits: LIMITS }),
          'reserved',
        );
      }
      assert.equal(await reservePasswordCheck(db, { key, nowMs: clock.nowMs(), limits: LIMITS }), 'busy');
      clock.advance(PASSWORD_CHECK_LEASE_MS);
      assert.equal((await services.auth.login({ email, password: PASSWORD })).kind, 'full');
    });
  });
}
