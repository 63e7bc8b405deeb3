/**
 * The node:sqlite adapter: the durability setting reaches SQLite (WAL with synchronous NORMAL by default,
 * FULL when asked), and the prepared-statement cache reuses statements by SQL text, stays within its bound
 * (least recently used out first) and survives a statement that failed.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { after, test } from 'node:test';
import { type Kysely, sql } from 'kysely';
import { openDatabase } from '../src/store/open.ts';
import { cachedPreparer } from '../src/store/sqlite-dialect.ts';

const dirs: string[] = [];
after(() => Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true }))));

async function pragmas(sqliteSynchronous?: 'normal' | 'full') {
  const dir = await mkdtemp(join(tmpdir(), 'twofa-dialect-'));
  dirs.push(dir);
  const { db } = openDatabase({
    databaseUrl: undefined,
    dataDir: dir,
    ...(sqliteSynchronous === undefined ? {} : { sqliteSynchronous }),
  });
  try {
    const read = async (name: string) =>
      Object.values((await sql.raw(`pragma ${name}`).execute(db as Kysely<unknown>)).rows[0] as object)[0];
    return { journal: await read('journal_mode'), synchronous: await read('synchronous') };
  } finally {
    await db.destroy();
  }
}

test('WAL with synchronous NORMAL (1) by default, FULL (2) when configured', async () => {
  assert.deepEqual(await pragmas(), { journal: 'wal', synchronous: 1 });
  assert.deepEqual(await pragmas('full'), { journal: 'wal', synchronous: 2 });
});

/** node:sqlite's rows have a null prototype; compare them as plain objects. */
const rows = (found: unknown[]) => found.map((row) => ({ ...(row as object) }));

test('statement cache: one statement per SQL text, whatever the values bound', () => {
  const database = new DatabaseSync(':memory:');
  const prepare = cachedPreparer(database, 10);
  const first = prepare('select ? as n');
  assert.equal(prepare('select ? as n'), first);
  assert.equal(first.reader, true);
  assert.deepEqual(rows(first.statement.all(1)), [{ n: 1 }]);
  assert.deepEqual(rows(prepare('select ? as n').statement.all(2)), [{ n: 2 }]);
  assert.equal(prepare('create table t (id integer primary key)').reader, false);
  database.close();
});

test('statement cache: bounded, the least recently used goes first', () => {
  const database = new DatabaseSync(':memory:');
  const prepare = cachedPreparer(database, 2);
  const a = prepare('select 1');
  const b = prepare('select 2');
  assert.equal(prepare('select 1'), a, 'a hit makes "select 1" the most recent');
  prepare('select 3'); // evicts "select 2", the least recently used
  assert.equal(prepare('select 1'), a);
  assert.notEqual(prepare('select 2'), b, '"select 2" was prepared again');
  database.close();
});

test('statement cache: a statement that failed runs again', () => {
  const database = new DatabaseSync(':memory:');
  const prepare = cachedPreparer(database, 10);
  prepare('create table t (id integer primary key)').statement.run();
  const insert = () => prepare('insert into t (id) values (?)').statement;
  insert().run(1);
  assert.throws(() => insert().run(1), /UNIQUE/);
  insert().run(2);
  assert.deepEqual(rows(prepare('select count(*) as n from t').statement.all()), [{ n: 2 }]);
  database.close();
});
