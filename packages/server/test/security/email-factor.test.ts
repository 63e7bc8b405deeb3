// Threat: a code by email that can be guessed, replayed, kept for ever or asked for without end, or that
// opens a back door around the 6-digit limit. Against a real SMTP server started here (smtp-server; what
// arrives is parsed with mailparser), on every dialect: the mail arrives, its code works once, a wrong code
// counts an attempt (for the code, the sign-in and the user's shared 6-digit limit), an expired one fails,
// resends are limited, and a mail server that is down gives a clear error, not a hang.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Config } from '../../src/config.ts';
import { MESSAGE_CODE_MS } from '../../src/services/limits.ts';
import type { Services } from '../../src/services/types.ts';
import {
  DIALECTS,
  makeClock,
  openTestServices,
  rejectsCode,
  type TestClock,
  uniqueEmail,
} from '../support/dialects.ts';
import { codeOf, startSmtp, type TestSmtp } from '../support/smtp.ts';

const PASSWORD = 'correct horse battery';

let smtp: TestSmtp;
before(async () => {
  smtp = await startSmtp();
});
after(() => smtp.close());

for (const dialect of DIALECTS) {
  describe(`codes by email on ${dialect.name}`, () => {
    let config: Config;
    let services: Services;
    let clock: TestClock;
    before(async () => {
      config = await dialect.makeConfig({ TWOFA_PUBLIC_URL: 'http://twofa.test', TWOFA_SMTP_URL: smtp.url });
      clock = makeClock();
      ({ services } = await openTestServices(config, clock));
    });
    after(() => services.close());

    /** A confirmed account with codes by email on; returns its recovery codes. */
    async function accountWithEmailCodes(): Promise<{
      email: string;
      userId: string;
      recovery: readonly string[];
    }> {
      const email = uniqueEmail('mailer');
      await services.accounts.register({ email, password: PASSWORD });
      const verification = await smtp.last(email, /confirm your email address/);
      const login = await services.auth.login({ email, password: PASSWORD });
      const userId = login.issued.session.userId;
      await services.emailVerification.verifyCode({ userId, code: codeOf(verification) });
      const { recoveryCodes } = await services.emailFactor.enable({ userId, password: PASSWORD });
      assert.equal(recoveryCodes?.length, 10, 'turning codes by email on makes recovery codes');
      return { email, userId, recovery: recoveryCodes! };
    }

    async function pendingSignIn(email: string): Promise<string> {
      const login = await services.auth.login({ email, password: PASSWORD });
      assert.equal(login.kind, 'pending');
      assert.deepEqual(login.issued.session.factors, ['email', 'recovery']);
      return login.issued.token;
    }

    test('the mail arrives over STARTTLS; its code signs in once', async () => {
      const { email } = await accountWithEmailCodes();
      const pendingToken = await pendingSignIn(email);
      await services.auth.sendSignInCode({ pendingToken });
      const mail = await smtp.last(email, /your sign-in code/);
      assert.ok(smtp.mails.at(-1)?.secure, 'sent over TLS');
      assert.doesNotMatch(mail.subject ?? '', /\d{6}/, 'the code is not in the subject');
      const code = codeOf(mail);
      const issued = await services.auth.verifySecondFactor({ pendingToken, factor: 'email', code });
      assert.equal(issued.session.state, 'full');
      // The same code again, on a new sign-in: used up.
      const again = await pendingSignIn(email);
      await rejectsCode(
        services.auth.verifySecondFactor({ pendingToken: again, factor: 'email', code }),
        'INVALID_MESSAGE_CODE',
      );
    });

    test('a wrong code counts an attempt; 10 wrong across sign-ins lock every 6-digit code', async () => {
      const { email, userId } = await accountWithEmailCodes();
      let pendingToken = await pendingSignIn(email);
      clock.advance(60_000);
      await services.auth.sendSignInCode({ pendingToken });
      const code = codeOf(await smtp.last(email, /your sign-in code/));
      const wrong = code === '000000' ? '111111' : '000000';
      const first = await rejectsCode(
        services.auth.verifySecondFactor({ pendingToken, factor: 'email', code: wrong }),
        'INVALID_MESSAGE_CODE',
      );
      assert.equal(first.attemptsLeft, 4);
      for (let i = 0; i < 4; i++) {
        await services.auth
          .verifySecondFactor({ pendingToken, factor: 'email', code: wrong })
          .catch(() => {});
      }
      // The code itself is spent (5 attempts): the right one no longer works, on a new sign-in either.
      pendingToken = await pendingSignIn(email);
      await rejectsCode(
        services.auth.verifySecondFactor({ pendingToken, factor: 'email', code }),
        'INVALID_MESSAGE_CODE',
      );
      clock.advance(60_000);
      await services.auth.sendSignInCode({ pendingToken });
      const fresh = codeOf(await smtp.last(email, /your sign-in code/));
      const wrongFresh = fresh === '000000' ? '111111' : '000000';
      // 6 wrong so far for the user (5 + 1); 4 more reach the shared limit of 10, which locks.
      for (let i = 0; i < 3; i++) {
        await rejectsCode(
          services.auth.verifySecondFactor({ pendingToken, factor: 'email', code: wrongFresh }),
          'INVALID_MESSAGE_CODE',
        );
      }
      pendingToken = await pendingSignIn(email);
      await rejectsCode(
        services.auth.verifySecondFactor({ pendingToken, factor: 'email', code: wrongFresh }),
        'SECOND_FACTOR_LOCKED',
      );
      assert.ok((await services.auth.secondFactorWaitMs(userId)) > 0);
    });

    test('an expired code fails; resends wait a minute', async () => {
      const { email } = await accountWithEmailCodes();
      const pendingToken = await pendingSignIn(email);
      clock.advance(60_000);
      await services.auth.sendSignInCode({ pendingToken });
      await rejectsCode(services.auth.sendSignInCode({ pendingToken }), 'RESEND_TOO_SOON');
      const code = codeOf(await smtp.last(email, /your sign-in code/));
      clock.advance(MESSAGE_CODE_MS);
      const later = await pendingSignIn(email);
      await rejectsCode(
        services.auth.verifySecondFactor({ pendingToken: later, factor: 'email', code }),
        'INVALID_MESSAGE_CODE',
      );
    });

    test('a password reset does not take an emailed code (email must not count twice), a recovery code does', async () => {
      const { email, userId, recovery } = await accountWithEmailCodes();
      const signIn = await pendingSignIn(email);
      clock.advance(60_000);
      await services.auth.sendSignInCode({ pendingToken: signIn });
      const emailed = codeOf(await smtp.last(email, /your sign-in code/));
      await services.passwordReset.request(email);
      const link = /\/password\/reset\/([A-Za-z0-9_-]{43})/.exec(
        (await smtp.last(email, /reset your password/)).text ?? '',
      )![1]!;
      assert.deepEqual(await services.passwordReset.check(link), {
        needsCode: 'recovery',
        smsAvailable: false,
      });
      await rejectsCode(
        services.passwordReset.reset({ token: link, newPassword: 'a new passphrase', code: emailed }),
        'MALFORMED_CODE',
      );
      await services.passwordReset.reset({
        token: link,
        newPassword: 'a new passphrase',
        code: recovery[0]!,
      });
      assert.equal((await services.auth.login({ email, password: 'a new passphrase' })).kind, 'pending');
      assert.ok(userId);
    });

    test('turning codes by email off needs the password and a current code', async () => {
      const { email, userId } = await accountWithEmailCodes();
      await services.emailFactor.sendCode(userId);
      const code = codeOf(await smtp.last(email, /your sign-in code/));
      await rejectsCode(
        services.emailFactor.disable({ userId, password: 'wrong password!', code }),
        'WRONG_PASSWORD',
      );
      await services.emailFactor.disable({ userId, password: PASSWORD, code });
      const user = await services.accounts.getUser(userId);
      assert.equal(user?.emailFactorOn, false);
      assert.equal(user?.recoveryCodesLeft, 0, 'no factor left: the recovery codes go too');
      assert.equal((await services.auth.login({ email, password: PASSWORD })).kind, 'full');
    });
  });
}

test('a mail server that is down: MESSAGE_NOT_SENT at once, not a hang', async () => {
  const mailer = await startSmtp();
  const config = await DIALECTS[0]!.makeConfig({ TWOFA_SMTP_URL: mailer.url });
  const { services } = await openTestServices(config, makeClock());
  try {
    const email = uniqueEmail('down');
    await services.accounts.register({ email, password: PASSWORD });
    const login = await services.auth.login({ email, password: PASSWORD });
    const userId = login.issued.session.userId;
    const code = codeOf(await mailer.last(email, /confirm your email address/));
    await services.emailVerification.verifyCode({ userId, code });
    await services.emailFactor.enable({ userId, password: PASSWORD });
    await mailer.close();
    const pending = await services.auth.login({ email, password: PASSWORD });
    await rejectsCode(
      services.auth.sendSignInCode({ pendingToken: pending.issued.token }),
      'MESSAGE_NOT_SENT',
    );
  } finally {
    await services.close();
  }
});
