/**
 * The guess limits: wrong codes per user (second_factor_throttle) and wrong passwords per email
 * (login_throttle). Every attempt is reserved before it is checked, with one INSERT ... ON CONFLICT DO UPDATE
 * ... WHERE statement: the database serialises the upserts on the row and re-checks the WHERE against the
 * latest version, so racing requests, on one instance or many, can never reserve more than the limit.
 * No read-then-write: the reads here only shape messages (how long to wait), never decide.
 */
import { type Kysely, sql } from 'kysely';
import { compiledOnce } from './compiled-query.ts';
import type { Database } from './schema.ts';

/** A BIGINT parameter (PostgreSQL infers the type of a bare parameter from context; say it outright). */
const bigint = (value: number) => sql<number>`cast(${value} as bigint)`;

export interface CodeAttemptLimits {
  /** Failures that start a lock (reserved checks in flight count against it too). */
  readonly maxFailures: number;
  /** The first lock's length; each further lock (without an accepted code between) doubles it... */
  readonly firstLockMs: number;
  /** ...up to this. */
  readonly maxLockMs: number;
  /** The long-horizon budget: checks it holds when full... */
  readonly budgetCapacity: number;
  /** ...and the time one of them takes to come back. */
  readonly budgetRefillMs: number;
  /** In-flight reservations are taken as leaked (their process stopped) when none was made for this long. */
  readonly leaseMs: number;
}

/** A user's code-limit row as the service reads it (after a reservation, a rejection, or on its own). */
export interface CodeThrottleState {
  readonly failures: number;
  readonly lockedUntilMs: number;
  readonly inFlight: number;
  readonly leaseUntilMs: number;
  readonly budgetFullAtMs: number;
}

type CodeThrottleRow = {
  failures: number;
  locked_until_ms: number;
  in_flight: number;
  lease_until_ms: number;
  budget_full_at_ms: number;
};

const CODE_THROTTLE_COLUMNS = [
  'failures',
  'locked_until_ms',
  'in_flight',
  'lease_until_ms',
  'budget_full_at_ms',
] as const;

function stateOf(row: CodeThrottleRow): CodeThrottleState {
  return {
    failures: row.failures,
    lockedUntilMs: row.locked_until_ms,
    inFlight: row.in_flight,
    leaseUntilMs: row.lease_until_ms,
    budgetFullAtMs: row.budget_full_at_ms,
  };
}

/**
 * Reserves one code check for a user, before the code is compared: one more check in flight, and one check
 * taken from the long-horizon budget (a token bucket kept as the time it would be full again). One statement,
 * refused (undefined) unless all three hold on the row as it is when the statement runs: no lock, failures
 * plus checks in flight below `maxFailures`, and a check left in the budget. The check is then decided in the
 * claim's transaction: {@link rejectCodeAttempt} (wrong: it becomes a failure), {@link acceptCodeAttempt}
 * (right) or {@link releaseCodeAttempt} (already used: given back). Checks in flight whose lease ran out
 * (their process stopped before deciding) are no longer counted.
 */
export async function reserveCodeAttempt(
  db: Kysely<Database>,
  input: { userId: string; nowMs: number; limits: CodeAttemptLimits },
): Promise<CodeThrottleState | undefined> {
  const { nowMs, limits } = input;
  const row = (
    await reserveCodeAttemptQuery.execute(db, {
      userId: input.userId,
      nowMs,
      maxFailures: limits.maxFailures,
      firstLockMs: limits.firstLockMs,
      leaseUntilMs: nowMs + limits.leaseMs,
      refillMs: limits.budgetRefillMs,
      firstBudgetFullAtMs: nowMs + limits.budgetRefillMs,
      // Taking one more check must leave the bucket at most `capacity` refills from full.
      budgetLimitMs: nowMs + (limits.budgetCapacity - 1) * limits.budgetRefillMs,
    })
  ).rows[0];
  return row === undefined ? undefined : stateOf(row);
}

const reserveCodeAttemptQuery = compiledOnce(
  (
    db,
    input: {
      userId: string;
      nowMs: number;
      maxFailures: number;
      firstLockMs: number;
      leaseUntilMs: number;
      refillMs: number;
      firstBudgetFullAtMs: number;
      budgetLimitMs: number;
    },
  ) => {
    const failures = sql.ref<number>('second_factor_throttle.failures');
    const inFlight = sql.ref<number>('second_factor_throttle.in_flight');
    const leaseUntil = sql.ref<number>('second_factor_throttle.lease_until_ms');
    const fullAt = sql.ref<number>('second_factor_throttle.budget_full_at_ms');
    const now = bigint(input.nowMs);
    // Checks still in flight: none once the lease has run out.
    const live = sql<number>`case when ${leaseUntil} <= ${now} then 0 else ${inFlight} end`;
    // The bucket's "full at" time, never in the past (a full bucket holds no more than its capacity).
    const from = sql<number>`case when ${fullAt} > ${now} then ${fullAt} else ${now} end`;
    return db
      .insertInto('second_factor_throttle')
      .values({
        user_id: input.userId,
        failures: 0,
        locked_until_ms: 0,
        next_lock_ms: input.firstLockMs,
        in_flight: 1,
        lease_until_ms: input.leaseUntilMs,
        budget_full_at_ms: input.firstBudgetFullAtMs,
      })
      .onConflict((oc) =>
        oc
          .column('user_id')
          // Every right-hand side reads the row as it was before this statement.
          .doUpdateSet({
            in_flight: sql<number>`${live} + 1`,
            lease_until_ms: bigint(input.leaseUntilMs),
            budget_full_at_ms: sql<number>`${from} + ${bigint(input.refillMs)}`,
          })
          .where((eb) =>
            eb.and([
              eb('second_factor_throttle.locked_until_ms', '<=', input.nowMs),
              sql<boolean>`${failures} + ${live} < ${input.maxFailures}`,
              sql<boolean>`${from} <= ${bigint(input.budgetLimitMs)}`,
            ]),
          ),
      )
      .returning(CODE_THROTTLE_COLUMNS);
  },
);

/** One fewer check in flight (never below 0: a lease that ran out already dropped it). */
const oneFewerInFlight = sql<number>`case when second_factor_throttle.in_flight > 0 then second_factor_throttle.in_flight - 1 else 0 end`;

/**
 * A reserved check found a wrong code: it leaves the checks in flight and becomes a failure; the failure that
 * reaches `maxFailures` starts a lock (failures back to 0, the next lock twice as long up to the cap) in the
 * same statement. Returns the row after it (a lock just started: `lockedUntilMs > nowMs` and `failures` 0).
 */
export async function rejectCodeAttempt(
  db: Kysely<Database>,
  input: { userId: string; nowMs: number; limits: CodeAttemptLimits },
): Promise<CodeThrottleState | undefined> {
  const row = (
    await rejectCodeAttemptQuery.execute(db, {
      userId: input.userId,
      nowMs: input.nowMs,
      maxFailures: input.limits.maxFailures,
      maxLockMs: input.limits.maxLockMs,
    })
  ).rows[0];
  return row === undefined ? undefined : stateOf(row);
}

const rejectCodeAttemptQuery = compiledOnce(
  (db, input: { userId: string; nowMs: number; maxFailures: number; maxLockMs: number }) => {
    const failures = sql.ref<number>('second_factor_throttle.failures');
    const lockedUntil = sql.ref<number>('second_factor_throttle.locked_until_ms');
    const nextLock = sql.ref<number>('second_factor_throttle.next_lock_ms');
    const reachesLimit = sql<boolean>`${failures} + 1 >= ${input.maxFailures}`;
    const maxLock = bigint(input.maxLockMs);
    return db
      .updateTable('second_factor_throttle')
      .set({
        in_flight: oneFewerInFlight,
        failures: sql<number>`case when ${reachesLimit} then 0 else ${failures} + 1 end`,
        locked_until_ms: sql<number>`case when ${reachesLimit} then ${bigint(input.nowMs)} + ${nextLock} else ${lockedUntil} end`,
        next_lock_ms: sql<number>`case when ${reachesLimit} then (case when ${nextLock} * 2 > ${maxLock} then ${maxLock} else ${nextLock} * 2 end) else ${nextLock} end`,
      })
      .where('user_id', '=', input.userId)
      .returning(CODE_THROTTLE_COLUMNS);
  },
);

/**
 * A reserved check found the right code: it leaves the checks in flight, its budget check is given back,
 * and the failures, any lock and the lock's growth start over. The budget's other spent checks stay spent:
 * an accepted code does not refill it.
 */
export async function acceptCodeAttempt(
  db: Kysely<Database>,
  input: { userId: string; limits: CodeAttemptLimits },
): Promise<void> {
  await acceptCodeAttemptQuery.execute(db, {
    userId: input.userId,
    firstLockMs: input.limits.firstLockMs,
    refillMs: input.limits.budgetRefillMs,
  });
}

const acceptCodeAttemptQuery = compiledOnce(
  (db, input: { userId: string; firstLockMs: number; refillMs: number }) =>
    db
      .updateTable('second_factor_throttle')
      .set({
        in_flight: oneFewerInFlight,
        failures: 0,
        locked_until_ms: 0,
        next_lock_ms: input.firstLockMs,
        budget_full_at_ms: sql<number>`second_factor_throttle.budget_full_at_ms - ${bigint(input.refillMs)}`,
      })
      .where('user_id', '=', input.userId),
);

/**
 * A reserved check found a code that was already used (a replay): nothing was guessed, so it leaves the checks
 * in flight and its budget check is given back; failures and locks stay as they are.
 */
export async function releaseCodeAttempt(
  db: Kysely<Database>,
  input: { userId: string; limits: CodeAttemptLimits },
): Promise<void> {
  await db
    .updateTable('second_factor_throttle')
    .set({
      in_flight: oneFewerInFlight,
      budget_full_at_ms: sql<number>`second_factor_throttle.budget_full_at_ms - ${bigint(input.limits.budgetRefillMs)}`,
    })
    .where('user_id', '=', input.userId)
    .execute();
}

const findCodeThrottleQuery = compiledOnce((db, input: { userId: string }) =>
  db.selectFrom('second_factor_throttle').select(CODE_THROTTLE_COLUMNS).where('user_id', '=', input.userId),
);

/** The user's code-limit row, or undefined when they have none (never failed nor checked a code). */
export async function findCodeThrottle(
  db: Kysely<Database>,
  userId: string,
): Promise<CodeThrottleState | undefined> {
  const row = (await findCodeThrottleQuery.execute(db, { userId })).rows[0];
  return row === undefined ? undefined : stateOf(row);
}

/** When the user's code checks are refused until (0 or a past time when they are not). */
export async function findCodeLockedUntil(db: Kysely<Database>, userId: string): Promise<number> {
  return (await findCodeThrottle(db, userId))?.lockedUntilMs ?? 0;
}

/** An operator's unlock: the failures, any lock, the lock's growth and the long-horizon budget start over. */
export async function clearCodeFailures(db: Kysely<Database>, userId: string): Promise<void> {
  await db.deleteFrom('second_factor_throttle').where('user_id', '=', userId).execute();
}

/**
 * Reserves one password check for an email key in a fixed window of `windowMs` that starts at the first
 * failure: counted as a failure now (a correct password clears it with {@link clearLoginFailures}).
 * Returns the failures in the window including this one, or undefined when `maxFailures` were already
 * reserved in a window that has not ended.
 */
export async function reserveLoginAttempt(
  db: Kysely<Database>,
  input: { emailKey: string; nowMs: number; maxFailures: number; windowMs: number },
): Promise<number | undefined> {
  const failures = sql.ref<number>('login_throttle.failures');
  const windowStart = sql.ref<number>('login_throttle.window_start_ms');
  const windowOver = sql<boolean>`${windowStart} <= ${bigint(input.nowMs - input.windowMs)}`;
  const row = await db
    .insertInto('login_throttle')
    .values({ email_key: input.emailKey, failures: 1, window_start_ms: input.nowMs })
    .onConflict((oc) =>
      oc
        .column('email_key')
        .doUpdateSet({
          failures: sql<number>`case when ${windowOver} then 1 else ${failures} + 1 end`,
          window_start_ms: sql<number>`case when ${windowOver} then ${bigint(input.nowMs)} else ${windowStart} end`,
        })
        .where((eb) => eb.or([windowOver, eb(failures, '<', input.maxFailures)])),
    )
    .returning('failures')
    .executeTakeFirst();
  return row?.failures;
}

export interface PasswordCheckLimits {
  /** Wrong passwords in a window, with the checks in flight counted as wrong until they are settled. */
  readonly maxFailures: number;
  readonly windowMs: number;
  /** How long a reservation may stay unsettled before its slot counts as free (a process died mid-check). */
  readonly leaseMs: number;
}

/** What a password-check reservation found. */
export type PasswordCheckReservation =
  /** Reserved: check the password, then settle. */
  | 'reserved'
  /** Refused, but only because checks in flight fill the window: one may free its slot soon. */
  | 'busy'
  /** Refused: the window holds `maxFailures` wrong passwords. */
  | 'full';

/**
 * Reserves one password check for a key, counted against the limit while it runs (`in_flight`, with a lease)
 * and settled afterwards by {@link settlePasswordCheck}: released on a right password, a failure on a wrong
 * one. One upsert: failures + live reservations < maxFailures, re-checked by the database against the row's
 * latest version, so racing requests on any number of instances never check more than the limit allows.
 * A window starts at the first reservation after the failures were 0 (a wrong one becomes its first failure).
 * On a refusal, one more read says whether it was the failures ('full') or only checks in flight ('busy').
 */
export async function reservePasswordCheck(
  db: Kysely<Database>,
  input: { key: string; nowMs: number; limits: PasswordCheckLimits },
): Promise<PasswordCheckReservation> {
  const { key, nowMs, limits } = input;
  const failures = sql.ref<number>('login_throttle.failures');
  const windowStart = sql.ref<number>('login_throttle.window_start_ms');
  const inFlight = sql.ref<number>('login_throttle.in_flight');
  const inFlightUntil = sql.ref<number>('login_throttle.in_flight_until_ms');
  const now = bigint(nowMs);
  const windowOver = sql<boolean>`${windowStart} <= ${bigint(nowMs - limits.windowMs)}`;
  const fresh = sql<boolean>`(${windowOver} or ${failures} = 0)`;
  const liveFailures = sql<number>`case when ${windowOver} then 0 else ${failures} end`;
  const live = sql<number>`case when ${inFlightUntil} > ${now} then ${inFlight} else 0 end`;
  const row = await db
    .insertInto('login_throttle')
    .values({
      email_key: key,
      failures: 0,
      window_start_ms: nowMs,
      in_flight: 1,
      in_flight_until_ms: nowMs + limits.leaseMs,
    })
    .onConflict((oc) =>
      oc
        .column('email_key')
        .doUpdateSet({
          failures: liveFailures,
          window_start_ms: sql<number>`case when ${fresh} then ${now} else ${windowStart} end`,
          in_flight: sql<number>`${live} + 1`,
          in_flight_until_ms: bigint(nowMs + limits.leaseMs),
        })
        .where(sql<boolean>`${liveFailures} + ${live} < ${limits.maxFailures}`),
    )
    .returning('failures')
    .executeTakeFirst();
  if (row !== undefined) return 'reserved';
  const window = await findLoginWindow(db, key);
  const over = window === undefined || window.windowStartMs <= nowMs - limits.windowMs;
  return !over && window.failures >= limits.maxFailures ? 'full' : 'busy';
}

/**
 * Settles a reservation: `wrong` adds a failure to the window, `right` starts the window over (the failures
 * go; other checks still in flight keep their slots), `released` frees the slot and counts nothing (the check
 * never ran). One UPDATE; nothing when the row is gone (an operator's unlock).
 */
export async function settlePasswordCheck(
  db: Kysely<Database>,
  input: { key: string; nowMs: number; outcome: 'wrong' | 'right' | 'released' },
): Promise<void> {
  const failures = sql.ref<number>('login_throttle.failures');
  const inFlight = sql.ref<number>('login_throttle.in_flight');
  const inFlightUntil = sql.ref<number>('login_throttle.in_flight_until_ms');
  const now = bigint(input.nowMs);
  const live = sql<number>`case when ${inFlightUntil} > ${now} then ${inFlight} else 0 end`;
  const released = sql<number>`case when ${live} > 0 then ${live} - 1 else 0 end`;
  const set =
    input.outcome === 'wrong'
      ? { failures: sql<number>`${failures} + 1`, in_flight: released }
      : input.outcome === 'right'
        ? { failures: 0, window_start_ms: input.nowMs, in_flight: released }
        : { in_flight: released };
  await db.updateTable('login_throttle').set(set).where('email_key', '=', input.key).execute();
}

/** The start of the email key's current window, or undefined when it has none. */
export async function findLoginWindowStart(
  db: Kysely<Database>,
  emailKey: string,
): Promise<number | undefined> {
  const row = await db
    .selectFrom('login_throttle')
    .select('window_start_ms')
    .where('email_key', '=', emailKey)
    .executeTakeFirst();
  return row?.window_start_ms;
}

/** The key's current window (failures and start), or undefined when it has none. */
export async function findLoginWindow(
  db: Kysely<Database>,
  emailKey: string,
): Promise<{ failures: number; windowStartMs: number } | undefined> {
  const row = await db
    .selectFrom('login_throttle')
    .select(['failures', 'window_start_ms'])
    .where('email_key', '=', emailKey)
    .executeTakeFirst();
  return row === undefined ? undefined : { failures: row.failures, windowStartMs: row.window_start_ms };
}

/** A correct password: the email's failures start over. */
export async function clearLoginFailures(db: Kysely<Database>, emailKey: string): Promise<void> {
  await db.deleteFrom('login_throttle').where('email_key', '=', emailKey).execute();
}

/**
 * Removes at most `limit` windows that started at or before `windowStartedBeforeMs` (they no longer limit
 * anything), through the index on window_start_ms; returns how many went.
 */
export async function purgeLoginThrottle(
  db: Kysely<Database>,
  input: { windowStartedBeforeMs: number; limit: number },
): Promise<number> {
  const result = await db
    .deleteFrom('login_throttle')
    .where('email_key', 'in', (eb) =>
      eb
        .selectFrom('login_throttle')
        .select('email_key')
        .where('window_start_ms', '<=', input.windowStartedBeforeMs)
        .limit(input.limit),
    )
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}
