/**
 * Limits on guessing, shared by every instance through the database. Frozen: later changes go in new
 * migrations. Imports only Kysely.
 *
 * - `second_factor_throttle`: one row per user who has failed a code since their last accepted one.
 * - `login_throttle`: one row per email (keyed hash, never the email) with failed passwords in the current
 *   window, whether or not an account has that email.
 */
import type { Kysely } from 'kysely';

// biome-ignore lint/suspicious/noExplicitAny: migrations are written against the database as it was then.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('second_factor_throttle')
    .addColumn('user_id', 'text', (col) => col.primaryKey().references('users.id').onDelete('cascade'))
    .addColumn('failures', 'integer', (col) => col.notNull())
    .addColumn('locked_until_ms', 'bigint', (col) => col.notNull())
    .addColumn('next_lock_ms', 'bigint', (col) => col.notNull())
    .execute();

  await db.schema
    .createTable('login_throttle')
    .addColumn('email_key', 'text', (col) => col.primaryKey())
    .addColumn('failures', 'integer', (col) => col.notNull())
    .addColumn('window_start_ms', 'bigint', (col) => col.notNull())
    .execute();
  await db.schema
    .createIndex('login_throttle_window_start_ms')
    .on('login_throttle')
    .column('window_start_ms')
    .execute();
}

// biome-ignore lint/suspicious/noExplicitAny: see up().
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('login_throttle').execute();
  await db.schema.dropTable('second_factor_throttle').execute();
}
