/**
 * Setting up the authenticator app (TOTP): set-up, confirmation, turning off, replacement. Secrets are
 * generated here, sealed with AES-256-GCM before they reach the database, and opened only to compute or show
 * codes. Checking a code at sign-in is the factor's job (factors/totp.ts).
 */
import { randomUUID } from 'node:crypto';
import { buildKeyURI, generateSecret } from '@twofa/otp';
import type { Kysely } from 'kysely';
import { sealSecret, totpSecretContext } from '../crypto/secret-box.ts';
import { countUnusedRecoveryCodes, deleteRecoveryCodesOfUser } from '../store/recovery-codes-repo.ts';
import type { Database, TotpCredentialRow } from '../store/schema.ts';
import {
  activateCredential,
  claimStep,
  deleteCredentialsOfUser,
  deletePendingCredential,
  findCredential,
  insertCredential,
} from '../store/totp-credentials-repo.ts';
import { findUserById, lockUserRow } from '../store/users-repo.ts';
import type { ServiceContext } from './context.ts';
import { isSecondFactorOn } from './factors/index.ts';
import {
  matchCode,
  normalizeCode,
  openCredentialSecret,
  skewAfter,
  TOTP_DIGITS,
  TOTP_PERIOD_SECONDS,
  totpFactor,
} from './factors/totp.ts';
import { PENDING_ENROLLMENT_MS } from './limits.ts';
import { checkCurrentPassword, reauthenticate, requireUser } from './reauthenticate.ts';
import { issueRecoveryCodes } from './recovery-codes.ts';
import { type ConfirmedEnrollment, type EnrollmentView, ServiceError, type TotpService } from './types.ts';

/** RFC 4226 s4 R6: at least 128 bits of shared secret, 160 recommended (the length of an SHA-1 block key). */
export const SECRET_BYTES = 20;

/** A pending (or live) set-up's parts: the credential id, the secret and when it started. */
export interface PendingTotp {
  readonly id: string;
  readonly secret: Uint8Array;
  readonly createdAtMs: number;
}

/** The otpauth:// URI and expiry of a set-up, for `account` under `issuer`. */
export function enrollmentView(
  pending: Pick<PendingTotp, 'secret' | 'createdAtMs'>,
  label: { account: string; issuer: string },
): EnrollmentView {
  const uri = buildKeyURI({
    type: 'totp',
    secret: pending.secret,
    account: label.account,
    issuer: label.issuer,
    algorithm: 'SHA1',
    digits: TOTP_DIGITS,
    periodSeconds: TOTP_PERIOD_SECONDS,
  });
  return { secret: pending.secret, uri, expiresAtMs: pending.createdAtMs + PENDING_ENROLLMENT_MS };
}

/** The user's pending set-up, unless it has expired: an expired one is deleted here and reads as absent. */
export async function findLivePending(
  ctx: ServiceContext,
  userId: string,
): Promise<TotpCredentialRow | undefined> {
  const pending = await findCredential(ctx.db, userId, 'pending');
  if (pending === undefined) return undefined;
  if (ctx.nowMs() < pending.created_at_ms + PENDING_ENROLLMENT_MS) return pending;
  if (await deletePendingCredential(ctx.db, pending.id)) ctx.log('totp.enrollment_expired', { userId });
  return undefined;
}

/**
 * Replaces any pending set-up of the user with a new secret. Set-ups started at once (two tabs, a double
 * click) take turns on the user's row: each replaces the one before, the last one stays, none fails.
 * `withCredential` runs in the same transaction, after the insert.
 */
export async function createPendingTotp(
  ctx: ServiceContext,
  userId: string,
  withCredential?: (trx: Kysely<Database>, credentialId: string) => Promise<void>,
): Promise<PendingTotp> {
  const secret = generateSecret(SECRET_BYTES);
  const createdAtMs = ctx.nowMs();
  const id = randomUUID();
  const sealed = sealSecret(ctx.keyring, secret, totpSecretContext(userId, id));
  await ctx.db.transaction().execute(async (trx) => {
    await lockUserRow(trx, userId);
    await deleteCredentialsOfUser(trx, userId, 'pending');
    await insertCredential(trx, {
      id,
      user_id: userId,
      state: 'pending',
      secret_key_id: sealed.keyId,
      secret_ciphertext: sealed.ciphertext,
      last_used_step: null,
      created_at_ms: createdAtMs,
      confirmed_at_ms: null,
    });
    if (withCredential !== undefined) await withCredential(trx, id);
  });
  return { id, secret, createdAtMs };
}

/**
 * Confirms a pending set-up with a normalised code from the app. One transaction: claim the step on the
 * pending row (this code counts as used), retire the old authenticator if this is a replacement, activate
 * the new one, and make recovery codes if the user has none (turning 2FA on; a replacement keeps the set
 * the user already saved). Throws INVALID_SETUP_CODE. The code does not count against the user's code
 * limit: its secret is on the user's own screen.
 */
export async function activatePendingTotp(
  ctx: ServiceContext,
  pending: TotpCredentialRow,
  digits: string,
): Promise<ConfirmedEnrollment> {
  const userId = pending.user_id;
  const step = await matchCode(ctx, ctx.db, pending, digits);
  if (step === undefined) throw new ServiceError('INVALID_SETUP_CODE', { field: 'code' });
  const confirmed = await ctx.db.transaction().execute(async (trx) => {
    const skew = skewAfter(ctx, pending, step);
    if (!(await claimStep(trx, { id: pending.id, step, state: 'pending', ...skew }))) return undefined;
    const replacing = (await deleteCredentialsOfUser(trx, userId, 'active')) > 0;
    if (!(await activateCredential(trx, { id: pending.id, nowMs: ctx.nowMs() }))) return undefined;
    await ctx.events.record(trx, {
      type: replacing ? 'second_factor.replaced' : 'second_factor.enabled',
      userId,
      factor: 'totp',
    });
    const keep = replacing && (await countUnusedRecoveryCodes(trx, userId)) > 0;
    return { recoveryCodes: keep ? null : await issueRecoveryCodes(ctx, trx, userId) };
  });
  if (confirmed === undefined) throw new ServiceError('INVALID_SETUP_CODE', { field: 'code' });
  return confirmed;
}

/** Turns the authenticator off: its credentials and the recovery codes that stand in for it, in `trx`. */
export async function removeTotp(ctx: ServiceContext, trx: Kysely<Database>, userId: string): Promise<void> {
  await deleteCredentialsOfUser(trx, userId);
  // Codes by email or text may still be on: the recovery codes stand in for them too.
  if (!(await isSecondFactorOn(trx, userId))) await deleteRecoveryCodesOfUser(trx, userId);
  await ctx.events.record(trx, { type: 'second_factor.disabled', userId, factor: 'totp' });
}

export function createTotpService(ctx: ServiceContext): TotpService {
  const view = (email: string, pending: Pick<PendingTotp, 'secret' | 'createdAtMs'>) =>
    enrollmentView(pending, { account: email, issuer: ctx.settings.issuer });

  /**
   * Replaces any pending set-up of the user with a new secret. Set-ups started at once (two tabs, a double
   * click) take turns on the user's row: each replaces the one before, the last one stays, none fails.
   */
  async function createPending(userId: string, email: string): Promise<EnrollmentView> {
    return view(email, await createPendingTotp(ctx, userId));
  }

  return {
    async beginEnrollment(userId) {
      const user = await requireUser(ctx, userId);
      if (await totpFactor.isEnrolled(ctx.db, userId)) throw new ServiceError('TOTP_ALREADY_ENABLED');
      const enrollment = await createPending(userId, user.email);
      ctx.log('totp.enrollment_started', { userId });
      return enrollment;
    },

    async getPendingEnrollment(userId) {
      const user = await findUserById(ctx.db, userId);
      if (user === undefined) return null;
      const pending = await findLivePending(ctx, userId);
      if (pending === undefined) return null;
      const secret = await openCredentialSecret(ctx, ctx.db, pending);
      return view(user.email, { secret, createdAtMs: pending.created_at_ms });
    },

    async confirmEnrollment({ userId, password, code }) {
      const user = await requireUser(ctx, userId);
      const pending = await findLivePending(ctx, userId);
      if (pending === undefined) throw new ServiceError('NO_PENDING_ENROLLMENT');
      const digits = normalizeCode(code);
      if (digits === undefined) throw new ServiceError('MALFORMED_CODE', { field: 'code', expected: 'totp' });
      // Someone holding a stolen session could otherwise put their own authenticator on the account and
      // lock the owner out: turning 2FA on (or confirming a replacement) takes the password too.
      await checkCurrentPassword(ctx, user, password);
      return activatePendingTotp(ctx, pending, digits);
    },

    async cancelEnrollment(userId) {
      const deleted = (await deleteCredentialsOfUser(ctx.db, userId, 'pending')) > 0;
      if (deleted) ctx.log('totp.enrollment_cancelled', { userId });
      return deleted;
    },

    async disable({ userId, password, code }) {
      await requireTotp(userId);
      // Recovery codes stand in for the app: with the app gone, so are they (a new set comes with the next).
      await reauthenticate(ctx, { userId, password, code }, (trx) => removeTotp(ctx, trx, userId));
    },

    async beginReplacement({ userId, password, code }) {
      await requireTotp(userId);
      // The new secret is made after the claim (its own transaction retries a race between two tabs).
      await reauthenticate(ctx, { userId, password, code }, async () => undefined);
      const user = await requireUser(ctx, userId);
      const enrollment = await createPending(userId, user.email);
      ctx.log('totp.replacement_started', { userId });
      return enrollment;
    },
  };

  async function requireTotp(userId: string): Promise<void> {
    await requireUser(ctx, userId);
    if (!(await totpFactor.isEnrolled(ctx.db, userId))) throw new ServiceError('TOTP_NOT_ENABLED');
  }
}
