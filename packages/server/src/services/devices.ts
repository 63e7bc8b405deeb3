/**
 * Trusted devices: "Remember this device for 30 days" after a second step. The browser gets a random 256-bit
 * token in a cookie of its own; the table holds only its SHA-256 (a database copy cannot be replayed as a
 * cookie). After the RIGHT password (a device never replaces the password) a trusted device skips the second
 * step, and the token rotates on every such use, with one conditional UPDATE on the old hash (two racing uses
 * cannot both rotate it).
 *
 * Threats: a copied device cookie (malware, a backup, a shared machine): the owner's next use rotates the
 * token, so the copy becomes a rotated-out token, and presenting one later than DEVICE_ROTATION_GRACE_MS
 * after its rotation revokes the device and tells the owner; within the grace it is taken for the owner's own
 * double submit (two tabs, a retry racing the rotation) and only falls back to asking for the code. Only the
 * last rotated-out token is recognised: a copy two uses old is just unknown (it gives nothing either way).
 * Password guessing on a trusted device counts against the device, not the email (see auth.ts login).
 */
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { generateToken, hashToken, isWellFormedToken } from '../crypto/tokens.ts';
import type { Database, TrustedDeviceRow } from '../store/schema.ts';
import { deleteSessionsOfUser } from '../store/sessions-repo.ts';
import {
  clearDeviceFailures,
  deleteDevice,
  deleteDevicesOfUser,
  findDeviceByPreviousTokenHash,
  findDeviceByTokenHash,
  insertTrustedDevice,
  listDevicesOfUser,
  purgeExpiredDevices,
  releaseDevicePasswordAttempt,
  reserveDevicePasswordAttempt,
  rotateDeviceToken,
} from '../store/trusted-devices-repo.ts';
import type { ServiceContext } from './context.ts';
import type { DeviceRevokeReason } from './events.ts';
import { DEVICE_ROTATION_GRACE_MS, DEVICE_TRUST_MS, MAX_DEVICE_PASSWORD_FAILURES } from './limits.ts';
import { currentRequestMeta } from './request-meta.ts';
import { type DeviceService, type DeviceView, ServiceError } from './types.ts';
import { deviceNameOf } from './user-agent.ts';

/** A device token as the browser holds it, and how long its cookie should live. */
export interface DeviceToken {
  readonly token: string;
  readonly maxAgeMs: number;
}

/** What a presented device token turned out to be. */
export type DeviceLookup =
  /** The current token of a live device. */
  | { readonly kind: 'trusted'; readonly device: TrustedDeviceRow; readonly tokenHash: string }
  /** Rotated out moments ago: the owner's own double submit. Asks for the code; nothing is revoked. */
  | { readonly kind: 'grace' }
  /** Rotated out earlier (a copy): the device was revoked now and the owner is told. */
  | { readonly kind: 'reused' }
  /** Malformed, unknown, expired or revoked: the cookie is worth nothing and should go. */
  | { readonly kind: 'unknown' };

/** Looks a presented token up; a stale rotated-out one revokes its device (one request records it). */
export async function lookUpDevice(ctx: ServiceContext, token: string): Promise<DeviceLookup> {
  if (!isWellFormedToken(token)) return { kind: 'unknown' };
  const tokenHash = hashToken(token);
  const nowMs = ctx.nowMs();
  const device = await findDeviceByTokenHash(ctx.db, { tokenHash, nowMs });
  if (device !== undefined) return { kind: 'trusted', device, tokenHash };
  const rotated = await findDeviceByPreviousTokenHash(ctx.db, { tokenHash, nowMs });
  if (rotated === undefined) return { kind: 'unknown' };
  if (nowMs - (rotated.rotated_at_ms ?? 0) < DEVICE_ROTATION_GRACE_MS) return { kind: 'grace' };
  await ctx.db.transaction().execute(async (trx) => {
    // Conditional on the row still being there: of two requests presenting the copy, one records it.
    const gone = await deleteDevice(trx, { id: rotated.id, userId: rotated.user_id });
    if (gone === undefined) return;
    await ctx.events.record(trx, {
      type: 'device.revoked',
      userId: gone.user_id,
      reason: 'token_reused',
      count: 1,
      deviceId: gone.id,
      name: gone.name,
    });
  });
  return { kind: 'reused' };
}

/**
 * Counts a password attempt against the device (instead of the email); false when the device has used its
 * attempts since the last right password: it is then not trusted until the right password is typed on it.
 * The window is the device's whole life (it never starts over by itself).
 */
export async function reserveDeviceAttempt(ctx: ServiceContext, device: TrustedDeviceRow): Promise<boolean> {
  const used = await reserveDevicePasswordAttempt(ctx.db, {
    id: device.id,
    nowMs: ctx.nowMs(),
    maxFailures: MAX_DEVICE_PASSWORD_FAILURES,
    windowMs: DEVICE_TRUST_MS,
  });
  return used !== undefined;
}

/**
 * Runs a password check counted against the device by {@link reserveDeviceAttempt}: when it throws (BUSY from a
 * full password pool, the database), the attempt is given back and the error goes on, as the email's slot is
 * (services/throttle.ts runPasswordCheck). Otherwise an owner retrying through a login storm would spend the
 * device's attempts with no password checked, and the device would stop standing in for the email's limit.
 */
export async function runDevicePasswordCheck<T>(
  ctx: ServiceContext,
  device: TrustedDeviceRow,
  check: () => Promise<T>,
): Promise<T> {
  try {
    return await check();
  } catch (error) {
    // Best effort: when the database is what failed, the attempt stays counted (one of the device's 10).
    await releaseDevicePasswordAttempt(ctx.db, device.id).catch(() => {});
    throw error;
  }
}

/** The right password on the device (trusted at the time or not): its wrong ones start over. */
export async function clearDeviceAttempts(ctx: ServiceContext, device: TrustedDeviceRow): Promise<void> {
  await clearDeviceFailures(ctx.db, device.id);
}

/**
 * Rotates the device's token in `trx`, the transaction that issues the session it buys (once: undefined when
 * a racing request rotated it first, or it was revoked). Never on its own: a rotation whose session then
 * failed would leave the browser holding the rotated-out token, which its next use takes for a stolen copy.
 */
export async function rotateDevice(
  ctx: ServiceContext,
  trx: Kysely<Database>,
  tokenHash: string,
): Promise<DeviceToken | undefined> {
  const token = generateToken();
  const nowMs = ctx.nowMs();
  const row = await rotateDeviceToken(trx, {
    oldHash: tokenHash,
    newHash: hashToken(token),
    nowMs,
    ip: currentRequestMeta().ip,
  });
  return row === undefined ? undefined : { token, maxAgeMs: row.expires_at_ms - nowMs };
}

/** Remembers the request's device for the user, in `trx` (the second step's); records `device.trusted`. */
export async function trustDevice(
  ctx: ServiceContext,
  trx: Kysely<Database>,
  userId: string,
): Promise<DeviceToken> {
  const token = generateToken();
  const nowMs = ctx.nowMs();
  const meta = currentRequestMeta();
  const id = randomUUID();
  const name = deviceNameOf(meta.userAgent);
  await insertTrustedDevice(trx, {
    id,
    user_id: userId,
    token_hash: hashToken(token),
    previous_token_hash: null,
    rotated_at_ms: null,
    name,
    created_at_ms: nowMs,
    last_used_at_ms: nowMs,
    last_ip: meta.ip,
    expires_at_ms: nowMs + DEVICE_TRUST_MS,
  });
  await ctx.events.record(trx, { type: 'device.trusted', userId, deviceId: id, name });
  return { token, maxAgeMs: DEVICE_TRUST_MS };
}

/**
 * Revokes every device of the user in `trx` (a change that must not leave a remembered browser behind:
 * password changed or reset, 2FA reset, account recovery, sign out everywhere); records `device.revoked`
 * when there were any.
 */
export async function revokeDevicesOfUser(
  ctx: Pick<ServiceContext, 'nowMs' | 'events'>,
  trx: Kysely<Database>,
  userId: string,
  reason: DeviceRevokeReason,
): Promise<void> {
  const count = await deleteDevicesOfUser(trx, { userId, nowMs: ctx.nowMs() });
  if (count > 0) await ctx.events.record(trx, { type: 'device.revoked', userId, reason, count });
}

/**
 * Ends every session of the user and revokes every device, in `trx`; records `device.revoked` when there were
 * any (the caller records its own event after). The order is for PostgreSQL, where each statement sees only
 * what committed before it started: a device sign-in in flight holds its device row (the rotation) until it
 * commits with its session, and a second step holds its pending session until it commits with its full
 * session and maybe a new device. Sessions, then devices (waits for a device sign-in; sees a device just
 * remembered), then sessions again (sees the session either of them committed meanwhile): whichever way they
 * interleave, nothing they issued outlives this change.
 */
export async function endSessionsAndDevices(
  ctx: Pick<ServiceContext, 'nowMs' | 'events'>,
  trx: Kysely<Database>,
  userId: string,
  reason: DeviceRevokeReason,
): Promise<void> {
  await deleteSessionsOfUser(trx, userId);
  const count = await deleteDevicesOfUser(trx, { userId, nowMs: ctx.nowMs() });
  await deleteSessionsOfUser(trx, userId);
  if (count > 0) await ctx.events.record(trx, { type: 'device.revoked', userId, reason, count });
}

/** Deletes one batch of devices past their trust (the periodic purge, services/purge.ts). */
export async function purgeExpiredDeviceBatch(ctx: ServiceContext, limit: number): Promise<number> {
  return purgeExpiredDevices(ctx.db, { nowMs: ctx.nowMs(), limit });
}

export function createDeviceService(ctx: ServiceContext): DeviceService {
  return {
    async list(userId): Promise<DeviceView[]> {
      const rows = await listDevicesOfUser(ctx.db, { userId, nowMs: ctx.nowMs() });
      return rows.map((row) => ({
        id: row.id,
        name: row.name,
        createdAtMs: row.created_at_ms,
        lastUsedAtMs: row.last_used_at_ms,
        lastIp: row.last_ip,
        expiresAtMs: row.expires_at_ms,
      }));
    },

    async revoke({ userId, deviceId }) {
      if (typeof deviceId !== 'string' || deviceId.length === 0 || deviceId.length > 64)
        throw new ServiceError('DEVICE_NOT_FOUND', { field: 'device' });
      await ctx.db.transaction().execute(async (trx) => {
        // Only the user's own device: another user's id is as unknown as a made-up one.
        const gone = await deleteDevice(trx, { id: deviceId, userId });
        if (gone === undefined) throw new ServiceError('DEVICE_NOT_FOUND', { field: 'device' });
        await ctx.events.record(trx, {
          type: 'device.revoked',
          userId,
          reason: 'owner',
          count: 1,
          deviceId: gone.id,
          name: gone.name,
        });
      });
    },

    async signOutEverywhere(userId) {
      await ctx.db.transaction().execute(async (trx) => {
        await endSessionsAndDevices(ctx, trx, userId, 'signed_out_everywhere');
        await ctx.events.record(trx, { type: 'account.signed_out_everywhere', userId });
      });
    },
  };
}
