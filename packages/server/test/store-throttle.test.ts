/**
 * The guess limits in the store, on every dialect: each attempt is reserved by one upsert whose WHERE
 * refuses it once the limit is reached (failures plus checks in flight; the long-horizon budget), so racing
 * reservations (a pool of connections on PostgreSQL) never exceed the limit; locks start in the same statement
 * as the wrong code that reaches the limit, grow, and are capped; a right or replayed code gives its check
 * back; a leaked check stops counting when its lease runs out; windows end and are purged.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { Kysely } from 'kysely';
import { migrateToLatest } from '../src/store/migrate.ts';
import { openDatabase } from '../src/store/open.ts';
import type { Database } from '../src/store/schema.ts';
import {
  acceptCodeAttempt,
  clearCodeFailures,
  clearLoginFailures,
  findCodeLockedUntil,
  findCodeThrottle,
  findLoginWindowStart,
  purgeLoginThrottle,
  rejectCodeAttempt,
  releaseCodeAttempt,
  reserveCodeAttempt,
  reserveLoginAttempt,
} from '../src/store/throttle-repo.ts';
import { insertUser } from '../src/store/users-repo.ts';
import { DIALECTS } from './support/dialects.ts';

const T = 1_700_000_000_000;
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const limits = {
  maxFailures: 10,
  firstLockMs: 15 * MINUTE,
  maxLockMs: 60 * MINUTE,
  budgetCapacity: 1000,
  budgetRefillMs: HOUR,
  leaseMs: MINUTE,
};

for (const dialect of DIALECTS) {
  describe(`throttle store on ${dialect.name}`, () => {
    let db: Kysely<Database>;

    before(async () => {
      const config = await dialect.makeConfig();
      const opened = openDatabase(config);
      db = opened.db;
      await migrateToLatest(db, opened.kind);
    });
    after(() => db.destroy());

    async function newUserId(): Promise<string> {
      const id = randomUUID();
      await insertUser(db, {
        id,
        email: `${id}@example.com`,
        password_hash: '$argon2id$x',
        created_at_ms: T,
        updated_at_ms: T,
      });
      return id;
    }

    const reserveCode = (userId: string, nowMs: number, l = limits) =>
      reserveCodeAttempt(db, { userId, nowMs, limits: l });
    const rejectCode = (userId: string, nowMs: number, l = limits) =>
      rejectCodeAttempt(db, { userId, nowMs, limits: l });
    /** A wrong code: reserved, then decided wrong. */
    async function wrongCode(userId: string, nowMs: number, l = limits) {
      assert.ok(await reserveCode(userId, nowMs, l), 'reserved');
      return rejectCode(userId, nowMs, l);
    }

    test('codes: 9 wrong codes count up, the 10th starts the lock, the 11th is refused', async () => {
      const userId = await newUserId();
      for (let n = 1; n <= 9; n++) {
        const state = await wrongCode(userId, T + n);
        assert.deepEqual([state?.failures, state?.lockedUntilMs, state?.inFlight], [n, 0, 0], `attempt ${n}`);
      }
      const state = await wrongCode(userId, T + 10);
      assert.deepEqual([state?.failures, state?.lockedUntilMs], [0, T + 10 + 15 * MINUTE]);
      assert.equal(await reserveCode(userId, T + 11), undefined);
      assert.equal(await findCodeLockedUntil(db, userId), T + 10 + 15 * MINUTE);
    });

    test('codes: each further lock doubles, up to the cap; accepting starts over', async () => {
      const userId = await newUserId();
      let now = T;
      const lockLengths: number[] = [];
      for (let lock = 0; lock < 4; lock++) {
        for (let n = 1; n <= 10; n++) {
          const state = await wrongCode(userId, now);
          assert.ok(state, `lock ${lock}, attempt ${n}`);
          if (n === 10) lockLengths.push(state.lockedUntilMs - now);
        }
        assert.equal(await reserveCode(userId, now + 1), undefined, 'locked');
        now += lockLengths.at(-1)!;
        assert.equal(await reserveCode(userId, now - 1), undefined, 'still locked 1 ms before the end');
      }
      assert.deepEqual(lockLengths, [15 * MINUTE, 30 * MINUTE, 60 * MINUTE, 60 * MINUTE]);
      assert.ok(await reserveCode(userId, now));
      await acceptCodeAttempt(db, { userId, limits });
      assert.equal(await findCodeLockedUntil(db, userId), 0);
      for (let n = 1; n <= 9; n++) await wrongCode(userId, now);
      assert.equal((await wrongCode(userId, now))?.lockedUntilMs, now + 15 * MINUTE, 'back to 15 minutes');
      await clearCodeFailures(db, userId);
      assert.equal(await findCodeThrottle(db, userId), undefined, 'an unlock clears everything');
    });

    test('codes: 30 racing reservations get exactly 10; decided wrong, exactly one starts the lock', async () => {
      const userId = await newUserId();
      const results = await Promise.all(Array.from({ length: 30 }, () => reserveCode(userId, T)));
      const granted = results.filter((r) => r !== undefined);
      assert.equal(granted.length, 10);
      assert.deepEqual(
        granted.map((r) => r.inFlight).sort((a, b) => a - b),
        [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
      );
      const decided = await Promise.all(granted.map(() => rejectCode(userId, T)));
      const started = decided.filter((r) => r !== undefined && r.lockedUntilMs > T);
      assert.equal(started.length, 1, 'one decision started the lock');
      assert.equal(started[0]?.failures, 0);
      assert.equal(await reserveCode(userId, T + 1), undefined);
    });

    test('codes: racing replays given back never lock; a right code leaves the budget spent', async () => {
      const userId = await newUserId();
      const l = { ...limits, budgetCapacity: 15 };
      for (let round = 0; round < 20; round++) {
        const granted = (
          await Promise.all(Array.from({ length: 12 }, () => reserveCode(userId, T, l)))
        ).filter((r) => r !== undefined);
        assert.equal(granted.length, 10, 'the in-flight slots');
        await Promise.all(granted.map(() => releaseCodeAttempt(db, { userId, limits: l })));
      }
      let state = await findCodeThrottle(db, userId);
      assert.deepEqual([state?.failures, state?.inFlight, state?.lockedUntilMs], [0, 0, 0]);
      assert.ok((state?.budgetFullAtMs ?? 0) <= T, 'every replay gave its budget check back');
      // 5 wrong, then a right one: the 5 stay spent (a right code does not refill the budget).
      for (let n = 0; n < 5; n++) await wrongCode(userId, T, l);
      assert.ok(await reserveCode(userId, T, l));
      await acceptCodeAttempt(db, { userId, limits: l });
      state = await findCodeThrottle(db, userId);
      assert.equal(state?.budgetFullAtMs, T + 5 * HOUR);
    });

    test('codes: the budget refuses the check past its capacity and gives one back per refill', async () => {
      const userId = await newUserId();
      const l = { ...limits, maxFailures: 1000, budgetCapacity: 15 };
      for (let n = 0; n < 15; n++) assert.ok(await wrongCode(userId, T, l), `wrong code ${n + 1}`);
      assert.equal(await reserveCode(userId, T, l), undefined, 'spent');
      assert.equal(await reserveCode(userId, T + HOUR - 1, l), undefined, 'still spent 1 ms before a refill');
      assert.ok(await wrongCode(userId, T + HOUR, l), 'one back after an hour');
      assert.equal(await reserveCode(userId, T + HOUR, l), undefined);
      // A long quiet: back to full, never beyond.
      const later = T + 1000 * HOUR;
      for (let n = 0; n < 15; n++) assert.ok(await wrongCode(userId, later, l), `after the quiet ${n + 1}`);
      assert.equal(await reserveCode(userId, later, l), undefined);
    });

    test('codes: 15 racing reservations against a budget of 5 get exactly 5', async () => {
      const userId = await newUserId();
      const l = { ...limits, budgetCapacity: 5 };
      const results = await Promise.all(Array.from({ length: 15 }, () => reserveCode(userId, T, l)));
      assert.equal(results.filter((r) => r !== undefined).length, 5);
    });

    test('codes: checks in flight whose lease ran out stop counting', async () => {
      const userId = await newUserId();
      for (let n = 0; n < 10; n++) assert.ok(await reserveCode(userId, T));
      assert.equal(await reserveCode(userId, T + MINUTE - 1), undefined, 'the leaked checks still count');
      assert.equal((await reserveCode(userId, T + MINUTE))?.inFlight, 1, 'their lease ran out');
    });

    test('codes: deleting the user deletes its throttle row (foreign key)', async () => {
      const userId = await newUserId();
      await reserveCode(userId, T);
      await db.deleteFrom('users').where('id', '=', userId).execute();
      const rows = await db
        .selectFrom('second_factor_throttle')
        .where('user_id', '=', userId)
        .selectAll()
        .execute();
      assert.deepEqual(rows, []);
    });

    const window = { maxFailures: 10, windowMs: 15 * MINUTE };
    const reserveLogin = (emailKey: string, nowMs: number) =>
      reserveLoginAttempt(db, { emailKey, nowMs, ...window });

    test('passwords: 10 in a window, the 11th refused until the window ends, then a new window', async () => {
      const key = randomUUID();
      for (let n = 1; n <= 10; n++) assert.equal(await reserveLogin(key, T + n * MINUTE), n);
      assert.equal(await reserveLogin(key, T + 11 * MINUTE), undefined);
      assert.equal(
        await findLoginWindowStart(db, key),
        T + MINUTE,
        'the window started at the first failure',
      );
      assert.equal(await reserveLogin(key, T + 16 * MINUTE - 1), undefined, '1 ms before the window ends');
      assert.equal(await reserveLogin(key, T + 16 * MINUTE), 1, 'a new window');
      assert.equal(await findLoginWindowStart(db, key), T + 16 * MINUTE);
    });

    test('passwords: clearing starts over; keys are independent', async () => {
      const key = randomUUID();
      const other = randomUUID();
      for (let n = 1; n <= 10; n++) await reserveLogin(key, T);
      assert.equal(await reserveLogin(other, T), 1);
      await clearLoginFailures(db, key);
      assert.equal(await findLoginWindowStart(db, key), undefined);
      assert.equal(await reserveLogin(key, T), 1);
    });

    test('passwords: 30 racing reservations get exactly 10', async () => {
      const key = randomUUID();
      const results = await Promise.all(Array.from({ length: 30 }, () => reserveLogin(key, T)));
      assert.deepEqual(
        results.filter((r) => r !== undefined).sort((a, b) => a - b),
        [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
      );
    });

    test('passwords: purge removes ended windows only', async () => {
      const ended = randomUUID();
      const live = randomUUID();
      await reserveLogin(ended, T);
      await reserveLogin(live, T + 10 * MINUTE);
      assert.ok((await purgeLoginThrottle(db, { windowStartedBeforeMs: T, limit: 100 })) >= 1);
      assert.equal(await findLoginWindowStart(db, ended), undefined);
      assert.equal(await findLoginWindowStart(db, live), T + 10 * MINUTE);
    });
  });
}
