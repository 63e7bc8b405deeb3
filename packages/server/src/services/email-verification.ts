/**
 * Verifying the account's email address: after sign-up a message carries a 6-digit code (typed on the
 * security page while signed in) and a link (opened anywhere); either one verifies. Until then the account
 * works, but the address is told nothing (no notices) and cannot reset the password.
 */
import { findUserById, markEmailVerified } from '../store/users-repo.ts';
import type { ServiceContext } from './context.ts';
import { VERIFY_EMAIL_MS } from './limits.ts';
import { checkMessageCode, claimLink, findLiveLink, issueMessageCode } from './message-codes.ts';
import { renderMessage } from './messages/templates.ts';
import { requireUser } from './reauthenticate.ts';
import { currentRequestMeta } from './request-meta.ts';
import { type EmailVerificationService, ServiceError } from './types.ts';

/**
 * Sends the verification message to the user's address in the background. Throws RESEND_TOO_SOON or
 * SEND_LIMIT_REACHED when the resend limits refuse.
 */
export async function sendVerification(
  ctx: ServiceContext,
  user: { id: string; email: string },
): Promise<void> {
  const { code, token } = await issueMessageCode(ctx, {
    userId: user.id,
    purpose: 'verify_email',
    withCode: true,
    withLink: true,
    validMs: VERIFY_EMAIL_MS,
  });
  const service = { name: ctx.settings.serviceName, url: ctx.settings.publicUrl };
  const message = renderMessage({
    service,
    subject: 'confirm your email address',
    paragraphs: [
      `An account on ${service.name} was created with this email address. To confirm that the address is yours, open the link below, or enter the code on the Security page while signed in. Both work for a day.`,
    ],
    ...(code === undefined ? {} : { code }),
    ...(token === undefined
      ? {}
      : { link: { href: `${service.url}/email/verify/${token}`, label: 'Confirm your email address' } }),
    when: ctx.nowMs(),
    device: deviceNow(),
    ifNotYou:
      'If you did not create this account, ignore this message: the address stays unconfirmed and is sent nothing more.',
  });
  ctx.messages.sendLater({ channel: 'email', to: user.email, purpose: 'verify_email', ...message });
}

/** The client of the request being served (for "from which device"). */
export function deviceNow(): { userAgent: string | null; ip: string | null } {
  const meta = currentRequestMeta();
  return { userAgent: meta.userAgent, ip: meta.ip };
}

export function createEmailVerificationService(ctx: ServiceContext): EmailVerificationService {
  return {
    async resend(userId) {
      const user = await requireUser(ctx, userId);
      if (user.email_verified_at_ms !== null) throw new ServiceError('EMAIL_ALREADY_VERIFIED');
      await sendVerification(ctx, user);
    },

    async verifyCode({ userId, code }) {
      const user = await requireUser(ctx, userId);
      if (user.email_verified_at_ms !== null) throw new ServiceError('EMAIL_ALREADY_VERIFIED');
      await checkMessageCode(ctx, { userId, purpose: 'verify_email', code }, async (trx) => {
        await markEmailVerified(trx, { id: userId, nowMs: ctx.nowMs() });
        await ctx.events.record(trx, { type: 'email.verified', userId, by: 'code' });
      });
    },

    async isLinkLive(token) {
      return (await findLiveLink(ctx, token, 'verify_email')) !== undefined;
    },

    async verifyLink(token) {
      const row = await findLiveLink(ctx, token, 'verify_email');
      if (row === undefined) throw new ServiceError('INVALID_LINK');
      const done = await ctx.db.transaction().execute(async (trx) => {
        if (!(await claimLink(ctx, trx, row))) return false;
        await markEmailVerified(trx, { id: row.user_id, nowMs: ctx.nowMs() });
        await ctx.events.record(trx, { type: 'email.verified', userId: row.user_id, by: 'link' });
        return true;
      });
      if (!done || (await findUserById(ctx.db, row.user_id)) === undefined)
        throw new ServiceError('INVALID_LINK');
    },
  };
}
