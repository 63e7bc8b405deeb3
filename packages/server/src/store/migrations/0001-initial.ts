/**
 * The first schema. Frozen: later changes go in new migrations. Imports only Kysely.
 * Times are BIGINT milliseconds (INTEGER affinity on SQLite); ids are text.
 */
import { type Kysely, sql } from 'kysely';

// biome-ignore lint/suspicious/noExplicitAny: migrations are written against the database as it was then.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('users')
    .addColumn('id', 'text', (col) => col.primaryKey())
    .addColumn('email', 'text', (col) => col.notNull().unique())
    .addColumn('password_hash', 'text', (col) => col.notNull())
    .addColumn('created_at_ms', 'bigint', (col) => col.notNull())
    .addColumn('updated_at_ms', 'bigint', (col) => col.notNull())
    .execute();

  await db.schema
    .createTable('sessions')
    .addColumn('id', 'text', (col) => col.primaryKey())
    .addColumn('token_hash', 'text', (col) => col.notNull().unique())
    .addColumn('user_id', 'text', (col) => col.notNull().references('users.id').onDelete('cascade'))
    .addColumn('state', 'text', (col) => col.notNull().check(sql`state in ('pending', 'full')`))
    .addColumn('attempts', 'integer', (col) => col.notNull().defaultTo(0))
    .addColumn('created_at_ms', 'bigint', (col) => col.notNull())
    .addColumn('last_seen_at_ms', 'bigint', (col) => col.notNull())
    .addColumn('expires_at_ms', 'bigint', (col) => col.notNull())
    .execute();
  await db.schema.createIndex('sessions_user_id').on('sessions').column('user_id').execute();
  await db.schema.createIndex('sessions_expires_at_ms').on('sessions').column('expires_at_ms').execute();
  await db.schema.createIndex('sessions_last_seen_at_ms').on('sessions').column('last_seen_at_ms').execute();

  await db.schema
    .createTable('totp_credentials')
    .addColumn('id', 'text', (col) => col.primaryKey())
    .addColumn('user_id', 'text', (col) => col.notNull().references('users.id').onDelete('cascade'))
    .addColumn('state', 'text', (col) => col.notNull().check(sql`state in ('pending', 'active')`))
    .addColumn('secret_key_id', 'text', (col) => col.notNull())
    .addColumn('secret_ciphertext', 'text', (col) => col.notNull())
    .addColumn('last_used_step', 'bigint')
    .addColumn('created_at_ms', 'bigint', (col) => col.notNull())
    .addColumn('confirmed_at_ms', 'bigint')
    .execute();
  // At most one pending and one active authenticator per user.
  await db.schema
    .createIndex('totp_credentials_user_state')
    .on('totp_credentials')
    .columns(['user_id', 'state'])
    .unique()
    .execute();
}

// biome-ignore lint/suspicious/noExplicitAny: see up().
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('totp_credentials').execute();
  await db.schema.dropTable('sessions').execute();
  await db.schema.dropTable('users').execute();
}
