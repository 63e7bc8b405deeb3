/** Accounts: sign-up, the user record, password change. Email and password rules live here. */
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { isUniqueViolation } from '../store/errors.ts';
import { voidMessageCodes } from '../store/message-codes-repo.ts';
import { countUnusedRecoveryCodes } from '../store/recovery-codes-repo.ts';
import type { Database, UserRow } from '../store/schema.ts';
import {
  changeEmail,
  findUserByEmail,
  findUserById,
  insertUser,
  updatePasswordHash,
} from '../store/users-repo.ts';
import type { ServiceContext } from './context.ts';
import { endSessionsAndDevices } from './devices.ts';
import { deviceNow, sendVerification } from './email-verification.ts';
import { enrolledFactors, isSecondFactorOn } from './factors/index.ts';
import { checkCanSend, issueMessageCode } from './message-codes.ts';
import { renderMessage } from './messages/templates.ts';
import { phoneOf } from './phone.ts';
import { checkCurrentPassword, reauthenticate, requireUser } from './reauthenticate.ts';
import { findLiveSession, issueSession } from './sessions.ts';
import { type AccountService, type IssuedSession, ServiceError, type UserView } from './types.ts';

/** NIST SP 800-63B s5.1.1.2: at least 8 characters; allow at least 64 (we allow 128). */
export const MIN_PASSWORD_CHARS = 8;
export const MAX_PASSWORD_CHARS = 128;
/** RFC 5321 s4.5.3.1.3: a path is at most 256 octets, so an address at most 254 characters. */
const MAX_EMAIL_CHARS = 254;
/** A basic shape check, not RFC 5322: something@domain.tld, no spaces, no characters that need quoting. */
const EMAIL_SHAPE = /^[^\s@<>()[\]\\,;:"]+@[^\s@<>()[\]\\,;:".]+(\.[^\s@<>()[\]\\,;:".]+)+$/u;
/** Control characters (PostgreSQL text cannot even hold NUL) and lone surrogates (stored as U+FFFD, so two
 *  inputs would name one account) have no place in an address. */
const NOT_IN_EMAIL = /[\p{Cc}\p{Cs}]/u;

/** Trims and lower-cases an email; undefined when it does not look like one. */
export function normalizeEmail(email: unknown): string | undefined {
  if (typeof email !== 'string') return undefined;
  const normalized = email.trim().toLowerCase();
  if (normalized.length > MAX_EMAIL_CHARS || !EMAIL_SHAPE.test(normalized) || NOT_IN_EMAIL.test(normalized)) {
    return undefined;
  }
  return normalized;
}

/**
 * The form a password is hashed in. NIST SP 800-63B s5.1.1.2: normalise Unicode (NFKC) so the same password
 * typed on two keyboards hashes the same.
 */
export function preparePassword(password: string): string {
  return password.normalize('NFKC');
}

/** Throws WEAK_PASSWORD unless the password has 8 to 128 characters (Unicode code points, as typed). */
export function checkPasswordRules(password: unknown, field = 'password'): string {
  if (typeof password !== 'string') throw new ServiceError('INVALID_INPUT', { field });
  const length = [...password].length;
  if (length < MIN_PASSWORD_CHARS || length > MAX_PASSWORD_CHARS) {
    throw new ServiceError('WEAK_PASSWORD', { field });
  }
  return preparePassword(password);
}

export function createAccountService(ctx: ServiceContext): AccountService {
  return {
    async register({ email, password }) {
      const normalized = normalizeEmail(email);
      if (normalized === undefined) throw new ServiceError('INVALID_EMAIL', { field: 'email' });
      // Hashed whether or not the address is taken: the same work, so the same time, for both.
      const passwordHash = await ctx.passwords.hash(checkPasswordRules(password));
      const existing = await findUserByEmail(ctx.db, normalized);
      if (existing !== undefined) return tellOwner(existing);
      const nowMs = ctx.nowMs();
      const user = { id: randomUUID(), email: normalized };
      try {
        await ctx.db.transaction().execute(async (trx) => {
          await insertUser(trx, {
            ...user,
            password_hash: passwordHash,
            created_at_ms: nowMs,
            updated_at_ms: nowMs,
          });
          await ctx.events.record(trx, { type: 'account.created', userId: user.id });
        });
      } catch (error) {
        if (!isUniqueViolation(error)) throw error;
        // Two sign-ups racing for one address: the unique index decides, and the loser is told like any other.
        const winner = await findUserByEmail(ctx.db, normalized);
        if (winner !== undefined) return tellOwner(winner);
        throw error;
      }
      await sendVerification(ctx, user);
    },

    async signUp({ email, password }): Promise<IssuedSession> {
      const normalized = normalizeEmail(email);
      if (normalized === undefined) throw new ServiceError('INVALID_EMAIL', { field: 'email' });
      const prepared = checkPasswordRules(password);
      if ((await findUserByEmail(ctx.db, normalized)) !== undefined) throw emailTaken();
      const passwordHash = await ctx.passwords.hash(prepared);
      const nowMs = ctx.nowMs();
      const userId = randomUUID();
      try {
        const issued = await ctx.db.transaction().execute(async (trx) => {
          await insertUser(trx, {
            id: userId,
            email: normalized,
            password_hash: passwordHash,
            created_at_ms: nowMs,
            updated_at_ms: nowMs,
          });
          const session = await issueSession(ctx, trx, userId, 'full');
          await ctx.events.record(trx, { type: 'account.created', userId });
          return session;
        });
        return issued;
      } catch (error) {
        // Two sign-ups racing for one address: the unique index decides.
        if (isUniqueViolation(error)) throw emailTaken();
        throw error;
      }
    },

    async changeEmail({ userId, password, code, newEmail }) {
      const user = await requireUser(ctx, userId);
      const normalized = normalizeEmail(newEmail);
      if (normalized === undefined) throw new ServiceError('INVALID_EMAIL', { field: 'newEmail' });
      if (normalized === user.email) throw new ServiceError('SAME_EMAIL', { field: 'newEmail' });
      // Said to the signed-in owner only, after the password (and second factor): no stranger learns it here.
      if ((await findUserByEmail(ctx.db, normalized)) !== undefined) {
        throw new ServiceError('EMAIL_TAKEN', { field: 'newEmail' });
      }
      // The new address gets a confirmation: within the resend limits, asked before anything changes.
      await checkCanSend(ctx, { userId, purpose: 'verify_email' });
      const change = async (trx: Kysely<Database>) => {
        await changeEmail(trx, { id: userId, email: normalized, nowMs: ctx.nowMs() });
        // A code or link sent to the old address must not confirm the new one, reset its password, nor
        // start an account recovery (a cancel link stays: it can only stop one). Their sends still count:
        // flipping between addresses must not mail anyone without limit.
        await voidMessageCodes(trx, {
          userId,
          purposes: ['verify_email', 'password_reset', 'sign_in_email', 'recovery_confirm'],
          nowMs: ctx.nowMs(),
        });
        await ctx.events.record(trx, { type: 'email.changed', userId });
      };
      try {
        if (await isSecondFactorOn(ctx.db, userId))
          await reauthenticate(ctx, { userId, password, code }, change);
        else {
          await checkCurrentPassword(ctx, user, password);
          await ctx.db.transaction().execute(change);
        }
      } catch (error) {
        if (isUniqueViolation(error)) throw new ServiceError('EMAIL_TAKEN', { field: 'newEmail' });
        throw error;
      }
      if (user.email_verified_at_ms !== null) {
        const service = { name: ctx.settings.serviceName, url: ctx.settings.publicUrl };
        const message = renderMessage({
          service,
          subject: 'your email address was changed',
          paragraphs: [
            `The email address of your account on ${service.name} was changed to ${maskEmail(normalized)}. This address gets no more messages about the account.`,
          ],
          when: ctx.nowMs(),
          device: deviceNow(),
          ifNotYou:
            'If this was not you, someone has your password and a second factor: reset your password and contact the service at once.',
        });
        ctx.messages.sendLater({ channel: 'email', to: user.email, purpose: 'notice', ...message });
      }
      await sendVerification(ctx, { id: userId, email: normalized });
    },

    async getUser(userId: string): Promise<UserView | null> {
      const user = await findUserById(ctx.db, userId);
      if (user === undefined) return null;
      const factors = await enrolledFactors(ctx.db, userId);
      return {
        id: user.id,
        email: user.email,
        factors,
        totpEnabled: factors.includes('totp'),
        recoveryCodesLeft: await countUnusedRecoveryCodes(ctx.db, userId),
        emailVerified: user.email_verified_at_ms !== null,
        emailFactorOn: factors.includes('email'),
        phone: phoneOf(ctx, user),
        phoneVerified: user.phone_verified_at_ms !== null,
        smsFactorOn: factors.includes('sms'),
        createdAtMs: user.created_at_ms,
      };
    },

    async changePassword({ userId, currentToken, currentPassword, newPassword }): Promise<IssuedSession> {
      const session = await findLiveSession(ctx, currentToken);
      if (session === undefined || session.user_id !== userId || session.state !== 'full') {
        throw new ServiceError('SESSION_EXPIRED');
      }
      const prepared = checkPasswordRules(newPassword, 'newPassword');
      const user = await findUserById(ctx.db, userId);
      if (user === undefined) throw new ServiceError('SESSION_EXPIRED');
      // Guesses here count against the email as at login: a stolen session is no place to guess from.
      await checkCurrentPassword(ctx, user, currentPassword, 'currentPassword');
      // A "change" to the same password changes nothing, yet would sign every other device out.
      if (await ctx.passwords.verify(prepared, user.password_hash)) {
        throw new ServiceError('SAME_PASSWORD', { field: 'newPassword' });
      }
      const passwordHash = await ctx.passwords.hash(prepared);
      // One transaction: the new hash, every session of the user revoked (a thief's included), one new session.
      const issued = await ctx.db.transaction().execute(async (trx) => {
        await updatePasswordHash(trx, { id: userId, passwordHash, nowMs: ctx.nowMs() });
        await endSessionsAndDevices(ctx, trx, userId, 'password_changed');
        const session = await issueSession(ctx, trx, userId, 'full');
        await ctx.events.record(trx, { type: 'password.changed', userId });
        return session;
      });
      return issued;
    },
  };

  /** Someone signed up with a taken address: its owner hears of it (within the resend limits), nobody else. */
  async function tellOwner(owner: UserRow): Promise<void> {
    try {
      await issueMessageCode(ctx, {
        userId: owner.id,
        purpose: 'signup_attempt',
        withCode: false,
        withLink: false,
        validMs: 0,
      });
    } catch (error) {
      if (error instanceof ServiceError) return; // over the limits: the owner has been told recently
      throw error;
    }
    const service = { name: ctx.settings.serviceName, url: ctx.settings.publicUrl };
    const message = renderMessage({
      service,
      subject: 'someone tried to sign up with your address',
      paragraphs: [
        `Someone tried to create an account on ${service.name} with this email address, which already has one. No account was made, and nothing changed on yours.`,
      ],
      when: ctx.nowMs(),
      device: deviceNow(),
      ifNotYou: `If this was you, log in instead (${service.url}/login), or use "Forgot password" there. If it was not you, there is nothing to do.`,
    });
    ctx.messages.sendLater({ channel: 'email', to: owner.email, purpose: 'signup_attempt', ...message });
  }
}

/** `a***@example.com`: enough for the owner to recognise, not a gift to whoever reads the old mailbox. */
function maskEmail(email: string): string {
  const at = email.lastIndexOf('@');
  return `${email.slice(0, 1)}***${email.slice(at)}`;
}

function emailTaken(): ServiceError {
  return new ServiceError('EMAIL_TAKEN', { field: 'email' });
}
