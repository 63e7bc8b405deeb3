/**
 * The calling apps' subjects (api_subjects: tenant and external id -> the `users` row factors key on) and the
 * TOTP set-ups started through the API (api_enrollments).
 */
import type { Kysely } from 'kysely';
import type { ApiEnrollmentRow, Database, NewApiEnrollment } from './schema.ts';

/** The principal (users.id) of a tenant's subject, or undefined. */
export async function findSubjectUserId(
  db: Kysely<Database>,
  input: { tenant: string; externalId: string },
): Promise<string | undefined> {
  const row = await db
    .selectFrom('api_subjects')
    .select('user_id')
    .where('tenant', '=', input.tenant)
    .where('external_id', '=', input.externalId)
    .executeTakeFirst();
  return row?.user_id;
}

/**
 * Creates the principal of a subject: a `users` row with a placeholder email that is not an email address
 * (sign-up and login refuse its shape before any lookup) and a password hash no password matches, plus the
 * mapping. Call inside a transaction.
 */
/**
 * The start of an API subject's placeholder email (`api-subject:<user id>`): not an address (no '@', and no
 * real account's address may hold a ':'), so no message is ever sent to it (services/messages/messenger.ts).
 */
export const SUBJECT_EMAIL_PREFIX = 'api-subject:';

export async function insertSubject(
  db: Kysely<Database>,
  input: { userId: string; tenant: string; externalId: string; nowMs: number },
): Promise<void> {
  await db
    .insertInto('users')
    .values({
      id: input.userId,
      email: `${SUBJECT_EMAIL_PREFIX}${input.userId}`,
      password_hash: '!',
      created_at_ms: input.nowMs,
      updated_at_ms: input.nowMs,
    })
    .execute();
  await db
    .insertInto('api_subjects')
    .values({
      user_id: input.userId,
      tenant: input.tenant,
      external_id: input.externalId,
      created_at_ms: input.nowMs,
    })
    .execute();
}

export async function insertApiEnrollment(db: Kysely<Database>, row: NewApiEnrollment): Promise<void> {
  await db.insertInto('api_enrollments').values(row).execute();
}

export async function findApiEnrollment(
  db: Kysely<Database>,
  id: string,
): Promise<ApiEnrollmentRow | undefined> {
  return db.selectFrom('api_enrollments').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function findApiEnrollmentByIdempotencyKey(
  db: Kysely<Database>,
  input: { apiKeyId: string; idempotencyKey: string },
): Promise<ApiEnrollmentRow | undefined> {
  return db
    .selectFrom('api_enrollments')
    .selectAll()
    .where('api_key_id', '=', input.apiKeyId)
    .where('idempotency_key', '=', input.idempotencyKey)
    .executeTakeFirst();
}

export async function deleteApiEnrollment(db: Kysely<Database>, id: string): Promise<void> {
  await db.deleteFrom('api_enrollments').where('id', '=', id).execute();
}

/**
 * Deletes the subject's set-up rows without an Idempotency-Key whose credential is gone (expired, replaced or
 * removed). Rows with a key stay until that key is next used: they hold it against a racing request.
 */
export async function deleteStaleApiEnrollments(db: Kysely<Database>, userId: string): Promise<void> {
  await db
    .deleteFrom('api_enrollments')
    .where('user_id', '=', userId)
    .where('idempotency_key', 'is', null)
    .where('id', 'not in', (eb) =>
      eb.selectFrom('totp_credentials').select('id').where('user_id', '=', userId),
    )
    .execute();
}
