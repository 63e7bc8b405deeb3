/** The hotp_credentials table: a user's hardware token (at most one per user). */
import type { Kysely } from 'kysely';
import type { Database, HotpCredentialRow, NewHotpCredential } from './schema.ts';
import { updateSealedColumns } from './totp-credentials-repo.ts';

export async function findHotpCredential(
  db: Kysely<Database>,
  userId: string,
): Promise<HotpCredentialRow | undefined> {
  return db.selectFrom('hotp_credentials').selectAll().where('user_id', '=', userId).executeTakeFirst();
}

/**
 * Inserts the user's token unless they already have one (the unique user_id decides between racing
 * registrations, on either dialect). True when inserted.
 */
export async function insertHotpCredential(db: Kysely<Database>, row: NewHotpCredential): Promise<boolean> {
  const inserted = await db
    .insertInto('hotp_credentials')
    .values(row)
    .onConflict((oc) => oc.column('user_id').doNothing())
    .returning('id')
    .executeTakeFirst();
  return inserted !== undefined;
}

export async function deleteHotpCredentialsOfUser(db: Kysely<Database>, userId: string): Promise<number> {
  const result = await db.deleteFrom('hotp_credentials').where('user_id', '=', userId).executeTakeFirst();
  return Number(result.numDeletedRows);
}

/**
 * RFC 4226 s7.2 (a code works once): moves the counter from `expected` to `next` in one conditional UPDATE,
 * so of two requests racing with right codes (the same or different ones) exactly one changes the row; the
 * other finds the counter moved and its code refused. True when this call won.
 */
export async function advanceCounter(
  db: Kysely<Database>,
  input: { id: string; expected: number; next: number; nowMs: number },
): Promise<boolean> {
  const result = await db
    .updateTable('hotp_credentials')
    .set({ next_counter: input.next, last_used_at_ms: input.nowMs })
    .where('id', '=', input.id)
    .where('next_counter', '=', input.expected)
    .executeTakeFirst();
  return result.numUpdatedRows === 1n;
}

/** Re-seals a token's secret under another key (rotation); the same guards as the TOTP one. */
export async function updateSealedHotpSecret(
  db: Kysely<Database>,
  input: { id: string; fromKeyId: string; keyId: string; ciphertext: string },
): Promise<boolean> {
  return updateSealedColumns(db, 'hotp_credentials', input);
}

/** Up to `limit` sealed token secrets not under `keyId`, with ids after `afterId`, in id order (rotation). */
export async function listHotpSecretsNotUnder(
  db: Kysely<Database>,
  input: { keyId: string; afterId: string; limit: number },
): Promise<Pick<HotpCredentialRow, 'id' | 'user_id' | 'secret_key_id' | 'secret_ciphertext'>[]> {
  return db
    .selectFrom('hotp_credentials')
    .select(['id', 'user_id', 'secret_key_id', 'secret_ciphertext'])
    .where('secret_key_id', '<>', input.keyId)
    .where('id', '>', input.afterId)
    .orderBy('id')
    .limit(input.limit)
    .execute();
}
