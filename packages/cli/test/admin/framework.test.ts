/**
 * twofa admin, the framework: dispatch, help, usage errors (exit 2), the settings twofa serve reads, and
 * `users list` as its first subcommand, on SQLite and (with TWOFA_TEST_PG_URL) PostgreSQL.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, test } from 'node:test';
import { DIALECTS, signUpWithTotp, uniqueEmail } from '../../../server/test/support/dialects.ts';
import { type AdminDatabase, admin, adminDatabase } from '../support/admin.ts';
import { assertUsageError, tempDir } from '../support/cli.ts';

const opened: AdminDatabase[] = [];
// Each test's databases close when it ends: PostgreSQL's connections are shared with other suites.
afterEach(() => Promise.all(opened.splice(0).map((db) => db.services.close())));

async function database(dialect: (typeof DIALECTS)[number]): Promise<AdminDatabase> {
  const db = await adminDatabase(dialect);
  opened.push(db);
  return db;
}

describe('twofa admin: dispatch and help', () => {
  test('no subcommand: the overview on stderr, exit 2', async () => {
    const result = await admin([], {});
    assert.equal(result.status, 2);
    assert.match(result.stderr, /^Usage: twofa admin <command>/);
    assert.match(result.stderr, /users list/);
  });

  test('--help: the overview on stdout, exit 0; a subcommand --help: its own help', async () => {
    const overview = await admin(['--help'], {});
    assert.equal(overview.status, 0);
    assert.match(overview.stdout, /^Usage: twofa admin <command>/);
    const own = await admin(['users', 'list', '--help'], {});
    assert.equal(own.status, 0);
    assert.match(own.stdout, /^Usage: twofa admin users list \[options\]/);
    assert.match(own.stdout, /--limit N/);
    assert.match(own.stdout, /Exit status: 0 done, 1 failed, 2 bad usage/);
  });

  test('an unknown subcommand, an unknown option, a stray argument: exit 2, one line', async () => {
    assertUsageError(await admin(['frobnicate'], {}), [], /unknown admin command "frobnicate"/);
    assertUsageError(await admin(['users', 'list', '--port', '1'], {}), [], /unknown option --port/);
    assertUsageError(await admin(['users', 'list', 'extra'], {}), [], /takes no arguments/);
    assertUsageError(
      await admin(['users', 'list', '--limit', '0'], {}),
      [],
      /--limit must be a whole number/,
    );
  });

  test('an argument that looks like a secret is not echoed', async () => {
    assertUsageError(
      await admin(['JBSWY3DPEHPK3PXP'], {}),
      ['JBSWY3DPEHPK3PXP'],
      /unknown admin command given/,
    );
  });

  test('a data directory without a database: exit 2, and nothing is created there', async () => {
    const dir = join(tempDir(), 'typo');
    const result = await admin(['users', 'list', '--data-dir', dir], {});
    assertUsageError(result, [], /no database at .*twofa\.sqlite/);
    assert.equal(existsSync(dir), false, 'admin must not create the data directory');
  });

  test('a PostgreSQL server that cannot be reached: exit 2, one line, no password', async () => {
    const result = await admin(['users', 'list'], {
      TWOFA_DATABASE_URL: 'postgres://twofa:hunter2@127.0.0.1:1/twofa',
    });
    assertUsageError(result, ['hunter2'], /^twofa: cannot read the database: .*ECONNREFUSED/);
  });
});

for (const dialect of DIALECTS) {
  describe(`twofa admin users list on ${dialect.name}`, () => {
    test('lists every account with its factors, in email order; --json says the same', async () => {
      const db = await database(dialect);
      const plain = uniqueEmail('plain');
      await db.services.accounts.signUp({ email: plain, password: 'correct horse battery' });
      const withTotp = await signUpWithTotp(db.services, db.clock);
      const text = await admin(['users', 'list'], db.env);
      assert.equal(text.status, 0, text.stderr);
      const lines = text.stdout.trimEnd().split('\n');
      assert.equal(lines.length, 2);
      const byEmail = new Map(lines.map((line) => [line.split('  ')[0], line]));
      assert.match(byEmail.get(plain)!, /^\S+ {2}none {2}\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ {2}\S+$/);
      assert.match(byEmail.get(withTotp.email)!, / {2}totp,recovery {2}/);
      assert.deepEqual(
        lines.map((line) => line.split('  ')[0]),
        [plain, withTotp.email].sort(),
      );

      const json = await admin(['users', 'list', '--json'], db.env);
      assert.equal(json.status, 0, json.stderr);
      const parsed = JSON.parse(json.stdout) as { users: { email: string; factors: string[]; id: string }[] };
      const found = parsed.users.find((user) => user.email === withTotp.email);
      assert.deepEqual(found?.factors, ['totp', 'recovery']);
      assert.equal(found?.id, withTotp.userId);
    });

    test('pages with --limit and --after', async () => {
      const db = await database(dialect);
      for (let i = 0; i < 3; i++) {
        await db.services.accounts.signUp({ email: uniqueEmail('page'), password: 'correct horse battery' });
      }
      const first = JSON.parse((await admin(['users', 'list', '--json', '--limit', '2'], db.env)).stdout) as {
        users: { email: string }[];
        next: string | null;
      };
      assert.equal(first.users.length, 2);
      assert.equal(first.next, first.users[1]?.email);
      const rest = JSON.parse(
        (await admin(['users', 'list', '--json', '--limit', '2', '--after', first.next!], db.env)).stdout,
      ) as { users: { email: string }[]; next: string | null };
      assert.equal(rest.users.length, 1);
      assert.equal(rest.next, null);
    });

    test('needs no master key (PostgreSQL: TWOFA_MASTER_KEY unset still lists)', async () => {
      const db = await database(dialect);
      const { TWOFA_MASTER_KEY: _key, ...env } = db.env;
      const result = await admin(['users', 'list'], env);
      assert.equal(result.status, 0, result.stderr);
      assert.equal(result.stdout, 'no accounts\n');
    });
  });
}
