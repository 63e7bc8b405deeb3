/** Authenticator set-up, the time window, turning 2FA off and replacing the authenticator. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { encodeBase32, parseKeyURI } from '@twofa/otp';
import type { Kysely } from 'kysely';
import { skipUnlessTool } from '../../otp/test/support/tools.ts';
import { PENDING_ENROLLMENT_MS } from '../src/services/index.ts';
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

const STEP = 30_000;

for (const dialect of DIALECTS) {
  describe(`authenticator set-up on ${dialect.name}`, () => {
    let services: Services;
    let clock: TestClock;

    let db: Kysely<Database>;

    before(async () => {
      const config = await dialect.makeConfig({ TWOFA_ISSUER: 'Example Co' });
      ({ services, clock } = await openTestServices(config));
      db = openDatabase(config).db; // a second connection, to see what the services stored
    });
    after(async () => {
      await db.destroy();
      await services.close();
    });

    const pendingRows = (userId: string) =>
      db
        .selectFrom('totp_credentials')
        .select('id')
        .where('user_id', '=', userId)
        .where('state', '=', 'pending')
        .execute();

    async function newUser() {
      const email = uniqueEmail();
      const issued = await services.accounts.signUp({ email, password: 'password one' });
      return { email, userId: issued.session.userId };
    }

    test('set-up: a 160-bit secret and an otpauth:// URI naming the issuer and the account', async () => {
      const { email, userId } = await newUser();
      const enrollment = await services.totp.beginEnrollment(userId);
      assert.equal(enrollment.secret.length, 20);
      const key = parseKeyURI(enrollment.uri);
      assert.equal(key.type, 'totp');
      assert.equal(key.issuer, 'Example Co');
      assert.equal(key.account, email);
      assert.deepEqual(key.secret, enrollment.secret);
      assert.equal(key.algorithm, 'SHA1');
      assert.equal(key.digits, 6);
      assert.equal(key.periodSeconds, 30);
      assert.deepEqual(await services.totp.getPendingEnrollment(userId), enrollment);
      assert.equal((await services.accounts.getUser(userId))?.totpEnabled, false, 'not on before a code');
    });

    // Threat: two tabs (or a double click) starting the set-up at once. Each request must get a clean
    // answer, never a 500 from the unique (user, state) index, and one pending set-up must remain.
    test('16 set-ups started at once: every one answered, one pending set-up left, one that was shown', async () => {
      const { userId } = await newUser();
      const results = await Promise.allSettled(
        Array.from({ length: 16 }, () => services.totp.beginEnrollment(userId)),
      );
      const failed = results.filter((result) => result.status === 'rejected');
      assert.deepEqual(failed, [], 'no set-up request fails');
      assert.equal((await pendingRows(userId)).length, 1);
      const pending = await services.totp.getPendingEnrollment(userId);
      assert.ok(pending !== null);
      const shown = results.map((result) =>
        result.status === 'fulfilled' ? result.value.secret : undefined,
      );
      assert.ok(
        shown.some(
          (secret) => secret !== undefined && Buffer.from(secret).equals(Buffer.from(pending.secret)),
        ),
        'the stored secret is one that a request showed',
      );
    });

    test('starting again replaces the pending secret', async () => {
      const { userId } = await newUser();
      const first = await services.totp.beginEnrollment(userId);
      const second = await services.totp.beginEnrollment(userId);
      assert.notDeepEqual(first.secret, second.secret);
      assert.deepEqual((await services.totp.getPendingEnrollment(userId))?.secret, second.secret);
      await rejectsCode(
        services.totp.confirmEnrollment({
          userId,
          password: 'password one',
          code: codeAt(first.secret, clock.nowMs()),
        }),
        'INVALID_SETUP_CODE',
      );
    });

    test('confirming: a wrong code is refused; the right one turns 2FA on and ends the set-up', async () => {
      const { userId } = await newUser();
      await rejectsCode(
        services.totp.confirmEnrollment({ userId, password: 'password one', code: '123456' }),
        'NO_PENDING_ENROLLMENT',
      );
      const { secret } = await services.totp.beginEnrollment(userId);
      const right = codeAt(secret, clock.nowMs());
      await rejectsCode(
        services.totp.confirmEnrollment({
          userId,
          password: 'password one',
          code: right === '000000' ? '000001' : '000000',
        }),
        'INVALID_SETUP_CODE',
      );
      await rejectsCode(
        services.totp.confirmEnrollment({ userId, password: 'password one', code: 'abcdef' }),
        'MALFORMED_CODE',
      );
      await services.totp.confirmEnrollment({ userId, password: 'password one', code: right });
      assert.equal((await services.accounts.getUser(userId))?.totpEnabled, true);
      assert.equal(await services.totp.getPendingEnrollment(userId), null);
      await rejectsCode(services.totp.beginEnrollment(userId), 'TOTP_ALREADY_ENABLED');
      await rejectsCode(
        services.totp.confirmEnrollment({
          userId,
          password: 'password one',
          code: codeAt(secret, clock.nowMs() + STEP),
        }),
        'NO_PENDING_ENROLLMENT',
      );
      clock.advance(STEP);
    });

    test('confirming needs the current password: with a wrong one 2FA stays off and the code is not used', async () => {
      const { userId } = await newUser();
      const { secret } = await services.totp.beginEnrollment(userId);
      const code = codeAt(secret, clock.nowMs());
      for (const password of ['not the password', '', 'PASSWORD ONE']) {
        await rejectsCode(services.totp.confirmEnrollment({ userId, password, code }), 'WRONG_PASSWORD');
      }
      assert.equal((await services.accounts.getUser(userId))?.totpEnabled, false);
      assert.notEqual(await services.totp.getPendingEnrollment(userId), null, 'the set-up is still waiting');
      await services.totp.confirmEnrollment({ userId, password: 'password one', code });
      assert.equal((await services.accounts.getUser(userId))?.totpEnabled, true);
      clock.advance(STEP);
    });

    test('a pending set-up expires 15 minutes after it started: not shown, not confirmable, deleted', async () => {
      const { userId } = await newUser();
      const { secret } = await services.totp.beginEnrollment(userId);
      clock.advance(PENDING_ENROLLMENT_MS - 1000);
      assert.notEqual(await services.totp.getPendingEnrollment(userId), null, 'still there a second before');
      clock.advance(1000);
      assert.equal(await services.totp.getPendingEnrollment(userId), null);
      assert.deepEqual(await pendingRows(userId), [], 'the expired row is deleted when seen');
      await rejectsCode(
        services.totp.confirmEnrollment({
          userId,
          password: 'password one',
          code: codeAt(secret, clock.nowMs()),
        }),
        'NO_PENDING_ENROLLMENT',
      );
      assert.equal((await services.accounts.getUser(userId))?.totpEnabled, false);
      // Starting again works as before.
      const again = await services.totp.beginEnrollment(userId);
      await services.totp.confirmEnrollment({
        userId,
        password: 'password one',
        code: codeAt(again.secret, clock.nowMs()),
      });
      assert.equal((await services.accounts.getUser(userId))?.totpEnabled, true);
      clock.advance(STEP);
    });

    test('an expired set-up cannot be confirmed even before anything else has looked at it', async () => {
      const { userId } = await newUser();
      const { secret } = await services.totp.beginEnrollment(userId);
      clock.advance(PENDING_ENROLLMENT_MS);
      await rejectsCode(
        services.totp.confirmEnrollment({
          userId,
          password: 'password one',
          code: codeAt(secret, clock.nowMs()),
        }),
        'NO_PENDING_ENROLLMENT',
      );
      assert.deepEqual(await pendingRows(userId), []);
      assert.equal((await services.accounts.getUser(userId))?.totpEnabled, false);
    });

    test('cancelling a set-up deletes it; its key can no longer turn 2FA on', async () => {
      const { userId } = await newUser();
      const { secret } = await services.totp.beginEnrollment(userId);
      assert.equal(await services.totp.cancelEnrollment(userId), true);
      assert.equal(await services.totp.getPendingEnrollment(userId), null);
      assert.deepEqual(await pendingRows(userId), []);
      await rejectsCode(
        services.totp.confirmEnrollment({
          userId,
          password: 'password one',
          code: codeAt(secret, clock.nowMs()),
        }),
        'NO_PENDING_ENROLLMENT',
      );
      assert.equal(await services.totp.cancelEnrollment(userId), false, 'nothing left to cancel');
    });

    test('cancelling or letting a replacement expire keeps the current authenticator', async () => {
      const user = await signUpWithTotp(services, clock);
      const replace = async () =>
        services.totp.beginReplacement({
          userId: user.userId,
          password: user.password,
          code: codeAt(user.secret, clock.nowMs()),
        });
      const cancelled = await replace();
      assert.equal(await services.totp.cancelEnrollment(user.userId), true);
      clock.advance(STEP);
      const expired = await replace();
      clock.advance(PENDING_ENROLLMENT_MS);
      assert.equal(await services.totp.getPendingEnrollment(user.userId), null);
      for (const { secret } of [cancelled, expired]) {
        await rejectsCode(
          services.totp.confirmEnrollment({
            userId: user.userId,
            password: user.password,
            code: codeAt(secret, clock.nowMs()),
          }),
          'NO_PENDING_ENROLLMENT',
        );
      }
      assert.equal((await services.accounts.getUser(user.userId))?.totpEnabled, true);
      const { issued } = await services.auth.login({ email: user.email, password: user.password });
      await services.auth.verifySecondFactor({
        pendingToken: issued.token,
        code: codeAt(user.secret, clock.nowMs()),
      });
      clock.advance(STEP);
    });

    test('the window: one step either side is accepted, two are not', async () => {
      const user = await signUpWithTotp(services, clock);
      const attempt = async (offsetSteps: number) => {
        const { issued } = await services.auth.login({ email: user.email, password: user.password });
        return services.auth.verifySecondFactor({
          pendingToken: issued.token,
          code: codeAt(user.secret, clock.nowMs() + offsetSteps * STEP),
        });
      };
      clock.advance(5 * STEP);
      await rejectsCode(attempt(-2), 'INVALID_CODE');
      await attempt(-1);
      clock.advance(STEP);
      await attempt(0);
      clock.advance(STEP);
      await rejectsCode(attempt(2), 'INVALID_CODE');
      await attempt(1);
      clock.advance(3 * STEP);
    });

    test('turning 2FA off needs the password and a current code', async () => {
      const user = await signUpWithTotp(services, clock);
      const code = () => codeAt(user.secret, clock.nowMs());
      await rejectsCode(
        services.totp.disable({ userId: user.userId, password: 'not the password', code: code() }),
        'WRONG_PASSWORD',
      );
      await rejectsCode(
        services.totp.disable({
          userId: user.userId,
          password: user.password,
          code: '000000' === code() ? '111111' : '000000',
        }),
        'INVALID_CODE',
      );
      await services.totp.disable({ userId: user.userId, password: user.password, code: code() });
      assert.equal((await services.accounts.getUser(user.userId))?.totpEnabled, false);
      assert.equal((await services.auth.login({ email: user.email, password: user.password })).kind, 'full');
      await rejectsCode(
        services.totp.disable({ userId: user.userId, password: user.password, code: code() }),
        'TOTP_NOT_ENABLED',
      );
      clock.advance(STEP);
    });

    test('a wrong password does not use up the code', async () => {
      const user = await signUpWithTotp(services, clock);
      const code = codeAt(user.secret, clock.nowMs());
      await rejectsCode(
        services.totp.disable({ userId: user.userId, password: 'wrong one', code }),
        'WRONG_PASSWORD',
      );
      await services.totp.disable({ userId: user.userId, password: user.password, code });
      clock.advance(STEP);
    });

    test('replacing the authenticator: the old one works until the new one is confirmed', async () => {
      const user = await signUpWithTotp(services, clock);
      await rejectsCode(
        services.totp.beginReplacement({
          userId: user.userId,
          password: 'wrong one',
          code: codeAt(user.secret, clock.nowMs()),
        }),
        'WRONG_PASSWORD',
      );
      const replacement = await services.totp.beginReplacement({
        userId: user.userId,
        password: user.password,
        code: codeAt(user.secret, clock.nowMs()),
      });
      assert.notDeepEqual(replacement.secret, user.secret);
      clock.advance(STEP);

      // Still the old authenticator at sign-in.
      let login = await services.auth.login({ email: user.email, password: user.password });
      await rejectsCode(
        services.auth.verifySecondFactor({
          pendingToken: login.issued.token,
          code: codeAt(replacement.secret, clock.nowMs()),
        }),
        'INVALID_CODE',
      );
      await services.auth.verifySecondFactor({
        pendingToken: login.issued.token,
        code: codeAt(user.secret, clock.nowMs()),
      });

      await services.totp.confirmEnrollment({
        userId: user.userId,
        password: user.password,
        code: codeAt(replacement.secret, clock.nowMs()),
      });
      assert.equal((await services.accounts.getUser(user.userId))?.totpEnabled, true);
      clock.advance(STEP);
      login = await services.auth.login({ email: user.email, password: user.password });
      await rejectsCode(
        services.auth.verifySecondFactor({
          pendingToken: login.issued.token,
          code: codeAt(user.secret, clock.nowMs()),
        }),
        'INVALID_CODE',
      );
      const full = await services.auth.verifySecondFactor({
        pendingToken: login.issued.token,
        code: codeAt(replacement.secret, clock.nowMs()),
      });
      assert.equal(full.session.state, 'full');
      await rejectsCode(
        services.totp.beginReplacement({
          userId: (await newUser()).userId,
          password: 'password one',
          code: '123456',
        }),
        'TOTP_NOT_ENABLED',
      );
      clock.advance(STEP);
    });

    test('oathtool, an independent implementation, computes codes the service accepts', {
      skip: skipUnlessTool('oathtool'),
    }, async () => {
      const { userId } = await newUser();
      const { secret, uri } = await services.totp.beginEnrollment(userId);
      const base32 = new URL(uri).searchParams.get('secret');
      assert.equal(base32, encodeBase32(secret, { padding: false }));
      const at = new Date(clock.nowMs()).toISOString().replace('.000Z', 'Z');
      const result = spawnSync('oathtool', ['--totp', '-b', base32!, '-N', at], { encoding: 'utf8' });
      assert.equal(result.status, 0, result.stderr);
      await services.totp.confirmEnrollment({ userId, password: 'password one', code: result.stdout.trim() });
      assert.equal((await services.accounts.getUser(userId))?.totpEnabled, true);
      clock.advance(STEP);
    });
  });
}

describe('window 0 (TWOFA_TOTP_WINDOW=0)', () => {
  const dialect = DIALECTS[0]!;
  let services: Services;
  let clock: TestClock;
  before(async () => {
    ({ services, clock } = await openTestServices(await dialect.makeConfig({ TWOFA_TOTP_WINDOW: '0' })));
  });
  after(() => services.close());

  test("only the current step's code is accepted", async () => {
    const user = await signUpWithTotp(services, clock);
    for (const offset of [-1, 1]) {
      const { issued } = await services.auth.login({ email: user.email, password: user.password });
      await rejectsCode(
        services.auth.verifySecondFactor({
          pendingToken: issued.token,
          code: codeAt(user.secret, clock.nowMs() + offset * STEP),
        }),
        'INVALID_CODE',
      );
    }
    const { issued } = await services.auth.login({ email: user.email, password: user.password });
    await services.auth.verifySecondFactor({
      pendingToken: issued.token,
      code: codeAt(user.secret, clock.nowMs()),
    });
  });
});
