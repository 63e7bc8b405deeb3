/**
 * Threats: a trusted-device sign-in that half happens, or that slips past a revocation. The device's token
 * rotation and the session it buys must commit together: a failure after the rotation (a statement timeout,
 * a lost connection) must not leave the browser holding a rotated-out token, which its next use would take
 * for a stolen copy (device revoked, a false theft alarm to the owner). And "Sign out everywhere" (like a
 * password change or reset and a 2FA reset) racing a sign-in must not leave behind a session or a device it
 * was meant to end: on PostgreSQL each statement of the revocation sees only what committed before it
 * started, so the test holds a sign-in's transaction open until the revocation is blocked behind it.
 * The failure test runs on every dialect; the races on PostgreSQL (SQLite runs one write transaction at a
 * time, so they cannot interleave there).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Kysely, sql } from 'kysely';
import { DEVICE_COOKIE, SESSION_COOKIE } from '../../src/middleware/session/index.ts';
import { DEVICE_ROTATION_GRACE_MS } from '../../src/services/limits.ts';
import { openDatabase } from '../../src/store/open.ts';
import type { Database } from '../../src/store/schema.ts';
import { makeTestApp, type TestApp } from '../support/app.ts';
import { DIALECTS } from '../support/dialects.ts';
import {
  browserFor,
  codeNow,
  enableTOTP,
  logIn,
  logOut,
  signInRemembered,
  signUp,
  uniqueEmail,
  verifyEmail,
} from '../support/flows.ts';

for (const dialect of DIALECTS) {
  describe(`trusted-device sign-ins are all or nothing on ${dialect.name}`, () => {
    let t: TestApp;
    let db: Kysely<Database>;
    /** Called with the SQL of every statement the app runs, after it ran (and awaited): see makeTestApp. */
    let hook: ((sqlText: string) => Promise<void> | void) | undefined;
    before(async () => {
      t = await makeTestApp({
        dialect,
        onQuery: (sqlText) => hook?.(sqlText) as undefined,
      });
      db = openDatabase(t.config).db;
    });
    after(async () => {
      await db.destroy();
      await t.close();
    });

    /** Runs `action` once, right after the first statement matching `pattern` (inside its transaction). */
    function once(pattern: RegExp, action: () => Promise<void> | void): void {
      hook = async (sqlText) => {
        if (!pattern.test(sqlText)) return;
        hook = undefined;
        await action();
      };
    }

    async function account(): Promise<{ email: string; secret: Uint8Array; id: string }> {
      const b = browserFor(t);
      const email = uniqueEmail('race');
      await signUp(b, email);
      await verifyEmail(t, b, email);
      const secret = await enableTOTP(b, t.clock);
      await logOut(b);
      t.clock.advance(30_000);
      const { id } = await db
        .selectFrom('users')
        .select('id')
        .where('email', '=', email)
        .executeTakeFirstOrThrow();
      return { email, secret, id };
    }

    const remembered = (email: string, secret: Uint8Array) => signInRemembered(t, email, secret);

    const sessionsOf = async (userId: string) =>
      (await db.selectFrom('sessions').select('id').where('user_id', '=', userId).execute()).length;
    const devicesOf = async (userId: string) =>
      (await db.selectFrom('trusted_devices').select('id').where('user_id', '=', userId).execute()).length;

    test('a failure after the rotation rolls it back: the device is not taken for a copy later', async () => {
      const { email, secret, id } = await account();
      const owner = await remembered(email, secret);
      const token = owner.cookie(DEVICE_COOKIE);
      // The session insert fails (think statement timeout) after the device's token was rotated.
      once(/insert into "sessions"/i, () => {
        throw new Error('the database went away');
      });
      const failed = await logIn(owner, email);
      assert.equal(hook, undefined, 'the failure was injected');
      assert.notEqual(failed.status, 303, 'no sign-in');
      assert.equal(owner.cookie(DEVICE_COOKIE), token, 'the browser still holds the token it had');
      // The owner tries again later, with the only token they have.
      t.clock.advance(DEVICE_ROTATION_GRACE_MS + 1000);
      assert.equal((await logIn(owner, email)).location, '/', 'still trusted');
      assert.equal(await devicesOf(id), 1, 'not revoked');
      const revoked = await db
        .selectFrom('audit_events')
        .select('type')
        .where('user_id', '=', id)
        .where('type', '=', 'device.revoked')
        .execute();
      assert.equal(revoked.length, 0, 'no theft recorded');
    });

    if (dialect.name !== 'postgres') return;

    /** Waits until some statement of this database waits for a lock, or `done` settled. */
    async function blockedOr(done: Promise<unknown>): Promise<void> {
      let settled = false;
      void done.then(
        () => {
          settled = true;
        },
        () => {
          settled = true;
        },
      );
      for (let i = 0; i < 4000 && !settled; i++) {
        const { rows } = await sql<{ n: number }>`
          select count(*)::int as n from pg_stat_activity
          where wait_event_type = 'Lock' and datname = current_database()`.execute(db);
        if ((rows[0]?.n ?? 0) > 0) return;
        await sleep(5);
      }
    }

    test('sign out everywhere racing a device sign-in leaves no session and no device', async () => {
      const { email, secret, id } = await account();
      const owner = await remembered(email, secret);
      let everywhere: Promise<void> | undefined;
      // Inside the device sign-in's transaction, right after its session row: sign out everywhere starts
      // and gets as far as it can before the sign-in commits.
      once(/insert into "sessions"/i, async () => {
        everywhere = t.services.devices.signOutEverywhere(id);
        await blockedOr(everywhere);
      });
      const login = await logIn(owner, email);
      assert.ok(everywhere, 'the race was run');
      await everywhere;
      assert.equal(login.location, '/', 'the sign-in went through before the sign-out');
      assert.equal(await sessionsOf(id), 0, 'its session ended with the others');
      assert.equal(await devicesOf(id), 0);
      assert.equal((await owner.get('/security')).location, '/login');
    });

    test('sign out everywhere racing a second step that remembers the device leaves neither', async () => {
      const { email, secret, id } = await account();
      const b = browserFor(t);
      assert.equal((await logIn(b, email)).location, '/login/code');
      await b.get('/login/code');
      let everywhere: Promise<void> | undefined;
      once(/insert into "trusted_devices"/i, async () => {
        everywhere = t.services.devices.signOutEverywhere(id);
        await blockedOr(everywhere);
      });
      const done = await b.post('/login/code', { code: codeNow(secret, t.clock), rememberDevice: 'yes' });
      assert.ok(everywhere, 'the race was run');
      await everywhere;
      assert.equal(done.location, '/');
      assert.ok(b.cookie(SESSION_COOKIE));
      assert.equal(await sessionsOf(id), 0, 'its session ended with the others');
      assert.equal(await devicesOf(id), 0, 'its device was revoked');
    });
  });
}
