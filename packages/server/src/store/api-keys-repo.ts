/** The api_keys table: a public prefix per key and a keyed hash of its secret part. */
import type { Kysely } from 'kysely';
import type { ApiKeyRow, Database, NewApiKey } from './schema.ts';

export async function insertApiKey(db: Kysely<Database>, key: NewApiKey): Promise<void> {
  await db.insertInto('api_keys').values(key).execute();
}

export async function findApiKeyByPrefix(
  db: Kysely<Database>,
  prefix: string,
): Promise<ApiKeyRow | undefined> {
  return db.selectFrom('api_keys').selectAll().where('prefix', '=', prefix).executeTakeFirst();
}

/** Every key, newest first (revoked ones too: the list is an operator's record). */
export async function listApiKeys(db: Kysely<Database>): Promise<ApiKeyRow[]> {
  return db.selectFrom('api_keys').selectAll().orderBy('created_at_ms', 'desc').orderBy('id').execute();
}

/** Revokes the key whose id or prefix is `idOrPrefix`, unless already revoked. The row when this call did. */
export async function revokeApiKey(
  db: Kysely<Database>,
  input: { idOrPrefix: string; nowMs: number },
): Promise<ApiKeyRow | undefined> {
  return db
    .updateTable('api_keys')
    .set({ revoked_at_ms: input.nowMs })
    .where((eb) => eb.or([eb('id', '=', input.idOrPrefix), eb('prefix', '=', input.idOrPrefix)]))
    .where('revoked_at_ms', 'is', null)
    .returningAll()
    .executeTakeFirst();
}

/** Records a use, at most once per `intervalMs` (a conditional UPDATE: no read, and no write most times). */
export async function touchApiKey(
  db: Kysely<Database>,
  input: { id: string; nowMs: number; intervalMs: number },
): Promise<void> {
  await db
    .updateTable('api_keys')
    .set({ last_used_at_ms: input.nowMs })
    .where('id', '=', input.id)
    .where((eb) =>
      eb.or([eb('last_used_at_ms', 'is', null), eb('last_used_at_ms', '<=', input.nowMs - input.intervalMs)]),
    )
    .execute();
}

/**
 * Re-hashes a key's secret under another master key (rotation), unless someone else did first, and only
 * under the key the database names current (as updateSealedSecret): an instance that has not yet seen a
 * rotation must not move a key back under the old master key.
 */
export async function rehashApiKey(
  db: Kysely<Database>,
  input: { id: string; fromKeyId: string; keyId: string; secretHash: string },
): Promise<void> {
  await db
    .updateTable('api_keys')
    .set({ hash_key_id: input.keyId, secret_hash: input.secretHash })
    .where('id', '=', input.id)
    .where('hash_key_id', '=', input.fromKeyId)
    .where(({ exists, not, selectFrom }) =>
      not(exists(selectFrom('master_key_state').select('id').where('current_key_id', '<>', input.keyId))),
    )
    .execute();
}

/** How many unrevoked keys are hashed under each master key id, to refuse a start that lacks one of them. */
export async function countUnrevokedApiKeysByKeyId(
  db: Kysely<Database>,
): Promise<{ keyId: string; count: number }[]> {
  const rows = await db
    .selectFrom('api_keys')
    .select((eb) => ['hash_key_id', eb.fn.countAll<number>().as('n')])
    .where('revoked_at_ms', 'is', null)
    .groupBy('hash_key_id')
    .execute();
  return rows.map((row) => ({ keyId: row.hash_key_id, count: Number(row.n) }));
}
