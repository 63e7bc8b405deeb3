/**
 * Password checks counted when they are checked, not before. Frozen: later changes go in new migrations.
 * Imports only Kysely.
 *
 * - `login_throttle.in_flight`: password checks reserved for the email and not settled yet (argon2 still
 *   running); they count against the limit with the failures, so racing requests can never check more than
 *   the limit, and each is released when the password was right or turned into a failure when it was wrong.
 * - `login_throttle.in_flight_until_ms`: the reservations' lease: past it, `in_flight` counts as 0 (a process
 *   that died mid-check does not hold its slot for ever).
 */
import type { Kysely } from 'kysely';

// biome-ignore lint/suspicious/noExplicitAny: migrations are written against the database as it was then.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('login_throttle')
    .addColumn('in_flight', 'integer', (col) => col.notNull().defaultTo(0))
    .execute();
  await db.schema
    .alterTable('login_throttle')
    .addColumn('in_flight_until_ms', 'bigint', (col) => col.notNull().defaultTo(0))
    .execute();
}

// biome-ignore lint/suspicious/noExplicitAny: see up().
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('login_throttle').dropColumn('in_flight_until_ms').execute();
  await db.schema.alterTable('login_throttle').dropColumn('in_flight').execute();
}
