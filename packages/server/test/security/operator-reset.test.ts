/**
 * Threat: an operator's reset-2fa that leaves a way in or a trap behind, or that nobody is told about. A
 * reset must remove every second factor (the app, codes by email and text message, recovery codes), void
 * codes already sent, and cancel a pending account recovery: left alone, its wait would end after the owner
 * set up new factors, and the password alone would then remove them. The owner is told by email (the running
 * service reads the operator's audit event), and told again when an operator lifts their limits. Every
 * dialect.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Kysely } from 'kysely';
import type { Config } from '../../src/config.ts';
import { type OperatorServices, openOperator } from '../../src/services/operator.ts';
import type { Services } from '../../src/services/types.ts';
import { openDatabase } from '../../src/store/open.ts';
import type { Database } from '../../src/store/schema.ts';
import {
  codeAt,
  DIALECTS,
  makeClock,
  openTestServices,
  serveEnv,
  type TestClock,
  uniqueEmail,
} from '../support/dialects.ts';
import { codeIn, lastMail, linkIn } from '../support/outbox.ts';

const PASSWORD = 'correct horse battery';
const DELAY_MS = 72 * 60 * 60 * 1000;

for (const dialect of DIALECTS) {
  describe(`twofa admin reset-2fa with messages on ${dialect.name}`, () => {
    let config: Config;
    let services: Services;
    let clock: TestClock;
    let operator: OperatorServices;
    let db: Kysely<Database>;
    before(async () => {
      config = await dialect.makeConfig({ TWOFA_PUBLIC_URL: 'http://twofa.test' });
      clock = makeClock(Math.floor(Date.now() / 30_000) * 30_000 + 1_000);
      ({ services } = await openTestServices(config, clock));
      operator = await openOperator({ env: serveEnv(config) });
      db = openDatabase(config).db;
    });
    after(async () => {
      await operator.close();
      await services.close();
      await db.destroy();
    });

    /** A confirmed address with the app and codes by email on. */
    async function guardedAccount(): Promise<{ email: string; userId: string; secret: Uint8Array }> {
      const email = uniqueEmail('reset');
      await services.accounts.register({ email, password: PASSWORD });
      await services.messages.flush();
      const login = await services.auth.login({ email, password: PASSWORD });
      const userId = login.issued.session.userId;
      const verify = await lastMail(config, email, /confirm your email address/);
      await services.emailVerification.verifyCode({ userId, code: codeIn(verify) });
      const { secret } = await services.totp.beginEnrollment(userId);
      await services.totp.confirmEnrollment({
        userId,
        password: PASSWORD,
        code: codeAt(secret, clock.nowMs()),
      });
      clock.advance(30_000);
      await services.emailFactor.enable({ userId, password: PASSWORD });
      return { email, userId, secret };
    }

    async function messageCodesOf(userId: string): Promise<string[]> {
      const rows = await db
        .selectFrom('message_codes')
        .select('purpose')
        .where('user_id', '=', userId)
        .execute();
      return rows.map((row) => row.purpose).sort();
    }

    // Before the reset test: it moves the clock days past the operator's (real-time) events, and a notice
    // about an event more than a day old is not sent.
    test('unlock tells the owner too', async () => {
      const { email } = await guardedAccount();
      await operator.unlock(email);
      await services.messages.flush();
      const notice = await lastMail(config, email, /sign-in limits lifted/);
      assert.match(notice.text, /An administrator lifted the limits/);
    });

    test('every factor, the codes sent, and a pending account recovery go; the owner is emailed', async () => {
      const { email, userId } = await guardedAccount();
      // A sign-in code sent by email, and an account recovery confirmed and waiting.
      const pending = await services.auth.login({ email, password: PASSWORD });
      assert.equal(pending.kind, 'pending');
      await services.auth.sendSignInCode({ pendingToken: pending.issued.token, channel: 'email' });
      clock.advance(61_000);
      await services.accountRecovery.request({ pendingToken: pending.issued.token });
      await services.messages.flush();
      const confirm = linkIn(await lastMail(config, email, /confirm account recovery/), config.publicUrl);
      await services.accountRecovery.confirm(confirm.split('/').at(-1)!);
      assert.equal((await services.accountRecovery.pending(userId))?.state, 'waiting');
      assert.ok((await messageCodesOf(userId)).includes('sign_in_email'));

      const reset = await operator.resetSecondFactor(email);
      assert.deepEqual(reset.factors, ['totp', 'email', 'recovery']);
      assert.equal(reset.accountRecoveryCancelled, true);
      assert.deepEqual((await services.accounts.getUser(userId))?.factors, []);
      assert.equal(await services.accountRecovery.pending(userId), null, 'the recovery request is gone');
      const left = await messageCodesOf(userId);
      for (const purpose of ['sign_in_email', 'recovery_confirm', 'recovery_cancel']) {
        assert.ok(!left.includes(purpose), `no ${purpose} code or link left`);
      }

      await services.messages.flush();
      const notice = await lastMail(config, email, /two-factor authentication was removed/);
      assert.match(notice.text, /An administrator removed every second factor/);
      assert.match(notice.text, /totp,email,recovery/);
      assert.match(notice.text, /cancelled its account recovery request/);

      // The owner turns 2FA on again; the old request's wait passes; the password alone does not remove it.
      const signedIn = await services.auth.login({ email, password: PASSWORD });
      assert.equal(signedIn.kind, 'full');
      const { secret } = await services.totp.beginEnrollment(userId);
      await services.totp.confirmEnrollment({
        userId,
        password: PASSWORD,
        code: codeAt(secret, clock.nowMs()),
      });
      clock.advance(DELAY_MS + 60_000);
      const later = await services.auth.login({ email, password: PASSWORD });
      assert.equal(later.kind, 'pending', 'the new factor stands: no stale recovery completed');
      assert.deepEqual((await services.accounts.getUser(userId))?.factors, ['totp', 'recovery']);
    });
  });
}
