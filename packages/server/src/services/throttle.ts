/**
 * The guess limits. A 6-digit code or a password is only as strong as the number of guesses allowed at it:
 * - 6-digit codes, per user, across sessions: 10 wrong in a row lock the user's code checks for 15 minutes,
 *   doubling with each further lock up to a week; an accepted code starts everything over. Without this,
 *   someone with the password logs in again for 5 more attempts each time and a code falls after ~67,000 logins;
 * - passwords, per email, whether or not an account has it: 10 wrong in 15 minutes refuse that email until
 *   the window ends, before any argon2 work; a correct password starts it over. A check is counted while it
 *   runs and settled after (a failure only when wrong), so concurrent right passwords are never refused;
 * - recovery codes, per user: 10 wrong in 15 minutes, a window of their own (a backstop: 80-bit codes cannot
 *   be guessed), so the 6-digit lock never keeps the owner from their recovery codes.
 * Every attempt is reserved in the database before it is checked (see store/throttle-repo.ts), so racing
 * requests on any number of instances cannot exceed a limit.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.ts';
import {
  clearCodeFailures,
  clearLoginFailures,
  findCodeLockedUntil,
  findLoginWindow,
  findLoginWindowStart,
  purgeLoginThrottle,
  reserveCodeAttempt,
  reserveLoginAttempt,
  reservePasswordCheck,
  settlePasswordCheck as settlePasswordCheckRow,
} from '../store/throttle-repo.ts';
import type { ServiceContext } from './context.ts';
import {
  FIRST_CODE_LOCK_MS,
  MAX_CODE_FAILURES,
  MAX_CODE_LOCK_MS,
  MAX_PASSWORD_FAILURES,
  MAX_RECOVERY_FAILURES,
  PASSWORD_BUSY_RETRY_MS,
  PASSWORD_CHECK_LEASE_MS,
  PASSWORD_SLOT_RETRY_MS,
  PASSWORD_SLOT_WAIT_MS,
  PASSWORD_WINDOW_MS,
  RECOVERY_WINDOW_MS,
} from './limits.ts';
import { ServiceError } from './types.ts';

/**
 * The throttle's form of whatever was typed as an email: trimmed and lower-cased like `normalizeEmail`,
 * but also for input that is not an address, so every login attempt is counted somewhere.
 */
function emailKeyOfInput(ctx: ServiceContext, email: unknown): string {
  return ctx.emailKey(typeof email === 'string' ? email.trim().toLowerCase() : '');
}

const PASSWORD_CHECK_LIMITS = {
  maxFailures: MAX_PASSWORD_FAILURES,
  windowMs: PASSWORD_WINDOW_MS,
  leaseMs: PASSWORD_CHECK_LEASE_MS,
};

/**
 * Reserves a password check for the email before it is checked (counted against the limit while it runs);
 * throws RATE_LIMITED when the email has used its attempts in the current window. When only checks in flight
 * fill the window, waits for one to settle (a right password frees its slot) instead of refusing, up to
 * PASSWORD_SLOT_WAIT_MS, then BUSY. Known and unknown emails are counted and refused alike (no enumeration).
 * Returns the key to settle the check with: {@link settlePasswordCheck} for every reservation.
 */
export async function reservePasswordAttempt(ctx: ServiceContext, email: unknown): Promise<string> {
  const emailKey = emailKeyOfInput(ctx, email);
  const giveUpAt = performance.now() + PASSWORD_SLOT_WAIT_MS;
  for (;;) {
    const nowMs = ctx.nowMs();
    const found = await reservePasswordCheck(ctx.db, { key: emailKey, nowMs, limits: PASSWORD_CHECK_LIMITS });
    if (found === 'reserved') return emailKey;
    if (found === 'full') {
      const windowStartMs = (await findLoginWindowStart(ctx.db, emailKey)) ?? nowMs;
      const retryAfterMs = Math.max(1000, windowStartMs + PASSWORD_WINDOW_MS - nowMs);
      // No user id: the line must not say whether the email has an account (nor contain the email). A log
      // line, not an audit row: a refusal costs the attacker nothing, and must not cost a chained write.
      ctx.log('sign_in.rate_limited');
      throw rateLimited(retryAfterMs);
    }
    // Only checks in flight hold the slots: one of them settles within an argon2 run (or its lease ends).
    if (performance.now() >= giveUpAt) {
      ctx.log('sign_in.busy');
      throw new ServiceError('BUSY', { retryAfterMs: PASSWORD_BUSY_RETRY_MS });
    }
    await sleep(PASSWORD_SLOT_RETRY_MS);
  }
}

/**
 * Settles a reserved password check: `wrong` counts a failure, `right` starts the email's window over,
 * `released` counts nothing (the check never ran: the password pool was full, the database failed).
 */
export async function settlePasswordCheck(
  ctx: ServiceContext,
  emailKey: string,
  outcome: 'wrong' | 'right' | 'released',
): Promise<void> {
  await settlePasswordCheckRow(ctx.db, { key: emailKey, nowMs: ctx.nowMs(), outcome });
}

/**
 * Runs a reserved password check and settles it: `check` says whether the password was right (a failure when
 * not); when it throws (BUSY from a full password pool, the database), the slot is released and nothing is
 * counted, then the error goes on.
 */
export async function runPasswordCheck<T extends { readonly right: boolean }>(
  ctx: ServiceContext,
  emailKey: string,
  check: () => Promise<T>,
): Promise<T> {
  let result: T;
  try {
    result = await check();
  } catch (error) {
    // Best effort: when the database is what failed, the lease frees the slot instead.
    await settlePasswordCheck(ctx, emailKey, 'released').catch(() => {});
    throw error;
  }
  await settlePasswordCheck(ctx, emailKey, result.right ? 'right' : 'wrong');
  return result;
}

/** The owner proved themselves another way (a password reset): the email's wrong passwords start over. */
export async function clearPasswordFailures(ctx: ServiceContext, emailKey: string): Promise<void> {
  await clearLoginFailures(ctx.db, emailKey);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Drops one batch of windows that have ended (the periodic purge, services/purge.ts); returns how many. */
export async function purgeEndedPasswordWindows(ctx: ServiceContext, limit: number): Promise<number> {
  // The table also holds recovery-code windows: keep every window until the longer of the two has ended.
  const longestMs = Math.max(PASSWORD_WINDOW_MS, RECOVERY_WINDOW_MS);
  return purgeLoginThrottle(ctx.db, { windowStartedBeforeMs: ctx.nowMs() - longestMs, limit });
}

/** How long the user's code checks are still refused for; 0 when they are not. */
export async function codeWaitMs(ctx: ServiceContext, userId: string): Promise<number> {
  return Math.max(0, (await findCodeLockedUntil(ctx.db, userId)) - ctx.nowMs());
}

/** What a reserved code check may still lead to. */
export interface CodeCheck {
  /** Wrong codes the user has left before a lock, this one included. */
  readonly attemptsLeft: number;
  /** Set when this check is the last before a lock that has already started: how long it lasts. */
  readonly lockMs: number | undefined;
}

/**
 * Reserves a code check for the user, before the code is compared; throws SECOND_FACTOR_LOCKED while the
 * user is locked (even a right code is refused then: otherwise the lock would mean nothing). On a right
 * code call {@link acceptCode}; on a wrong one {@link rejectCode}.
 */
export async function reserveCodeCheck(ctx: ServiceContext, userId: string): Promise<CodeCheck> {
  const nowMs = ctx.nowMs();
  const reserved = await reserveCodeAttempt(ctx.db, {
    userId,
    nowMs,
    limits: { maxFailures: MAX_CODE_FAILURES, firstLockMs: FIRST_CODE_LOCK_MS, maxLockMs: MAX_CODE_LOCK_MS },
  });
  if (reserved === undefined) throw secondFactorLocked(await codeWaitMs(ctx, userId));
  if (reserved.lockedUntilMs > nowMs) return { attemptsLeft: 0, lockMs: reserved.lockedUntilMs - nowMs };
  return { attemptsLeft: MAX_CODE_FAILURES - reserved.failures, lockMs: undefined };
}

/** A right code: the user's wrong codes, any lock and the lock's growth start over (on `db`: the claim's
 *  transaction). */
export async function acceptCode(db: Kysely<Database>, userId: string): Promise<void> {
  await clearCodeFailures(db, userId);
}

/**
 * A wrong code (already counted by the reservation): throws SECOND_FACTOR_LOCKED when it was the last before
 * the lock (recording `lock.started` on `db`, the claim's transaction), else returns the attempts left.
 */
export async function rejectCode(
  ctx: ServiceContext,
  db: Kysely<Database>,
  userId: string,
  check: CodeCheck,
): Promise<number> {
  if (check.lockMs !== undefined) {
    const minutes = Math.ceil(check.lockMs / 60_000);
    await ctx.events.record(db, { type: 'lock.started', userId, limit: 'codes', minutes });
    throw secondFactorLocked(check.lockMs);
  }
  return check.attemptsLeft;
}

/** The recovery-code window's key in login_throttle (which holds windows keyed by any string). */
function recoveryKey(userId: string): string {
  return `recovery:${userId}`;
}

/**
 * Counts a recovery-code attempt for the user before it is checked. Returns the attempts used in the window,
 * this one included, or undefined when the window is already full. A full window does not refuse the attempt:
 * recovery codes (80 bits) cannot be guessed, so the window only slows wrong ones (see rejectRecoveryCode) and
 * never keeps the owner's right code out; otherwise anyone with the password could close it for them.
 */
export async function reserveRecoveryAttempt(
  ctx: ServiceContext,
  userId: string,
): Promise<number | undefined> {
  return reserveLoginAttempt(ctx.db, {
    emailKey: recoveryKey(userId),
    nowMs: ctx.nowMs(),
    maxFailures: MAX_RECOVERY_FAILURES,
    windowMs: RECOVERY_WINDOW_MS,
  });
}

/** A right recovery code: the user's wrong ones start over (on `db`: the claim's transaction). */
export async function clearRecoveryFailures(db: Kysely<Database>, userId: string): Promise<void> {
  await clearLoginFailures(db, recoveryKey(userId));
}

/** How long wrong recovery codes are still answered with a wait; 0 when they are not. */
export async function recoveryWaitMs(
  ctx: ServiceContext,
  db: Kysely<Database>,
  userId: string,
): Promise<number> {
  const window = await findLoginWindow(db, recoveryKey(userId));
  if (window === undefined || window.failures < MAX_RECOVERY_FAILURES) return 0;
  return Math.max(0, window.windowStartMs + RECOVERY_WINDOW_MS - ctx.nowMs());
}

/**
 * A wrong recovery code: attempts left in the window; once the window is full, throws RECOVERY_RATE_LIMITED
 * (429 with the wait), and records the window closing once.
 */
export async function rejectRecoveryCode(
  ctx: ServiceContext,
  db: Kysely<Database>,
  userId: string,
  used: number | undefined,
): Promise<number> {
  if (used === undefined) throw recoveryRateLimited(await recoveryWaitMs(ctx, db, userId));
  const left = MAX_RECOVERY_FAILURES - used;
  if (left <= 0) {
    const minutes = Math.ceil(RECOVERY_WINDOW_MS / 60_000);
    await ctx.events.record(db, { type: 'lock.started', userId, limit: 'recovery_codes', minutes });
  }
  return left;
}

function rateLimited(retryAfterMs: number): ServiceError {
  return new ServiceError('RATE_LIMITED', { retryAfterMs });
}

export function secondFactorLocked(retryAfterMs: number): ServiceError {
  return new ServiceError('SECOND_FACTOR_LOCKED', { retryAfterMs: Math.max(1000, retryAfterMs) });
}

export function recoveryRateLimited(retryAfterMs: number): ServiceError {
  return new ServiceError('RECOVERY_RATE_LIMITED', { retryAfterMs: Math.max(1000, retryAfterMs) });
}

/** Which of a user's guess limits are closed now, and until when (0: open). */
export interface UserLocks {
  /** 6-digit codes refused until (the user's code lock). */
  readonly codesLockedUntilMs: number;
  /** Passwords for the user's email refused until (the email's window is full). */
  readonly passwordsLockedUntilMs: number;
  /** Wrong recovery codes answered with a wait until. */
  readonly recoveryCodesSlowedUntilMs: number;
}

/**
 * The user's locks as an operator sees them. `emailKeys`: the email's throttle keys under every master key the
 * keyring holds (a rotation changes the key, and a window under the old one may still be open).
 */
export async function findUserLocks(
  ctx: Pick<ServiceContext, 'db' | 'nowMs'>,
  input: { userId: string; emailKeys: readonly string[] },
): Promise<UserLocks> {
  const nowMs = ctx.nowMs();
  const until = (ms: number) => (ms > nowMs ? ms : 0);
  const windowEnd = async (key: string, max: number, windowMs: number) => {
    const window = await findLoginWindow(ctx.db, key);
    return window === undefined || window.failures < max ? 0 : until(window.windowStartMs + windowMs);
  };
  let passwordsLockedUntilMs = 0;
  for (const key of input.emailKeys) {
    passwordsLockedUntilMs = Math.max(
      passwordsLockedUntilMs,
      await windowEnd(key, MAX_PASSWORD_FAILURES, PASSWORD_WINDOW_MS),
    );
  }
  return {
    codesLockedUntilMs: until(await findCodeLockedUntil(ctx.db, input.userId)),
    passwordsLockedUntilMs,
    recoveryCodesSlowedUntilMs: await windowEnd(
      recoveryKey(input.userId),
      MAX_RECOVERY_FAILURES,
      RECOVERY_WINDOW_MS,
    ),
  };
}

/**
 * Lifts every guess limit of the user (an operator's unlock): the code lock and its growth, the email's
 * password windows (under every key in `emailKeys`) and the recovery-code window. Call inside a transaction.
 */
export async function clearUserLocks(
  ctx: Pick<ServiceContext, 'db'>,
  input: { userId: string; emailKeys: readonly string[] },
): Promise<void> {
  await clearCodeFailures(ctx.db, input.userId);
  for (const key of input.emailKeys) await clearLoginFailures(ctx.db, key);
  await clearLoginFailures(ctx.db, recoveryKey(input.userId));
}
