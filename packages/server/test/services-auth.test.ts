/** Signing in: the password step, the second step, rehashing outdated password hashes. */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { Kysely } from 'kysely';
import type { Config } from '../src/config.ts';
import { hashWithSalt, verifyPassword } from '../src/crypto/passwords.ts';
import type { Services } from '../src/services/types.ts';
import { openDatabase } from '../src/store/open.ts';
import type { Database } from '../src/store/schema.ts';
import {
  codeAt,
  DIALECTS,
  openTestServices,
  rejectsCode,
  signUpWithTotp,
  type TestClock,
  uniqueEmail,
} from './support/dialects.ts';
import { TEST_PASSWORD_HASHER } from './support/passwords.ts';

for (const dialect of DIALECTS) {
  describe(`sign-in on ${dialect.name}`, () => {
    let config: Config;
    let services: Services;
    let clock: TestClock;
    let events: Record<string, unknown>[];
    let db: Kysely<Database>;

    before(async () => {
      config = await dialect.makeConfig();
      ({ services, clock, events } = await openTestServices(config));
      ({ db } = openDatabase(config));
    });
    after(async () => {
      await services.close();
      await db.destroy();
    });

    test('without 2FA the password gives a full session with a new token', async () => {
      const email = uniqueEmail();
      const signUp = await services.accounts.signUp({ email, password: 'password one' });
      const result = await services.auth.login({
        email: ` ${email.toUpperCase()}`,
        password: 'password one',
      });
      assert.equal(result.kind, 'full');
      assert.equal(result.issued.session.state, 'full');
      assert.notEqual(result.issued.token, signUp.token);
      assert.equal(result.issued.session.userId, signUp.session.userId);
    });

    test('wrong password and unknown email give the same error and message', async () => {
      const email = uniqueEmail();
      await services.accounts.signUp({ email, password: 'password one' });
      const wrong = await rejectsCode(
        services.auth.login({ email, password: 'password two' }),
        'INVALID_CREDENTIALS',
      );
      const unknown = await rejectsCode(
        services.auth.login({ email: uniqueEmail('nobody'), password: 'password one' }),
        'INVALID_CREDENTIALS',
      );
      const malformed = await rejectsCode(
        services.auth.login({ email: 'not an email', password: 'password one' }),
        'INVALID_CREDENTIALS',
      );
      assert.equal(wrong.message, unknown.message);
      assert.equal(wrong.message, malformed.message);
    });

    test('with 2FA the password gives a pending session; the code turns it into a new full session', async () => {
      const user = await signUpWithTotp(services, clock);
      const result = await services.auth.login({ email: user.email, password: user.password });
      assert.equal(result.kind, 'pending');
      const pending = result.issued;
      assert.equal(pending.session.state, 'pending');
      assert.equal(pending.session.attemptsLeft, 5);
      assert.equal(pending.session.expiresAtMs, clock.nowMs() + 5 * 60 * 1000);
      assert.equal((await services.auth.resolveSession(pending.token))?.state, 'pending');

      const full = await services.auth.verifySecondFactor({
        pendingToken: pending.token,
        code: codeAt(user.secret, clock.nowMs()),
      });
      assert.equal(full.session.state, 'full');
      assert.equal(full.session.userId, user.userId);
      assert.notEqual(full.token, pending.token);
      assert.equal(await services.auth.resolveSession(pending.token), null, 'the pending token is dead');
      assert.equal((await services.auth.resolveSession(full.token))?.state, 'full');
    });

    test('codes with spaces are accepted; a second step on a full session is NOT_PENDING', async () => {
      const user = await signUpWithTotp(services, clock);
      const { issued } = await services.auth.login({ email: user.email, password: user.password });
      const code = codeAt(user.secret, clock.nowMs());
      const full = await services.auth.verifySecondFactor({
        pendingToken: issued.token,
        code: ` ${code.slice(0, 3)} ${code.slice(3)} `,
      });
      clock.advance(30_000);
      await rejectsCode(
        services.auth.verifySecondFactor({
          pendingToken: full.token,
          code: codeAt(user.secret, clock.nowMs()),
        }),
        'NOT_PENDING',
      );
    });

    test('a second step with an unknown or malformed token is SESSION_EXPIRED', async () => {
      await rejectsCode(
        services.auth.verifySecondFactor({ pendingToken: 'nope', code: '123456' }),
        'SESSION_EXPIRED',
      );
      await rejectsCode(
        services.auth.verifySecondFactor({
          pendingToken: randomBytes(32).toString('base64url'),
          code: '123456',
        }),
        'SESSION_EXPIRED',
      );
    });

    test('a pending sign-in expires after 5 minutes', async () => {
      const user = await signUpWithTotp(services, clock);
      const { issued } = await services.auth.login({ email: user.email, password: user.password });
      clock.advance(5 * 60 * 1000);
      await rejectsCode(
        services.auth.verifySecondFactor({
          pendingToken: issued.token,
          code: codeAt(user.secret, clock.nowMs()),
        }),
        'SESSION_EXPIRED',
      );
      clock.advance(30_000);
    });

    test('a sign-in started before the upgrade (its pending session names no factors) still takes a right code', async () => {
      const user = await signUpWithTotp(services, clock);
      const login = await services.auth.login({ email: user.email, password: user.password });
      await db.updateTable('sessions').set({ factors: null }).where('user_id', '=', user.userId).execute();
      const issued = await services.auth.verifySecondFactor({
        pendingToken: login.issued.token,
        code: codeAt(user.secret, clock.nowMs()),
      });
      assert.equal(issued.session.state, 'full');
    });

    test('turning 2FA off while a sign-in waits for a code ends that sign-in', async () => {
      const user = await signUpWithTotp(services, clock);
      const { issued } = await services.auth.login({ email: user.email, password: user.password });
      await services.totp.disable({
        userId: user.userId,
        password: user.password,
        code: codeAt(user.secret, clock.nowMs()),
      });
      clock.advance(30_000);
      await rejectsCode(
        services.auth.verifySecondFactor({
          pendingToken: issued.token,
          code: codeAt(user.secret, clock.nowMs()),
        }),
        'SESSION_EXPIRED',
      );
    });

    test('an outdated password hash is replaced by a current one at login', async () => {
      const email = uniqueEmail();
      const { session } = await services.accounts.signUp({ email, password: 'old params' });
      const weak = await hashWithSalt('old params', randomBytes(16), {
        memoryKiB: 256,
        passes: 1,
        parallelism: 1,
      });
      await db.updateTable('users').set({ password_hash: weak }).where('id', '=', session.userId).execute();

      assert.equal((await services.auth.login({ email, password: 'old params' })).kind, 'full');
      const row = await db
        .selectFrom('users')
        .select('password_hash')
        .where('id', '=', session.userId)
        .executeTakeFirst();
      assert.ok(row);
      assert.notEqual(row.password_hash, weak);
      assert.equal(
        TEST_PASSWORD_HASHER.needsRehash(row.password_hash),
        false,
        'rehashed with the current parameters',
      );
      assert.ok(await verifyPassword('old params', row.password_hash));
      assert.ok(events.some((e) => e.event === 'auth.password_rehashed' && e.userId === session.userId));
      // A failed login does not rehash.
      await db.updateTable('users').set({ password_hash: weak }).where('id', '=', session.userId).execute();
      await rejectsCode(services.auth.login({ email, password: 'wrong params' }), 'INVALID_CREDENTIALS');
      const still = await db
        .selectFrom('users')
        .select('password_hash')
        .where('id', '=', session.userId)
        .executeTakeFirst();
      assert.equal(still?.password_hash, weak);
    });
  });
}
