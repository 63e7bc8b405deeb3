/** The sessions table. Rows are found by the SHA-256 of the cookie token; the token itself is never stored. */
import type { Kysely } from 'kysely';
import { compiledOnce, valuesOf } from './compiled-query.ts';
import type { Database, NewSession, SessionRow } from './schema.ts';

// The statements of every signed-in request and of the code step, compiled once (store/compiled-query.ts).
const SESSION_COLUMNS = [
  'id',
  'token_hash',
  'user_id',
  'state',
  'attempts',
  'created_at_ms',
  'last_seen_at_ms',
  'expires_at_ms',
  'factors',
] as const;
const insertSessionQuery = compiledOnce((db, row: Required<NewSession>) =>
  db.insertInto('sessions').values(valuesOf(row, SESSION_COLUMNS)),
);
const findSessionQuery = compiledOnce((db, input: { tokenHash: string }) =>
  db.selectFrom('sessions').selectAll().where('token_hash', '=', input.tokenHash),
);
const spendAttemptQuery = compiledOnce((db, input: { id: string; maxAttempts: number; nowMs: number }) =>
  db
    .updateTable('sessions')
    .set((eb) => ({ attempts: eb('attempts', '+', 1) }))
    .where('id', '=', input.id)
    .where('state', '=', 'pending')
    .where('attempts', '<', input.maxAttempts)
    .where('expires_at_ms', '>', input.nowMs)
    .returning('attempts'),
);
const deleteSessionQuery = compiledOnce((db, input: { id: string }) =>
  db.deleteFrom('sessions').where('id', '=', input.id),
);

export async function insertSession(db: Kysely<Database>, session: NewSession): Promise<void> {
  await insertSessionQuery.execute(db, {
    ...session,
    attempts: session.attempts ?? 0,
    factors: session.factors ?? null,
  });
}

export async function findSessionByTokenHash(
  db: Kysely<Database>,
  tokenHash: string,
): Promise<SessionRow | undefined> {
  return (await findSessionQuery.execute(db, { tokenHash })).rows[0];
}

/** Records activity for the idle timeout; never moves the time backwards. */
export async function touchSession(db: Kysely<Database>, id: string, nowMs: number): Promise<void> {
  await db
    .updateTable('sessions')
    .set({ last_seen_at_ms: nowMs })
    .where('id', '=', id)
    .where('last_seen_at_ms', '<', nowMs)
    .execute();
}

/**
 * Spends one second-factor attempt, atomically: the row changes only while `attempts < maxAttempts` and the
 * session is an unexpired pending one, so racing requests (even on several instances) cannot spend more
 * than `maxAttempts` in total. Returns the attempts used after this one, or undefined when none was left.
 */
export async function spendAttempt(
  db: Kysely<Database>,
  input: { id: string; maxAttempts: number; nowMs: number },
): Promise<number | undefined> {
  return (await spendAttemptQuery.execute(db, input)).rows[0]?.attempts;
}

/** True when a row was deleted. */
export async function deleteSession(db: Kysely<Database>, id: string): Promise<boolean> {
  return (await deleteSessionQuery.execute(db, { id })).numAffectedRows === 1n;
}

export async function deleteSessionByTokenHash(db: Kysely<Database>, tokenHash: string): Promise<void> {
  await db.deleteFrom('sessions').where('token_hash', '=', tokenHash).execute();
}

export async function deleteSessionsOfUser(db: Kysely<Database>, userId: string): Promise<void> {
  await db.deleteFrom('sessions').where('user_id', '=', userId).execute();
}

/**
 * Removes at most `limit` sessions past their absolute expiry and at most `limit` full sessions idle since
 * before `idleSinceMs`; returns how many went. Each delete picks its rows through its own index
 * (expires_at_ms, last_seen_at_ms) and is bounded, so a table full of dead rows is emptied in short steps
 * (call again while a batch comes back full) instead of one long scan holding the write lock.
 */
export async function purgeExpiredSessions(
  db: Kysely<Database>,
  input: { nowMs: number; idleSinceMs: number; limit: number },
): Promise<{ expired: number; idle: number }> {
  const expired = await db
    .deleteFrom('sessions')
    .where('id', 'in', (eb) =>
      eb.selectFrom('sessions').select('id').where('expires_at_ms', '<=', input.nowMs).limit(input.limit),
    )
    .executeTakeFirst();
  const idle = await db
    .deleteFrom('sessions')
    .where('id', 'in', (eb) =>
      eb
        .selectFrom('sessions')
        .select('id')
        .where('last_seen_at_ms', '<=', input.idleSinceMs)
        .where('state', '=', 'full')
        .limit(input.limit),
    )
    .executeTakeFirst();
  return { expired: Number(expired.numDeletedRows), idle: Number(idle.numDeletedRows) };
}
