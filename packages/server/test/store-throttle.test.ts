/**
 * The guess limits in the store, on every dialect: each attempt is reserved by one upsert whose WHERE
 * refuses it once the limit is reached, so racing reservations (a pool of connections on PostgreSQL) never
 * exceed the limit; locks start in the same statement as the reservation that reaches the limit, grow, and
 * are capped; windows end and are purged.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { Kysely } from 'kysely';
import { migrateToLatest } from '../src/store/migrate.ts';
import { openDatabase } from '../src/store/open.ts';
import type { Database } from '../src/store/schema.ts';
import {
  clearCodeFailures,
  clearLoginFailures,
  findCodeLockedUntil,
  findLoginWindowStart,
  purgeLoginThrottle,
  reserveCodeAttempt,
  reserveLoginAttempt,
} from '../src/store/throttle-repo.ts';
import { insertUser } from '../src/store/users-repo.ts';
import { DIALECTS } from './support/dialects.ts';

const T = 1_700_000_000_000;
const MINUTE = 60_000;
const limits = { maxFailures: 10, firstLockMs: 15 * MINUTE, maxLockMs: 60 * MINUTE };

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

    const reserveCode = (userId: string, nowMs: number) => reserveCodeAttempt(db, { userId, nowMs, limits });

    test('codes: 9 reservations count up, the 10th starts the lock, the 11th is refused', async () => {
      const userId = await newUserId();
      for (let n = 1; n <= 9; n++) {
        assert.deepEqual(await reserveCode(userId, T + n), { failures: n, lockedUntilMs: 0 }, `attempt ${n}`);
      }
      assert.deepEqual(await reserveCode(userId, T + 10), {
        failures: 0,
        lockedUntilMs: T + 10 + 15 * MINUTE,
      });
      assert.equal(await reserveCode(userId, T + 11), undefined);
      assert.equal(await findCodeLockedUntil(db, userId), T + 10 + 15 * MINUTE);
    });

    test('codes: each further lock doubles, up to the cap; clearing starts over', async () => {
      const userId = await newUserId();
      let now = T;
      const lockLengths: number[] = [];
      for (let lock = 0; lock < 4; lock++) {
        for (let n = 1; n <= 10; n++) {
          const reserved = await reserveCode(userId, now);
          assert.ok(reserved, `lock ${lock}, attempt ${n}`);
          if (n === 10) lockLengths.push(reserved.lockedUntilMs - now);
        }
        assert.equal(await reserveCode(userId, now + 1), undefined, 'locked');
        now += lockLengths.at(-1)!;
        assert.equal(await reserveCode(userId, now - 1), undefined, 'still locked 1 ms before the end');
      }
      assert.deepEqual(lockLengths, [15 * MINUTE, 30 * MINUTE, 60 * MINUTE, 60 * MINUTE]);
      await clearCodeFailures(db, userId);
      assert.equal(await findCodeLockedUntil(db, userId), 0);
      for (let n = 1; n <= 9; n++) await reserveCode(userId, now);
      assert.equal((await reserveCode(userId, now))?.lockedUntilMs, now + 15 * MINUTE, 'back to 15 minutes');
    });

    test('codes: 30 racing reservations get exactly 10, exactly one of which starts the lock', async () => {
      const userId = await newUserId();
      const results = await Promise.all(Array.from({ length: 30 }, () => reserveCode(userId, T)));
      const granted = results.filter((r) => r !== undefined);
      assert.equal(granted.length, 10);
      assert.equal(granted.filter((r) => r.lockedUntilMs > T).length, 1);
      assert.deepEqual(
        granted
          .filter((r) => r.lockedUntilMs === 0)
          .map((r) => r.failures)
          .sort((a, b) => a - b),
        [1, 2, 3, 4, 5, 6, 7, 8, 9],
      );
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
