/**
 * Clock-skew learning for the app (TOTP). Frozen: later changes go in new migrations. Imports only Kysely.
 *
 * - `totp_credentials.recent_offsets`: the step offsets of the latest accepted codes (comma-separated).
 * - `totp_credentials.skew_steps`: the learned offset the verification window is centred on (0: now).
 */
import type { Kysely } from 'kysely';

// biome-ignore lint/suspicious/noExplicitAny: migrations are written against the database as it was then.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('totp_credentials').addColumn('recent_offsets', 'text').execute();
  await db.schema
    .alterTable('totp_credentials')
    .addColumn('skew_steps', 'integer', (col) => col.notNull().defaultTo(0))
    .execute();
}

// biome-ignore lint/suspicious/noExplicitAny: see up().
export async function down(db: Kysely<any>): Promise<void> {
  for (const column of ['skew_steps', 'recent_offsets']) {
    await db.schema.alterTable('totp_credentials').dropColumn(column).execute();
  }
}
