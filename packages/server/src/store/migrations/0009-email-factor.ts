/**
 * Codes by email as a second factor. Frozen: later changes go in new migrations. Imports only Kysely.
 *
 * - `users.email_factor_at_ms`: when the owner turned on codes by email (null: off).
 */
import type { Kysely } from 'kysely';

// biome-ignore lint/suspicious/noExplicitAny: migrations are written against the database as it was then.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('users').addColumn('email_factor_at_ms', 'bigint').execute();
}

// biome-ignore lint/suspicious/noExplicitAny: see up().
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('users').dropColumn('email_factor_at_ms').execute();
}
