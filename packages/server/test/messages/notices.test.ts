// Threat: a notice about a change that never happened (its transaction rolled back), or two instances
// sending the same notice twice. Notices are read from the audit log after commit, past a cursor moved by
// compare-and-set. Every dialect.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Kysely } from 'kysely';
import { createEventSink } from '../../src/services/events.ts';
import type { Messenger } from '../../src/services/messages/messenger.ts';
import { createNoticeDispatcher } from '../../src/services/messages/notices.ts';
import type { OutgoingMessage } from '../../src/services/messages/transports.ts';
import { migrateToLatest } from '../../src/store/migrate.ts';
import { openDatabase } from '../../src/store/open.ts';
import type { Database } from '../../src/store/schema.ts';
import { insertUser } from '../../src/store/users-repo.ts';
import { DIALECTS, makeClock } from '../support/dialects.ts';

for (const dialect of DIALECTS) {
  describe(`notices on ${dialect.name}`, () => {
    let db: Kysely<Database>;
    const clock = makeClock();
    const sent: OutgoingMessage[] = [];
    const messenger: Messenger = {
      send: async (m) => {
        sent.push(m);
      },
      sendLater: (m) => {
        sent.push(m);
      },
      prepareLater: (_purpose, work) => {
        void work();
      },
      idle: async () => {},
      close: async () => {},
    };
    const sink = createEventSink({ nowMs: clock.nowMs, log: () => {} });
    const dispatcher = () =>
      createNoticeDispatcher({
        db,
        nowMs: clock.nowMs,
        messenger,
        service: { name: 'twofa', url: 'http://twofa.test' },
        phoneOf: () => null,
      });

    before(async () => {
      const config = await dialect.makeConfig();
      const opened = openDatabase(config);
      db = opened.db;
      await migrateToLatest(db, opened.kind);
      await insertUser(db, {
        id: 'u1',
        email: 'owner@example.com',
        password_hash: 'x',
        created_at_ms: clock.nowMs(),
        updated_at_ms: clock.nowMs(),
        email_verified_at_ms: clock.nowMs(),
      });
    });
    after(() => db.destroy());

    test('only an event some notice is about schedules a read of the log (not the sign-in events)', async (t) => {
      const notices = dispatcher();
      const timers = t.mock.method(globalThis, 'setTimeout');
      notices.kick({ type: 'sign_in.failed' });
      notices.kick({ type: 'sign_in.succeeded' });
      assert.equal(timers.mock.callCount(), 0, 'no read scheduled for events without a notice');
      notices.kick({ type: 'password.changed' });
      assert.equal(timers.mock.callCount(), 1, 'a read scheduled for an event with a notice');
      await notices.stop();
    });

    test('a rolled-back change is never told; a committed one once, even with two dispatchers', async () => {
      await assert.rejects(
        db.transaction().execute(async (trx) => {
          await sink.record(trx, { type: 'password.changed', userId: 'u1' });
          throw new Error('the change failed after its event was recorded');
        }),
      );
      const first = dispatcher();
      const second = dispatcher();
      await first.flush();
      assert.equal(sent.length, 0, 'nothing about a change that did not happen');
      await db.transaction().execute((trx) => sink.record(trx, { type: 'password.changed', userId: 'u1' }));
      await Promise.all([first.flush(), second.flush()]);
      assert.equal(sent.length, 1, 'one notice, however many instances read the log');
      assert.equal(sent[0]?.to, 'owner@example.com');
      assert.match(sent[0]?.subject ?? '', /your password was changed/);
      await first.stop();
      await second.stop();
    });

    test('the notices about a factor name that factor, and claim nothing about the others', async () => {
      // A notice that says the wrong thing (an authenticator app the user never had, "your password alone now
      // signs you in" while codes by email are still on) teaches people to ignore notices.
      sent.length = 0;
      const first = dispatcher();
      await db.transaction().execute(async (trx) => {
        await sink.record(trx, { type: 'second_factor.enabled', userId: 'u1', factor: 'email' });
        await sink.record(trx, { type: 'second_factor.disabled', userId: 'u1', factor: 'totp' });
      });
      await first.flush();
      await first.stop();
      const [enabled, disabled] = sent;
      assert.match(enabled?.text ?? '', /Codes by email were turned on/);
      assert.doesNotMatch(enabled?.text ?? '', /authenticator/);
      assert.match(disabled?.subject ?? '', /codes from your authenticator app turned off/);
      assert.doesNotMatch(disabled?.text ?? '', /^Two-factor authentication was turned off/m);
    });

    test('the code-lock notice names every 6-digit code it locks, not only the app', async () => {
      // The shared limit also refuses codes by email and text message: a user without an app must recognise it.
      sent.length = 0;
      const first = dispatcher();
      await sink.record(db, { type: 'lock.started', userId: 'u1', limit: 'codes', minutes: 15 });
      await first.flush();
      await first.stop();
      assert.match(
        sent[0]?.text ?? '',
        /6-digit codes \(from an authenticator app, or sent by email or text message\)/,
      );
      // The long-horizon budget spent: its own words, with the wait in hours and the way still open.
      sent.length = 0;
      const second = dispatcher();
      await sink.record(db, { type: 'lock.started', userId: 'u1', limit: 'code_budget', minutes: 2160 });
      await second.flush();
      await second.stop();
      assert.match(sent[0]?.text ?? '', /refused for about 36 hours, until the limit refills/);
      assert.match(sent[0]?.text ?? '', /recovery codes still work/);
    });
  });
}
