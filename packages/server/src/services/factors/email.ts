/**
 * Codes by email: a 6-digit code sent to the account's confirmed address when the sign-in (or a change)
 * asks for it, valid 10 minutes, one live code per user (a new one replaces it), at most 5 attempts per code,
 * sent at most once a minute and 10 times a day, used once, stored as a keyed hash (services/message-codes.ts).
 * Wrong codes also count against the user's 6-digit limit shared with the app (services/throttle.ts), so
 * switching factor buys no guesses.
 */
import { findUserById } from '../../store/users-repo.ts';
import type { ServiceContext } from '../context.ts';
import { MESSAGE_CODE_MS } from '../limits.ts';
import { issueMessageCode, matchMessageCode } from '../message-codes.ts';
import { MessageNotSentError } from '../messages/messenger.ts';
import { renderMessage } from '../messages/templates.ts';
import { currentRequestMeta } from '../request-meta.ts';
import { acceptCode, codeWaitMs, rejectCode, reserveCodeCheck, secondFactorLocked } from '../throttle.ts';
import { ServiceError } from '../types.ts';
import { normalizeCode } from './totp.ts';
import type { SecondFactor } from './types.ts';

export const emailFactor: SecondFactor = {
  kind: 'email',
  role: 'primary',
  wrongCode: 'INVALID_MESSAGE_CODE',

  async isEnrolled(db, userId) {
    const user = await findUserById(db, userId);
    return user !== undefined && user.email_factor_at_ms !== null && user.email_verified_at_ms !== null;
  },

  normalize: normalizeCode,

  waitMs: (ctx, userId) => codeWaitMs(ctx, userId),

  limitedError: (waitMs) => secondFactorLocked(waitMs),

  async reserve(ctx, userId) {
    const check = await reserveCodeCheck(ctx, userId);
    return {
      accept: () => acceptCode(ctx, userId),
      reject: () => rejectCode(ctx, userId, check),
    };
  },

  async claim(ctx, trx, { userId, code }) {
    return (await matchMessageCode(ctx, trx, { userId, purpose: 'sign_in_email', digits: code })).ok;
  },
};

/**
 * Sends a new sign-in code to the user's address and waits for the mail server to take it (bounded by the
 * transport's time-outs). Throws RESEND_TOO_SOON, SEND_LIMIT_REACHED, MESSAGE_NOT_SENT.
 */
export async function sendEmailCode(ctx: ServiceContext, user: { id: string; email: string }): Promise<void> {
  const { code } = await issueMessageCode(ctx, {
    userId: user.id,
    purpose: 'sign_in_email',
    withCode: true,
    withLink: false,
    validMs: MESSAGE_CODE_MS,
  });
  const service = { name: ctx.settings.serviceName, url: ctx.settings.publicUrl };
  const meta = currentRequestMeta();
  const message = renderMessage({
    service,
    subject: 'your sign-in code',
    paragraphs: [
      `Someone with your password asked for a code to confirm it is you on ${service.name}. It works once, within 10 minutes.`,
    ],
    ...(code === undefined ? {} : { code }),
    when: ctx.nowMs(),
    device: { userAgent: meta.userAgent, ip: meta.ip },
    ifNotYou:
      'If this was not you, someone knows your password: do not share this code with anyone, and change your password as soon as you can.',
  });
  try {
    await ctx.messages.send({ channel: 'email', to: user.email, purpose: 'sign_in_code', ...message });
  } catch (error) {
    if (error instanceof MessageNotSentError) throw new ServiceError('MESSAGE_NOT_SENT');
    throw error;
  }
}
