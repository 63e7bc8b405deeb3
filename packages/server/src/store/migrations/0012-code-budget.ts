/**
 * The long-horizon budget of wrong 6-digit codes and in-flight code checks (issue #10). Frozen: later changes
 * go in new migrations. Imports only Kysely.
 *
 * - `second_factor_throttle.in_flight`: code checks reserved and not yet decided (counted against the
 *   short-term limit while they are compared; a wrong one becomes a failure, a right or replayed one is given
 *   back);
 * - `lease_until_ms`: in-flight reservations older than this were left by a process that stopped: the next
 *   reservation after it starts the count over;
 * - `budget_full_at_ms`: the budget as a token bucket in one number (GCRA): when the bucket would be full
 *   again. Each reserved check pushes it one refill interval later; a check is refused when that would put it
 *   more than the capacity ahead of now. An accepted code gives its own check back, nothing more.
 */
import type { Kysely } from 'kysely';

// biome-ignore lint/suspicious/noExplicitAny: migrations are written against the database as it was then.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('second_factor_throttle')
    .addColumn('in_flight', 'integer', (col) => col.notNull().defaultTo(0))
    .execute();
  await db.schema
    .alterTable('second_factor_throttle')
    .addColumn('lease_until_ms', 'bigint', (col) => col.notNull().defaultTo(0))
    .execute();
  await db.schema
    .alterTable('second_factor_throttle')
    .addColumn('budget_full_at_ms', 'bigint', (col) => col.notNull().defaultTo(0))
    .execute();
}

// biome-ignore lint/suspicious/noExplicitAny: see up().
export async function down(db: Kysely<any>): Promise<void> {
  for (const column of ['budget_full_at_ms', 'lease_until_ms', 'in_flight']) {
    await db.schema.alterTable('second_factor_throttle').dropColumn(column).execute();
  }
}
