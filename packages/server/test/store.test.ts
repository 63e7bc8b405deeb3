/**
 * The store on every dialect: migrations, types (BIGINT millisecond times come back as numbers), the
 * constraints the rules rely on, and the two compare-and-set updates that keep codes single-use and
 * attempts bounded under concurrency.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { DatabaseSync } from 'node:sqlite';
import { after, before, describe, test } from 'node:test';
import { type Kysely, sql } from 'kysely';
import pg from 'pg';
import type { Config } from '../src/config.ts';
import { isUniqueViolation } from '../src/store/errors.ts';
import { migrateToLatest } from '../src/store/migrate.ts';
import { type DatabaseKind, openDatabase, sqlitePath } from '../src/store/open.ts';
import type { Database, NewSession, NewTotpCredential } from '../src/store/schema.ts';
import { purgeExpiredSessions, spendAttempt } from '../src/store/sessions-repo.ts';
import { claimStep, findCredential, insertCredential } from '../src/store/totp-credentials-repo.ts';
import { findUserByEmail, findUserById, insertUser, updatePasswordHash } from '../src/store/users-repo.ts';
import { DIALECTS } from './support/dialects.ts';

const T = 1_700_000_000_123;

function newUser(email = `${randomUUID()}@example.com`) {
  return { id: randomUUID(), email, password_hash: '$argon2id$x', created_at_ms: T, updated_at_ms: T };
}

function newSession(userId: string, fields: Partial<NewSession> = {}): NewSession {
  return {
    id: randomUUID(),
    token_hash: randomUUID(),
    user_id: userId,
    state: 'pending',
    created_at_ms: T,
    last_seen_at_ms: T,
    expires_at_ms: T + 300_000,
    ...fields,
  };
}

function newCredential(userId: string, fields: Partial<NewTotpCredential> = {}): NewTotpCredential {
  return {
    id: randomUUID(),
    user_id: userId,
    state: 'active',
    secret_key_id: 'k1',
    secret_ciphertext: 'sealed',
    last_used_step: null,
    created_at_ms: T,
    confirmed_at_ms: T,
    ...fields,
  };
}

async function rejectsWith(promise: Promise<unknown>, check: (error: unknown) => boolean, what: string) {
  try {
    await promise;
  } catch (error) {
    assert.ok(check(error), `${what}: unexpected error ${String(error)}`);
    return;
  }
  assert.fail(`${what}: expected a refusal`);
}

/** Every migration, in order: a fresh database gets all of them, once. */
const ALL_MIGRATIONS = [
  '0001-initial',
  '0002-throttle',
  '0003-audit',
  '0004-recovery-codes',
  '0006-api',
  '0007-key-rotation',
  '0008-messages',
  '0009-email-factor',
  '0010-phone',
  '0011-account-recovery',
  '0012-code-budget',
  '0013-trusted-devices',
  '0014-password-checks-in-flight',
  '0015-hotp',
  '0016-totp-skew',
];

for (const dialect of DIALECTS) {
  describe(`store on ${dialect.name}`, () => {
    let db: Kysely<Database>;
    let kind: DatabaseKind;
    let config: Config;

    before(async () => {
      config = await dialect.makeConfig();
      ({ db, kind } = openDatabase(config));
      assert.deepEqual(await migrateToLatest(db, kind), ALL_MIGRATIONS);
    });
    after(() => db.destroy());

    test('migrating again applies nothing', async () => {
      assert.deepEqual(await migrateToLatest(db, kind), []);
    });

    test('millisecond times and time steps come back as numbers', async () => {
      const user = newUser();
      await insertUser(db, user);
      const read = await findUserById(db, user.id);
      assert.equal(read?.created_at_ms, T);
      assert.equal(typeof read?.created_at_ms, 'number');
      const step = 2 ** 40 + 3;
      const credential = newCredential(user.id, { last_used_step: step });
      await insertCredential(db, credential);
      const stored = await findCredential(db, user.id, 'active');
      assert.equal(stored?.last_used_step, step);
      assert.equal(typeof stored?.last_used_step, 'number');
    });

    test('emails are unique; the violation is recognised', async () => {
      const user = newUser('dup@example.com');
      await insertUser(db, user);
      assert.equal((await findUserByEmail(db, 'dup@example.com'))?.id, user.id);
      await rejectsWith(insertUser(db, newUser('dup@example.com')), isUniqueViolation, 'duplicate email');
    });

    test('one pending and one active credential per user at most', async () => {
      const user = newUser();
      await insertUser(db, user);
      await insertCredential(db, newCredential(user.id, { state: 'active' }));
      await insertCredential(db, newCredential(user.id, { state: 'pending' }));
      await rejectsWith(
        insertCredential(db, newCredential(user.id, { state: 'pending' })),
        isUniqueViolation,
        'second pending',
      );
      await rejectsWith(
        insertCredential(db, newCredential(user.id, { state: 'bogus' as 'active' })),
        (error) => !isUniqueViolation(error),
        'unknown state',
      );
    });

    test('claimStep: a step is accepted only if later than the last one (compare-and-set)', async () => {
      const user = newUser();
      await insertUser(db, user);
      const credential = newCredential(user.id);
      await insertCredential(db, credential);
      assert.equal(await claimStep(db, { id: credential.id, step: 100, state: 'active' }), true);
      assert.equal(
        await claimStep(db, { id: credential.id, step: 100, state: 'active' }),
        false,
        'same step twice',
      );
      assert.equal(
        await claimStep(db, { id: credential.id, step: 99, state: 'active' }),
        false,
        'an older step',
      );
      assert.equal(await claimStep(db, { id: credential.id, step: 101, state: 'active' }), true);
      assert.equal(
        await claimStep(db, { id: credential.id, step: 102, state: 'pending' }),
        false,
        'wrong state',
      );
      assert.equal((await findCredential(db, user.id, 'active'))?.last_used_step, 101);
    });

    test('claimStep: of many racing claims of one step, exactly one wins', async () => {
      const user = newUser();
      await insertUser(db, user);
      const credential = newCredential(user.id);
      await insertCredential(db, credential);
      for (let round = 0; round < 10; round++) {
        const results = await Promise.all(
          Array.from({ length: 8 }, () =>
            claimStep(db, { id: credential.id, step: 1000 + round, state: 'active' }),
          ),
        );
        assert.equal(results.filter(Boolean).length, 1, `round ${round}: ${results}`);
      }
    });

    test('spendAttempt: racing attempts never exceed the maximum', async () => {
      const user = newUser();
      await insertUser(db, user);
      const session = newSession(user.id);
      await insertSession(db, session);
      const results = await Promise.all(
        Array.from({ length: 12 }, () => spendAttempt(db, { id: session.id, maxAttempts: 5, nowMs: T })),
      );
      const spent = results.filter((r) => r !== undefined).sort();
      assert.deepEqual(spent, [1, 2, 3, 4, 5]);
      const row = await db
        .selectFrom('sessions')
        .select('attempts')
        .where('id', '=', session.id)
        .executeTakeFirst();
      assert.equal(row?.attempts, 5);
    });

    test('spendAttempt: refused on a full or an expired session', async () => {
      const user = newUser();
      await insertUser(db, user);
      const full = newSession(user.id, { state: 'full' });
      const expired = newSession(user.id, { expires_at_ms: T });
      await insertSession(db, full);
      await insertSession(db, expired);
      assert.equal(await spendAttempt(db, { id: full.id, maxAttempts: 5, nowMs: T }), undefined);
      assert.equal(await spendAttempt(db, { id: expired.id, maxAttempts: 5, nowMs: T }), undefined);
    });

    test('purge removes expired and idle sessions only', async () => {
      const user = newUser();
      await insertUser(db, user);
      const live = newSession(user.id, { state: 'full', expires_at_ms: T + 10_000 });
      const expired = newSession(user.id, { state: 'pending', expires_at_ms: T - 1 });
      const idle = newSession(user.id, {
        state: 'full',
        last_seen_at_ms: T - 5_000,
        expires_at_ms: T + 10_000,
      });
      for (const s of [live, expired, idle]) await insertSession(db, s);
      // Other tests of this file left rows of their own: at least these two went.
      const purged = await purgeExpiredSessions(db, { nowMs: T, idleSinceMs: T - 1_000, limit: 100 });
      assert.ok(purged.expired >= 1 && purged.idle >= 1, JSON.stringify(purged));
      const left = await db.selectFrom('sessions').select('id').where('user_id', '=', user.id).execute();
      assert.deepEqual(
        left.map((r) => r.id),
        [live.id],
      );
    });

    test('deleting a user deletes its sessions and credentials (foreign keys enforced)', async () => {
      const user = newUser();
      await insertUser(db, user);
      await insertSession(db, newSession(user.id));
      await insertCredential(db, newCredential(user.id));
      await db.deleteFrom('users').where('id', '=', user.id).execute();
      const sessions = await db.selectFrom('sessions').select('id').where('user_id', '=', user.id).execute();
      const credentials = await db
        .selectFrom('totp_credentials')
        .select('id')
        .where('user_id', '=', user.id)
        .execute();
      assert.equal(sessions.length + credentials.length, 0);
      await rejectsWith(insertSession(db, newSession(randomUUID())), () => true, 'session of no user');
    });

    test('updatePasswordHash with an expected hash is a compare-and-set', async () => {
      const user = newUser();
      await insertUser(db, user);
      assert.equal(
        await updatePasswordHash(db, { id: user.id, passwordHash: 'new', nowMs: T, expectedHash: 'stale' }),
        false,
      );
      assert.equal(
        await updatePasswordHash(db, {
          id: user.id,
          passwordHash: 'new',
          nowMs: T,
          expectedHash: user.password_hash,
        }),
        true,
      );
    });

    if (dialect.name === 'sqlite') {
      test('SQLite: a read-write transaction holds the write lock from its start; a read-only one blocks no writer', async () => {
        const other = new DatabaseSync(sqlitePath(config.dataDir));
        other.exec('PRAGMA busy_timeout = 50');
        const write = () => other.exec(`update users set updated_at_ms = updated_at_ms where id = 'none'`);
        try {
          // BEGIN IMMEDIATE: another process's write waits (then fails here, after 50 ms) even before ours writes.
          await db.transaction().execute(async (trx) => {
            await sql`select count(*) from users`.execute(trx);
            assert.throws(write, /database is locked/);
          });
          // A read-only walk (twofa audit verify) reads a WAL snapshot: writers go on.
          await db
            .transaction()
            .setAccessMode('read only')
            .execute(async (trx) => {
              await sql`select count(*) from users`.execute(trx);
              assert.doesNotThrow(write);
            });
        } finally {
          other.close();
        }
      });

      test('SQLite runs in WAL mode with a busy timeout and foreign keys on', async () => {
        const { rows: journal } = await sql<{ journal_mode: string }>`pragma journal_mode`.execute(db);
        const { rows: busy } = await sql<{ timeout: number }>`pragma busy_timeout`.execute(db);
        const { rows: fk } = await sql<{ foreign_keys: number }>`pragma foreign_keys`.execute(db);
        assert.equal(journal[0]?.journal_mode, 'wal');
        assert.equal(busy[0]?.timeout, 5000);
        assert.equal(fk[0]?.foreign_keys, 1);
      });
    }

    if (dialect.name === 'postgres') {
      test('several instances migrating one fresh database at once take turns (advisory lock)', async () => {
        const config = await dialect.makeConfig();
        const instances = Array.from({ length: 5 }, () => openDatabase(config));
        try {
          const applied = await Promise.all(instances.map((i) => migrateToLatest(i.db, i.kind)));
          assert.deepEqual(applied.flat(), ALL_MIGRATIONS);
          const { rows } = await sql<{ n: number }>`select count(*) as n from kysely_migration`.execute(
            instances[0]!.db,
          );
          assert.equal(rows[0]?.n, ALL_MIGRATIONS.length);
        } finally {
          await Promise.all(instances.map((i) => i.db.destroy()));
        }
      });

      // Threat: a PostgreSQL restart, failover or a proxy's idle timeout drops a pooled connection while it
      // sits idle. pg reports that as an 'error' event on the pool; unheard, it ends the whole process.
      test('a pooled connection dropped while idle is reported, not fatal; the next query reconnects', {
        timeout: 20_000,
      }, async () => {
        const config = await dialect.makeConfig();
        const errors: Error[] = [];
        let reported!: () => void;
        const dropped = new Promise<void>((resolve) => {
          reported = resolve;
        });
        const opened = openDatabase(config, {
          onConnectionError: (error) => {
            errors.push(error);
            reported();
          },
        });
        const admin = new pg.Client({ connectionString: config.databaseUrl });
        await admin.connect();
        try {
          const { rows } = await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(opened.db);
          await admin.query('select pg_terminate_backend($1)', [rows[0]?.pid]);
          await dropped;
          assert.equal(errors.length, 1);
          const { rows: again } = await sql<{ one: number }>`select 1 as one`.execute(opened.db);
          assert.equal(again[0]?.one, 1);
        } finally {
          await admin.end();
          await opened.db.destroy();
        }
      });
    }
  });
}

async function insertSession(db: Kysely<Database>, session: NewSession) {
  await db.insertInto('sessions').values(session).execute();
}
