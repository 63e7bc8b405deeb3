/** What a copy of the database would show an attacker: every table, every row, as text. */
import assert from 'node:assert/strict';
import { type Kysely, sql } from 'kysely';
import type { Database } from '../../src/store/schema.ts';

/** Every table of the database, every row, as text. */
export async function dumpTables(db: Kysely<Database>, kind: 'sqlite' | 'postgres'): Promise<string> {
  const tables =
    kind === 'sqlite'
      ? (await sql<{ name: string }>`select name from sqlite_master where type = 'table'`.execute(db)).rows
      : (
          await sql<{ name: string }>`select table_name as name from information_schema.tables
            where table_schema = current_schema()`.execute(db)
        ).rows;
  assert.ok(tables.length >= 3, 'found the tables');
  let dump = '';
  for (const { name } of tables) {
    const { rows } = await sql<Record<string, unknown>>`select * from ${sql.table(name)}`.execute(db);
    dump += `${name}\n${JSON.stringify(rows, (_k, v) => (v instanceof Uint8Array ? Buffer.from(v).toString('latin1') : v))}\n`;
  }
  return dump;
}
