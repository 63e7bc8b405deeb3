/**
 * Trusted devices ("Remember this device for 30 days"). Frozen: later changes go in new migrations. Imports
 * only Kysely.
 *
 * - `trusted_devices`: one row per remembered browser. The cookie's token is stored only as its SHA-256
 *   (`token_hash`, unique); the token it replaced at the last use is kept as `previous_token_hash`, with the
 *   time of that rotation, so a rotated-out token presented again is recognised (theft) or, within a short
 *   grace, taken for the owner's own double submit. `failures` in the window starting at `window_start_ms`
 *   count wrong passwords typed on the device (it is exempt from the per-email limit instead). Revoked
 *   devices are deleted (the audit log keeps their story).
 */
import type { Kysely } from 'kysely';

// biome-ignore lint/suspicious/noExplicitAny: migrations are written against the database as it was then.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('trusted_devices')
    .addColumn('id', 'text', (col) => col.primaryKey())
    .addColumn('user_id', 'text', (col) => col.notNull().references('users.id').onDelete('cascade'))
    .addColumn('token_hash', 'text', (col) => col.notNull().unique())
    .addColumn('previous_token_hash', 'text')
    .addColumn('rotated_at_ms', 'bigint')
    .addColumn('name', 'text', (col) => col.notNull())
    .addColumn('created_at_ms', 'bigint', (col) => col.notNull())
    .addColumn('last_used_at_ms', 'bigint', (col) => col.notNull())
    .addColumn('last_ip', 'text')
    .addColumn('expires_at_ms', 'bigint', (col) => col.notNull())
    .addColumn('failures', 'integer', (col) => col.notNull().defaultTo(0))
    .addColumn('window_start_ms', 'bigint', (col) => col.notNull().defaultTo(0))
    .execute();
  await db.schema.createIndex('trusted_devices_user_id').on('trusted_devices').column('user_id').execute();
  await db.schema
    .createIndex('trusted_devices_previous_token_hash')
    .on('trusted_devices')
    .column('previous_token_hash')
    .execute();
  await db.schema
    .createIndex('trusted_devices_expires_at_ms')
    .on('trusted_devices')
    .column('expires_at_ms')
    .execute();
}

// biome-ignore lint/suspicious/noExplicitAny: see up().
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('trusted_devices').execute();
}
