/**
 * Codes by message as a second factor: `email` (to the confirmed address) and `sms` (to the verified phone,
 * through the webhook). A 6-digit code sent when the sign-in (or a change) asks for it, valid 10 minutes,
 * one live code per user and channel (a new one replaces it), at most 5 attempts per code, sent at most once
 * a minute and 10 times a day, used once, stored as a keyed hash (services/message-codes.ts). Wrong codes
 * also count against the user's 6-digit limit shared with the app (services/throttle.ts), so switching
 * factor buys no guesses.
 */
import type { Kysely } from 'kysely';
import type { Database, UserRow } from '../../store/schema.ts';
import { findUserById } from '../../store/users-repo.ts';
import type { ServiceContext } from '../context.ts';
import { MESSAGE_CODE_MS } from '../limits.ts';
import { issueMessageCode, matchMessageCode } from '../message-codes.ts';
import { MessageNotSentError } from '../messages/messenger.ts';
import { renderMessage } from '../messages/templates.ts';
import { phoneOf, sendText } from '../phone.ts';
import { currentRequestMeta } from '../request-meta.ts';
import { ServiceError } from '../types.ts';
import { normalizeCode, SIX_DIGIT_LIMIT } from './totp.ts';
import type { SecondFactor } from './types.ts';

export type MessageChannel = 'email' | 'sms';

/** Whether the user has codes by `channel` on, to a verified address or number. */
export function hasMessageFactor(user: UserRow, channel: MessageChannel): boolean {
  return channel === 'email'
    ? user.email_factor_at_ms !== null && user.email_verified_at_ms !== null
    : user.sms_factor_at_ms !== null && user.phone_verified_at_ms !== null;
}

function messageFactor(channel: MessageChannel): SecondFactor {
  return {
    kind: channel,
    role: 'primary',
    wrongCode: 'INVALID_MESSAGE_CODE',

    async isEnrolled(db: Kysely<Database>, userId: string) {
      const user = await findUserById(db, userId);
      return user !== undefined && hasMessageFactor(user, channel);
    },

    normalize: normalizeCode,

    ...SIX_DIGIT_LIMIT,

    async claim(ctx, trx, { userId, code }) {
      return (await matchMessageCode(ctx, trx, { userId, purpose: `sign_in_${channel}`, digits: code })).ok;
    },
  };
}

export const emailFactor = messageFactor('email');
export const smsFactor = messageFactor('sms');

/**
 * Sends a new sign-in code by `channel` and waits for the mail server or gateway to take it (bounded by the
 * transport's time-outs). Throws RESEND_TOO_SOON, SEND_LIMIT_REACHED, MESSAGE_NOT_SENT.
 */
export async function sendSignInCode(
  ctx: ServiceContext,
  user: UserRow,
  channel: MessageChannel,
): Promise<void> {
  const phone = channel === 'sms' ? phoneOf(ctx, user) : null;
  if (channel === 'sms' && phone === null) throw new ServiceError('FACTOR_NOT_ON');
  const { code } = await issueMessageCode(ctx, {
    userId: user.id,
    purpose: `sign_in_${channel}`,
    withCode: true,
    withLink: false,
    validMs: MESSAGE_CODE_MS,
  });
  const service = { name: ctx.settings.serviceName, url: ctx.settings.publicUrl };
  if (channel === 'sms') {
    await sendText(ctx, {
      to: phone!,
      purpose: 'sign_in_code',
      text: `${service.name}: your sign-in code is ${code}. It works once, within 10 minutes. Never share it.`,
    });
    return;
  }
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
