/** The message_codes table: hashes of codes and links sent by message, one live row per user and purpose. */
import type { Kysely } from 'kysely';
import type { Database, MessageCodePurpose, MessageCodeRow, NewMessageCode } from './schema.ts';

export async function findMessageCode(
  db: Kysely<Database>,
  userId: string,
  purpose: MessageCodePurpose,
): Promise<MessageCodeRow | undefined> {
  return db
    .selectFrom('message_codes')
    .selectAll()
    .where('user_id', '=', userId)
    .where('purpose', '=', purpose)
    .executeTakeFirst();
}

export async function findMessageCodeByTokenHash(
  db: Kysely<Database>,
  tokenHash: string,
): Promise<MessageCodeRow | undefined> {
  return db.selectFrom('message_codes').selectAll().where('token_hash', '=', tokenHash).executeTakeFirst();
}

/**
 * Puts a new code in the user's row for its purpose (the previous one stops working), unless another send
 * changed the row since it was read (`expectedSentAtMs`, null when there was none): of two resends racing,
 * one is sent. True when this one was stored.
 */
export async function storeMessageCode(
  db: Kysely<Database>,
  row: NewMessageCode,
  expectedSentAtMs: number | null,
): Promise<boolean> {
  if (expectedSentAtMs === null) {
    const result = await db
      .insertInto('message_codes')
      .values(row)
      .onConflict((oc) => oc.columns(['user_id', 'purpose']).doNothing())
      .executeTakeFirst();
    return (result.numInsertedOrUpdatedRows ?? 0n) === 1n;
  }
  const { id: _id, user_id, purpose, ...fields } = row;
  const result = await db
    .updateTable('message_codes')
    .set({ ...fields, attempts: 0, used_at_ms: null })
    .where('user_id', '=', user_id)
    .where('purpose', '=', purpose)
    .where('sent_at_ms', '=', expectedSentAtMs)
    .executeTakeFirst();
  return result.numUpdatedRows === 1n;
}

/**
 * Counts one attempt at the code before it is compared: `attempts + 1` only while under `maxAttempts` and
 * unused. Returns the attempts used, this one included, or undefined when none is left.
 */
export async function spendMessageCodeAttempt(
  db: Kysely<Database>,
  input: { id: string; maxAttempts: number },
): Promise<number | undefined> {
  const row = await db
    .updateTable('message_codes')
    .set((eb) => ({ attempts: eb('attempts', '+', 1) }))
    .where('id', '=', input.id)
    .where('attempts', '<', input.maxAttempts)
    .where('used_at_ms', 'is', null)
    .returning('attempts')
    .executeTakeFirst();
  return row?.attempts;
}

/** Uses the code up, if it is still unused and unexpired: of two racing requests, one gets true. */
export async function claimMessageCode(
  db: Kysely<Database>,
  input: { id: string; nowMs: number },
): Promise<boolean> {
  const result = await db
    .updateTable('message_codes')
    .set({ used_at_ms: input.nowMs })
    .where('id', '=', input.id)
    .where('used_at_ms', 'is', null)
    .where('expires_at_ms', '>', input.nowMs)
    .executeTakeFirst();
  return result.numUpdatedRows === 1n;
}

/**
 * Voids the user's live codes for `purposes` (they were sent to a number or address that is no longer the
 * account's) while keeping their send counts: the limits on sending go on counting.
 */
export async function voidMessageCodes(
  db: Kysely<Database>,
  input: { userId: string; purposes: readonly MessageCodePurpose[]; nowMs: number },
): Promise<void> {
  await db
    .updateTable('message_codes')
    .set({ used_at_ms: input.nowMs })
    .where('user_id', '=', input.userId)
    .where('purpose', 'in', [...input.purposes])
    .where('used_at_ms', 'is', null)
    .execute();
}

/** Forgets the user's code for `purpose` (its sends count too: it was for another address). */
export async function deleteMessageCode(
  db: Kysely<Database>,
  input: { userId: string; purposes: readonly MessageCodePurpose[] },
): Promise<void> {
  await db
    .deleteFrom('message_codes')
    .where('user_id', '=', input.userId)
    .where('purpose', 'in', [...input.purposes])
    .execute();
}
