/**
 * Queries compiled once (store/compiled-query.ts): the SQL and parameters are exactly what Kysely builds for
 * the same values, on each dialect and inside a transaction, and a builder that computes with its input
 * (which a cached query would silently get wrong) is refused on its first run.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Kysely } from 'kysely';
import { compiledOnce } from '../src/store/compiled-query.ts';
import { migrateToLatest } from '../src/store/migrate.ts';
import { openDatabase } from '../src/store/open.ts';
import type { Database } from '../src/store/schema.ts';
import { DIALECTS } from './support/dialects.ts';

const throttleOf = compiledOnce((db, input: { emailKey: string }) =>
  db.selectFrom('login_throttle').selectAll().where('email_key', '=', input.emailKey),
);

for (const dialect of DIALECTS) {
  describe(`compiled queries (${dialect.name})`, () => {
    let db: Kysely<Database>;
    let statements: string[] = [];
    before(async () => {
      const config = await dialect.makeConfig();
      ({ db } = openDatabase(config, { onQuery: (text) => statements.push(text) }));
      await migrateToLatest(db, dialect.name);
    });
    after(() => db.destroy());

    test('each run binds its own values; the SQL text is built once', async () => {
      for (const [userId, failures] of [
        ['a', 1],
        ['b', 2],
      ] as const) {
        await db
          .insertInto('login_throttle')
          .values({ email_key: userId, failures, window_start_ms: 0 })
          .execute();
      }
      statements = [];
      assert.equal((await throttleOf.execute(db, { emailKey: 'a' })).rows[0]?.failures, 1);
      assert.equal((await throttleOf.execute(db, { emailKey: 'b' })).rows[0]?.failures, 2);
      assert.equal((await throttleOf.execute(db, { emailKey: 'c' })).rows.length, 0);
      const inTransaction = await db
        .transaction()
        .execute(async (trx) => (await throttleOf.execute(trx, { emailKey: 'b' })).rows[0]?.failures);
      assert.equal(inTransaction, 2);
      const expected = db.selectFrom('login_throttle').selectAll().where('email_key', '=', 'x').compile();
      assert.ok(statements.filter((text) => text === expected.sql).length === 4, statements.join('\n'));
    });

    test('a builder that computes with its input is refused, not cached wrong', async () => {
      const computes = compiledOnce((database, input: { nowMs: number; windowMs: number }) =>
        database
          .selectFrom('login_throttle')
          .selectAll()
          .where('window_start_ms', '<=', input.nowMs - input.windowMs),
      );
      await assert.rejects(computes.execute(db, { nowMs: 10, windowMs: 5 }), /computed|computes/);
      const branches = compiledOnce((database, input: { limit: number }) =>
        database
          .selectFrom('login_throttle')
          .selectAll()
          .limit(input.limit > 5 ? 5 : 1),
      );
      await assert.rejects(branches.execute(db, { limit: 10 }), /computes/);
    });
  });
}
