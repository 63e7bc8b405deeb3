/**
 * Authenticator-app (TOTP) rules: set-up, confirmation, turning off, replacement, and the one-use check
 * every code goes through. Secrets are generated here, sealed with AES-256-GCM before they reach the
 * database, and opened only to compute or show codes.
 */
import { randomUUID } from 'node:crypto';
import { buildKeyURI, generateSecret, verifyTOTP } from '@twofa/otp';
import { verifyPassword } from '../crypto/passwords.ts';
import { needsReseal, openSecret, sealSecret, totpSecretContext } from '../crypto/secret-box.ts';
import { isUniqueViolation } from '../store/errors.ts';
import type { TotpCredentialRow, UserRow } from '../store/schema.ts';
import {
  activateCredential,
  claimStep,
  deleteCredential,
  deleteCredentialsOfUser,
  deletePendingCredential,
  findCredential,
  insertCredential,
  updateSealedSecret,
} from '../store/totp-credentials-repo.ts';
import { findUserById } from '../store/users-repo.ts';
import { preparePassword } from './accounts.ts';
import { PENDING_ENROLLMENT_MS, type ServiceContext } from './context.ts';
import {
  acceptCode,
  clearPasswordFailures,
  refuseWhileCodesLocked,
  rejectCode,
  reserveCodeCheck,
  reservePasswordAttempt,
} from './throttle.ts';
import { type EnrollmentView, ServiceError, type TotpService } from './types.ts';

/** RFC 4226 s4 R6: at least 128 bits of shared secret, 160 recommended (the length of an SHA-1 block key). */
export const SECRET_BYTES = 20;
/** What authenticator apps support everywhere: SHA-1, 6 digits, 30 seconds (RFC 6238 s4.1 default X). */
const DIGITS = 6;
const PERIOD_SECONDS = 30;

/**
 * The digits of a code as typed; undefined when it cannot be a code. Codes are typed or pasted with spaces
 * or hyphens ("123 456", "123-456"), and some phone keyboards type full-width digits ("１２３４５６"): NFKC
 * turns those (and the full-width space and hyphen) into ASCII, then spaces and hyphens go. U+2010 HYPHEN
 * is what NFKC makes of U+2011 NON-BREAKING HYPHEN. Anything else is refused.
 */
export function normalizeCode(code: unknown): string | undefined {
  if (typeof code !== 'string') return undefined;
  const digits = code.normalize('NFKC').replace(/[\s\-\u2010]+/g, '');
  return digits.length === DIGITS && /^\d+$/.test(digits) ? digits : undefined;
}

/** Opens a credential's secret (and re-seals it under the current key if an older key sealed it). */
export async function openCredentialSecret(ctx: ServiceContext, row: TotpCredentialRow): Promise<Uint8Array> {
  const context = totpSecretContext(row.user_id, row.id);
  const sealed = { keyId: row.secret_key_id, ciphertext: row.secret_ciphertext };
  const secret = openSecret(ctx.keyring, sealed, context);
  if (needsReseal(ctx.keyring, sealed)) {
    const resealed = sealSecret(ctx.keyring, secret, context);
    await updateSealedSecret(ctx.db, { id: row.id, fromKeyId: row.secret_key_id, ...resealed });
  }
  return secret;
}

/**
 * Checks a code against a credential and, if it matches, claims its time step with the database
 * compare-and-set. True only for the one request that claimed it: RFC 6238 s5.2, "the verifier MUST NOT
 * accept the second attempt of the same OTP after the successful validation has been issued for the first".
 */
export async function checkAndClaimCode(
  ctx: ServiceContext,
  row: TotpCredentialRow,
  code: unknown,
): Promise<boolean> {
  const step = await matchCode(ctx, row, code);
  if (step === undefined) return false;
  return claimStep(ctx.db, { id: row.id, step, state: row.state });
}

/** The time step a code matches (never one at or before the credential's last used step), or undefined. */
async function matchCode(
  ctx: ServiceContext,
  row: TotpCredentialRow,
  code: unknown,
): Promise<number | undefined> {
  const digits = normalizeCode(code);
  if (digits === undefined) return undefined;
  const secret = await openCredentialSecret(ctx, row);
  const result = verifyTOTP({
    secret,
    code: digits,
    nowMs: ctx.nowMs(),
    periodSeconds: PERIOD_SECONDS,
    window: ctx.config.totpWindow,
    ...(row.last_used_step === null ? {} : { afterStep: row.last_used_step }),
  });
  return result.valid ? result.step : undefined;
}

export function createTotpService(ctx: ServiceContext): TotpService {
  async function requireUser(userId: string) {
    const user = await findUserById(ctx.db, userId);
    if (user === undefined)
      throw new ServiceError('SESSION_EXPIRED', 'Your session has ended. Sign in again.');
    return user;
  }

  function view(email: string, secret: Uint8Array, createdAtMs: number): EnrollmentView {
    const uri = buildKeyURI({
      type: 'totp',
      secret,
      account: email,
      issuer: ctx.config.issuer,
      algorithm: 'SHA1',
      digits: DIGITS,
      periodSeconds: PERIOD_SECONDS,
    });
    return { secret, uri, expiresAtMs: createdAtMs + PENDING_ENROLLMENT_MS };
  }

  /** The user's pending set-up, unless it has expired: an expired one is deleted here and reads as absent. */
  async function findLivePending(userId: string): Promise<TotpCredentialRow | undefined> {
    const pending = await findCredential(ctx.db, userId, 'pending');
    if (pending === undefined) return undefined;
    if (ctx.nowMs() < pending.created_at_ms + PENDING_ENROLLMENT_MS) return pending;
    if (await deletePendingCredential(ctx.db, pending.id)) ctx.event('totp.enrollment_expired', { userId });
    return undefined;
  }

  /** Replaces any pending set-up of the user with a new secret. */
  async function createPending(userId: string, email: string): Promise<EnrollmentView> {
    const secret = generateSecret(SECRET_BYTES);
    const createdAtMs = ctx.nowMs();
    for (let attempt = 1; ; attempt++) {
      const id = randomUUID();
      const sealed = sealSecret(ctx.keyring, secret, totpSecretContext(userId, id));
      try {
        await ctx.db.transaction().execute(async (trx) => {
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
        });
        return view(email, secret, createdAtMs);
      } catch (error) {
        // Two set-ups started at once (two tabs): the unique (user, state) index refuses one; try again.
        if (!isUniqueViolation(error) || attempt >= 3) throw error;
      }
    }
  }

  /**
   * The account's current password, counted against the email's limit as at login (a stolen session must
   * not become a place to guess it from): reserved before argon2, cleared when right.
   */
  async function checkPassword(user: UserRow, password: unknown): Promise<void> {
    const emailKey = await reservePasswordAttempt(ctx, user.email);
    if (
      typeof password !== 'string' ||
      !(await verifyPassword(preparePassword(password), user.password_hash))
    ) {
      throw new ServiceError('WRONG_PASSWORD', 'The password is not correct.');
    }
    await clearPasswordFailures(ctx, emailKey);
  }

  /**
   * Password, then a current code (claimed: it cannot be used again), for disable and replace. Both count
   * against the same limits as at login (a stolen session must not become a place to guess either).
   */
  async function reauthenticate(
    userId: string,
    password: unknown,
    code: unknown,
  ): Promise<TotpCredentialRow> {
    const user = await requireUser(userId);
    const active = await findCredential(ctx.db, userId, 'active');
    if (active === undefined) throw new ServiceError('TOTP_NOT_ENABLED', 'Two-factor authentication is off.');
    // While codes are locked the action cannot succeed: say so before spending a password attempt.
    await refuseWhileCodesLocked(ctx, userId);
    await checkPassword(user, password);
    const check = await reserveCodeCheck(ctx, userId);
    if (!(await checkAndClaimCode(ctx, active, code))) {
      rejectCode(ctx, userId, check); // throws if this failure starts a lock
      throw invalidCode();
    }
    await acceptCode(ctx, userId);
    return active;
  }

  return {
    async beginEnrollment(userId) {
      const user = await requireUser(userId);
      if ((await findCredential(ctx.db, userId, 'active')) !== undefined) {
        throw new ServiceError('TOTP_ALREADY_ENABLED', 'Two-factor authentication is already on.');
      }
      const enrollment = await createPending(userId, user.email);
      ctx.event('totp.enrollment_started', { userId });
      return enrollment;
    },

    async getPendingEnrollment(userId) {
      const user = await findUserById(ctx.db, userId);
      if (user === undefined) return null;
      const pending = await findLivePending(userId);
      if (pending === undefined) return null;
      return view(user.email, await openCredentialSecret(ctx, pending), pending.created_at_ms);
    },

    async confirmEnrollment({ userId, password, code }) {
      const user = await requireUser(userId);
      const pending = await findLivePending(userId);
      if (pending === undefined) {
        throw new ServiceError(
          'NO_PENDING_ENROLLMENT',
          'Start the set-up again: no authenticator is waiting.',
        );
      }
      // Someone holding a stolen session could otherwise put their own authenticator on the account and
      // lock the owner out: turning 2FA on (or confirming a replacement) takes the password too. The code
      // itself does not count against the user's code limit: its secret is on the user's own screen.
      await checkPassword(user, password);
      const step = await matchCode(ctx, pending, code);
      if (step === undefined) throw invalidCode();
      // One transaction: claim the step on the pending row (this code counts as used), retire the old
      // authenticator if this is a replacement, and activate the new one.
      const confirmed = await ctx.db.transaction().execute(async (trx) => {
        if (!(await claimStep(trx, { id: pending.id, step, state: 'pending' }))) return false;
        await deleteCredentialsOfUser(trx, userId, 'active');
        return activateCredential(trx, { id: pending.id, nowMs: ctx.nowMs() });
      });
      if (!confirmed) throw invalidCode();
      ctx.event('totp.enabled', { userId });
    },

    async cancelEnrollment(userId) {
      const deleted = (await deleteCredentialsOfUser(ctx.db, userId, 'pending')) > 0;
      if (deleted) ctx.event('totp.enrollment_cancelled', { userId });
      return deleted;
    },

    async disable({ userId, password, code }) {
      const active = await reauthenticate(userId, password, code);
      await deleteCredential(ctx.db, active.id);
      await deleteCredentialsOfUser(ctx.db, userId, 'pending');
      ctx.event('totp.disabled', { userId });
    },

    async beginReplacement({ userId, password, code }) {
      await reauthenticate(userId, password, code);
      const user = await requireUser(userId);
      const enrollment = await createPending(userId, user.email);
      ctx.event('totp.replacement_started', { userId });
      return enrollment;
    },
  };
}

function invalidCode(): ServiceError {
  return new ServiceError('INVALID_CODE', 'That code is not valid. Enter the current code from your app.');
}
