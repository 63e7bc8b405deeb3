/**
 * Master key rotation. Frozen: later changes go in new migrations. Imports only Kysely.
 *
 * - `master_key_state`: one row (id 1), written by `twofa admin rotate-key`: the key id every instance seals
 *   new secrets under (until the first rotation there is no row, and the first key of each instance's list
 *   is current), the key being rotated away from, and the rotation's progress (resumable after a crash).
 * - `keyring_instances`: each running instance's heartbeat with the key ids it holds, so a rotation can
 *   refuse to make current a key some running instance could not open.
 */
import type { Kysely } from 'kysely';

// biome-ignore lint/suspicious/noExplicitAny: migrations are written against the database as it was then.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('master_key_state')
    .addColumn('id', 'integer', (col) => col.primaryKey())
    .addColumn('current_key_id', 'text', (col) => col.notNull())
    .addColumn('previous_key_id', 'text')
    .addColumn('rotation_started_at_ms', 'bigint')
    .addColumn('rotation_finished_at_ms', 'bigint')
    .addColumn('resealed', 'bigint', (col) => col.notNull().defaultTo(0))
    .execute();
  await db.schema
    .createTable('keyring_instances')
    .addColumn('id', 'text', (col) => col.primaryKey())
    .addColumn('host', 'text', (col) => col.notNull())
    .addColumn('pid', 'integer', (col) => col.notNull())
    .addColumn('key_ids', 'text', (col) => col.notNull())
    .addColumn('current_key_id', 'text', (col) => col.notNull())
    .addColumn('key_file', 'text')
    .addColumn('seen_at_ms', 'bigint', (col) => col.notNull())
    .execute();
}

// biome-ignore lint/suspicious/noExplicitAny: see up().
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('keyring_instances').execute();
  await db.schema.dropTable('master_key_state').execute();
}
