/**
 * Threat: account enumeration. Someone tries emails at the sign-in form to learn who has an account. An
 * unknown email must get the same answer as a wrong password, after the same work: one argon2id
 * verification with the current parameters (against a dummy hash), so the time taken does not tell either.
 * The work is counted by spying on node:crypto's argon2, not by timing.
 */
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { syncBuiltinESMExports } from 'node:module';
import { after, afterEach, before, beforeEach, describe, mock, test } from 'node:test';
import { createPasswordHasher } from '../src/crypto/passwords.ts';
import type { Services } from '../src/services/types.ts';
import {
  DIALECTS,
  openTestServices,
  rejectsCode,
  signUpWithTotp,
  type TestClock,
  uniqueEmail,
} from './support/dialects.ts';

type Argon2Call = { memory: number; passes: number; parallelism: number };

for (const dialect of DIALECTS) {
  describe(`account enumeration on ${dialect.name}`, () => {
    let services: Services;
    let clock: TestClock;
    let calls: Argon2Call[];
    const known = uniqueEmail('known');

    before(async () => {
      // The work under test is production's: OWASP's argon2id parameters, not the suites' cheap ones.
      ({ services, clock } = await openTestServices(
        await dialect.makeConfig(),
        undefined,
        createPasswordHasher(),
      ));
      await services.accounts.signUp({ email: known, password: 'the right password' });
    });
    after(() => services.close());

    beforeEach(() => {
      calls = [];
      const original = crypto.argon2;
      mock.method(crypto, 'argon2', ((algorithm, parameters, callback) => {
        calls.push({
          memory: parameters.memory,
          passes: parameters.passes,
          parallelism: parameters.parallelism,
        });
        return original(algorithm, parameters, callback);
      }) as typeof crypto.argon2);
      // passwords.ts imports the named export: refresh the ESM bindings of node:crypto.
      syncBuiltinESMExports();
    });
    afterEach(() => {
      mock.restoreAll();
      syncBuiltinESMExports();
    });

    const current = { memory: 19456, passes: 2, parallelism: 1 };

    test('a wrong password costs one argon2id verification with the current parameters', async () => {
      await rejectsCode(
        services.auth.login({ email: known, password: 'a wrong password' }),
        'INVALID_CREDENTIALS',
      );
      assert.deepEqual(calls, [current]);
    });

    test('an unknown email costs exactly the same', async () => {
      await rejectsCode(
        services.auth.login({ email: uniqueEmail('unknown'), password: 'a wrong password' }),
        'INVALID_CREDENTIALS',
      );
      assert.deepEqual(calls, [current]);
    });

    test('so does a malformed email or a missing password', async () => {
      await rejectsCode(
        services.auth.login({ email: 'not-an-email', password: 'whatever12' }),
        'INVALID_CREDENTIALS',
      );
      await rejectsCode(
        services.auth.login({ email: known, password: undefined as unknown as string }),
        'INVALID_CREDENTIALS',
      );
      assert.deepEqual(calls, [current, current]);
    });

    test('an account with 2FA answers a wrong password the same way (the pending step is not revealed)', async () => {
      const user = await signUpWithTotp(services, clock);
      calls = [];
      const error = await rejectsCode(
        services.auth.login({ email: user.email, password: 'a wrong password' }),
        'INVALID_CREDENTIALS',
      );
      const unknown = await rejectsCode(
        services.auth.login({ email: uniqueEmail('unknown'), password: 'a wrong password' }),
        'INVALID_CREDENTIALS',
      );
      assert.equal(error.message, unknown.message);
      assert.deepEqual(calls, [current, current]);
    });
  });
}
