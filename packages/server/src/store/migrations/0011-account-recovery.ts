/**
 * Account recovery when every factor is gone. Frozen: later changes go in new migrations. Imports only Kysely.
 *
 * - `account_recoveries`: at most one per user. `requested` until the link mailed to the address confirms it,
 *   then `waiting` until `ready_at_ms`; cancelled and completed requests are deleted (the audit log keeps
 *   their story).
 */
import type { Kysely } from 'kysely';

// biome-ignore lint/suspicious/noExplicitAny: migrations are written against the database as it was then.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('account_recoveries')
    .addColumn('user_id', 'text', (col) => col.primaryKey().references('users.id').onDelete('cascade'))
    .addColumn('state', 'text', (col) => col.notNull())
    .addColumn('created_at_ms', 'bigint', (col) => col.notNull())
    .addColumn('ready_at_ms', 'bigint')
    .execute();
}

// biome-ignore lint/suspicious/noExplicitAny: see up().
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('account_recoveries').execute();
}
