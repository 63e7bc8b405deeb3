/** Accounts: sign-up rules (email, password length), the user record, and changing the password. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { ServiceError, Services } from '../src/services/types.ts';
import { DIALECTS, openTestServices, rejectsCode, uniqueEmail } from './support/dialects.ts';

for (const dialect of DIALECTS) {
  describe(`accounts on ${dialect.name}`, () => {
    let services: Services;
    before(async () => {
      ({ services } = await openTestServices(await dialect.makeConfig()));
    });
    after(() => services.close());

    test('sign-up normalises the email and returns a full session for the new user', async () => {
      const issued = await services.accounts.signUp({
        email: '  Alice.Smith@Example.COM ',
        password: 'password1',
      });
      assert.equal(issued.session.state, 'full');
      const user = await services.accounts.getUser(issued.session.userId);
      assert.equal(user?.email, 'alice.smith@example.com');
      assert.equal(user?.totpEnabled, false);
      const resolved = await services.auth.resolveSession(issued.token);
      assert.equal(resolved?.userId, issued.session.userId);
    });

    test('malformed emails are refused', async () => {
      for (const email of [
        '',
        'alice',
        'alice@',
        '@example.com',
        'a b@example.com',
        'alice@example',
        'a:b@x.io',
      ]) {
        await rejectsCode(services.accounts.signUp({ email, password: 'password1' }), 'INVALID_EMAIL');
      }
      await rejectsCode(
        services.accounts.signUp({ email: `${'a'.repeat(250)}@x.io`, password: 'password1' }),
        'INVALID_EMAIL',
      );
    });

    // Threat: input that crashes a route. PostgreSQL text cannot hold NUL, so such an email used to reach the
    // database and fail there (a 500, on PostgreSQL only); a lone surrogate is stored as U+FFFD, so two
    // different inputs would name one account.
    test('emails with control characters or lone surrogates are refused at sign-up and fail like unknown ones at login', async () => {
      for (const email of [
        'a\u0000b@example.com',
        'a\u0007b@example.com',
        'ab@exa\u007fmple.com',
        'a\ud800b@example.com',
      ]) {
        await rejectsCode(services.accounts.signUp({ email, password: 'password1' }), 'INVALID_EMAIL');
        await rejectsCode(services.auth.login({ email, password: 'password1' }), 'INVALID_CREDENTIALS');
      }
    });

    test('passwords need 8 to 128 characters, counted as code points', async () => {
      await rejectsCode(
        services.accounts.signUp({ email: uniqueEmail(), password: '1234567' }),
        'WEAK_PASSWORD',
      );
      await rejectsCode(
        services.accounts.signUp({ email: uniqueEmail(), password: 'x'.repeat(129) }),
        'WEAK_PASSWORD',
      );
      // Seven emoji are 14 UTF-16 units but 7 characters: too short. Eight are enough.
      await rejectsCode(
        services.accounts.signUp({ email: uniqueEmail(), password: '🔑'.repeat(7) }),
        'WEAK_PASSWORD',
      );
      await services.accounts.signUp({ email: uniqueEmail(), password: '🔑'.repeat(8) });
      // 128 emoji are 256 UTF-16 units but 128 characters: allowed.
      await services.accounts.signUp({ email: uniqueEmail(), password: '🔑'.repeat(128) });
      await services.accounts.signUp({ email: uniqueEmail(), password: '12345678' });
      await services.accounts.signUp({ email: uniqueEmail(), password: 'y'.repeat(128) });
    });

    test('an email is taken whatever its case, even by two sign-ups racing', async () => {
      const email = uniqueEmail();
      await services.accounts.signUp({ email, password: 'password1' });
      await rejectsCode(
        services.accounts.signUp({ email: email.toUpperCase(), password: 'password2' }),
        'EMAIL_TAKEN',
      );
      const racing = uniqueEmail();
      const results = await Promise.allSettled(
        Array.from({ length: 4 }, () => services.accounts.signUp({ email: racing, password: 'password1' })),
      );
      assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
      for (const r of results) {
        if (r.status === 'rejected') assert.equal((r.reason as ServiceError).code, 'EMAIL_TAKEN');
      }
    });

    test('getUser of an unknown id is null', async () => {
      assert.equal(await services.accounts.getUser('no-such-user'), null);
    });

    test('changing the password: checks the current one, revokes every session, issues a new one', async () => {
      const email = uniqueEmail();
      const first = await services.accounts.signUp({ email, password: 'old password' });
      const other = await services.auth.login({ email, password: 'old password' });
      const userId = first.session.userId;

      await rejectsCode(
        services.accounts.changePassword({
          userId,
          currentToken: first.token,
          currentPassword: 'not it at all',
          newPassword: 'new password',
        }),
        'WRONG_PASSWORD',
      );
      await rejectsCode(
        services.accounts.changePassword({
          userId,
          currentToken: first.token,
          currentPassword: 'old password',
          newPassword: 'short',
        }),
        'WEAK_PASSWORD',
      );
      await rejectsCode(
        services.accounts.changePassword({
          userId,
          currentToken: other.issued.token.replace(/^./, (c) => (c === 'A' ? 'B' : 'A')),
          currentPassword: 'old password',
          newPassword: 'new password',
        }),
        'SESSION_EXPIRED',
      );

      const issued = await services.accounts.changePassword({
        userId,
        currentToken: first.token,
        currentPassword: 'old password',
        newPassword: 'new password',
      });
      assert.notEqual(issued.token, first.token);
      assert.equal(await services.auth.resolveSession(first.token), null, 'the old session is gone');
      assert.equal(await services.auth.resolveSession(other.issued.token), null, 'other sessions are gone');
      assert.equal((await services.auth.resolveSession(issued.token))?.userId, userId);

      await rejectsCode(services.auth.login({ email, password: 'old password' }), 'INVALID_CREDENTIALS');
      assert.equal((await services.auth.login({ email, password: 'new password' })).kind, 'full');
    });

    test("a session cannot change another user's password", async () => {
      const alice = await services.accounts.signUp({ email: uniqueEmail(), password: 'alice password' });
      const bob = await services.accounts.signUp({ email: uniqueEmail(), password: 'bob password' });
      await rejectsCode(
        services.accounts.changePassword({
          userId: bob.session.userId,
          currentToken: alice.token,
          currentPassword: 'bob password',
          newPassword: 'new password',
        }),
        'SESSION_EXPIRED',
      );
    });

    test('passwords are compared after Unicode normalisation (NFKC)', async () => {
      const email = uniqueEmail();
      // "é" as one code point at sign-up, as "e" + combining accent at login.
      await services.accounts.signUp({ email, password: 'caf\u00e9 au lait' });
      assert.equal((await services.auth.login({ email, password: 'cafe\u0301 au lait' })).kind, 'full');
    });
  });
}
