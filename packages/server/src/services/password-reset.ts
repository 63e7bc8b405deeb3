/**
 * "Forgot password": a link by email with a 256-bit token (only its SHA-256 is stored), valid 30 minutes,
 * used once. Setting the new password ends every session of the account and is notified. Threats:
 * - account enumeration: asking gives the same answer, with the same work, for any address;
 * - email counted twice: with two-factor authentication on, the link alone is not enough: the reset also
 *   asks for a factor that is not email (a code from the app or a recovery code), counted against that
 *   factor's limits, so whoever reads the mailbox cannot take the account;
 * - an address nobody proved: an unverified address gets no link.
 */
import type { Kysely } from 'kysely';
import type { Database, UserRow } from '../store/schema.ts';
import { findUserByEmail, findUserById, updatePasswordHash } from '../store/users-repo.ts';
import { checkPasswordRules, normalizeEmail } from './accounts.ts';
import type { ServiceContext } from './context.ts';
import { endSessionsAndDevices } from './devices.ts';
import { deviceNow } from './email-verification.ts';
import { attemptFactor, refuseWhileLimited } from './factors/attempt.ts';
import {
  codeShapeOf,
  enrolledFactors,
  factorsAccepting,
  hasPrimaryFactor,
  nonEmailFactors,
} from './factors/index.ts';
import { hasMessageFactor, sendSignInCode } from './factors/message.ts';
import { PASSWORD_RESET_MS } from './limits.ts';
import { claimLink, findLiveLink, issueMessageCode } from './message-codes.ts';
import { renderMessage } from './messages/templates.ts';
import { clearPasswordFailures } from './throttle.ts';
import { type PasswordResetService, type PasswordResetView, ServiceError } from './types.ts';

export function createPasswordResetService(ctx: ServiceContext): PasswordResetService {
  return {
    async request(email) {
      const normalized = normalizeEmail(email);
      if (normalized === undefined) throw new ServiceError('INVALID_EMAIL', { field: 'email' });
      const user = await findUserByEmail(ctx.db, normalized);
      if (user === undefined || user.email_verified_at_ms === null) return;
      // The writes and the message go on after the answer: an unknown address answers after this same read.
      ctx.messages.prepareLater('password_reset', () => sendResetLink(user));
    },

    async check(token): Promise<PasswordResetView | null> {
      const row = await findLiveLink(ctx, token, 'password_reset');
      if (row === undefined) return null;
      const kinds = await enrolledFactors(ctx.db, row.user_id);
      if (!hasPrimaryFactor(kinds)) return { needsCode: null, smsAvailable: false };
      return {
        needsCode: codeShapeOf(nonEmailFactors(kinds)) ?? 'totp',
        smsAvailable: kinds.includes('sms'),
      };
    },

    async sendCode(token) {
      const row = await findLiveLink(ctx, token, 'password_reset');
      if (row === undefined) throw new ServiceError('INVALID_LINK');
      const user = await findUserById(ctx.db, row.user_id);
      if (user === undefined || !hasMessageFactor(user, 'sms')) throw new ServiceError('FACTOR_NOT_ON');
      await sendSignInCode(ctx, user, 'sms');
    },

    async reset({ token, newPassword, code }) {
      const row = await findLiveLink(ctx, token, 'password_reset');
      if (row === undefined) throw new ServiceError('INVALID_LINK');
      const userId = row.user_id;
      const prepared = checkPasswordRules(newPassword, 'newPassword');
      const passwordHash = await ctx.passwords.hash(prepared);
      const change = async (trx: Kysely<Database>) => {
        if (!(await claimLink(ctx, trx, row))) return undefined;
        await updatePasswordHash(trx, { id: userId, passwordHash, nowMs: ctx.nowMs() });
        // Whoever is signed in (a thief's session too) is signed out.
        await endSessionsAndDevices(ctx, trx, userId, 'password_reset');
        await ctx.events.record(trx, { type: 'password.reset', userId });
        return true;
      };
      const kinds = await enrolledFactors(ctx.db, userId);
      if (!hasPrimaryFactor(kinds)) {
        const done = await ctx.db.transaction().execute(change);
        if (done === undefined) throw new ServiceError('INVALID_LINK');
      } else {
        // The link proved the mailbox; a second factor that is not email proves the rest (with codes by email
        // as the only factor, a recovery code: turning them on made a set).
        const others = nonEmailFactors(kinds);
        const [factor] = factorsAccepting(others, code);
        if (factor === undefined) {
          throw new ServiceError('MALFORMED_CODE', {
            field: 'code',
            expected: codeShapeOf(others) ?? 'totp',
          });
        }
        await refuseWhileLimited(ctx, factor, userId);
        // The link's claim, the limit's bookkeeping and the audit row commit together (factors/attempt.ts).
        const result = await attemptFactor(
          ctx,
          factor,
          { userId, code: factor.normalize(code)!, purpose: 'password_reset' },
          {
            onClaimed: change,
            onRejected: (trx) =>
              ctx.events.record(trx, {
                type: 'reauthentication.failed',
                userId,
                step: 'second_factor',
                factor: factor.kind,
              }),
          },
        );
        if (result.ok === 'raced') throw new ServiceError('INVALID_LINK');
        if (result.ok !== true) throw new ServiceError(factor.wrongCode, { field: 'code' });
      }
      const user = await findUserById(ctx.db, userId);
      if (user !== undefined) await clearPasswordFailures(ctx, ctx.emailKey(user.email));
    },
  };

  /** Makes a link for the user (within the resend limits) and mails it. */
  async function sendResetLink(user: UserRow): Promise<void> {
    let token: string | undefined;
    try {
      ({ token } = await issueMessageCode(ctx, {
        userId: user.id,
        purpose: 'password_reset',
        withCode: false,
        withLink: true,
        validMs: PASSWORD_RESET_MS,
      }));
    } catch (error) {
      // Over the resend limits: nothing is sent (the last link still works).
      if (error instanceof ServiceError) return;
      throw error;
    }
    await ctx.events.record(ctx.db, { type: 'password_reset.requested', userId: user.id });
    const service = { name: ctx.settings.serviceName, url: ctx.settings.publicUrl };
    const message = renderMessage({
      service,
      subject: 'reset your password',
      paragraphs: [
        `Someone asked to reset the password of your account on ${service.name}. The link below works once, within 30 minutes.`,
      ],
      link: { href: `${service.url}/password/reset/${token}`, label: 'Choose a new password' },
      when: ctx.nowMs(),
      device: deviceNow(),
      ifNotYou:
        'If you did not ask, ignore this message: your password stays as it is. Whoever asked knows your email address, not your password.',
    });
    ctx.messages.sendLater({ channel: 'email', to: user.email, purpose: 'password_reset', ...message });
  }
}
