/**
 * Threat: guessing a password online, and learning through the limit which emails have accounts. Wrong
 * passwords count per email (normalised), whether or not an account has it: after 10 in 15 minutes that
 * email is refused until the window ends, before any argon2 work, and the refusal is the same for a known
 * and an unknown email. A correct password starts the count over. The database keeps a keyed hash of the
 * email, never the email. Argon2 work is counted by spying on node:crypto's argon2, not by timing.
 */
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { syncBuiltinESMExports } from 'node:module';
import { after, afterEach, before, beforeEach, describe, mock, test } from 'node:test';
import type { Kysely } from 'kysely';
import type { Config } from '../src/config.ts';
import { MAX_PASSWORD_FAILURES, PASSWORD_WINDOW_MS } from '../src/services/index.ts';
import type { ServiceError, Services } from '../src/services/types.ts';
import { openDatabase } from '../src/store/open.ts';
import type { Database } from '../src/store/schema.ts';
import {
  codeAt,
  DIALECTS,
  openTestServices,
  rejectsCode,
  type TestClock,
  uniqueEmail,
} from './support/dialects.ts';

const PASSWORD = 'the right password';

for (const dialect of DIALECTS) {
  describe(`password limit per email on ${dialect.name}`, () => {
    let config: Config;
    let services: Services;
    let clock: TestClock;
    let db: Kysely<Database>;
    let argon2Calls: number;

    before(async () => {
      config = await dialect.makeConfig();
      ({ services, clock } = await openTestServices(config));
      db = openDatabase(config).db;
    });
    after(async () => {
      await db.destroy();
      await services.close();
    });

    beforeEach(() => {
      argon2Calls = 0;
      const original = crypto.argon2;
      mock.method(crypto, 'argon2', ((algorithm, parameters, callback) => {
        argon2Calls += 1;
        return original(algorithm, parameters, callback);
      }) as typeof crypto.argon2);
      // passwords.ts imports the named export: refresh the ESM bindings of node:crypto.
      syncBuiltinESMExports();
    });
    afterEach(() => {
      mock.restoreAll();
      syncBuiltinESMExports();
    });

    async function account(): Promise<string> {
      const email = uniqueEmail('known');
      await services.accounts.signUp({ email, password: PASSWORD });
      argon2Calls = 0;
      return email;
    }

    const login = (email: string, password: string, on: Services = services) =>
      on.auth.login({ email, password });

    /** `count` wrong passwords, each answered INVALID_CREDENTIALS. */
    async function wrongPasswords(email: string, count: number): Promise<void> {
      for (let i = 0; i < count; i++)
        await rejectsCode(login(email, `wrong password ${i}`), 'INVALID_CREDENTIALS');
    }

    test('a known and an unknown email: 10 wrong, then refused alike, with no argon2 work', async () => {
      const refusals: ServiceError[] = [];
      for (const email of [await account(), uniqueEmail('unknown')]) {
        argon2Calls = 0;
        await wrongPasswords(email, MAX_PASSWORD_FAILURES);
        assert.equal(argon2Calls, MAX_PASSWORD_FAILURES, 'each wrong password is checked');
        argon2Calls = 0;
        refusals.push(await rejectsCode(login(email, 'wrong password 11'), 'RATE_LIMITED'));
        refusals.push(await rejectsCode(login(email, PASSWORD), 'RATE_LIMITED'));
        assert.equal(argon2Calls, 0, 'refused before any hashing');
      }
      const [known, knownRight, unknown, unknownRight] = refusals;
      assert.equal(known?.retryAfterMs, PASSWORD_WINDOW_MS);
      for (const other of [knownRight, unknown, unknownRight]) {
        assert.equal(other?.message, known?.message);
        assert.equal(other?.retryAfterMs, known?.retryAfterMs);
      }
    });

    test('the email is normalised: case and spaces do not give new attempts', async () => {
      const email = await account();
      await wrongPasswords(email.toUpperCase(), 5);
      await wrongPasswords(` ${email} `, 5);
      await rejectsCode(login(email, PASSWORD), 'RATE_LIMITED');
    });

    test('a correct password starts the count over', async () => {
      const email = await account();
      await wrongPasswords(email, MAX_PASSWORD_FAILURES - 1);
      assert.equal((await login(email, PASSWORD)).kind, 'full');
      await wrongPasswords(email, MAX_PASSWORD_FAILURES);
      await rejectsCode(login(email, PASSWORD), 'RATE_LIMITED');
    });

    test('the window ends with the clock', async () => {
      const email = await account();
      await wrongPasswords(email, MAX_PASSWORD_FAILURES);
      clock.advance(PASSWORD_WINDOW_MS - 60_000);
      const late = await rejectsCode(login(email, PASSWORD), 'RATE_LIMITED');
      assert.equal(late.retryAfterMs, 60_000);
      clock.advance(60_000);
      assert.equal((await login(email, PASSWORD)).kind, 'full');
    });

    test('30 racing wrong passwords: exactly 10 checked', async () => {
      const email = await account();
      const results = await Promise.allSettled(
        Array.from({ length: 30 }, (_, i) => login(email, `wrong password ${i}`)),
      );
      const codes = results.map((r) => ((r as PromiseRejectedResult).reason as ServiceError).code);
      assert.equal(codes.filter((c) => c === 'INVALID_CREDENTIALS').length, MAX_PASSWORD_FAILURES);
      assert.equal(codes.filter((c) => c === 'RATE_LIMITED').length, 30 - MAX_PASSWORD_FAILURES);
      assert.equal(argon2Calls, MAX_PASSWORD_FAILURES);
    });

    test('wrong current passwords on the security page count against the same email', async () => {
      const email = await account();
      const { issued } = await login(email, PASSWORD);
      const userId = issued.session.userId;
      await wrongPasswords(email, 5);
      for (let i = 0; i < 5; i++) {
        await rejectsCode(
          services.accounts.changePassword({
            userId,
            currentToken: issued.token,
            currentPassword: `wrong password ${i}`,
            newPassword: 'a new password',
          }),
          'WRONG_PASSWORD',
        );
      }
      await rejectsCode(
        services.accounts.changePassword({
          userId,
          currentToken: issued.token,
          currentPassword: PASSWORD,
          newPassword: 'a new password',
        }),
        'RATE_LIMITED',
      );
      await rejectsCode(login(email, PASSWORD), 'RATE_LIMITED');
    });

    test('wrong passwords confirming a set-up count against the same email', async () => {
      const email = await account();
      const { issued } = await login(email, PASSWORD);
      const userId = issued.session.userId;
      const { secret } = await services.totp.beginEnrollment(userId);
      const confirm = (password: string) =>
        services.totp.confirmEnrollment({ userId, password, code: codeAt(secret, clock.nowMs()) });
      await wrongPasswords(email, 5);
      for (let i = 0; i < 5; i++) await rejectsCode(confirm(`wrong password ${i}`), 'WRONG_PASSWORD');
      argon2Calls = 0;
      await rejectsCode(confirm(PASSWORD), 'RATE_LIMITED');
      assert.equal(argon2Calls, 0, 'refused before any hashing');
      await rejectsCode(login(email, PASSWORD), 'RATE_LIMITED');
      assert.equal((await services.accounts.getUser(userId))?.totpEnabled, false, '2FA still off');
    });

    test('the right password confirming a set-up starts the count over', async () => {
      const email = await account();
      const { issued } = await login(email, PASSWORD);
      const userId = issued.session.userId;
      await services.totp.beginEnrollment(userId);
      await wrongPasswords(email, MAX_PASSWORD_FAILURES - 1);
      // A wrong code, but the password was right: it clears the email's failures.
      await rejectsCode(
        services.totp.confirmEnrollment({ userId, password: PASSWORD, code: '000000' }),
        'INVALID_SETUP_CODE',
      );
      await wrongPasswords(email, MAX_PASSWORD_FAILURES - 1);
      await login(email, PASSWORD);
    });

    test('the database holds a keyed hash of the email, not the email nor its SHA-256', async () => {
      const email = uniqueEmail('stored');
      await wrongPasswords(email, 1);
      const rows = await db.selectFrom('login_throttle').selectAll().execute();
      const text = JSON.stringify(rows);
      assert.ok(!text.includes(email), 'no email');
      assert.ok(!text.includes(email.split('@')[0]!), 'no local part');
      for (const encoding of ['hex', 'base64', 'base64url'] as const) {
        assert.ok(!text.includes(crypto.hash('sha256', email, encoding)), `no plain SHA-256 (${encoding})`);
      }
      assert.ok(rows.length > 0);
    });

    if (dialect.name === 'postgres') {
      test('two instances on one database share the limit', async () => {
        const second = await openTestServices(config, clock);
        try {
          const email = await account();
          for (let i = 0; i < MAX_PASSWORD_FAILURES; i++) {
            await rejectsCode(
              login(email, `wrong ${i}`, i % 2 ? second.services : services),
              'INVALID_CREDENTIALS',
            );
          }
          await rejectsCode(login(email, PASSWORD), 'RATE_LIMITED');
          await rejectsCode(login(email, PASSWORD, second.services), 'RATE_LIMITED');
        } finally {
          await second.services.close();
        }
      });
    }
  });
}
