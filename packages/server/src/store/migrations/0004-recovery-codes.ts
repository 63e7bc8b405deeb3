/**
 * Recovery codes, and the second factors a pending sign-in may use. Frozen: later changes go in new
 * migrations. Imports only Kysely.
 *
 * - `recovery_codes`: one row per code, only its keyed hash (HMAC-SHA256 bound to the user, under a subkey
 *   of the master key `key_id`); `used_at_ms` set once, by a conditional UPDATE (a code works once).
 * - `sessions.factors`: the kinds of second factor a pending session may use, comma-separated.
 */
import type { Kysely } from 'kysely';

// biome-ignore lint/suspicious/noExplicitAny: migrations are written against the database as it was then.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('recovery_codes')
    .addColumn('id', 'text', (col) => col.primaryKey())
    .addColumn('user_id', 'text', (col) => col.notNull().references('users.id').onDelete('cascade'))
    .addColumn('key_id', 'text', (col) => col.notNull())
    .addColumn('code_hash', 'text', (col) => col.notNull().unique())
    .addColumn('created_at_ms', 'bigint', (col) => col.notNull())
    .addColumn('used_at_ms', 'bigint')
    .execute();
  await db.schema.createIndex('recovery_codes_user_id').on('recovery_codes').column('user_id').execute();

  await db.schema.alterTable('sessions').addColumn('factors', 'text').execute();
}

// biome-ignore lint/suspicious/noExplicitAny: see up().
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('sessions').dropColumn('factors').execute();
  await db.schema.dropTable('recovery_codes').execute();
}
