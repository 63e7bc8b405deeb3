// Threat: codes by text message that leak or open a way around the rules. The number must be verified before
// it signs anyone in, moving a verified number needs a second factor (a stolen session must not redirect the
// codes to its own phone) and tells the old number, the gateway only takes signed requests, a gateway that
// is down gives a clear error, and a copy of the database holds no number in clear. Every dialect, against a
// local gateway that checks the webhook's signature.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Kysely } from 'kysely';
import type { Config } from '../../src/config.ts';
import type { Services } from '../../src/services/types.ts';
import { openDatabase } from '../../src/store/open.ts';
import type { Database } from '../../src/store/schema.ts';
import {
  codeAt,
  DIALECTS,
  makeClock,
  openTestServices,
  rejectsCode,
  signUpWithTotp,
  type TestClock,
  uniqueEmail,
} from '../support/dialects.ts';
import { dumpTables } from '../support/dump.ts';
import { codeIn, lastMail, linkIn } from '../support/outbox.ts';
import { digitsIn, startGateway, type TestGateway } from '../support/sms.ts';

const PASSWORD = 'correct horse battery';
let phoneCounter = 0;
/** A fresh number each call, typed the way people do. */
function newPhone(): { typed: string; e164: string } {
  const line = String(10_000 + ++phoneCounter).slice(1);
  const typed = `+44 (20) 79-46 ${line}`;
  return { typed, e164: typed.replace(/[\s\-()]/g, '') };
}

let gateway: TestGateway;
before(async () => {
  gateway = await startGateway();
});
after(() => gateway.close());

for (const dialect of DIALECTS) {
  describe(`codes by text message on ${dialect.name}`, () => {
    let config: Config;
    let services: Services;
    let clock: TestClock;
    before(async () => {
      config = await dialect.makeConfig({ TWOFA_PUBLIC_URL: 'http://twofa.test', ...gateway.env });
      clock = makeClock();
      ({ services } = await openTestServices(config, clock));
    });
    after(() => services.close());

    /** A signed-up account (address not confirmed) with a verified number and codes by text message on. */
    async function accountWithSms(): Promise<{
      email: string;
      userId: string;
      phone: string;
      recovery: readonly string[];
    }> {
      const email = uniqueEmail('texter');
      const { token } = await services.accounts.signUp({ email, password: PASSWORD });
      const userId = (await services.auth.resolveSession(token))!.userId;
      const phone = newPhone();
      await services.phone.set({ userId, password: PASSWORD, code: '', phone: phone.typed });
      const text = await gateway.last(phone.e164, /confirms this number/);
      await services.phone.verify({ userId, code: digitsIn(text) });
      const { recoveryCodes } = await services.smsFactor.enable({ userId, password: PASSWORD });
      return { email, userId, phone: phone.e164, recovery: recoveryCodes! };
    }

    test('a code texted to the previous number does not verify the one that replaced it', async () => {
      // Verifying proves the phone is in hand: a code that went to another number proves nothing about this one.
      const { token } = await services.accounts.signUp({ email: uniqueEmail('mover'), password: PASSWORD });
      const userId = (await services.auth.resolveSession(token))!.userId;
      const first = newPhone();
      await services.phone.set({ userId, password: PASSWORD, code: '', phone: first.typed });
      const sentToFirst = digitsIn(await gateway.last(first.e164, /confirms this number/));
      // Within the minute the change is refused before anything changes (the new number's code would break
      // the resend limit); after it, the number changes and the first number's code stops working.
      const second = newPhone();
      await rejectsCode(
        services.phone.set({ userId, password: PASSWORD, code: '', phone: second.typed }),
        'RESEND_TOO_SOON',
      );
      assert.equal((await services.accounts.getUser(userId))?.phone, first.e164);
      clock.advance(60_000);
      await services.phone.set({ userId, password: PASSWORD, code: '', phone: second.typed });
      assert.notEqual(digitsIn(await gateway.last(second.e164, /confirms this number/)), undefined);
      await rejectsCode(services.phone.verify({ userId, code: sentToFirst }), 'INVALID_MESSAGE_CODE');
      assert.equal((await services.accounts.getUser(userId))?.phoneVerified, false);
    });

    test('a sign-in code texted to the old phone does not sign in once the number is replaced', async () => {
      const { email, userId, phone, recovery } = await accountWithSms();
      const login = await services.auth.login({ email, password: PASSWORD });
      await services.auth.sendSignInCode({ pendingToken: login.issued.token, channel: 'sms' });
      const toOldPhone = digitsIn(await gateway.last(phone, /sign-in code/));
      // The owner moves the account to a new phone (the old one was lost) and turns codes by text on again.
      clock.advance(60_000);
      const moved = newPhone();
      await services.phone.set({ userId, password: PASSWORD, code: recovery[0]!, phone: moved.typed });
      const verify = digitsIn(await gateway.last(moved.e164, /confirms this number/));
      await services.phone.verify({ userId, code: verify });
      await services.smsFactor.enable({ userId, password: PASSWORD });
      const again = await services.auth.login({ email, password: PASSWORD });
      await rejectsCode(
        services.auth.verifySecondFactor({
          pendingToken: again.issued.token,
          factor: 'sms',
          code: toOldPhone,
        }),
        'INVALID_MESSAGE_CODE',
      );
    });

    test('a number is normalised, verified by a signed text, then signs in with a texted code once', async () => {
      const { email, userId, phone } = await accountWithSms();
      assert.ok(
        gateway.texts.filter((t) => t.to === phone).every((t) => t.signed),
        'every request signed',
      );
      const user = await services.accounts.getUser(userId);
      assert.equal(user?.phone, phone);
      assert.equal(user?.smsFactorOn, true);
      const login = await services.auth.login({ email, password: PASSWORD });
      assert.deepEqual(login.issued.session.factors, ['sms', 'recovery']);
      await services.auth.sendSignInCode({ pendingToken: login.issued.token, channel: 'sms' });
      const code = digitsIn(await gateway.last(phone, /sign-in code/));
      const wrong = code === '000000' ? '111111' : '000000';
      const refused = await rejectsCode(
        services.auth.verifySecondFactor({ pendingToken: login.issued.token, factor: 'sms', code: wrong }),
        'INVALID_MESSAGE_CODE',
      );
      assert.equal(refused.attemptsLeft, 4);
      await services.auth.verifySecondFactor({ pendingToken: login.issued.token, factor: 'sms', code });
      const again = await services.auth.login({ email, password: PASSWORD });
      await rejectsCode(
        services.auth.verifySecondFactor({ pendingToken: again.issued.token, factor: 'sms', code }),
        'INVALID_MESSAGE_CODE',
      );
    });

    test('with no confirmed address, the notices go by text message', async () => {
      const { phone } = await accountWithSms();
      await services.messages.flush();
      assert.match(await gateway.last(phone, /two-factor authentication is on/), /Not you\?/);
    });

    test('a bad number is refused, naming the field; an unverified one signs nobody in', async () => {
      const { token } = await services.accounts.signUp({ email: uniqueEmail(), password: PASSWORD });
      const userId = (await services.auth.resolveSession(token))!.userId;
      for (const bad of ['020 7946 0958', '+0 20', 'call me', '+4420794609581234567']) {
        const error = await rejectsCode(
          services.phone.set({ userId, password: PASSWORD, code: '', phone: bad }),
          'INVALID_PHONE',
        );
        assert.equal(error.field, 'phone');
      }
      await services.phone.set({ userId, password: PASSWORD, code: '', phone: newPhone().typed });
      await rejectsCode(services.smsFactor.enable({ userId, password: PASSWORD }), 'NO_PHONE_TO_VERIFY');
    });

    test('replacing a verified number needs a current code; the old number is told', async () => {
      const clockUser = await signUpWithTotp(services, clock, PASSWORD);
      const first = newPhone();
      await services.phone.set({
        userId: clockUser.userId,
        password: PASSWORD,
        code: '',
        phone: first.typed,
      });
      await services.phone.verify({
        userId: clockUser.userId,
        code: digitsIn(await gateway.last(first.e164, /confirms this number/)),
      });
      const second = newPhone();
      clock.advance(60_000); // past the minute since the first number's code (the new number gets one)
      await rejectsCode(
        services.phone.set({ userId: clockUser.userId, password: PASSWORD, code: '', phone: second.typed }),
        'MALFORMED_CODE',
      );
      clock.advance(30_000);
      await services.phone.set({
        userId: clockUser.userId,
        password: PASSWORD,
        code: codeAt(clockUser.secret, clock.nowMs()),
        phone: second.typed,
      });
      assert.match(await gateway.last(first.e164, /removed from your account/), /Not you\?/);
      const user = await services.accounts.getUser(clockUser.userId);
      assert.equal(user?.phone, second.e164);
      assert.equal(user?.phoneVerified, false);
    });

    test('a password reset takes a texted code (not email: the link came by email)', async () => {
      const email = uniqueEmail('reset');
      await services.accounts.register({ email, password: PASSWORD });
      await services.messages.flush();
      const userId = (await services.auth.login({ email, password: PASSWORD })).issued.session.userId;
      await services.emailVerification.verifyCode({
        userId,
        code: codeIn(await lastMail(config, email, /confirm your email address/)),
      });
      const phone = newPhone();
      await services.phone.set({ userId, password: PASSWORD, code: '', phone: phone.typed });
      await services.phone.verify({
        userId,
        code: digitsIn(await gateway.last(phone.e164, /confirms this number/)),
      });
      await services.smsFactor.enable({ userId, password: PASSWORD });
      await services.passwordReset.request(email);
      await services.messages.flush();
      const token = linkIn(await lastMail(config, email, /reset your password/), config.publicUrl)
        .split('/')
        .at(-1)!;
      assert.deepEqual(await services.passwordReset.check(token), {
        needsCode: 'message-or-recovery',
        smsAvailable: true,
      });
      clock.advance(60_000);
      await services.passwordReset.sendCode(token);
      const code = digitsIn(await gateway.last(phone.e164, /sign-in code/));
      await services.passwordReset.reset({ token, newPassword: 'a new passphrase', code });
      assert.equal((await services.auth.login({ email, password: 'a new passphrase' })).kind, 'pending');
    });

    test('a dump holds no phone number in clear', async () => {
      const { phone } = await accountWithSms();
      const { db } = openDatabase(config);
      try {
        const dump = await dumpTables(db as Kysely<Database>, dialect.name);
        assert.ok(dump.includes('phone_ciphertext'), 'the dump is real');
        assert.ok(!dump.includes(phone), 'the number');
        assert.ok(!dump.includes(phone.slice(1)), 'its digits');
      } finally {
        await db.destroy();
      }
    });
  });
}

test('a gateway that is down: MESSAGE_NOT_SENT after the retries, not a hang', async () => {
  const down = await startGateway();
  const config = await DIALECTS[0]!.makeConfig(down.env);
  const { services } = await openTestServices(config, makeClock());
  try {
    const { token } = await services.accounts.signUp({ email: uniqueEmail(), password: PASSWORD });
    const userId = (await services.auth.resolveSession(token))!.userId;
    await down.close();
    await rejectsCode(
      services.phone.set({ userId, password: PASSWORD, code: '', phone: newPhone().typed }),
      'MESSAGE_NOT_SENT',
    );
  } finally {
    await services.close();
  }
});
