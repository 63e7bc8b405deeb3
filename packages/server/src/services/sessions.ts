/**
 * Session rules shared by sign-up, login, the second step and password change. The cookie carries a random
 * 256-bit token; the table holds only its SHA-256, so a database copy cannot be replayed as a cookie.
 * A signed-in ('full') session ends at the first of: its absolute expiry, or the idle timeout after its last
 * recorded activity. A 'pending' session (password accepted, code awaited) ends 5 minutes after creation.
 */
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { generateToken, hashToken, isWellFormedToken } from '../crypto/tokens.ts';
import type { Database, SessionRow, SessionState } from '../store/schema.ts';
import {
  deleteSession,
  findSessionByTokenHash,
  insertSession,
  purgeExpiredSessions,
  touchSession,
} from '../store/sessions-repo.ts';
import type { ServiceContext } from './context.ts';
import { decodeFactorKinds, encodeFactorKinds } from './factors/index.ts';
import { MAX_CODE_ATTEMPTS, PENDING_SESSION_MS, TOUCH_INTERVAL_MS } from './limits.ts';
import type { FactorKind, IssuedSession, SessionView } from './types.ts';

export function idleMs(ctx: ServiceContext): number {
  return ctx.settings.sessionIdleMs;
}

/**
 * Creates a session with a new token. `db` may be a transaction. A pending session carries the kinds of
 * second factor it may use.
 */
export async function issueSession(
  ctx: ServiceContext,
  db: Kysely<Database>,
  userId: string,
  state: SessionState,
  factors: readonly FactorKind[] = [],
): Promise<IssuedSession> {
  const nowMs = ctx.nowMs();
  const token = generateToken();
  const row: SessionRow = {
    id: randomUUID(),
    token_hash: hashToken(token),
    user_id: userId,
    state,
    attempts: 0,
    created_at_ms: nowMs,
    last_seen_at_ms: nowMs,
    expires_at_ms: nowMs + (state === 'pending' ? PENDING_SESSION_MS : ctx.settings.sessionAbsoluteMs),
    factors: state === 'pending' ? encodeFactorKinds(factors) : null,
  };
  await insertSession(db, row);
  return { token, session: toSessionView(ctx, row) };
}

export function toSessionView(ctx: ServiceContext, row: SessionRow): SessionView {
  const expiresAtMs =
    row.state === 'full' ? Math.min(row.expires_at_ms, row.last_seen_at_ms + idleMs(ctx)) : row.expires_at_ms;
  return {
    id: row.id,
    userId: row.user_id,
    state: row.state,
    createdAtMs: row.created_at_ms,
    expiresAtMs,
    attemptsLeft: row.state === 'pending' ? Math.max(0, MAX_CODE_ATTEMPTS - row.attempts) : 0,
    factors: row.state === 'pending' ? decodeFactorKinds(row.factors) : [],
  };
}

/** True when the row is past its absolute expiry or (full sessions) its idle timeout. */
export function isExpired(ctx: ServiceContext, row: SessionRow, nowMs: number): boolean {
  return nowMs >= toSessionView(ctx, row).expiresAtMs;
}

/**
 * The live session a token names, or undefined (malformed, unknown or expired; an expired row is deleted).
 * Does not touch the idle clock.
 */
export async function findLiveSession(ctx: ServiceContext, token: string): Promise<SessionRow | undefined> {
  if (typeof token !== 'string' || !isWellFormedToken(token)) return undefined;
  const row = await findSessionByTokenHash(ctx.db, hashToken(token));
  if (row === undefined) return undefined;
  if (isExpired(ctx, row, ctx.nowMs())) {
    await deleteSession(ctx.db, row.id);
    return undefined;
  }
  return row;
}

/** Records activity on a full session, at most once per TOUCH_INTERVAL_MS. Returns the row as now stored. */
export async function touch(ctx: ServiceContext, row: SessionRow): Promise<SessionRow> {
  const nowMs = ctx.nowMs();
  if (row.state !== 'full' || nowMs - row.last_seen_at_ms < TOUCH_INTERVAL_MS) return row;
  await touchSession(ctx.db, row.id, nowMs);
  return { ...row, last_seen_at_ms: nowMs };
}

/** Deletes one batch of expired and idle sessions (the periodic purge, services/purge.ts). */
export async function purgeExpiredSessionBatch(
  ctx: ServiceContext,
  limit: number,
): Promise<{ expired: number; idle: number }> {
  const nowMs = ctx.nowMs();
  return purgeExpiredSessions(ctx.db, { nowMs, idleSinceMs: nowMs - idleMs(ctx), limit });
}
