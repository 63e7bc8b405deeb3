// Threats: codes and links sent by message that can be guessed, replayed, kept for ever or sent without end;
// a sign-up that tells a stranger which addresses have accounts; notices that go out for changes that never
// happened (rolled back) or to an address nobody proved. Every dialect.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Config } from '../src/config.ts';
import { MAX_MESSAGES_PER_DAY, VERIFY_EMAIL_MS } from '../src/services/limits.ts';
import type { Services } from '../src/services/types.ts';
import {
  codeAt,
  DIALECTS,
  makeClock,
  openTestServices,
  rejectsCode,
  type TestClock,
  uniqueEmail,
} from './support/dialects.ts';
import { codeIn, lastMail, linkIn, mailsTo } from './support/outbox.ts';

const PASSWORD = 'correct horse battery';

for (const dialect of DIALECTS) {
  describe(`messages on ${dialect.name}`, () => {
    let config: Config;
    let services: Services;
    let clock: TestClock;
    before(async () => {
      config = await dialect.makeConfig({ TWOFA_PUBLIC_URL: 'http://twofa.test' });
      clock = makeClock();
      ({ services } = await openTestServices(config, clock));
    });
    after(() => services.close());

    async function register(email = uniqueEmail()): Promise<{ email: string; userId: string }> {
      await services.accounts.register({ email, password: PASSWORD });
      await services.messages.flush();
      const login = await services.auth.login({ email, password: PASSWORD });
      return { email, userId: login.issued.session.userId };
    }

    test('sign-up: a new address gets a code and a link; either verifies', async () => {
      const { email, userId } = await register();
      const mail = await lastMail(config, email, /confirm your email address/);
      assert.match(mail.text, /Your code: \d{6}/);
      assert.match(mail.text, /http:\/\/twofa\.test\/email\/verify\/[A-Za-z0-9_-]{43}/);
      assert.match(mail.text, /If you did not create this account/);
      assert.match(mail.html, /<strong[^>]*>\d{6}<\/strong>/);
      assert.equal((await services.accounts.getUser(userId))?.emailVerified, false);
      await services.emailVerification.verifyCode({ userId, code: codeIn(mail) });
      assert.equal((await services.accounts.getUser(userId))?.emailVerified, true);
      await rejectsCode(
        services.emailVerification.verifyCode({ userId, code: codeIn(mail) }),
        'EMAIL_ALREADY_VERIFIED',
      );

      const other = await register();
      const link = linkIn(await lastMail(config, other.email, /confirm/), config.publicUrl);
      const token = link.split('/').at(-1)!;
      assert.equal(await services.emailVerification.isLinkLive(token), true);
      await services.emailVerification.verifyLink(token);
      assert.equal((await services.accounts.getUser(other.userId))?.emailVerified, true);
      await rejectsCode(services.emailVerification.verifyLink(token), 'INVALID_LINK');
    });

    test('sign-up with a taken address: the same answer, no new account, the owner is told (not twice a minute)', async () => {
      const { email } = await register();
      const before = (await mailsTo(config, email)).length;
      assert.equal(await services.accounts.register({ email, password: 'another password 1' }), undefined);
      await services.accounts.register({ email: email.toUpperCase(), password: 'another password 2' });
      await services.messages.flush();
      const mails = await mailsTo(config, email);
      assert.equal(mails.length, before + 1, 'one message to the owner');
      assert.match(mails.at(-1)!.subject, /someone tried to sign up with your address/);
      assert.doesNotMatch(mails.at(-1)!.text, /\d{6}|verify\//, 'no code, no link');
      await rejectsCode(
        services.auth.login({ email, password: 'another password 1' }),
        'INVALID_CREDENTIALS',
      );
      assert.equal((await services.auth.login({ email, password: PASSWORD })).kind, 'full');
    });

    test('a wrong code spends an attempt; after 5 even the right one fails; a new code replaces the old', async () => {
      const { email, userId } = await register();
      const code = codeIn(await lastMail(config, email, /confirm/));
      const wrong = code === '000000' ? '111111' : '000000';
      const first = await rejectsCode(
        services.emailVerification.verifyCode({ userId, code: wrong }),
        'INVALID_MESSAGE_CODE',
      );
      assert.equal(first.attemptsLeft, 4);
      await rejectsCode(services.emailVerification.verifyCode({ userId, code: 'abc' }), 'MALFORMED_CODE');
      for (let i = 0; i < 4; i++) {
        await rejectsCode(
          services.emailVerification.verifyCode({ userId, code: wrong }),
          'INVALID_MESSAGE_CODE',
        );
      }
      await rejectsCode(services.emailVerification.verifyCode({ userId, code }), 'INVALID_MESSAGE_CODE');
      // Resend: not within a minute; then a new code, and the old one is void.
      await rejectsCode(services.emailVerification.resend(userId), 'RESEND_TOO_SOON');
      clock.advance(60_000);
      await services.emailVerification.resend(userId);
      await services.messages.flush();
      const fresh = codeIn(await lastMail(config, email, /confirm/));
      if (fresh !== code) {
        await rejectsCode(services.emailVerification.verifyCode({ userId, code }), 'INVALID_MESSAGE_CODE');
      }
      await services.emailVerification.verifyCode({ userId, code: fresh });
    });

    test('an expired code or link fails', async () => {
      const { email, userId } = await register();
      const mail = await lastMail(config, email, /confirm/);
      clock.advance(VERIFY_EMAIL_MS);
      await rejectsCode(
        services.emailVerification.verifyCode({ userId, code: codeIn(mail) }),
        'INVALID_MESSAGE_CODE',
      );
      const token = linkIn(mail, config.publicUrl).split('/').at(-1)!;
      assert.equal(await services.emailVerification.isLinkLive(token), false);
      await rejectsCode(services.emailVerification.verifyLink(token), 'INVALID_LINK');
    });

    test('resend: at most once a minute and 10 a day', async () => {
      const { userId } = await register();
      for (let sent = 1; sent < MAX_MESSAGES_PER_DAY; sent++) {
        clock.advance(60_000);
        await services.emailVerification.resend(userId);
      }
      clock.advance(60_000);
      const refused = await rejectsCode(services.emailVerification.resend(userId), 'SEND_LIMIT_REACHED');
      assert.ok(refused.retryAfterMs! > 23 * 60 * 60 * 1000 - 11 * 60_000);
      clock.advance(refused.retryAfterMs!);
      await services.emailVerification.resend(userId);
    });

    test('notices: after the change commits, to a verified address, with when and the device; one per change', async () => {
      const { email, userId } = await register();
      await services.emailVerification.verifyCode({
        userId,
        code: codeIn(await lastMail(config, email, /confirm/)),
      });
      const before = (await mailsTo(config, email)).length;
      const { secret } = await services.totp.beginEnrollment(userId);
      await services.withRequest({ ip: '203.0.113.9', userAgent: 'TestBrowser/1.0', requestId: 'r1' }, () =>
        services.totp.confirmEnrollment({ userId, password: PASSWORD, code: codeAt(secret, clock.nowMs()) }),
      );
      await services.messages.flush();
      const mails = (await mailsTo(config, email)).slice(before);
      assert.deepEqual(
        mails.map((m) => m.subject),
        ['twofa: two-factor authentication is on'],
        'turning 2FA on is one notice (its first recovery codes are part of it)',
      );
      assert.match(mails[0]!.text, /When: .*GMT/);
      assert.match(mails[0]!.text, /Device: TestBrowser\/1\.0 \(address 203\.0\.113\.9\)/);
      assert.match(mails[0]!.text, /If this was not you/);
      // A refused change records no change: a wrong password tells nobody anything.
      clock.advance(30_000);
      await rejectsCode(
        services.totp.disable({ userId, password: 'wrong password!', code: codeAt(secret, clock.nowMs()) }),
        'WRONG_PASSWORD',
      );
      await services.totp.disable({ userId, password: PASSWORD, code: codeAt(secret, clock.nowMs()) });
      await services.messages.flush();
      assert.deepEqual(
        (await mailsTo(config, email)).slice(before + 1).map((m) => m.subject),
        ['twofa: codes from your authenticator app turned off'],
      );
    });

    test('notices: an unverified address is told nothing', async () => {
      const { email, userId } = await register();
      const before = (await mailsTo(config, email)).length;
      const { secret } = await services.totp.beginEnrollment(userId);
      await services.totp.confirmEnrollment({
        userId,
        password: PASSWORD,
        code: codeAt(secret, clock.nowMs()),
      });
      await services.messages.flush();
      assert.equal((await mailsTo(config, email)).length, before);
    });
  });
}
