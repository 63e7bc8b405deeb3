/** The recovery_codes table: keyed hashes only, each row used at most once. */
import type { Kysely } from 'kysely';
import type { Database, NewRecoveryCode } from './schema.ts';

/** Replaces the user's whole set (used and unused) with `codes`. Call inside a transaction. */
export async function replaceRecoveryCodes(
  db: Kysely<Database>,
  userId: string,
  codes: readonly NewRecoveryCode[],
): Promise<void> {
  await db.deleteFrom('recovery_codes').where('user_id', '=', userId).execute();
  if (codes.length > 0)
    await db
      .insertInto('recovery_codes')
      .values([...codes])
      .execute();
}

export async function deleteRecoveryCodesOfUser(db: Kysely<Database>, userId: string): Promise<void> {
  await db.deleteFrom('recovery_codes').where('user_id', '=', userId).execute();
}

export async function countUnusedRecoveryCodes(db: Kysely<Database>, userId: string): Promise<number> {
  const row = await db
    .selectFrom('recovery_codes')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('user_id', '=', userId)
    .where('used_at_ms', 'is', null)
    .executeTakeFirst();
  return Number(row?.n ?? 0);
}

/** The master key ids the user's unused codes are hashed under (one, except during a key rotation). */
export async function listRecoveryCodeKeyIds(db: Kysely<Database>, userId: string): Promise<string[]> {
  const rows = await db
    .selectFrom('recovery_codes')
    .select('key_id')
    .distinct()
    .where('user_id', '=', userId)
    .where('used_at_ms', 'is', null)
    .execute();
  return rows.map((row) => row.key_id);
}

/** Every master key id that unused recovery codes are hashed under (to refuse a keyring that lacks one). */
export async function listRecoveryCodeKeyIdsInUse(db: Kysely<Database>): Promise<string[]> {
  const rows = await db
    .selectFrom('recovery_codes')
    .select('key_id')
    .distinct()
    .where('used_at_ms', 'is', null)
    .execute();
  return rows.map((row) => row.key_id);
}

/**
 * Marks the unused code of the user whose hash is one of `codeHashes` as used, in one conditional UPDATE: of
 * two requests racing with one code, on one instance or many, exactly one changes the row. True for that one.
 */
export async function claimRecoveryCode(
  db: Kysely<Database>,
  input: { userId: string; codeHashes: readonly string[]; nowMs: number },
): Promise<boolean> {
  if (input.codeHashes.length === 0) return false;
  const result = await db
    .updateTable('recovery_codes')
    .set({ used_at_ms: input.nowMs })
    .where('user_id', '=', input.userId)
    .where('code_hash', 'in', [...input.codeHashes])
    .where('used_at_ms', 'is', null)
    .executeTakeFirst();
  return result.numUpdatedRows === 1n;
}
