/** The users table. */
import type { Kysely } from 'kysely';
import { keyIsCurrent } from './key-state-repo.ts';
import type { Database, NewUser, UserRow } from './schema.ts';

export async function insertUser(db: Kysely<Database>, user: NewUser): Promise<void> {
  await db.insertInto('users').values(user).execute();
}

export async function findUserById(db: Kysely<Database>, id: string): Promise<UserRow | undefined> {
  return db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
}

/**
 * Serialises changes to one user's rows for the rest of the transaction: an UPDATE that changes nothing
 * still takes the row's write lock on PostgreSQL (SQLite's read-write transactions already hold the database's
 * write lock). Use it where two requests of one user would otherwise race on a unique index.
 */
export async function lockUserRow(db: Kysely<Database>, id: string): Promise<void> {
  await db
    .updateTable('users')
    .set((eb) => ({ id: eb.ref('id') }))
    .where('id', '=', id)
    .execute();
}

/** `email` must already be normalised. */
export async function findUserByEmail(db: Kysely<Database>, email: string): Promise<UserRow | undefined> {
  return db.selectFrom('users').selectAll().where('email', '=', email).executeTakeFirst();
}

/**
 * Replaces the password hash. With `expectedHash`, only if the stored hash is still that one (a rehash at
 * login must not undo a password change that landed meanwhile). True when the row changed.
 */
export async function updatePasswordHash(
  db: Kysely<Database>,
  input: { id: string; passwordHash: string; nowMs: number; expectedHash?: string },
): Promise<boolean> {
  let query = db
    .updateTable('users')
    .set({ password_hash: input.passwordHash, updated_at_ms: input.nowMs })
    .where('id', '=', input.id);
  if (input.expectedHash !== undefined) query = query.where('password_hash', '=', input.expectedHash);
  const result = await query.executeTakeFirst();
  return result.numUpdatedRows === 1n;
}

/** Marks the address as verified (once: a second verification keeps the first time). */
export async function markEmailVerified(
  db: Kysely<Database>,
  input: { id: string; nowMs: number },
): Promise<void> {
  await db
    .updateTable('users')
    .set({ email_verified_at_ms: input.nowMs })
    .where('id', '=', input.id)
    .where('email_verified_at_ms', 'is', null)
    .execute();
}

/** Turns codes by email or by text message on (a time) or off (null). */
export async function setMessageFactor(
  db: Kysely<Database>,
  input: { id: string; channel: 'email' | 'sms'; atMs: number | null },
): Promise<boolean> {
  const result = await db
    .updateTable('users')
    .set(input.channel === 'email' ? { email_factor_at_ms: input.atMs } : { sms_factor_at_ms: input.atMs })
    .where('id', '=', input.id)
    .executeTakeFirst();
  return result.numUpdatedRows === 1n;
}

/** Sets a new, unverified number (sealed), which also turns codes by text message off. */
export async function setPhone(
  db: Kysely<Database>,
  input: { id: string; keyId: string; ciphertext: string },
): Promise<void> {
  await db
    .updateTable('users')
    .set({
      phone_key_id: input.keyId,
      phone_ciphertext: input.ciphertext,
      phone_verified_at_ms: null,
      sms_factor_at_ms: null,
    })
    .where('id', '=', input.id)
    .execute();
}

/**
 * Re-seals a phone number under `keyId` (a master key rotation), only if it is still under `fromKeyId` and
 * `keyId` is the database's current key (as updateSealedSecret for TOTP secrets).
 */
export async function updateSealedPhone(
  db: Kysely<Database>,
  input: { id: string; fromKeyId: string; keyId: string; ciphertext: string },
): Promise<boolean> {
  const result = await db
    .updateTable('users')
    .set({ phone_key_id: input.keyId, phone_ciphertext: input.ciphertext })
    .where('id', '=', input.id)
    .where('phone_key_id', '=', input.fromKeyId)
    .where(keyIsCurrent(input.keyId))
    .executeTakeFirst();
  return result.numUpdatedRows === 1n;
}

export async function markPhoneVerified(
  db: Kysely<Database>,
  input: { id: string; nowMs: number },
): Promise<void> {
  await db
    .updateTable('users')
    .set({ phone_verified_at_ms: input.nowMs })
    .where('id', '=', input.id)
    .execute();
}

/** A new address, not confirmed yet: codes by email stop until it is. */
export async function changeEmail(
  db: Kysely<Database>,
  input: { id: string; email: string; nowMs: number },
): Promise<void> {
  await db
    .updateTable('users')
    .set({
      email: input.email,
      email_verified_at_ms: null,
      email_factor_at_ms: null,
      updated_at_ms: input.nowMs,
    })
    .where('id', '=', input.id)
    .execute();
}

/** Users in email order, after `afterEmail` (normalised) when given. API subjects (api_subjects) are not users. */
export async function listUsersPage(
  db: Kysely<Database>,
  input: { limit: number; afterEmail?: string },
): Promise<UserRow[]> {
  let query = db
    .selectFrom('users')
    .selectAll()
    .where('id', 'not in', (eb) => eb.selectFrom('api_subjects').select('user_id'))
    .orderBy('email')
    .limit(input.limit);
  if (input.afterEmail !== undefined) query = query.where('email', '>', input.afterEmail);
  return query.execute();
}
