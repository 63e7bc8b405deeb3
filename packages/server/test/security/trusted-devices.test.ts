/**
 * Threats: a remembered browser ("Remember this device for 30 days") turned into a way in. Its cookie must
 * never stand in for the password; a copy of it (malware, a backup, a shared machine) must be caught when
 * the token it held has been rotated out, the device revoked and the owner told, without taking the owner's
 * own double submit for a theft; the token must never reach the database, the logs or a URL; the owner must
 * be able to revoke devices and sign out everywhere, and the changes that end every session must forget
 * every device. And the other side: the per-email password limit, which anyone can fill, must not lock the
 * owner out of their own trusted device (OWASP "Slow brute force protection with device cookies"), while
 * every other client keeps it. Every dialect.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Kysely } from 'kysely';
import { DEVICE_COOKIE, SESSION_COOKIE } from '../../src/middleware/session/index.ts';
import {
  DEVICE_ROTATION_GRACE_MS,
  DEVICE_TRUST_MS,
  MAX_CODE_FAILURES,
  MAX_DEVICE_PASSWORD_FAILURES,
  MAX_PASSWORD_FAILURES,
} from '../../src/services/limits.ts';
import { type OperatorServices, openOperator } from '../../src/services/operator.ts';
import { deviceNameOf } from '../../src/services/user-agent.ts';
import { openDatabase } from '../../src/store/open.ts';
import type { Database } from '../../src/store/schema.ts';
import { makeTestApp, type TestApp } from '../support/app.ts';
import type { Browser } from '../support/client.ts';
import { DIALECTS, serveEnv } from '../support/dialects.ts';
import { dumpTables } from '../support/dump.ts';
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

const CHROME_LINUX =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';

for (const dialect of DIALECTS) {
  describe(`trusted devices on ${dialect.name}`, () => {
    let t: TestApp;
    let db: Kysely<Database>;
    /** Every device token a test saw, for the log and dump checks at the end. */
    const seenTokens: string[] = [];
    before(async () => {
      t = await makeTestApp({ dialect });
      db = openDatabase(t.config).db;
    });
    after(async () => {
      await db.destroy();
      await t.close();
    });

    const deviceOf = (b: Browser) => {
      const token = b.cookie(DEVICE_COOKIE);
      if (token !== undefined && !seenTokens.includes(token)) seenTokens.push(token);
      return token;
    };

    /** An account with 2FA on, its email confirmed (so notices reach it), signed out. */
    async function account(): Promise<{ email: string; secret: Uint8Array }> {
      const b = browserFor(t);
      const email = uniqueEmail('device');
      await signUp(b, email);
      await verifyEmail(t, b, email);
      const secret = await enableTOTP(b, t.clock);
      await logOut(b);
      t.clock.advance(30_000);
      return { email, secret };
    }

    /** Signs in with the password and a code, ticking "Remember this device"; returns the browser. */
    async function remembered(email: string, secret: Uint8Array): Promise<Browser> {
      const b = browserFor(t);
      b.headers['User-Agent'] = CHROME_LINUX;
      assert.equal((await logIn(b, email)).location, '/login/code');
      const form = await b.get('/login/code');
      assert.match(
        form.body,
        /name="rememberDevice" type="checkbox" value="yes" autocomplete="off">/,
        'offered, not ticked',
      );
      const done = await b.post('/login/code', { code: codeNow(secret, t.clock), rememberDevice: 'yes' });
      assert.equal(done.location, '/');
      assert.ok(deviceOf(b), 'the device cookie is set');
      t.clock.advance(30_000);
      return b;
    }

    async function eventsOf(email: string, type: string) {
      const user = await db
        .selectFrom('users')
        .select('id')
        .where('email', '=', email)
        .executeTakeFirstOrThrow();
      return db
        .selectFrom('audit_events')
        .select(['type', 'details'])
        .where('user_id', '=', user.id)
        .where('type', '=', type)
        .orderBy('seq')
        .execute();
    }

    async function liveDevices(email: string): Promise<number> {
      const user = await db
        .selectFrom('users')
        .select('id')
        .where('email', '=', email)
        .executeTakeFirstOrThrow();
      const rows = await db
        .selectFrom('trusted_devices')
        .select('id')
        .where('user_id', '=', user.id)
        .where('expires_at_ms', '>', t.clock.now())
        .execute();
      return rows.length;
    }

    test('the box is off by default: a code alone remembers nothing', async () => {
      const { email, secret } = await account();
      const b = browserFor(t);
      await logIn(b, email);
      await b.get('/login/code');
      const done = await b.post('/login/code', { code: codeNow(secret, t.clock) });
      assert.equal(done.location, '/');
      assert.equal(b.cookie(DEVICE_COOKIE), undefined);
      assert.equal(await liveDevices(email), 0);
    });

    test('a remembered device skips the code after the right password; the token rotates on every use', async () => {
      const { email, secret } = await account();
      const b = await remembered(email, secret);
      const setCookie = (await logOut(b)).setCookies;
      assert.ok(
        !setCookie.some((line) => line.startsWith(`${DEVICE_COOKIE}=`)),
        'signing out keeps the device',
      );
      const first = deviceOf(b)!;
      const login = await logIn(b, email);
      assert.equal(login.location, '/', 'no code step');
      const cookie = login.setCookies.find((line) => line.startsWith(`${DEVICE_COOKIE}=`));
      assert.ok(cookie, 'a new device cookie');
      assert.match(cookie, /HttpOnly/i);
      assert.match(cookie, /SameSite=Lax/i);
      assert.match(cookie, /Path=\//);
      assert.match(cookie, /Max-Age=(\d+)/);
      const maxAge = Number(/Max-Age=(\d+)/.exec(cookie)![1]);
      assert.ok(maxAge > 0 && maxAge <= DEVICE_TRUST_MS / 1000, `Max-Age ${maxAge}: the trust left`);
      const second = deviceOf(b)!;
      assert.notEqual(second, first, 'rotated');
      const security = await b.get('/security');
      assert.equal(security.status, 200, 'a full session');
      assert.match(security.body, /Signed in with a trusted device/);
      const succeeded = await eventsOf(email, 'sign_in.succeeded');
      assert.equal(JSON.parse(succeeded.at(-1)!.details).factor, 'device');
      // Used again: rotated again.
      await logOut(b);
      t.clock.advance(DEVICE_ROTATION_GRACE_MS);
      assert.equal((await logIn(b, email)).location, '/');
      assert.notEqual(deviceOf(b), second);
    });

    test('the device cookie alone, or with a wrong password, gives nothing', async () => {
      const { email, secret } = await account();
      const owner = await remembered(email, secret);
      await logOut(owner);
      const token = deviceOf(owner)!;
      const thief = browserFor(t);
      thief.jar.set(DEVICE_COOKIE, token);
      assert.equal((await thief.get('/security')).location, '/login', 'no session from the cookie');
      await thief.get('/login');
      const wrong = await thief.post('/login', { email, password: 'not the password' });
      assert.equal(wrong.status, 401);
      assert.equal(thief.cookie(SESSION_COOKIE), undefined);
      const empty = await thief.post('/login', { email, password: '' });
      assert.notEqual(empty.status, 303);
      assert.equal(thief.cookie(SESSION_COOKIE), undefined);
      // The device counts only for its own account: another account's password still meets the code step.
      const other = await account();
      const elsewhere = await thief.post('/login', { email: other.email, password: PASSWORD });
      assert.equal(elsewhere.location, '/login/code');
      // The owner's device still works (nothing above rotated it).
      assert.equal((await logIn(owner, email)).location, '/');
    });

    test('a trusted device gets in while the 6-digit codes are locked', async () => {
      const { email, secret } = await account();
      const owner = await remembered(email, secret);
      await logOut(owner);
      // Someone with the password spends the codes.
      const attacker = browserFor(t);
      const id = await userId(email);
      for (let i = 0; i < MAX_CODE_FAILURES && (await t.services.auth.secondFactorWaitMs(id)) === 0; i++) {
        if ((await logIn(attacker, email)).location === '/login/code') {
          await attacker.get('/login/code');
          await attacker.post('/login/code', { code: '000000' });
        }
      }
      assert.ok((await t.services.auth.secondFactorWaitMs(id)) > 0, 'the codes are locked');
      assert.equal((await logIn(attacker, email)).location, '/login/code');
      await attacker.get('/login/code');
      const refused = await attacker.post('/login/code', { code: codeNow(secret, t.clock) });
      assert.equal(refused.status, 429, 'even the right code is refused now');
      assert.equal((await logIn(owner, email)).location, '/', 'the device needs no code');
    });

    async function userId(email: string): Promise<string> {
      return (await db.selectFrom('users').select('id').where('email', '=', email).executeTakeFirstOrThrow())
        .id;
    }

    test('a rotated-out token after the grace revokes the device and the owner is told', async () => {
      const { email, secret } = await account();
      const owner = await remembered(email, secret);
      await logOut(owner);
      const copy = deviceOf(owner)!; // copied off the device by someone
      assert.equal((await logIn(owner, email)).location, '/', 'the owner signs in: the token rotates');
      await logOut(owner);
      t.clock.advance(DEVICE_ROTATION_GRACE_MS);
      const thief = browserFor(t);
      thief.jar.set(DEVICE_COOKIE, copy);
      const attempt = await logIn(thief, email);
      assert.equal(attempt.location, '/login/code', 'the copy skips nothing');
      assert.equal(thief.cookie(DEVICE_COOKIE), undefined, 'and is cleared');
      assert.equal(await liveDevices(email), 0, 'the device is revoked');
      const revoked = await eventsOf(email, 'device.revoked');
      assert.equal(JSON.parse(revoked.at(-1)!.details).reason, 'token_reused');
      await t.services.messages.flush();
      const mail = await lastMail(t.config, email, /a trusted device was revoked/);
      assert.match(mail.text, /Chrome on Linux/);
      // The owner's current token no longer skips the code either.
      assert.equal((await logIn(owner, email)).location, '/login/code');
      assert.equal(owner.cookie(DEVICE_COOKIE), undefined);
    });

    test('the previous token within the grace (a double submit) asks for the code and revokes nothing', async () => {
      const { email, secret } = await account();
      const owner = await remembered(email, secret);
      await logOut(owner);
      const before = deviceOf(owner)!;
      assert.equal((await logIn(owner, email)).location, '/');
      const after = deviceOf(owner)!;
      const secondTab = browserFor(t);
      secondTab.jar.set(DEVICE_COOKIE, before);
      assert.equal((await logIn(secondTab, email)).location, '/login/code');
      assert.equal(secondTab.cookie(DEVICE_COOKIE), before, 'left alone');
      assert.equal(await liveDevices(email), 1);
      assert.equal((await eventsOf(email, 'device.revoked')).length, 0);
      await logOut(owner);
      assert.equal((await logIn(owner, email)).location, '/', 'the current token still works');
      assert.notEqual(deviceOf(owner), after);
    });

    test('two sign-ins racing with one token: one rotates it, the other asks for the code', async () => {
      const { email, secret } = await account();
      const owner = await remembered(email, secret);
      await logOut(owner);
      const token = deviceOf(owner)!;
      const tabs = [browserFor(t), browserFor(t), browserFor(t), browserFor(t)];
      for (const tab of tabs) {
        tab.jar.set(DEVICE_COOKIE, token);
        await tab.get('/login');
      }
      const pages = await Promise.all(tabs.map((tab) => tab.post('/login', { email, password: PASSWORD })));
      const through = pages.filter((page) => page.location === '/').length;
      assert.equal(through, 1, `one skipped the code (${pages.map((p) => p.location).join(', ')})`);
      assert.ok(pages.every((page) => page.location === '/' || page.location === '/login/code'));
      assert.equal(await liveDevices(email), 1, 'not taken for a theft');
    });

    test('the security page lists the device; Revoke forgets it', async () => {
      const { email, secret } = await account();
      const owner = await remembered(email, secret);
      const page = await owner.get('/security');
      assert.match(page.body, /Trusted devices/);
      assert.match(page.body, /Chrome on Linux/);
      const id = /name="device" value="([^"]+)"/.exec(page.body)?.[1];
      assert.ok(id);
      // Another account cannot revoke it.
      const other = await account();
      const stranger = await remembered(other.email, other.secret);
      await stranger.get('/security');
      const refused = await stranger.post('/security/devices/revoke', { device: id });
      assert.equal(refused.status, 404);
      assert.equal(await liveDevices(email), 1);
      // Without the form token: refused.
      const forged = await owner.post('/security/devices/revoke', { device: id }, { csrf: null });
      assert.equal(forged.status, 403);
      assert.equal(await liveDevices(email), 1);
      const done = await owner.post('/security/devices/revoke', { device: id });
      assert.equal(done.location, '/security?done=device-revoked');
      assert.equal(await liveDevices(email), 0);
      assert.equal(JSON.parse((await eventsOf(email, 'device.revoked')).at(-1)!.details).reason, 'owner');
      const history = (await owner.get('/security')).body;
      assert.match(history, /Trusted device Chrome on Linux revoked: by you/);
      assert.match(history, /Device remembered for 30 days: Chrome on Linux/);
      assert.doesNotMatch(history, /table class="events devices"/, 'no device listed any more');
      await logOut(owner);
      assert.equal((await logIn(owner, email)).location, '/login/code');
    });

    test('sign out everywhere ends every session (this one too) and revokes every device', async () => {
      const { email, secret } = await account();
      const one = await remembered(email, secret);
      const two = await remembered(email, secret);
      await one.get('/security');
      const done = await one.post('/security/sign-out-everywhere');
      assert.equal(done.location, '/login?signed-out=everywhere');
      assert.equal(one.cookie(SESSION_COOKIE), undefined);
      assert.equal(one.cookie(DEVICE_COOKIE), undefined);
      assert.equal((await one.get('/security')).location, '/login');
      assert.equal((await two.get('/security')).location, '/login', 'the other session ended');
      assert.equal(await liveDevices(email), 0);
      assert.equal((await logIn(two, email)).location, '/login/code', 'its device is forgotten');
      assert.equal((await eventsOf(email, 'account.signed_out_everywhere')).length, 1);
    });

    test('a password change revokes every device', async () => {
      const { email, secret } = await account();
      const b = await remembered(email, secret);
      await b.get('/security');
      const changed = await b.post('/security/password', {
        currentPassword: PASSWORD,
        newPassword: 'a brand new password',
      });
      assert.equal(changed.location, '/security?done=password');
      assert.equal(await liveDevices(email), 0);
      const reason = JSON.parse((await eventsOf(email, 'device.revoked')).at(-1)!.details).reason;
      assert.equal(reason, 'password_changed');
      await logOut(b);
      assert.equal((await logIn(b, email, 'a brand new password')).location, '/login/code');
    });

    test('a password reset by link revokes every device', async () => {
      const { email, secret } = await account();
      await remembered(email, secret);
      const stranger = browserFor(t);
      await stranger.get('/password/forgot');
      await stranger.post('/password/forgot', { email });
      await t.services.messages.flush();
      const mail = await lastMail(t.config, email, /reset your password/);
      const token = /\/password\/reset\/([A-Za-z0-9_-]{43})/.exec(mail.text)![1]!;
      await stranger.get(`/password/reset/${token}`);
      t.clock.advance(30_000);
      const page = await stranger.post('/password/reset', {
        token,
        newPassword: 'a brand new password',
        code: codeNow(secret, t.clock),
      });
      assert.equal(page.status, 200, page.body.slice(0, 300));
      assert.equal(await liveDevices(email), 0);
      assert.equal(
        JSON.parse((await eventsOf(email, 'device.revoked')).at(-1)!.details).reason,
        'password_reset',
      );
    });

    test('an operator 2FA reset revokes every device', async () => {
      const { email, secret } = await account();
      await remembered(email, secret);
      const operator: OperatorServices = await openOperator({ env: serveEnv(t.config), nowMs: t.clock.now });
      try {
        await operator.resetSecondFactor(email);
      } finally {
        await operator.close();
      }
      assert.equal(await liveDevices(email), 0);
      const reason = JSON.parse((await eventsOf(email, 'device.revoked')).at(-1)!.details).reason;
      assert.equal(reason, 'second_factor_reset');
    });

    test('a completed account recovery revokes every device', async () => {
      const { email, secret } = await account();
      await remembered(email, secret);
      const b = browserFor(t);
      await logIn(b, email);
      await b.get('/login/account-recovery');
      assert.equal((await b.post('/login/account-recovery')).status, 200);
      await t.services.messages.flush();
      const confirm = linkIn(await lastMail(t.config, email, /confirm account recovery/), t.config.publicUrl);
      const stranger = browserFor(t);
      await stranger.get('/login');
      await stranger.get(confirm);
      const started = await stranger.post('/recovery/confirm', { token: confirm.split('/').at(-1)! });
      assert.match(started.body, /Account recovery started/);
      assert.equal(await liveDevices(email), 1, 'the wait revokes nothing');
      t.clock.advance(72 * 60 * 60 * 1000);
      assert.equal((await logIn(browserFor(t), email)).location, '/security?done=recovered');
      assert.equal(await liveDevices(email), 0);
      const reason = JSON.parse((await eventsOf(email, 'device.revoked')).at(-1)!.details).reason;
      assert.equal(reason, 'account_recovery');
    });

    test('the per-email password lock does not keep out a trusted device; everyone else keeps it', async () => {
      const { email, secret } = await account();
      const owner = await remembered(email, secret);
      await logOut(owner);
      const attacker = browserFor(t);
      for (let i = 0; i < MAX_PASSWORD_FAILURES; i++) {
        assert.equal((await logIn(attacker, email, 'wrong guess')).status, 401);
      }
      assert.equal((await logIn(attacker, email, 'wrong guess')).status, 429, 'the email is limited');
      const untrusted = browserFor(t);
      assert.equal((await logIn(untrusted, email)).status, 429, 'an untrusted client keeps the lock');
      // A made-up device cookie is no way round it.
      const forger = browserFor(t);
      forger.jar.set(DEVICE_COOKIE, 'A'.repeat(43));
      assert.equal((await logIn(forger, email)).status, 429);
      // The owner's device gets in, lock or not.
      assert.equal((await logIn(owner, email)).location, '/');
    });

    test('wrong passwords on a device count against it; at the limit it is not trusted until the right one', async () => {
      const { email, secret } = await account();
      const owner = await remembered(email, secret);
      await logOut(owner);
      for (let i = 0; i < MAX_DEVICE_PASSWORD_FAILURES; i++) {
        assert.equal((await logIn(owner, email, 'wrong guess')).status, 401);
      }
      // Spent: the device is an ordinary client now, under the email's limit, asked for the code (waiting
      // gives nothing back: trusted-device-guessing.test.ts).
      t.clock.advance(15 * 60 * 1000);
      assert.equal((await logIn(owner, email)).location, '/login/code');
      assert.equal(await liveDevices(email), 1, 'not revoked, only not trusted for now');
      await logOut(owner);
      assert.equal((await logIn(owner, email)).location, '/', 'trusted again after the right password');
    });

    test('a device stops working 30 days after it was remembered, and the purge deletes it', async () => {
      const { email, secret } = await account();
      const b = await remembered(email, secret);
      await logOut(b);
      t.clock.advance(DEVICE_TRUST_MS - 60_000);
      assert.equal((await logIn(b, email)).location, '/', 'a minute before the end');
      await logOut(b);
      t.clock.advance(60_000);
      assert.equal((await logIn(b, email)).location, '/login/code', 'use did not extend it');
      assert.equal(b.cookie(DEVICE_COOKIE), undefined, 'the dead cookie is cleared');
      const user = await userId(email);
      const rows = () => db.selectFrom('trusted_devices').select('id').where('user_id', '=', user).execute();
      assert.equal((await rows()).length, 1);
      assert.ok((await t.services.purgeExpired()).devices >= 1);
      assert.equal((await rows()).length, 0);
    });

    test('a rotated-out token of an expired device is just unknown: nothing revoked, nobody told', async () => {
      const { email, secret } = await account();
      const owner = await remembered(email, secret);
      await logOut(owner);
      const copy = deviceOf(owner)!;
      assert.equal((await logIn(owner, email)).location, '/', 'rotated');
      await logOut(owner);
      t.clock.advance(DEVICE_TRUST_MS);
      const thief = browserFor(t);
      thief.jar.set(DEVICE_COOKIE, copy);
      assert.equal((await logIn(thief, email)).location, '/login/code');
      assert.equal(thief.cookie(DEVICE_COOKIE), undefined, 'cleared');
      assert.equal(
        (await eventsOf(email, 'device.revoked')).length,
        0,
        'no theft recorded for a dead device',
      );
    });

    test('sign out everywhere ends pending sign-ins too', async () => {
      const { email, secret } = await account();
      const one = await remembered(email, secret);
      const waiting = browserFor(t);
      assert.equal((await logIn(waiting, email)).location, '/login/code');
      await waiting.get('/login/code');
      await one.get('/security');
      await one.post('/security/sign-out-everywhere');
      const late = await waiting.post('/login/code', { code: codeNow(secret, t.clock) });
      assert.notEqual(late.location, '/', 'the code no longer finishes a sign-in begun before');
      assert.equal((await waiting.get('/security')).location, '/login');
    });

    test('no device token in the logs or in the database', async () => {
      const { email, secret } = await account();
      const b = await remembered(email, secret);
      await logOut(b);
      await logIn(b, email);
      deviceOf(b);
      assert.ok(seenTokens.length >= 3);
      const dump = await dumpTables(db, dialect.name);
      assert.ok(dump.includes(email), 'the dump is real');
      assert.ok(dump.includes('trusted_devices'), 'the table is in it');
      const logs = t.logs.join('\n');
      for (const token of seenTokens) {
        assert.ok(!dump.includes(token), 'a device token in the database');
        assert.ok(!logs.includes(token), 'a device token in the logs');
      }
    });
  });
}

test('device names: browser and system from the user agent', () => {
  assert.equal(deviceNameOf(CHROME_LINUX), 'Chrome on Linux');
  assert.equal(
    deviceNameOf('Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0'),
    'Firefox on Windows',
  );
  assert.equal(
    deviceNameOf(
      'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1',
    ),
    'Safari on iOS',
  );
  assert.equal(
    deviceNameOf(
      'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0',
    ),
    'Edge on Windows',
  );
  assert.equal(
    deviceNameOf(
      'Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36',
    ),
    'Chrome on Android',
  );
  assert.equal(deviceNameOf(null), 'unknown device');
});
