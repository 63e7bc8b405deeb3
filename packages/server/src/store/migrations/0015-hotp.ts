/**
 * Hardware tokens (OATH-HOTP). Frozen: later changes go in new migrations. Imports only Kysely.
 *
 * - `hotp_credentials`: at most one per user. The secret is sealed as TOTP secrets are (AES-256-GCM under
 *   the master key, associated data `twofa:hotp:<user>:<credential>`); `next_counter` is the counter the next
 *   code is expected at, moved only by a conditional UPDATE on its old value.
 */
import type { Kysely } from 'kysely';

// biome-ignore lint/suspicious/noExplicitAny: migrations are written against the database as it was then.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('hotp_credentials')
    .addColumn('id', 'text', (col) => col.primaryKey())
    .addColumn('user_id', 'text', (col) => col.notNull().unique().references('users.id').onDelete('cascade'))
    .addColumn('secret_key_id', 'text', (col) => col.notNull())
    .addColumn('secret_ciphertext', 'text', (col) => col.notNull())
    .addColumn('algorithm', 'text', (col) => col.notNull())
    .addColumn('next_counter', 'bigint', (col) => col.notNull())
    .addColumn('created_at_ms', 'bigint', (col) => col.notNull())
    .addColumn('last_used_at_ms', 'bigint')
    .execute();
}

// biome-ignore lint/suspicious/noExplicitAny: see up().
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('hotp_credentials').execute();
}
