/**
 * The JSON API: keys, the calling apps' subjects, and TOTP set-ups started through it. Frozen: later changes
 * go in new migrations. Imports only Kysely.
 *
 * - `api_keys`: one row per key. The token's public prefix (for lookup) and a keyed hash of its secret part
 *   (HMAC-SHA256 under a subkey of the master key `hash_key_id`); never the secret itself.
 * - `api_subjects`: a calling app's own user id (`external_id`, opaque) within its tenant, mapped to a row
 *   of `users` (the principal the factor tables key on). Unique per (tenant, external_id); deleting the
 *   principal deletes the mapping.
 * - `api_enrollments`: a TOTP set-up started through the API (id: its credential's): the label shown in the
 *   app, and the `Idempotency-Key` it was created under (unique per API key).
 */
import type { Kysely } from 'kysely';

// biome-ignore lint/suspicious/noExplicitAny: migrations are written against the database as it was then.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('api_keys')
    .addColumn('id', 'text', (col) => col.primaryKey())
    .addColumn('prefix', 'text', (col) => col.notNull().unique())
    .addColumn('secret_hash', 'text', (col) => col.notNull())
    .addColumn('hash_key_id', 'text', (col) => col.notNull())
    .addColumn('name', 'text', (col) => col.notNull())
    .addColumn('tenant', 'text', (col) => col.notNull())
    .addColumn('scopes', 'text', (col) => col.notNull())
    .addColumn('requests_per_minute', 'integer', (col) => col.notNull())
    .addColumn('created_at_ms', 'bigint', (col) => col.notNull())
    .addColumn('last_used_at_ms', 'bigint')
    .addColumn('revoked_at_ms', 'bigint')
    .execute();

  await db.schema
    .createTable('api_subjects')
    .addColumn('user_id', 'text', (col) => col.primaryKey().references('users.id').onDelete('cascade'))
    .addColumn('tenant', 'text', (col) => col.notNull())
    .addColumn('external_id', 'text', (col) => col.notNull())
    .addColumn('created_at_ms', 'bigint', (col) => col.notNull())
    .execute();
  await db.schema
    .createIndex('api_subjects_tenant_external_id')
    .on('api_subjects')
    .columns(['tenant', 'external_id'])
    .unique()
    .execute();

  await db.schema
    .createTable('api_enrollments')
    // No foreign key to the credential: a set-up replaced by a racing request must not take its
    // Idempotency-Key with it (the key would then let a second set-up in). Rows whose credential is gone are
    // deleted when the subject next starts a set-up.
    .addColumn('id', 'text', (col) => col.primaryKey())
    .addColumn('user_id', 'text', (col) => col.notNull().references('users.id').onDelete('cascade'))
    .addColumn('api_key_id', 'text', (col) => col.notNull())
    .addColumn('account_name', 'text', (col) => col.notNull())
    .addColumn('issuer', 'text', (col) => col.notNull())
    .addColumn('idempotency_key', 'text')
    .addColumn('request_hash', 'text')
    .addColumn('created_at_ms', 'bigint', (col) => col.notNull())
    .execute();
  await db.schema
    .createIndex('api_enrollments_idempotency')
    .on('api_enrollments')
    .columns(['api_key_id', 'idempotency_key'])
    .unique()
    .execute();
}

// biome-ignore lint/suspicious/noExplicitAny: see up().
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('api_enrollments').execute();
  await db.schema.dropTable('api_subjects').execute();
  await db.schema.dropTable('api_keys').execute();
}
