/**
 * The master key's state (master_key_state, one row once a rotation has run), the running instances'
 * heartbeats (keyring_instances), and the statements a rotation walks the sealed secrets with.
 */
import { type Kysely, type RawBuilder, type SqlBool, sql } from 'kysely';
import { countUnrevokedApiKeysByKeyId } from './api-keys-repo.ts';
import type { Database, KeyringInstanceRow, MasterKeyStateRow, TotpCredentialRow } from './schema.ts';

/** The state is one row with this id. */
const STATE_ID = 1;

export async function readKeyState(db: Kysely<Database>): Promise<MasterKeyStateRow | undefined> {
  return db.selectFrom('master_key_state').selectAll().where('id', '=', STATE_ID).executeTakeFirst();
}

/** Makes `keyId` current and starts a rotation away from `previousKeyId` (progress back to 0). */
export async function startRotation(
  db: Kysely<Database>,
  input: { keyId: string; previousKeyId: string; nowMs: number },
): Promise<void> {
  const values = {
    current_key_id: input.keyId,
    previous_key_id: input.previousKeyId,
    rotation_started_at_ms: input.nowMs,
    rotation_finished_at_ms: null,
    resealed: 0,
  };
  await db
    .insertInto('master_key_state')
    .values({ id: STATE_ID, ...values })
    .onConflict((oc) => oc.column('id').doUpdateSet(values))
    .execute();
}

export async function addResealed(db: Kysely<Database>, count: number): Promise<void> {
  await db
    .updateTable('master_key_state')
    .set((eb) => ({ resealed: eb('resealed', '+', count) }))
    .where('id', '=', STATE_ID)
    .execute();
}

export async function finishRotation(db: Kysely<Database>, nowMs: number): Promise<void> {
  await db
    .updateTable('master_key_state')
    .set({ rotation_finished_at_ms: nowMs })
    .where('id', '=', STATE_ID)
    .execute();
}

/** The retired key is no longer the previous one. */
export async function clearPreviousKey(db: Kysely<Database>, keyId: string): Promise<void> {
  await db
    .updateTable('master_key_state')
    .set({ previous_key_id: null })
    .where('id', '=', STATE_ID)
    .where('previous_key_id', '=', keyId)
    .execute();
}

/** Up to `limit` sealed TOTP secrets not under `keyId`, with ids after `afterId`, in id order. */
export async function listSecretsNotUnder(
  db: Kysely<Database>,
  input: { keyId: string; afterId: string; limit: number },
): Promise<Pick<TotpCredentialRow, 'id' | 'user_id' | 'secret_key_id' | 'secret_ciphertext'>[]> {
  return db
    .selectFrom('totp_credentials')
    .select(['id', 'user_id', 'secret_key_id', 'secret_ciphertext'])
    .where('secret_key_id', '<>', input.keyId)
    .where('id', '>', input.afterId)
    .orderBy('id')
    .limit(input.limit)
    .execute();
}

/** Up to `limit` sealed phone numbers (users) not under `keyId`, with user ids after `afterId`, in id order. */
export async function listPhonesNotUnder(
  db: Kysely<Database>,
  input: { keyId: string; afterId: string; limit: number },
): Promise<{ id: string; phone_key_id: string; phone_ciphertext: string }[]> {
  return db
    .selectFrom('users')
    .select(['id', 'phone_key_id', 'phone_ciphertext'])
    .where('phone_ciphertext', 'is not', null)
    .where('phone_key_id', 'is not', null)
    .where('phone_key_id', '<>', input.keyId)
    .where('id', '>', input.afterId)
    .orderBy('id')
    .limit(input.limit)
    .$narrowType<{ phone_key_id: string; phone_ciphertext: string }>()
    .execute();
}

/** What one master key id still protects. */
export interface KeyUse {
  keyId: string;
  /** OATH secrets: the app's (TOTP) and hardware tokens' (HOTP). */
  totpSecrets: number;
  recoveryCodes: number;
  phoneNumbers: number;
  apiKeys: number;
}

/** How many TOTP secrets, unused recovery codes, phone numbers and unrevoked API keys each key id holds. */
export async function countByKeyId(db: Kysely<Database>): Promise<KeyUse[]> {
  const secrets = await db
    .selectFrom('totp_credentials')
    .select((eb) => ['secret_key_id as key_id', eb.fn.countAll<number>().as('n')])
    .groupBy('secret_key_id')
    .execute();
  const tokenSecrets = await db
    .selectFrom('hotp_credentials')
    .select((eb) => ['secret_key_id as key_id', eb.fn.countAll<number>().as('n')])
    .groupBy('secret_key_id')
    .execute();
  const codes = await db
    .selectFrom('recovery_codes')
    .select((eb) => ['key_id', eb.fn.countAll<number>().as('n')])
    .where('used_at_ms', 'is', null)
    .groupBy('key_id')
    .execute();
  const apiKeys = await countUnrevokedApiKeysByKeyId(db);
  const phones = await db
    .selectFrom('users')
    .select((eb) => ['phone_key_id as key_id', eb.fn.countAll<number>().as('n')])
    .where('phone_ciphertext', 'is not', null)
    .where('phone_key_id', 'is not', null)
    .groupBy('phone_key_id')
    .$narrowType<{ key_id: string }>()
    .execute();
  const byId = new Map<string, KeyUse>();
  const entry = (keyId: string) => {
    let found = byId.get(keyId);
    if (found === undefined) {
      found = { keyId, totpSecrets: 0, recoveryCodes: 0, phoneNumbers: 0, apiKeys: 0 };
      byId.set(keyId, found);
    }
    return found;
  };
  for (const row of secrets) entry(row.key_id).totpSecrets = Number(row.n);
  for (const row of tokenSecrets) entry(row.key_id).totpSecrets += Number(row.n);
  for (const row of codes) entry(row.key_id).recoveryCodes = Number(row.n);
  for (const row of apiKeys) entry(row.keyId).apiKeys = row.count;
  for (const row of phones) entry(row.key_id).phoneNumbers = Number(row.n);
  return [...byId.values()].sort((a, b) => a.keyId.localeCompare(b.keyId));
}

/** Records (or refreshes) an instance's heartbeat. */
export async function upsertInstance(db: Kysely<Database>, row: KeyringInstanceRow): Promise<void> {
  const { id: _id, ...changes } = row;
  await db
    .insertInto('keyring_instances')
    .values(row)
    .onConflict((oc) => oc.column('id').doUpdateSet(changes))
    .execute();
}

export async function deleteInstance(db: Kysely<Database>, id: string): Promise<void> {
  await db.deleteFrom('keyring_instances').where('id', '=', id).execute();
}

/** Instances seen since `seenAfterMs` (the others have stopped, or crashed). */
export async function listLiveInstances(
  db: Kysely<Database>,
  seenAfterMs: number,
): Promise<KeyringInstanceRow[]> {
  return db
    .selectFrom('keyring_instances')
    .selectAll()
    .where('seen_at_ms', '>', seenAfterMs)
    .orderBy('host')
    .orderBy('pid')
    .execute();
}

/** Forgets heartbeats older than `seenBeforeMs`. */
export async function purgeInstances(db: Kysely<Database>, seenBeforeMs: number): Promise<void> {
  await db.deleteFrom('keyring_instances').where('seen_at_ms', '<', seenBeforeMs).execute();
}

/**
 * A WHERE condition for a re-seal: true unless the database names another key current (a row sealed under a
 * key that is not current, by an instance that has not seen a rotation, would keep the old key needed).
 */
export function keyIsCurrent(keyId: string): RawBuilder<SqlBool> {
  return sql<SqlBool>`not exists (select 1 from master_key_state where current_key_id <> ${keyId})`;
}
