/**
 * Threats: a stolen or fixed session id (fixation), a session left open on a shared computer, and a copy of
 * the sessions table. Sessions get a new token at every change of privilege, end after an idle period and
 * an absolute lifetime, and are stored only as SHA-256 of the token.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { Kysely } from 'kysely';
import type { Config } from '../src/config.ts';
import { hashToken } from '../src/crypto/tokens.ts';
import { PURGE_BATCH_ROWS } from '../src/services/limits.ts';
import type { Services } from '../src/services/types.ts';
import { openDatabase } from '../src/store/open.ts';
import type { Database } from '../src/store/schema.ts';
import { DIALECTS, openTestServices, type TestClock, uniqueEmail } from './support/dialects.ts';

const MINUTE = 60 * 1000;

for (const dialect of DIALECTS) {
  describe(`sessions on ${dialect.name}`, () => {
    let config: Config;
    let services: Services;
    let clock: TestClock;
    let db: Kysely<Database>;

    before(async () => {
      config = await dialect.makeConfig({
        TWOFA_SESSION_IDLE_MINUTES: '30',
        TWOFA_SESSION_ABSOLUTE_HOURS: '12',
      });
      ({ services, clock } = await openTestServices(config));
      ({ db } = openDatabase(config));
    });
    after(async () => {
      await services.close();
      await db.destroy();
    });

    const lastSeen = async (token: string) =>
      (
        await db
          .selectFrom('sessions')
          .select('last_seen_at_ms')
          .where('token_hash', '=', hashToken(token))
          .executeTakeFirst()
      )?.last_seen_at_ms;

    test('only the SHA-256 of the token is stored', async () => {
      const { token, session } = await services.accounts.signUp({
        email: uniqueEmail(),
        password: 'password1',
      });
      const rows = await db
        .selectFrom('sessions')
        .selectAll()
        .where('user_id', '=', session.userId)
        .execute();
      assert.equal(rows.length, 1);
      assert.equal(rows[0]?.token_hash, hashToken(token));
      assert.ok(!JSON.stringify(rows).includes(token));
    });

    test('the idle timeout ends a session nobody uses', async () => {
      const { token } = await services.accounts.signUp({ email: uniqueEmail(), password: 'password1' });
      clock.advance(29 * MINUTE);
      assert.ok(await services.auth.resolveSession(token), 'alive before the idle timeout');
      clock.advance(30 * MINUTE);
      assert.equal(await services.auth.resolveSession(token), null);
      clock.advance(1);
      assert.equal(await services.auth.resolveSession(token), null, 'and stays gone');
    });

    test('activity keeps a session alive; the idle clock is written at most once a minute', async () => {
      const { token, session } = await services.accounts.signUp({
        email: uniqueEmail(),
        password: 'password1',
      });
      const start = clock.nowMs();
      clock.advance(30 * 1000);
      const view = await services.auth.resolveSession(token);
      assert.equal(await lastSeen(token), start, 'no write within the first minute');
      assert.equal(view?.expiresAtMs, start + 30 * MINUTE);
      clock.advance(31 * 1000);
      const touched = await services.auth.resolveSession(token);
      assert.equal(await lastSeen(token), clock.nowMs(), 'written after a minute');
      assert.equal(touched?.expiresAtMs, clock.nowMs() + 30 * MINUTE);
      // Twenty minutes between requests, for three hours: never idle for 30 minutes, so never signed out.
      for (let i = 0; i < 9; i++) {
        clock.advance(20 * MINUTE);
        assert.equal((await services.auth.resolveSession(token))?.userId, session.userId, `request ${i}`);
      }
    });

    test('the absolute lifetime ends a session however active', async () => {
      const { token } = await services.accounts.signUp({ email: uniqueEmail(), password: 'password1' });
      const start = clock.nowMs();
      while (clock.nowMs() < start + 12 * 60 * MINUTE - 20 * MINUTE) {
        clock.advance(20 * MINUTE);
        assert.ok(await services.auth.resolveSession(token));
      }
      clock.set(start + 12 * 60 * MINUTE);
      assert.equal(await services.auth.resolveSession(token), null);
    });

    test('login revokes the session the browser arrived with (fixation)', async () => {
      const email = uniqueEmail();
      const planted = await services.accounts.signUp({ email: uniqueEmail(), password: 'attacker pw' });
      await services.accounts.signUp({ email, password: 'victim password' });
      const result = await services.auth.login({
        email,
        password: 'victim password',
        previousToken: planted.token,
      });
      assert.notEqual(result.issued.token, planted.token);
      assert.equal(await services.auth.resolveSession(planted.token), null);
      // Also when the password is wrong.
      const again = await services.accounts.signUp({ email: uniqueEmail(), password: 'attacker pw' });
      await assert.rejects(
        services.auth.login({ email, password: 'wrong password', previousToken: again.token }),
      );
      assert.equal(await services.auth.resolveSession(again.token), null);
    });

    test('logout deletes the session; unknown and malformed tokens are ignored', async () => {
      const { token } = await services.accounts.signUp({ email: uniqueEmail(), password: 'password1' });
      await services.auth.logout(token);
      assert.equal(await services.auth.resolveSession(token), null);
      await services.auth.logout(token);
      await services.auth.logout('garbage');
      assert.equal(await services.auth.resolveSession(''), null);
      assert.equal(await services.auth.resolveSession('x'.repeat(500)), null);
    });

    test('expired sessions are purged by the periodic job, not by a sign-in', async () => {
      const { session } = await services.accounts.signUp({ email: uniqueEmail(), password: 'password1' });
      clock.advance(31 * MINUTE);
      const fresh = await services.accounts.signUp({ email: uniqueEmail(), password: 'password1' });
      await services.auth.login({ email: uniqueEmail('nobody'), password: 'whatever1' }).catch(() => {});
      const rowsOf = (id: string) => db.selectFrom('sessions').select('id').where('id', '=', id).execute();
      assert.equal((await rowsOf(session.id)).length, 1, 'a sign-in no longer scans for dead rows');
      const purged = await services.purgeExpired();
      assert.ok(purged.sessions >= 1, `purged ${purged.sessions}`);
      assert.equal((await rowsOf(session.id)).length, 0, 'the idle session is gone');
      assert.equal((await rowsOf(fresh.session.id)).length, 1, 'the live one stays');
    });

    test('the purge empties a backlog larger than one batch', async () => {
      const { session } = await services.accounts.signUp({ email: uniqueEmail(), password: 'password1' });
      const nowMs = clock.nowMs();
      const dead = Array.from({ length: PURGE_BATCH_ROWS * 2 + 7 }, () => ({
        id: randomUUID(),
        token_hash: randomUUID(),
        user_id: session.userId,
        state: 'pending' as const,
        attempts: 0,
        created_at_ms: nowMs - 10 * MINUTE,
        last_seen_at_ms: nowMs - 10 * MINUTE,
        expires_at_ms: nowMs - 5 * MINUTE,
        factors: 'totp',
      }));
      for (let i = 0; i < dead.length; i += 100) {
        await db
          .insertInto('sessions')
          .values(dead.slice(i, i + 100))
          .execute();
      }
      const purged = await services.purgeExpired();
      assert.ok(purged.sessions >= dead.length, `purged ${purged.sessions}`);
      const left = await db
        .selectFrom('sessions')
        .select('id')
        .where('user_id', '=', session.userId)
        .execute();
      assert.deepEqual(
        left.map((row) => row.id),
        [session.id],
      );
    });
  });
}
