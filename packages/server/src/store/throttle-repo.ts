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
  /** Failures that start a lock. */
  readonly maxFailures: number;
  /** The first lock's length; each further lock (without an accepted code between) doubles it... */
  readonly firstLockMs: number;
  /** ...up to this. */
  readonly maxLockMs: number;
}

/**
 * Reserves one code check for a user: counts it as a failure now (an accepted code then clears the row with
 * {@link clearCodeFailures}). Refused (undefined) while the user is locked. The reservation that reaches
 * `maxFailures` starts a lock in the same statement, so no concurrent request slips in after it; it returns
 * the lock's end (`lockedUntilMs > nowMs`, `failures` 0); any other returns the failures counted so far,
 * this one included, and a past or zero `lockedUntilMs`.
 */
export async function reserveCodeAttempt(
  db: Kysely<Database>,
  input: { userId: string; nowMs: number; limits: CodeAttemptLimits },
): Promise<{ failures: number; lockedUntilMs: number } | undefined> {
  const { nowMs, limits } = input;
  // A first row already at the limit (a limit of 1) starts its lock at once.
  const firstLocks = 1 >= limits.maxFailures;
  const row = (
    await reserveCodeAttemptQuery.execute(db, {
      userId: input.userId,
      nowMs,
      maxFailures: limits.maxFailures,
      maxLockMs: limits.maxLockMs,
      firstFailures: firstLocks ? 0 : 1,
      firstLockedUntilMs: firstLocks ? nowMs + limits.firstLockMs : 0,
      firstNextLockMs: firstLocks ? Math.min(limits.firstLockMs * 2, limits.maxLockMs) : limits.firstLockMs,
    })
  ).rows[0];
  return row === undefined ? undefined : { failures: row.failures, lockedUntilMs: row.locked_until_ms };
}

const reserveCodeAttemptQuery = compiledOnce(
  (
    db,
    input: {
      userId: string;
      nowMs: number;
      maxFailures: number;
      maxLockMs: number;
      firstFailures: number;
      firstLockedUntilMs: number;
      firstNextLockMs: number;
    },
  ) => {
    const failures = sql.ref<number>('second_factor_throttle.failures');
    const lockedUntil = sql.ref<number>('second_factor_throttle.locked_until_ms');
    const nextLock = sql.ref<number>('second_factor_throttle.next_lock_ms');
    const reachesLimit = sql<boolean>`${failures} + 1 >= ${input.maxFailures}`;
    const maxLock = bigint(input.maxLockMs);
    return db
      .insertInto('second_factor_throttle')
      .values({
        user_id: input.userId,
        failures: input.firstFailures,
        locked_until_ms: input.firstLockedUntilMs,
        next_lock_ms: input.firstNextLockMs,
      })
      .onConflict((oc) =>
        oc
          .column('user_id')
          // Every right-hand side reads the row as it was before this statement.
          .doUpdateSet({
            failures: sql<number>`case when ${reachesLimit} then 0 else ${failures} + 1 end`,
            locked_until_ms: sql<number>`case when ${reachesLimit} then ${bigint(input.nowMs)} + ${nextLock} else ${lockedUntil} end`,
            next_lock_ms: sql<number>`case when ${reachesLimit} then (case when ${nextLock} * 2 > ${maxLock} then ${maxLock} else ${nextLock} * 2 end) else ${nextLock} end`,
          })
          .where('second_factor_throttle.locked_until_ms', '<=', input.nowMs),
      )
      .returning(['failures', 'locked_until_ms']);
  },
);

const findCodeLockedUntilQuery = compiledOnce((db, input: { userId: string }) =>
  db.selectFrom('second_factor_throttle').select('locked_until_ms').where('user_id', '=', input.userId),
);
const clearCodeFailuresQuery = compiledOnce((db, input: { userId: string }) =>
  db.deleteFrom('second_factor_throttle').where('user_id', '=', input.userId),
);

/** When the user's code checks are refused until (0 or a past time when they are not). */
export async function findCodeLockedUntil(db: Kysely<Database>, userId: string): Promise<number> {
  return (await findCodeLockedUntilQuery.execute(db, { userId })).rows[0]?.locked_until_ms ?? 0;
}

/** An accepted code: the consecutive failures, any lock and the lock's growth start over. */
export async function clearCodeFailures(db: Kysely<Database>, userId: string): Promise<void> {
  await clearCodeFailuresQuery.execute(db, { userId });
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
