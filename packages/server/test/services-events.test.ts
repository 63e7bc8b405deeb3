/**
 * Events through one sink: every change worth telling the user is one audit row, written in the same
 * transaction as the change, with the request's address, user agent and id; and one log line. Neither holds
 * a password, code, secret or token.
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
  type TestClock,
  uniqueEmail,
} from './support/dialects.ts';

const PASSWORD = 'correct horse battery';
const META = {
  ip: '203.0.113.7',
  userAgent: 'Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0',
  requestId: 'req-1',
};

for (const dialect of DIALECTS) {
  describe(`events and the audit log on ${dialect.name}`, () => {
    let config: Config;
    let services: Services;
    let clock: TestClock;
    let lines: string[];

    before(async () => {
      config = await dialect.makeConfig();
      ({ services, clock, lines } = await openTestServices(config));
    });
    after(() => services.close());

    test("a user's story, in order, with where each request came from", async () => {
      const email = uniqueEmail('events');
      const userId = await services.withRequest(META, async () => {
        const { session } = await services.accounts.signUp({ email, password: PASSWORD });
        const { secret } = await services.totp.beginEnrollment(session.userId);
        const { recoveryCodes } = await services.totp.confirmEnrollment({
          userId: session.userId,
          password: PASSWORD,
          code: codeAt(secret, clock.nowMs()),
        });
        clock.advance(30_000);
        await rejectsCode(
          services.auth.login({ email, password: 'not the password' }),
          'INVALID_CREDENTIALS',
        );
        const pending = await services.auth.login({ email, password: PASSWORD });
        await services.auth.verifySecondFactor({
          pendingToken: pending.issued.token,
          factor: 'recovery',
          code: recoveryCodes![0]!,
        });
        return session.userId;
      });
      const events = await services.audit.recentEvents(userId);
      assert.deepEqual(
        events.map((e) => e.type),
        [
          'sign_in.succeeded',
          'recovery_code.used',
          'sign_in.failed',
          'recovery_codes.generated',
          'second_factor.enabled',
          'account.created',
        ],
      );
      for (const event of events) {
        assert.equal(event.ip, META.ip);
        assert.equal(event.userAgent, META.userAgent);
      }
      assert.deepEqual(events[0]?.details, { factor: 'recovery' });
      assert.deepEqual(events[2]?.details, { step: 'password' });
      // And one log line each, with the request id.
      const logged = lines.map((line) => JSON.parse(line)).filter((e) => e.userId === userId);
      assert.ok(logged.some((e) => e.event === 'recovery_code.used' && e.requestId === META.requestId));
    });

    test("a change that fails leaves no event behind (the row is in the change's transaction)", async () => {
      const email = uniqueEmail('events');
      const { session } = await services.accounts.signUp({ email, password: PASSWORD });
      await rejectsCode(
        services.accounts.changePassword({
          userId: session.userId,
          currentToken: 'not-a-session',
          currentPassword: PASSWORD,
          newPassword: 'another long password',
        }),
        'SESSION_EXPIRED',
      );
      const types = (await services.audit.recentEvents(session.userId)).map((e) => e.type);
      assert.deepEqual(types, ['account.created']);
    });

    test('the same password again is not a change: refused, nothing recorded, other devices stay signed in', async () => {
      const email = uniqueEmail('events');
      const first = await services.accounts.signUp({ email, password: PASSWORD });
      const other = await services.auth.login({ email, password: PASSWORD });
      await rejectsCode(
        services.accounts.changePassword({
          userId: first.session.userId,
          currentToken: first.token,
          currentPassword: PASSWORD,
          newPassword: PASSWORD,
        }),
        'SAME_PASSWORD',
      );
      assert.ok(
        await services.auth.resolveSession(other.issued.token),
        'the other device is still signed in',
      );
      const types = (await services.audit.recentEvents(first.session.userId)).map((e) => e.type);
      assert.ok(!types.includes('password.changed'));
    });

    test('a refused change is recorded: a stolen session guessing on the security page shows', async () => {
      const email = uniqueEmail('events');
      const { session } = await services.accounts.signUp({ email, password: PASSWORD });
      const { secret } = await services.totp.beginEnrollment(session.userId);
      await services.totp.confirmEnrollment({
        userId: session.userId,
        password: PASSWORD,
        code: codeAt(secret, clock.nowMs()),
      });
      clock.advance(30_000);
      const right = codeAt(secret, clock.nowMs());
      const wrong = right === '000000' ? '111111' : '000000';
      await rejectsCode(
        services.totp.disable({ userId: session.userId, password: 'guessed password', code: right }),
        'WRONG_PASSWORD',
      );
      await rejectsCode(
        services.totp.disable({ userId: session.userId, password: PASSWORD, code: wrong }),
        'INVALID_CODE',
      );
      const refused = (await services.audit.recentEvents(session.userId))
        .filter((e) => e.type === 'reauthentication.failed')
        .map((e) => e.details);
      assert.deepEqual(refused, [{ step: 'second_factor', factor: 'totp' }, { step: 'password' }]);
      assert.equal((await services.accounts.getUser(session.userId))?.totpEnabled, true);
    });

    test('the security page lists at most the last 20', async () => {
      const email = uniqueEmail('events');
      const { session } = await services.accounts.signUp({ email, password: PASSWORD });
      for (let i = 0; i < 25; i++) {
        await services.auth.login({ email, password: PASSWORD });
        clock.advance(1000);
      }
      const events = await services.audit.recentEvents(session.userId);
      assert.equal(events.length, 20);
      assert.ok(events.every((e) => e.type === 'sign_in.succeeded'));
      assert.ok(events[0]!.atMs > events[19]!.atMs, 'newest first');
    });
  });
}
