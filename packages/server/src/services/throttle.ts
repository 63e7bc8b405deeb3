/**
 * The guess limits. A 6-digit code or a password is only as strong as the number of guesses allowed at it:
 * - 6-digit codes, per user, across sessions: 10 wrong in a row lock the user's code checks for 15 minutes,
 *   doubling with each further lock up to a week; an accepted code starts that over. Without this,
 *   someone with the password logs in again for 5 more attempts each time and a code falls after ~67,000 logins;
 *   and a long-horizon budget (30 wrong codes, one back every 36 hours) that an accepted code does not reset, so
 *   the owner's daily sign-ins do not hand out fresh guesses (limits.ts has the year's computation). Only what
 *   was compared counts: a right or already used code gives its reserved check back;
 * - passwords, per email, whether or not an account has it: 10 wrong in 15 minutes refuse that email until
 *   the window ends, before any argon2 work; a correct password starts it over. A check is counted while it
 *   runs and settled after (a failure only when wrong), so concurrent right passwords are never refused;
 * - recovery codes, per user: 10 wrong in 15 minutes, a window of their own (a backstop: 80-bit codes cannot
 *   be guessed), so the 6-digit lock never keeps the owner from their recovery codes.
 * Every attempt is reserved in the database before it is checked (see store/throttle-repo.ts), so racing
 * requests on any number of instances cannot exceed a limit; a code check stays "in flight" (counted) until
 * decided in the claim's transaction.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.ts';
import {
  acceptCodeAttempt,
  type CodeAttemptLimits,
  type CodeThrottleState,
  clearCodeFailures,
  clearLoginFailures,
  findCodeLockedUntil,
  findCodeThrottle,
  findLoginWindow,
  findLoginWindowStart,
  purgeLoginThrottle,
  rejectCodeAttempt,
  releaseCodeAttempt,
  reserveCodeAttempt,
  reserveLoginAttempt,
  reservePasswordCheck,
  settlePasswordCheck as settlePasswordCheckRow,
} from '../store/throttle-repo.ts';
import type { ServiceContext } from './context.ts';
import {
  CODE_BUDGET_CAPACITY,
  CODE_BUDGET_REFILL_MS,
  CODE_CHECK_BUSY_RETRY_MS,
  CODE_CHECK_LEASE_MS,
  CODE_CHECK_MAX_WAIT_MS,
  CODE_CHECK_RETRY_MS,
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
import { waitForSlot } from './slot-wait.ts';
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
  const wait = {
    retryMs: PASSWORD_SLOT_RETRY_MS,
    maxWaitMs: PASSWORD_SLOT_WAIT_MS,
    busyRetryMs: PASSWORD_BUSY_RETRY_MS,
    onBusy: () => ctx.log('sign_in.busy'),
  };
  return waitForSlot(wait, async () => {
    const nowMs = ctx.nowMs();
    const found = await reservePasswordCheck(ctx.db, { key: emailKey, nowMs, limits: PASSWORD_CHECK_LIMITS });
    if (found === 'reserved') return { done: emailKey };
    if (found === 'full') {
      const windowStartMs = (await findLoginWindowStart(ctx.db, emailKey)) ?? nowMs;
      const retryAfterMs = Math.max(1000, windowStartMs + PASSWORD_WINDOW_MS - nowMs);
      // No user id: the line must not say whether the email has an account (nor contain the email). A log
      // line, not an audit row: a refusal costs the attacker nothing, and must not cost a chained write.
      ctx.log('sign_in.rate_limited');
      throw rateLimited(retryAfterMs);
    }
    // Only checks in flight hold the slots: one of them settles within an argon2 run (or its lease ends).
    return 'in_flight';
  });
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

/** Drops one batch of windows that have ended (the periodic purge, services/purge.ts); returns how many. */
export async function purgeEndedPasswordWindows(ctx: ServiceContext, limit: number): Promise<number> {
  // The table also holds recovery-code windows: keep every window until the longer of the two has ended.
  const longestMs = Math.max(PASSWORD_WINDOW_MS, RECOVERY_WINDOW_MS);
  return purgeLoginThrottle(ctx.db, { windowStartedBeforeMs: ctx.nowMs() - longestMs, limit });
}

/** The code limit's settings, from limits.ts. */
const CODE_LIMITS: CodeAttemptLimits = {
  maxFailures: MAX_CODE_FAILURES,
  firstLockMs: FIRST_CODE_LOCK_MS,
  maxLockMs: MAX_CODE_LOCK_MS,
  budgetCapacity: CODE_BUDGET_CAPACITY,
  budgetRefillMs: CODE_BUDGET_REFILL_MS,
  leaseMs: CODE_CHECK_LEASE_MS,
};

/** How long until the budget has a check again, counting only decided checks (0: it has one now). */
function budgetWaitMs(state: CodeThrottleState, nowMs: number, inFlight: number): number {
  const decidedFullAtMs = state.budgetFullAtMs - inFlight * CODE_BUDGET_REFILL_MS;
  return Math.max(0, decidedFullAtMs - (CODE_BUDGET_CAPACITY - 1) * CODE_BUDGET_REFILL_MS - nowMs);
}

/** Checks in flight that still count (their lease has not run out). */
function liveInFlight(state: CodeThrottleState, nowMs: number): number {
  return state.leaseUntilMs <= nowMs ? 0 : state.inFlight;
}

/** How long the user's code checks are still refused for by the short-term lock; 0 when they are not. */
export async function codeWaitMs(ctx: ServiceContext, userId: string): Promise<number> {
  return Math.max(0, (await findCodeLockedUntil(ctx.db, userId)) - ctx.nowMs());
}

/** The user's code limits as the security page shows them. */
export interface CodeLimitState {
  /** Short-term lock: refused for this long (0: open). */
  readonly lockedMs: number;
  /** Long-horizon budget: wrong codes left now, and how long until the next one comes back when it is spent. */
  readonly budgetLeft: number;
  readonly budgetWaitMs: number;
}

export async function findCodeLimitState(ctx: ServiceContext, userId: string): Promise<CodeLimitState> {
  const nowMs = ctx.nowMs();
  const state = await findCodeThrottle(ctx.db, userId);
  if (state === undefined) return { lockedMs: 0, budgetLeft: CODE_BUDGET_CAPACITY, budgetWaitMs: 0 };
  const ahead = Math.max(0, state.budgetFullAtMs - nowMs);
  return {
    lockedMs: Math.max(0, state.lockedUntilMs - nowMs),
    budgetLeft: Math.max(0, CODE_BUDGET_CAPACITY - Math.ceil(ahead / CODE_BUDGET_REFILL_MS)),
    budgetWaitMs: budgetWaitMs(state, nowMs, 0),
  };
}

/**
 * The error the user's 6-digit codes are refused with now, undefined when they are taken: of the short-term
 * lock and the spent budget, the one that ends later (the wait that holds). Checked before a
 * re-authentication's password or the API's verify does any work; the reservation decides either way.
 */
export async function codeLimitError(ctx: ServiceContext, userId: string): Promise<ServiceError | undefined> {
  const state = await findCodeLimitState(ctx, userId);
  if (state.lockedMs === 0 && state.budgetWaitMs === 0) return undefined;
  return state.budgetWaitMs >= state.lockedMs
    ? codeBudgetSpent(state.budgetWaitMs)
    : secondFactorLocked(state.lockedMs);
}

/** A reserved code check, to be decided by {@link acceptCode}, {@link rejectCode} or {@link releaseCode}. */
export interface CodeCheck {
  readonly userId: string;
}

/**
 * Reserves a code check for the user, before the code is compared (one statement: see
 * store/throttle-repo.ts). Throws SECOND_FACTOR_LOCKED while the user is locked and SECOND_FACTOR_BUDGET_SPENT
 * while the long-horizon budget is spent (even a right code is refused then: otherwise the limits would mean
 * nothing). Refused only because the other slots are in flight, it waits for them to be decided and tries
 * again (a replay or a right code gives its slot back). On a right code call {@link acceptCode}; on a wrong one
 * {@link rejectCode}; on an already used one {@link releaseCode}.
 */
export async function reserveCodeCheck(ctx: ServiceContext, userId: string): Promise<CodeCheck> {
  const wait = {
    retryMs: CODE_CHECK_RETRY_MS,
    maxWaitMs: CODE_CHECK_MAX_WAIT_MS,
    busyRetryMs: CODE_CHECK_BUSY_RETRY_MS,
  };
  return waitForSlot(wait, async () => {
    const nowMs = ctx.nowMs();
    const reserved = await reserveCodeAttempt(ctx.db, { userId, nowMs, limits: CODE_LIMITS });
    if (reserved !== undefined) return { done: { userId } };
    // Why it was refused, from the row as it is now (only the message and the retry depend on it).
    const state = await findCodeThrottle(ctx.db, userId);
    if (state === undefined) return 'in_flight'; // deleted by an unlock meanwhile: try again
    // Both closed: the longer wait is the one that counts.
    const lockMs = Math.max(0, state.lockedUntilMs - nowMs);
    const budgetMs = budgetWaitMs(state, nowMs, liveInFlight(state, nowMs));
    if (lockMs > 0 || budgetMs > 0) {
      throw budgetMs >= lockMs ? codeBudgetSpent(budgetMs) : secondFactorLocked(lockMs);
    }
    // Only checks in flight stand in the way: they will be decided within a request's time. Past the wait,
    // the service is busy (503), not the user locked: nothing was counted.
    return 'in_flight';
  });
}

/** A right code: its check is given back; the wrong codes, any lock and the lock's growth start over (on
 *  `db`: the claim's transaction). The long-horizon budget does not refill. */
export async function acceptCode(db: Kysely<Database>, check: CodeCheck): Promise<void> {
  await acceptCodeAttempt(db, { userId: check.userId, limits: CODE_LIMITS });
}

/** An already used code: nothing was guessed, its check is given back (on `db`: the claim's transaction). */
export async function releaseCode(db: Kysely<Database>, check: CodeCheck): Promise<void> {
  await releaseCodeAttempt(db, { userId: check.userId, limits: CODE_LIMITS });
}

/**
 * A wrong code: its check becomes a failure (on `db`, the claim's transaction). Throws SECOND_FACTOR_LOCKED
 * when it started the short-term lock, SECOND_FACTOR_BUDGET_SPENT when it spent the budget's last check
 * (recording `lock.started` for each), else returns the wrong codes left before the next limit closes.
 */
export async function rejectCode(
  ctx: ServiceContext,
  db: Kysely<Database>,
  check: CodeCheck,
): Promise<number> {
  const nowMs = ctx.nowMs();
  const { userId } = check;
  const state = await rejectCodeAttempt(db, { userId, nowMs, limits: CODE_LIMITS });
  if (state === undefined) return MAX_CODE_FAILURES; // unlocked by an operator meanwhile
  const inFlight = liveInFlight(state, nowMs);
  // This decision spent the budget when the decided checks reach its end now and did not before it.
  const budgetMs = budgetWaitMs(state, nowMs, inFlight);
  const spentNow = budgetMs > 0 && budgetWaitMs(state, nowMs, inFlight + 1) === 0;
  const lockMs = state.lockedUntilMs > nowMs && state.failures === 0 ? state.lockedUntilMs - nowMs : 0;
  if (lockMs > 0) {
    const minutes = Math.ceil(lockMs / 60_000);
    await ctx.events.record(db, { type: 'lock.started', userId, limit: 'codes', minutes });
  }
  if (spentNow) {
    const minutes = Math.ceil(budgetMs / 60_000);
    await ctx.events.record(db, { type: 'lock.started', userId, limit: 'code_budget', minutes });
    throw codeBudgetSpent(budgetMs);
  }
  if (lockMs > 0) throw secondFactorLocked(lockMs);
  const budgetLeft = Math.max(
    0,
    CODE_BUDGET_CAPACITY - Math.ceil(Math.max(0, state.budgetFullAtMs - nowMs) / CODE_BUDGET_REFILL_MS),
  );
  // Checks still in flight are left out: they may yet be right or replays.
  return Math.min(MAX_CODE_FAILURES - state.failures, budgetLeft);
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

export function codeBudgetSpent(retryAfterMs: number): ServiceError {
  return new ServiceError('SECOND_FACTOR_BUDGET_SPENT', { retryAfterMs: Math.max(1000, retryAfterMs) });
}

export function secondFactorLocked(retryAfterMs: number): ServiceError {
  return new ServiceError('SECOND_FACTOR_LOCKED', { retryAfterMs: Math.max(1000, retryAfterMs) });
}

export function recoveryRateLimited(retryAfterMs: number): ServiceError {
  return new ServiceError('RECOVERY_RATE_LIMITED', { retryAfterMs: Math.max(1000, retryAfterMs) });
}

/** Which of a user's guess limits are closed now, and until when (0: open). */
export interface UserLocks {
  /** 6-digit codes refused until (the user's code lock, or the long-horizon budget spent: the later). */
  readonly codesLockedUntilMs: number;
  /** Passwords for the user's email refused until (the email's window is full). */
  readonly passwordsLockedUntilMs: number;
  /** Wrong recovery codes answered with a wait until. */
  readonly recoveryCodesSlowedUntilMs: number;
}

/** When the user's 6-digit codes are refused until, by the lock or the spent budget (0: not refused). */
async function codesRefusedUntil(db: Kysely<Database>, userId: string, nowMs: number): Promise<number> {
  const state = await findCodeThrottle(db, userId);
  if (state === undefined) return 0;
  const budgetMs = budgetWaitMs(state, nowMs, liveInFlight(state, nowMs));
  return Math.max(state.lockedUntilMs, budgetMs > 0 ? nowMs + budgetMs : 0);
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
    codesLockedUntilMs: until(await codesRefusedUntil(ctx.db, input.userId, nowMs)),
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
