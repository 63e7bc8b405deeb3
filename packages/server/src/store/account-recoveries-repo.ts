/** The account_recoveries table: one request per user at most. */
import type { Kysely } from 'kysely';
import type { AccountRecoveryRow, Database } from './schema.ts';

export async function findAccountRecovery(
  db: Kysely<Database>,
  userId: string,
): Promise<AccountRecoveryRow | undefined> {
  return db.selectFrom('account_recoveries').selectAll().where('user_id', '=', userId).executeTakeFirst();
}

/** A new request (`requested`), replacing any earlier one that was never confirmed. */
export async function putAccountRecovery(
  db: Kysely<Database>,
  input: { userId: string; nowMs: number },
): Promise<void> {
  await db
    .deleteFrom('account_recoveries')
    .where('user_id', '=', input.userId)
    .where('state', '=', 'requested')
    .execute();
  await db
    .insertInto('account_recoveries')
    .values({ user_id: input.userId, state: 'requested', created_at_ms: input.nowMs, ready_at_ms: null })
    .onConflict((oc) => oc.column('user_id').doNothing())
    .execute();
}

/** `requested` to `waiting` until `readyAtMs`; false when there was no such request. */
export async function startAccountRecovery(
  db: Kysely<Database>,
  input: { userId: string; readyAtMs: number },
): Promise<boolean> {
  const result = await db
    .updateTable('account_recoveries')
    .set({ state: 'waiting', ready_at_ms: input.readyAtMs })
    .where('user_id', '=', input.userId)
    .where('state', '=', 'requested')
    .executeTakeFirst();
  return result.numUpdatedRows === 1n;
}

/** Ends the request (cancelled or completed); true when there was one. */
export async function deleteAccountRecovery(db: Kysely<Database>, userId: string): Promise<boolean> {
  const result = await db.deleteFrom('account_recoveries').where('user_id', '=', userId).executeTakeFirst();
  return result.numDeletedRows === 1n;
}
