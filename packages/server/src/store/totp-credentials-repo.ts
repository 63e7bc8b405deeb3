/** The totp_credentials table: at most one 'pending' (being set up) and one 'active' row per user. */
import type { Kysely } from 'kysely';
import { compiledOnce } from './compiled-query.ts';
import { keyIsCurrent } from './key-state-repo.ts';
import type { Database, NewTotpCredential, TotpCredentialRow, TotpCredentialState } from './schema.ts';

// The code step's statements, compiled once (store/compiled-query.ts).
const findCredentialQuery = compiledOnce((db, input: { userId: string; state: TotpCredentialState }) =>
  db
    .selectFrom('totp_credentials')
    .selectAll()
    .where('user_id', '=', input.userId)
    .where('state', '=', input.state),
);
const claimStepQuery = compiledOnce((db, input: Required<ClaimStepInput>) =>
  db
    .updateTable('totp_credentials')
    // A claim without a skew record (store tests) leaves the row's as it was.
    .set((eb) => ({
      last_used_step: input.step,
      recent_offsets: eb.fn.coalesce(eb.val(input.recentOffsets), eb.ref('recent_offsets')),
      skew_steps: eb.fn.coalesce(eb.val(input.skewSteps), eb.ref('skew_steps')),
    }))
    .where('id', '=', input.id)
    .where((eb) => eb.or([eb('last_used_step', 'is', null), eb('last_used_step', '<', input.step)]))
    .where('state', '=', input.state),
);

/** A claim: the step, and the clock-skew record it leaves (services/factors/totp.ts decides it). */
export type ClaimStepInput = {
  id: string;
  step: number;
  state: TotpCredentialState;
  recentOffsets?: string | null;
  skewSteps?: number | null;
};

export async function findCredential(
  db: Kysely<Database>,
  userId: string,
  state: TotpCredentialState,
): Promise<TotpCredentialRow | undefined> {
  return (await findCredentialQuery.execute(db, { userId, state })).rows[0];
}

export async function insertCredential(db: Kysely<Database>, credential: NewTotpCredential): Promise<void> {
  await db.insertInto('totp_credentials').values(credential).execute();
}

export async function deleteCredential(db: Kysely<Database>, id: string): Promise<void> {
  await db.deleteFrom('totp_credentials').where('id', '=', id).execute();
}

/** Deletes a credential only while it is still pending (an expired or cancelled set-up). True when deleted. */
export async function deletePendingCredential(db: Kysely<Database>, id: string): Promise<boolean> {
  const result = await db
    .deleteFrom('totp_credentials')
    .where('id', '=', id)
    .where('state', '=', 'pending')
    .executeTakeFirst();
  return result.numDeletedRows === 1n;
}

export async function deleteCredentialsOfUser(
  db: Kysely<Database>,
  userId: string,
  state?: TotpCredentialState,
): Promise<number> {
  let query = db.deleteFrom('totp_credentials').where('user_id', '=', userId);
  if (state !== undefined) query = query.where('state', '=', state);
  const result = await query.executeTakeFirst();
  return Number(result.numDeletedRows);
}

/**
 * The replay guard (RFC 6238 s5.2): records `step` as used only if it is later than the last used step and
 * the row is in `state`, in one conditional UPDATE, so of two requests racing with the same code exactly one
 * changes the row (and writes its skew record). True when this call won.
 */
export async function claimStep(db: Kysely<Database>, input: ClaimStepInput): Promise<boolean> {
  const full = { ...input, recentOffsets: input.recentOffsets ?? null, skewSteps: input.skewSteps ?? null };
  return (await claimStepQuery.execute(db, full)).numAffectedRows === 1n;
}

/** Turns a pending credential active (after its code was claimed). True when it was still pending. */
export async function activateCredential(
  db: Kysely<Database>,
  input: { id: string; nowMs: number },
): Promise<boolean> {
  const result = await db
    .updateTable('totp_credentials')
    .set({ state: 'active', confirmed_at_ms: input.nowMs })
    .where('id', '=', input.id)
    .where('state', '=', 'pending')
    .executeTakeFirst();
  return result.numUpdatedRows === 1n;
}

/**
 * Re-seals a secret under another key (rotation), unless someone else re-sealed it first, and only under the
 * key the database names current (when it names one): an instance that has not yet seen a rotation never
 * seals a secret back under the old key. True when the row changed.
 */
export async function updateSealedSecret(
  db: Kysely<Database>,
  input: { id: string; fromKeyId: string; keyId: string; ciphertext: string },
): Promise<boolean> {
  return updateSealedColumns(db, 'totp_credentials', input);
}

/**
 * The re-seal of {@link updateSealedSecret} on any credential table with the same sealed columns
 * (`secret_key_id`, `secret_ciphertext`): the TOTP and the HOTP tables.
 */
export async function updateSealedColumns(
  db: Kysely<Database>,
  table: 'totp_credentials' | 'hotp_credentials',
  input: { id: string; fromKeyId: string; keyId: string; ciphertext: string },
): Promise<boolean> {
  // One table at a time for the types: the two share the columns this touches.
  const result = await db
    .updateTable(table as 'totp_credentials')
    .set({ secret_key_id: input.keyId, secret_ciphertext: input.ciphertext })
    .where('id', '=', input.id)
    .where('secret_key_id', '=', input.fromKeyId)
    .where(keyIsCurrent(input.keyId))
    .executeTakeFirst();
  return result.numUpdatedRows === 1n;
}

/** The key ids sealed values (TOTP and HOTP secrets, phone numbers) are under, to refuse a start that cannot open them. */
export async function listSecretKeyIds(db: Kysely<Database>): Promise<string[]> {
  const rows = await db.selectFrom('totp_credentials').select('secret_key_id').distinct().execute();
  const tokens = await db.selectFrom('hotp_credentials').select('secret_key_id').distinct().execute();
  const phones = await db
    .selectFrom('users')
    .select('phone_key_id')
    .where('phone_key_id', 'is not', null)
    .distinct()
    .$narrowType<{ phone_key_id: string }>()
    .execute();
  return [
    ...new Set([
      ...rows.map((row) => row.secret_key_id),
      ...tokens.map((row) => row.secret_key_id),
      ...phones.map((row) => row.phone_key_id),
    ]),
  ];
}

/**
 * The most recent sealed secrets under one key id (at most `limit` of the app's, and as many hardware
 * tokens'), to check at start that the key opens them; `kind` says which table (and so which context).
 */
export async function listRecentSealedSecrets(
  db: Kysely<Database>,
  input: { keyId: string; limit: number },
): Promise<
  (Pick<TotpCredentialRow, 'id' | 'user_id' | 'secret_key_id' | 'secret_ciphertext'> & {
    kind: 'totp' | 'hotp';
  })[]
> {
  const rows = await db
    .selectFrom('totp_credentials')
    .select(['id', 'user_id', 'secret_key_id', 'secret_ciphertext'])
    .where('secret_key_id', '=', input.keyId)
    .orderBy('created_at_ms', 'desc')
    .limit(input.limit)
    .execute();
  const tokens = await db
    .selectFrom('hotp_credentials')
    .select(['id', 'user_id', 'secret_key_id', 'secret_ciphertext'])
    .where('secret_key_id', '=', input.keyId)
    .orderBy('created_at_ms', 'desc')
    .limit(input.limit)
    .execute();
  return [
    ...rows.map((row) => ({ ...row, kind: 'totp' as const })),
    ...tokens.map((row) => ({ ...row, kind: 'hotp' as const })),
  ];
}
