/**
 * twofa audit verify: exit 0 with the count and the head hash on an intact log, 1 naming the first event
 * at fault after tampering, 2 (one line on stderr) when there is nothing to check or the settings are bad.
 * The logs are made with the server's own appendAuditRecord, on SQLite and, when TWOFA_TEST_PG_URL is set,
 * PostgreSQL; the command gets only the TWOFA_* settings twofa serve would (no master key).
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { after, describe, test } from 'node:test';
import { type Kysely, sql } from 'kysely';
import type { Database } from '../../server/src/store/schema.ts';
import { appendSamples, openAuditDatabase } from '../../server/test/support/audit.ts';
import { DIALECTS } from '../../server/test/support/dialects.ts';
import { run } from '../src/run.ts';
import { assertUsageError, tempDir, twofa } from './support/cli.ts';
import { memoryIO } from './support/memory-io.ts';

const opened: Kysely<Database>[] = [];
after(() => Promise.all(opened.map((db) => db.destroy())));

/** `twofa ...args` in-process: exit status and output. */
async function twofaInProcess(args: string[], env: Record<string, string>) {
  const memory = memoryIO({ env });
  const status = await run(args, memory.io);
  return { status, stdout: memory.stdout(), stderr: memory.stderr() };
}

for (const dialect of DIALECTS) {
  describe(`twofa audit verify on ${dialect.name}`, () => {
    /** A log of `events` events, and the environment twofa serve would be given for it. */
    async function logOf(events: number) {
      const { db, config } = await openAuditDatabase(dialect);
      opened.push(db);
      await appendSamples(db, 1, events);
      const env: Record<string, string> =
        config.databaseUrl === undefined
          ? { TWOFA_DATA_DIR: config.dataDir }
          : { TWOFA_DATABASE_URL: config.databaseUrl };
      return { db, env };
    }

    async function storedHash(db: Kysely<Database>, seq: number): Promise<string> {
      const { rows } = await sql<{ hash: string }>`select hash from audit_events where seq = ${seq}`.execute(
        db,
      );
      assert.ok(rows[0]);
      return rows[0].hash;
    }

    test('an intact log: exit 0, the count and the head hash', async () => {
      const { db, env } = await logOf(12);
      const result = await twofaInProcess(['audit', 'verify'], env);
      assert.equal(result.status, 0, result.stderr);
      assert.equal(result.stdout, `audit log intact: 12 events, head ${await storedHash(db, 12)}\n`);
      assert.equal(result.stderr, '');
    });

    test('an edited event: exit 1, naming it', async () => {
      const { db, env } = await logOf(12);
      await sql`update audit_events set user_id = 'user-mallory' where seq = 7`.execute(db);
      const result = await twofaInProcess(['audit', 'verify'], env);
      assert.equal(result.status, 1, result.stderr);
      assert.match(result.stdout, /^audit log broken at event #7: event #7 was changed[^\n]*\n$/);
      assert.equal(result.stderr, '');
    });

    test('a deleted event: exit 1, naming the missing one', async () => {
      const { db, env } = await logOf(12);
      await sql`delete from audit_events where seq = 4`.execute(db);
      const result = await twofaInProcess(['audit', 'verify'], env);
      assert.equal(result.status, 1, result.stderr);
      assert.match(result.stdout, /^audit log broken at event #4: event #4 is missing/);
    });

    test('the head row deleted: exit 1, saying so', async () => {
      const { db, env } = await logOf(3);
      await sql`delete from audit_head`.execute(db);
      const result = await twofaInProcess(['audit', 'verify'], env);
      assert.equal(result.status, 1, result.stderr);
      assert.match(result.stdout, /^audit log broken: the head of the audit log .* is missing/);
    });

    test('a database twofa serve has not migrated yet: exit 2, start twofa serve once', async () => {
      const config = await dialect.makeConfig();
      let env: Record<string, string>;
      if (config.databaseUrl === undefined) {
        const file = new DatabaseSync(join(config.dataDir, 'twofa.sqlite'));
        file.exec('create table unrelated (id integer)');
        file.close();
        env = { TWOFA_DATA_DIR: config.dataDir };
      } else {
        env = { TWOFA_DATABASE_URL: config.databaseUrl };
      }
      const result = await twofaInProcess(['audit', 'verify'], env);
      assertUsageError(result, [], /^twofa: the database has no audit log yet; start twofa serve once$/);
    });
  });
}

describe('twofa audit verify: settings and usage', () => {
  test('a TWOFA_DATABASE_URL that is not a PostgreSQL URL: exit 2 naming the variable', async () => {
    const result = await twofaInProcess(['audit', 'verify'], {
      TWOFA_DATABASE_URL: 'mysql://root:hunter2@db.example.com/twofa',
    });
    assertUsageError(result, ['hunter2'], /^twofa: TWOFA_DATABASE_URL must be a postgres:\/\//);
  });

  test('a PostgreSQL server that cannot be reached: exit 2, one line, no password', async () => {
    const result = await twofaInProcess(['audit', 'verify'], {
      TWOFA_DATABASE_URL: 'postgres://twofa:hunter2@127.0.0.1:1/twofa',
    });
    assertUsageError(result, ['hunter2'], /^twofa: cannot read the database: .*ECONNREFUSED/);
  });

  test('a data directory without a database: exit 2, and nothing is created there', async () => {
    const dir = join(tempDir(), 'typo');
    const result = await twofaInProcess(['audit', 'verify', '--data-dir', dir], {});
    assertUsageError(result, [], /^twofa: there is no database at .*twofa\.sqlite: set TWOFA_DATA_DIR/);
    assert.equal(existsSync(dir), false, 'verify must not create the data directory');
  });

  test('a missing or unknown subcommand, or a stray option: exit 2', async () => {
    assertUsageError(await twofaInProcess(['audit'], {}), [], /audit needs a subcommand: twofa audit verify/);
    assertUsageError(await twofaInProcess(['audit', 'check'], {}), [], /unknown audit subcommand/);
    assertUsageError(
      await twofaInProcess(['audit', 'verify', '--port', '1'], {}),
      [],
      /unknown option --port/,
    );
  });

  test('the real binary: --data-dir on an intact SQLite log exits 0; an empty directory exits 2', async () => {
    const sqlite = DIALECTS.find((dialect) => dialect.name === 'sqlite')!;
    const { db, config } = await openAuditDatabase(sqlite);
    opened.push(db);
    await appendSamples(db, 1, 3);
    const intact = await twofa(['audit', 'verify', '--data-dir', config.dataDir]);
    assert.equal(intact.status, 0, intact.stderr);
    assert.match(intact.stdout, /^audit log intact: 3 events, head [0-9a-f]{64}\n$/);
    const empty = tempDir();
    mkdirSync(join(empty, 'data'));
    assertUsageError(
      await twofa(['audit', 'verify'], { cwd: empty }),
      [],
      /no database at .*data\/twofa\.sqlite/,
    );
  });
});
