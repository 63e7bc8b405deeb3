// Threat: a way back that is a way in. Whoever holds the password (and maybe the mailbox) must not be able to
// strip the second factors quietly: the request is confirmed by email, then waits (72 hours by default)
// while the owner is told and can cancel in one click; only after the wait does a password sign-in remove
// the lost factors. Every step is audited. The delay is tested with the test's clock, on every dialect.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { encodeBase32, generateHOTP } from '@twofa/otp';
import { makeTestApp, type TestApp } from '../support/app.ts';
import type { Browser } from '../support/client.ts';
import { DIALECTS } from '../support/dialects.ts';
import {
  browserFor,
  codeNow,
  enableTOTP,
  logIn,
  logOut,
  PASSWORD,
  signUp,
  uniqueEmail,
  verifyEmail,
} from '../support/flows.ts';
import { lastMail, linkIn } from '../support/outbox.ts';

const DELAY_MS = 72 * 60 * 60 * 1000;

for (const dialect of DIALECTS) {
  describe(`account recovery on ${dialect.name}`, () => {
    let t: TestApp;
    before(async () => {
      t = await makeTestApp({ dialect });
    });
    after(() => t.close());

    /** A confirmed account with the app on, logged out. */
    async function guardedAccount(): Promise<{ email: string; secret: Uint8Array }> {
      const b = browserFor(t);
      const email = uniqueEmail();
      await signUp(b, email);
      await verifyEmail(t, b, email);
      const secret = await enableTOTP(b, t.clock);
      await logOut(b);
      t.clock.advance(30_000);
      return { email, secret };
    }

    /** From the code page: ask, open the mailed link, press the button. Returns the cancel link's path. */
    async function startRecovery(email: string): Promise<string> {
      const b = browserFor(t);
      assert.equal((await logIn(b, email)).location, '/login/code');
      const code = await b.get('/login/code');
      assert.match(code.body, /href="\/login\/account-recovery">Recover your account/);
      const ask = await b.get('/login/account-recovery');
      assert.match(ask.body, /waits <strong>72 hours<\/strong>/);
      const asked = await b.post('/login/account-recovery');
      assert.equal(asked.status, 200);
      assert.match(asked.body, /Check your email/);
      await t.services.messages.flush();
      const confirm = linkIn(await lastMail(t.config, email, /confirm account recovery/), t.config.publicUrl);
      const stranger = browserFor(t);
      await stranger.get('/login');
      const page = await stranger.get(confirm);
      assert.equal(page.status, 200);
      const started = await stranger.post('/recovery/confirm', { token: confirm.split('/').at(-1)! });
      assert.match(started.body, /Account recovery started/);
      await t.services.messages.flush();
      const told = await lastMail(t.config, email, /account recovery started/);
      assert.match(told.text, /Cancel the recovery/);
      return linkIn(told, t.config.publicUrl);
    }

    async function userIdOf(b: Browser): Promise<string> {
      return (await t.services.auth.resolveSession(b.cookie('twofa_session')!))!.userId;
    }

    test('a confirmation link mailed to the old address stops working once the address changes', async () => {
      // The owner moves the account away from a mailbox a thief reads: a confirmation waiting there must not
      // start a recovery (README: codes and links sent to the old address stop working).
      const { email, secret } = await guardedAccount();
      const thief = browserFor(t);
      await logIn(thief, email);
      await thief.get('/login/account-recovery');
      assert.equal((await thief.post('/login/account-recovery')).status, 200);
      await t.services.messages.flush();
      const confirm = linkIn(await lastMail(t.config, email, /confirm account recovery/), t.config.publicUrl);
      const owner = browserFor(t);
      await logIn(owner, email);
      await owner.get('/login/code');
      t.clock.advance(30_000);
      assert.equal((await owner.post('/login/code', { code: codeNow(secret, t.clock) })).status, 303);
      t.clock.advance(30_000);
      await t.services.accounts.changeEmail({
        userId: await userIdOf(owner),
        password: PASSWORD,
        code: codeNow(secret, t.clock),
        newEmail: uniqueEmail('moved'),
      });
      assert.equal((await browserFor(t).get(confirm)).status, 400);
      await assert.rejects(
        t.services.accountRecovery.confirm(confirm.split('/').at(-1)!),
        (error: Error & { code?: string }) => error.code === 'INVALID_LINK',
      );
    });

    test('after the wait, the password signs in and the lost factors are gone; not a minute before', async () => {
      const { email, secret } = await guardedAccount();
      // The owner, signed in on another device, sees it and could cancel.
      const owner = browserFor(t);
      await logIn(owner, email);
      await owner.get('/login/code');
      assert.equal((await owner.post('/login/code', { code: codeNow(secret, t.clock) })).status, 303);
      const userId = await userIdOf(owner);
      await startRecovery(email);
      assert.match((await owner.get('/security')).body, /Account recovery is under way/);

      t.clock.advance(DELAY_MS - 60_000);
      assert.equal((await logIn(browserFor(t), email)).location, '/login/code', 'the wait holds');
      t.clock.advance(60_000);
      const b = browserFor(t);
      const done = await logIn(b, email);
      assert.equal(done.location, '/security?done=recovered');
      const page = await b.get('/security?done=recovered');
      assert.match(page.body, /Account recovery is complete/);
      assert.match(page.body, /Off: your password alone signs you in/);
      const user = await t.services.accounts.getUser(userId);
      assert.deepEqual(user?.factors, []);
      assert.equal(user?.recoveryCodesLeft, 0);
      await t.services.messages.flush();
      assert.match((await lastMail(t.config, email, /./)).subject, /account recovery completed/);
      const types = (await t.services.audit.recentEvents(userId)).map((e) => e.type);
      for (const type of [
        'account_recovery.requested',
        'account_recovery.started',
        'account_recovery.completed',
      ]) {
        assert.ok(types.includes(type), `${type} is audited: ${types.join(', ')}`);
      }
    });

    test('a hardware-token account: the token page offers recovery, and after the wait the token is gone', async () => {
      const secret = Uint8Array.from({ length: 20 }, (_, i) => (i * 29 + 3) & 0xff);
      const b = browserFor(t);
      const email = uniqueEmail('token');
      await signUp(b, email);
      await verifyEmail(t, b, email);
      const userId = await userIdOf(b);
      await b.get('/security');
      const registered = await b.post('/security/token/register', {
        key: encodeBase32(secret),
        code: generateHOTP({ secret, counter: 0 }),
        nextCode: generateHOTP({ secret, counter: 1 }),
        password: PASSWORD,
      });
      assert.equal(registered.status, 200);
      await logOut(b);
      // The token is lost: the token page (where a token-only sign-in lands) links to account recovery.
      const lost = browserFor(t);
      await logIn(lost, email);
      assert.equal((await lost.get('/login/code')).location, '/login/token');
      const tokenPage = await lost.get('/login/token');
      assert.match(tokenPage.body, /href="\/login\/account-recovery">Recover your account/);
      await lost.get('/login/account-recovery');
      assert.equal((await lost.post('/login/account-recovery')).status, 200);
      await t.services.messages.flush();
      const confirm = linkIn(await lastMail(t.config, email, /confirm account recovery/), t.config.publicUrl);
      await t.services.accountRecovery.confirm(confirm.split('/').at(-1)!);
      t.clock.advance(DELAY_MS);
      assert.equal((await logIn(browserFor(t), email)).location, '/security?done=recovered');
      assert.deepEqual((await t.services.accounts.getUser(userId))?.factors, [], 'the token is removed');
      assert.equal(await t.services.hardwareToken.registeredAtMs(userId), null);
    });

    test('one click on the message cancels it; after the wait the second factor is still asked', async () => {
      const { email } = await guardedAccount();
      const cancel = await startRecovery(email);
      const b = browserFor(t);
      await b.get('/login');
      assert.match((await b.get(cancel)).body, /Cancel the recovery/);
      const done = await b.post('/recovery/cancel', { token: cancel.split('/').at(-1)! });
      assert.match(done.body, /Account recovery cancelled/);
      assert.equal(
        (await b.post('/recovery/cancel', { token: cancel.split('/').at(-1)! })).status,
        400,
        'once',
      );
      await t.services.messages.flush();
      assert.match((await lastMail(t.config, email, /./)).subject, /account recovery cancelled/);
      t.clock.advance(DELAY_MS);
      assert.equal((await logIn(browserFor(t), email)).location, '/login/code');
    });

    test('a signed-in device cancels it from the security page', async () => {
      const { email, secret } = await guardedAccount();
      await startRecovery(email);
      const owner = browserFor(t);
      await logIn(owner, email);
      await owner.get('/login/code');
      await owner.post('/login/code', { code: codeNow(secret, t.clock) });
      await owner.get('/security');
      const cancelled = await owner.post('/security/account-recovery/cancel');
      assert.equal(cancelled.location, '/security?done=recovery-cancelled');
      const userId = await userIdOf(owner);
      assert.equal(await t.services.accountRecovery.pending(userId), null);
      t.clock.advance(DELAY_MS);
      assert.equal((await logIn(browserFor(t), email)).location, '/login/code');
    });

    test('a request never confirmed by the email link never starts the wait', async () => {
      const { email } = await guardedAccount();
      const b = browserFor(t);
      await logIn(b, email);
      await b.get('/login/account-recovery');
      await b.post('/login/account-recovery');
      t.clock.advance(DELAY_MS * 2);
      assert.equal((await logIn(browserFor(t), email)).location, '/login/code');
    });
  });
}
