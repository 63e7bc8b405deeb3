/**
 * Messages: verified email addresses, one-time codes and links sent by message, and the notices' place in the
 * audit log. Frozen: later changes go in new migrations. Imports only Kysely.
 *
 * - `users.email_verified_at_ms`: when the owner proved the address is theirs (null: not yet).
 * - `message_codes`: at most one live code per user and purpose (unique), holding only a keyed hash of its
 *   6 digits and the SHA-256 of its link token, its attempts, its expiry, when it was used, and the sends
 *   counted in the current day (the resend limits).
 * - `notice_cursor`: one row (id 1), the last audit event the notices have been sent for. It starts at the
 *   current head, so upgrading sends no notices about the past.
 */
import { type Kysely, sql } from 'kysely';

// biome-ignore lint/suspicious/noExplicitAny: migrations are written against the database as it was then.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('users').addColumn('email_verified_at_ms', 'bigint').execute();

  await db.schema
    .createTable('message_codes')
    .addColumn('id', 'text', (col) => col.primaryKey())
    .addColumn('user_id', 'text', (col) => col.notNull().references('users.id').onDelete('cascade'))
    .addColumn('purpose', 'text', (col) => col.notNull())
    .addColumn('key_id', 'text', (col) => col.notNull())
    .addColumn('code_hash', 'text')
    .addColumn('token_hash', 'text', (col) => col.unique())
    .addColumn('attempts', 'integer', (col) => col.notNull().defaultTo(0))
    .addColumn('sent_at_ms', 'bigint', (col) => col.notNull())
    .addColumn('sends', 'integer', (col) => col.notNull())
    .addColumn('sends_window_start_ms', 'bigint', (col) => col.notNull())
    .addColumn('expires_at_ms', 'bigint', (col) => col.notNull())
    .addColumn('used_at_ms', 'bigint')
    .addUniqueConstraint('message_codes_user_purpose', ['user_id', 'purpose'])
    .execute();

  await db.schema
    .createTable('notice_cursor')
    .addColumn('id', 'integer', (col) => col.primaryKey().check(sql`id = 1`))
    .addColumn('seq', 'bigint', (col) => col.notNull())
    .execute();
  await db
    .insertInto('notice_cursor')
    .columns(['id', 'seq'])
    .expression(db.selectFrom('audit_head').select([sql.lit(1).as('id'), 'seq']))
    .execute();
}

// biome-ignore lint/suspicious/noExplicitAny: see up().
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('notice_cursor').execute();
  await db.schema.dropTable('message_codes').execute();
  await db.schema.alterTable('users').dropColumn('email_verified_at_ms').execute();
}
