/**
 * The trusted_devices table. Rows are found by the SHA-256 of the device cookie's token; the token itself is
 * never stored. Every change that races (rotation, the wrong-password window) is one conditional statement.
 */
import { type Kysely, sql } from 'kysely';
import type { Database, NewTrustedDevice, TrustedDeviceRow } from './schema.ts';

/** A JavaScript number as a bigint parameter (PostgreSQL compares bigint columns with bigint values). */
const bigint = (value: number) => sql<number>`cast(${value} as bigint)`;

export async function insertTrustedDevice(db: Kysely<Database>, row: NewTrustedDevice): Promise<void> {
  await db.insertInto('trusted_devices').values(row).execute();
}

/** The unexpired device whose current token has this hash. */
export async function findDeviceByTokenHash(
  db: Kysely<Database>,
  input: { tokenHash: string; nowMs: number },
): Promise<TrustedDeviceRow | undefined> {
  return db
    .selectFrom('trusted_devices')
    .selectAll()
    .where('token_hash', '=', input.tokenHash)
    .where('expires_at_ms', '>', input.nowMs)
    .executeTakeFirst();
}

/** The unexpired device whose rotated-out token has this hash. */
export async function findDeviceByPreviousTokenHash(
  db: Kysely<Database>,
  input: { tokenHash: string; nowMs: number },
): Promise<TrustedDeviceRow | undefined> {
  return db
    .selectFrom('trusted_devices')
    .selectAll()
    .where('previous_token_hash', '=', input.tokenHash)
    .where('expires_at_ms', '>', input.nowMs)
    .executeTakeFirst();
}

/**
 * Replaces the device's token, once: the update applies only while `oldHash` is still the current token of an
 * unexpired device, so of two requests racing with one token exactly one rotates it (the other gets
 * undefined). Records the use (time, address).
 */
export async function rotateDeviceToken(
  db: Kysely<Database>,
  input: { oldHash: string; newHash: string; nowMs: number; ip: string | null },
): Promise<TrustedDeviceRow | undefined> {
  return db
    .updateTable('trusted_devices')
    .set({
      token_hash: input.newHash,
      previous_token_hash: input.oldHash,
      rotated_at_ms: input.nowMs,
      last_used_at_ms: input.nowMs,
      last_ip: input.ip,
    })
    .where('token_hash', '=', input.oldHash)
    .where('expires_at_ms', '>', input.nowMs)
    .returningAll()
    .executeTakeFirst();
}

/**
 * Counts a password attempt on the device before it is checked: the window starts over when it has ended.
 * Returns the attempts used in the window (this one included), or undefined when the window is full (the
 * row is then left as it is, so racing requests cannot exceed `maxFailures`).
 */
export async function reserveDevicePasswordAttempt(
  db: Kysely<Database>,
  input: { id: string; nowMs: number; maxFailures: number; windowMs: number },
): Promise<number | undefined> {
  const windowOver = sql<boolean>`window_start_ms <= ${bigint(input.nowMs - input.windowMs)}`;
  const row = await db
    .updateTable('trusted_devices')
    .set({
      failures: sql<number>`case when ${windowOver} then 1 else failures + 1 end`,
      window_start_ms: sql<number>`case when ${windowOver} then ${bigint(input.nowMs)} else window_start_ms end`,
    })
    .where('id', '=', input.id)
    .where((eb) => eb.or([windowOver, eb('failures', '<', input.maxFailures)]))
    .returning('failures')
    .executeTakeFirst();
  return row?.failures;
}

/**
 * Gives back an attempt counted by {@link reserveDevicePasswordAttempt} whose password was never checked (the
 * password pool was full past its wait, the database failed). One conditional UPDATE; never below 0.
 */
export async function releaseDevicePasswordAttempt(db: Kysely<Database>, id: string): Promise<void> {
  await db
    .updateTable('trusted_devices')
    .set({ failures: sql<number>`failures - 1` })
    .where('id', '=', id)
    .where('failures', '>', 0)
    .execute();
}

/** A correct password typed on the device: its wrong ones start over. */
export async function clearDeviceFailures(db: Kysely<Database>, id: string): Promise<void> {
  await db.updateTable('trusted_devices').set({ failures: 0 }).where('id', '=', id).execute();
}

/** The user's unexpired devices, most recently used first. */
export async function listDevicesOfUser(
  db: Kysely<Database>,
  input: { userId: string; nowMs: number },
): Promise<TrustedDeviceRow[]> {
  return db
    .selectFrom('trusted_devices')
    .selectAll()
    .where('user_id', '=', input.userId)
    .where('expires_at_ms', '>', input.nowMs)
    .orderBy('last_used_at_ms', 'desc')
    .orderBy('id')
    .execute();
}

/** Deletes one device of the user; returns it, or undefined when it was not there (or not theirs). */
export async function deleteDevice(
  db: Kysely<Database>,
  input: { id: string; userId: string },
): Promise<TrustedDeviceRow | undefined> {
  return db
    .deleteFrom('trusted_devices')
    .where('id', '=', input.id)
    .where('user_id', '=', input.userId)
    .returningAll()
    .executeTakeFirst();
}

/** Deletes every device of the user; returns how many were live (unexpired). */
export async function deleteDevicesOfUser(
  db: Kysely<Database>,
  input: { userId: string; nowMs: number },
): Promise<number> {
  const rows = await db
    .deleteFrom('trusted_devices')
    .where('user_id', '=', input.userId)
    .returning('expires_at_ms')
    .execute();
  return rows.filter((row) => row.expires_at_ms > input.nowMs).length;
}

/** Deletes at most `limit` expired devices; returns how many went. */
export async function purgeExpiredDevices(
  db: Kysely<Database>,
  input: { nowMs: number; limit: number },
): Promise<number> {
  const result = await db
    .deleteFrom('trusted_devices')
    .where('id', 'in', (eb) =>
      eb
        .selectFrom('trusted_devices')
        .select('id')
        .where('expires_at_ms', '<=', input.nowMs)
        .limit(input.limit),
    )
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}
