/**
 * The account's phone number, for codes by text message: normalised to E.164, sealed at rest (a dump holds
 * no number in clear), verified with a code sent to it. Adding one needs the password; replacing a verified
 * one needs the password and a current code (a stolen session must not move the account's text messages to
 * its own phone), tells the old number and the address, and turns codes by text message off until the new
 * number is verified.
 */

import type { Kysely } from 'kysely';
import { openSecret, phoneContext, sealSecret } from '../crypto/secret-box.ts';
import { voidMessageCodes } from '../store/message-codes-repo.ts';
import type { Database, UserRow } from '../store/schema.ts';
import { markPhoneVerified, setPhone } from '../store/users-repo.ts';
import type { ServiceContext } from './context.ts';
import { MESSAGE_CODE_MS } from './limits.ts';
import { checkCanSend, checkMessageCode, issueMessageCode } from './message-codes.ts';
import { MessageNotSentError } from './messages/messenger.ts';
import type { OutgoingMessage } from './messages/transports.ts';
import { checkCurrentPassword, reauthenticate, requireUser } from './reauthenticate.ts';
import { type PhoneService, ServiceError } from './types.ts';

/** ITU-T E.164: a + and at most 15 digits (country code first); fewer than 8 is no reachable number. */
const E164 = /^\+[1-9]\d{7,14}$/;

/** The E.164 form of a typed number (spaces, dashes, dots and brackets dropped), or undefined. */
export function normalizePhone(input: unknown): string | undefined {
  if (typeof input !== 'string' || input.length > 32) return undefined;
  const compact = input.normalize('NFKC').replace(/[\s\-.()]/g, '');
  return E164.test(compact) ? compact : undefined;
}

/** The user's number in clear, or null. */
export function phoneOf(ctx: ServiceContext, user: UserRow): string | null {
  if (user.phone_ciphertext === null || user.phone_key_id === null) return null;
  const bytes = openSecret(
    ctx.keyring,
    { keyId: user.phone_key_id, ciphertext: user.phone_ciphertext },
    phoneContext(user.id),
  );
  return Buffer.from(bytes).toString('utf8');
}

/** Sends a text message now (bounded by the webhook's time-out and retries); MESSAGE_NOT_SENT when down. */
export async function sendText(
  ctx: ServiceContext,
  message: Omit<OutgoingMessage, 'channel' | 'subject'>,
): Promise<void> {
  try {
    await ctx.messages.send({ channel: 'sms', subject: '', ...message });
  } catch (error) {
    if (error instanceof MessageNotSentError) throw new ServiceError('MESSAGE_NOT_SENT');
    throw error;
  }
}

export function createPhoneService(ctx: ServiceContext): PhoneService {
  async function sendVerification(user: UserRow, phone: string): Promise<void> {
    const { code } = await issueMessageCode(ctx, {
      userId: user.id,
      purpose: 'verify_phone',
      withCode: true,
      withLink: false,
      validMs: MESSAGE_CODE_MS,
    });
    await sendText(ctx, {
      to: phone,
      purpose: 'verify_phone',
      text: `${ctx.settings.serviceName}: your code is ${code}. It confirms this number for your account; it works 10 minutes. Not you? Ignore this message.`,
    });
  }

  return {
    async set({ userId, password, code, phone }) {
      const user = await requireUser(ctx, userId);
      const number = normalizePhone(phone);
      if (number === undefined) throw new ServiceError('INVALID_PHONE', { field: 'phone' });
      const previous = phoneOf(ctx, user);
      // The new number gets a code: within the resend limits, asked before anything changes.
      await checkCanSend(ctx, { userId, purpose: 'verify_phone' });
      const sealed = sealSecret(ctx.keyring, Buffer.from(number, 'utf8'), phoneContext(userId));
      const change = async (trx: Kysely<Database>) => {
        await setPhone(trx, { id: userId, keyId: sealed.keyId, ciphertext: sealed.ciphertext });
        // Codes texted to the previous number prove nothing about this one: they stop working (their sends
        // still count, so changing numbers buys no extra texts).
        await voidMessageCodes(trx, {
          userId,
          purposes: ['verify_phone', 'sign_in_sms'],
          nowMs: ctx.nowMs(),
        });
        await ctx.events.record(trx, { type: 'phone.changed', userId });
      };
      if (previous !== null && user.phone_verified_at_ms !== null) {
        // Moving a verified number takes a second factor, and its owner hears of it there.
        await reauthenticate(ctx, { userId, password, code }, change);
        await sendText(ctx, {
          to: previous,
          purpose: 'notice',
          text: `${ctx.settings.serviceName}: this number was removed from your account. Not you? Sign in and check the Security page.`,
        }).catch(() => undefined);
      } else {
        await checkCurrentPassword(ctx, user, password);
        await ctx.db.transaction().execute(change);
      }
      await sendVerification(user, number);
    },

    async resend(userId) {
      const user = await requireUser(ctx, userId);
      const phone = phoneOf(ctx, user);
      if (phone === null || user.phone_verified_at_ms !== null) throw new ServiceError('NO_PHONE_TO_VERIFY');
      await sendVerification(user, phone);
    },

    async verify({ userId, code }) {
      const user = await requireUser(ctx, userId);
      if (phoneOf(ctx, user) === null || user.phone_verified_at_ms !== null) {
        throw new ServiceError('NO_PHONE_TO_VERIFY');
      }
      await checkMessageCode(ctx, { userId, purpose: 'verify_phone', code }, async (trx) => {
        await markPhoneVerified(trx, { id: userId, nowMs: ctx.nowMs() });
        await ctx.events.record(trx, { type: 'phone.verified', userId });
      });
    },
  };
}
