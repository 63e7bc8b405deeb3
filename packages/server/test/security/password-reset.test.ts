// Threat: a way back that becomes a way in. A reset link that can be guessed, reused, kept for ever or read
// from a database copy; a reset that leaves a thief's session alive; email counted twice (whoever reads the
// mailbox resets the password and, with 2FA on, gets in without the second factor). Every dialect.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Kysely } from 'kysely';
import { SESSION_COOKIE } from '../../src/middleware/session/index.ts';
import { MAX_PASSWORD_FAILURES, PASSWORD_RESET_MS } from '../../src/services/limits.ts';
import { openDatabase } from '../../src/store/open.ts';
import type { Database } from '../../src/store/schema.ts';
import { makeTestApp, type TestApp } from '../support/app.ts';
import type { Browser } from '../support/client.ts';
import { DIALECTS } from '../support/dialects.ts';
import { dumpTables } from '../support/dump.ts';
import {
  browserFor,
  codeNow,
  enableTOTPWithCodes,
  logIn,
  PASSWORD,
  signUp,
  uniqueEmail,
  verifyEmail,
} from '../support/flows.ts';
import { codeIn, lastMail, linkIn, mailsTo } from '../support/outbox.ts';

const NEW_PASSWORD = 'a brand new passphrase';

for (const dialect of DIALECTS) {
  describe(`password reset on ${dialect.name}`, () => {
    let t: TestApp;
    before(async () => {
      t = await makeTestApp({ dialect });
    });
    after(() => t.close());

    /** A confirmed account, signed in in the returned browser. */
    async function confirmedAccount(): Promise<{ email: string; b: Browser }> {
      const b = browserFor(t);
      const email = uniqueEmail();
      await signUp(b, email);
      await verifyEmail(t, b, email);
      return { email, b };
    }

    /** Asks for a link as a stranger would; returns the link's path. */
    async function requestLink(email: string): Promise<string> {
      const b = browserFor(t);
      await b.get('/password/forgot');
      const page = await b.post('/password/forgot', { email });
      assert.equal(page.status, 200);
      await t.services.messages.flush();
      const mail = await lastMail(t.config, email, /reset your password/);
      assert.match(mail.text, /works once, within 30 minutes/);
      return linkIn(mail, t.config.publicUrl);
    }

    async function reset(link: string, fields: Record<string, string>) {
      const b = browserFor(t);
      await b.get('/password/forgot'); // a form token even when the link's page has no form
      const form = await b.get(link);
      const token = /name="token" value="([^"]+)"/.exec(form.body)?.[1] ?? link.split('/').at(-1)!;
      return { form, page: await b.post('/password/reset', { token, newPassword: NEW_PASSWORD, ...fields }) };
    }

    test('a reset gives the owner back an email whose wrong passwords were used up', async () => {
      const { email } = await confirmedAccount();
      const guesser = browserFor(t);
      for (let i = 0; i < MAX_PASSWORD_FAILURES; i++) await logIn(guesser, email, `guess ${i}`);
      assert.equal((await logIn(browserFor(t), email, PASSWORD)).status, 429, 'the email is limited');
      const { page } = await reset(await requestLink(email), {});
      assert.equal(page.status, 200);
      // The mailbox proved the owner: the window starts over, the new password signs in at once.
      assert.equal((await logIn(browserFor(t), email, NEW_PASSWORD)).status, 303);
    });

    test('the link sets a new password once, ends every session, and the owner is told', async () => {
      const { email, b: signedIn } = await confirmedAccount();
      const link = await requestLink(email);
      assert.match(link, /^\/password\/reset\/[A-Za-z0-9_-]{43}$/, 'a 256-bit token');
      const { form, page } = await reset(link, {});
      assert.equal(form.status, 200);
      assert.doesNotMatch(form.body, /name="code"/, 'no 2FA: no code asked');
      assert.equal(page.status, 200);
      assert.match(page.body, /Password changed/);
      // Every session ended: the browser signed in before is signed out.
      const security = await signedIn.get('/security');
      assert.equal(security.status, 303);
      assert.equal((await logIn(browserFor(t), email, PASSWORD)).status, 401, 'the old password is gone');
      assert.equal((await logIn(browserFor(t), email, NEW_PASSWORD)).status, 303);
      // Single use.
      const again = await reset(link, {});
      assert.equal(again.form.status, 400);
      assert.match(again.form.body, /no longer works/);
      assert.equal(again.page.status, 400);
      await t.services.messages.flush();
      assert.match((await lastMail(t.config, email, /./)).subject, /your password was reset/);
    });

    test('the link expires after 30 minutes; a newer link replaces an older one', async () => {
      const { email } = await confirmedAccount();
      const old = await requestLink(email);
      t.clock.advance(60_000);
      const newer = await requestLink(email);
      assert.notEqual(newer, old);
      assert.equal((await browserFor(t).get(old)).status, 400, 'the older link stopped working');
      t.clock.advance(PASSWORD_RESET_MS);
      const { form, page } = await reset(newer, {});
      assert.equal(form.status, 400);
      assert.equal(page.status, 400);
      assert.equal((await logIn(browserFor(t), email, PASSWORD)).status, 303, 'the password is unchanged');
    });

    test('with 2FA on the link is not enough: a code from the app or a recovery code is asked, and counted', async () => {
      const { email, b } = await confirmedAccount();
      const { secret, recoveryCodes } = await enableTOTPWithCodes(b, t.clock);
      t.clock.advance(30_000);
      const link = await requestLink(email);
      const noCode = await reset(link, {});
      assert.match(noCode.form.body, /name="code"/);
      assert.match(noCode.form.body, /a recovery code/);
      assert.equal(noCode.page.status, 400, 'no code: refused, the link still works');
      const wrong = codeNow(secret, t.clock) === '000000' ? '111111' : '000000';
      const wrongPage = await reset(link, { code: wrong });
      assert.equal(wrongPage.page.status, 401);
      assert.match(wrongPage.page.body, /name="token"/, 'the form stays: the link was not used up');
      const events = await t.services.audit.recentEvents(
        (await t.services.accounts.getUser(await userIdOf(email)))!.id,
      );
      assert.ok(
        events.some((e) => e.type === 'reauthentication.failed'),
        'the wrong code is recorded',
      );
      assert.equal((await logIn(browserFor(t), email, NEW_PASSWORD)).status, 401, 'nothing changed yet');
      const ok = await reset(link, { code: recoveryCodes[0]! });
      assert.equal(ok.page.status, 200);
      const signIn = browserFor(t);
      assert.equal(
        (await logIn(signIn, email, NEW_PASSWORD)).location,
        '/login/code',
        'still asks for the app',
      );
      await signIn.get('/login/code');
      assert.equal((await signIn.post('/login/code', { code: codeNow(secret, t.clock) })).status, 303);
    });

    test('a dump holds no reset token and no verification code, in any form', async () => {
      const b = browserFor(t);
      const email = uniqueEmail();
      await signUp(b, email);
      await t.services.messages.flush();
      const verification = await lastMail(t.config, email, /confirm/);
      const code = codeIn(verification);
      const verifyToken = linkIn(verification, t.config.publicUrl).split('/').at(-1)!;
      await verifyEmail(t, b, email);
      const resetToken = (await requestLink(email)).split('/').at(-1)!;
      const { db } = openDatabase(t.config);
      try {
        const dump = await dumpTables(db as Kysely<Database>, dialect.name);
        assert.ok(dump.includes('message_codes'), 'the dump is real');
        for (const secret of [resetToken, verifyToken])
          assert.ok(!dump.includes(secret), 'a token in the dump');
        const rows = dump.split('message_codes\n')[1]!.split('\n')[0]!;
        assert.ok(!rows.includes(code), 'the code in the dump');
      } finally {
        await db.destroy();
      }
      assert.ok((await mailsTo(t.config, email)).length >= 2);
    });

    async function userIdOf(email: string): Promise<string> {
      const b = browserFor(t);
      await logIn(b, email, PASSWORD);
      const session = await t.services.auth.resolveSession(b.cookie(SESSION_COOKIE)!);
      return session!.userId;
    }
  });
}
