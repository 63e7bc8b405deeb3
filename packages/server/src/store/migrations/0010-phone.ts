/**
 * A phone number for codes by text message. Frozen: later changes go in new migrations. Imports only Kysely.
 *
 * - `users.phone_key_id`, `users.phone_ciphertext`: the number, sealed (AES-256-GCM under the master key,
 *   associated data `twofa:phone:<user id>`): a copy of the database does not hold it in clear.
 * - `users.phone_verified_at_ms`: when a code sent to it came back; `users.sms_factor_at_ms`: codes by text
 *   message turned on (null: off).
 */
import type { Kysely } from 'kysely';

// biome-ignore lint/suspicious/noExplicitAny: migrations are written against the database as it was then.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('users').addColumn('phone_key_id', 'text').execute();
  await db.schema.alterTable('users').addColumn('phone_ciphertext', 'text').execute();
  await db.schema.alterTable('users').addColumn('phone_verified_at_ms', 'bigint').execute();
  await db.schema.alterTable('users').addColumn('sms_factor_at_ms', 'bigint').execute();
}

// biome-ignore lint/suspicious/noExplicitAny: see up().
export async function down(db: Kysely<any>): Promise<void> {
  for (const column of ['sms_factor_at_ms', 'phone_verified_at_ms', 'phone_ciphertext', 'phone_key_id']) {
    await db.schema.alterTable('users').dropColumn(column).execute();
  }
}
