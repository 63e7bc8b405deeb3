/**
 * Account recovery when every factor is gone (no app, no recovery codes, no mailbox code that works): the way
 * back without a help desk, and why a thief who holds only the password and the email cannot take the
 * account silently.
 *
 * 1. Asked from the code page (the password was right: a pending sign-in). Needs a confirmed address.
 * 2. Confirmed by a link mailed to that address (30 minutes, once).
 * 3. A wait (TWOFA_RECOVERY_DELAY_HOURS, 72 by default) during which the owner is told by every channel,
 *    with a link that cancels in one click; any signed-in device can cancel from the security page.
 * 4. After the wait, signing in with the password removes the lost factors (the app, recovery codes, codes
 *    by message) and signs in, asking to set up new ones.
 * Every step is an audit event.
 */

import type { Kysely } from 'kysely';
import {
  deleteAccountRecovery,
  findAccountRecovery,
  putAccountRecovery,
  startAccountRecovery,
} from '../store/account-recoveries-repo.ts';
import { deleteHotpCredentialsOfUser } from '../store/hotp-credentials-repo.ts';
import { deleteRecoveryCodesOfUser } from '../store/recovery-codes-repo.ts';
import type { Database } from '../store/schema.ts';
import { deleteCredentialsOfUser } from '../store/totp-credentials-repo.ts';
import { findUserById, setMessageFactor } from '../store/users-repo.ts';
import type { ServiceContext } from './context.ts';
import { revokeDevicesOfUser } from './devices.ts';
import { deviceNow } from './email-verification.ts';
import { PASSWORD_RESET_MS } from './limits.ts';
import { claimLink, findLiveLink, issueMessageCode } from './message-codes.ts';
import { renderMessage } from './messages/templates.ts';
import { phoneOf } from './phone.ts';
import { requireUser } from './reauthenticate.ts';
import { findLiveSession } from './sessions.ts';
import { type AccountRecoveryService, ServiceError } from './types.ts';

/** The confirmation link lasts as long as a password-reset link: the same kind of key to the account. */
const CONFIRM_MS = PASSWORD_RESET_MS;
/** The cancel link outlives the wait by a day (a late reader can still see it is over). */
const CANCEL_GRACE_MS = 24 * 60 * 60 * 1000;

export function createAccountRecoveryService(ctx: ServiceContext): AccountRecoveryService {
  const service = () => ({ name: ctx.settings.serviceName, url: ctx.settings.publicUrl });

  return {
    async request({ pendingToken }) {
      const session = await findLiveSession(ctx, pendingToken);
      if (session === undefined) throw new ServiceError('SESSION_EXPIRED');
      if (session.state !== 'pending') throw new ServiceError('NOT_PENDING');
      const user = await requireUser(ctx, session.user_id);
      if (user.email_verified_at_ms === null) throw new ServiceError('EMAIL_NOT_VERIFIED');
      const existing = await findAccountRecovery(ctx.db, user.id);
      if (existing?.state === 'waiting') return;
      const { token } = await issueMessageCode(ctx, {
        userId: user.id,
        purpose: 'recovery_confirm',
        withCode: false,
        withLink: true,
        validMs: CONFIRM_MS,
      });
      await ctx.db.transaction().execute(async (trx) => {
        await putAccountRecovery(trx, { userId: user.id, nowMs: ctx.nowMs() });
        await ctx.events.record(trx, { type: 'account_recovery.requested', userId: user.id });
      });
      const hours = ctx.settings.recoveryDelayMs / 3_600_000;
      const message = renderMessage({
        service: service(),
        subject: 'confirm account recovery',
        paragraphs: [
          `Someone who knows your password asked to recover your account on ${service().name} without its second factor. If you confirm, the account waits ${hours} hours; after that, signing in with the password removes the lost second factors and asks you to set up new ones.`,
        ],
        link: { href: `${service().url}/recovery/confirm/${token}`, label: 'Confirm account recovery' },
        when: ctx.nowMs(),
        device: deviceNow(),
        ifNotYou:
          'If this was not you, do not open the link: someone knows your password. Sign in and change it, or reset it ("Forgot password").',
      });
      ctx.messages.sendLater({ channel: 'email', to: user.email, purpose: 'account_recovery', ...message });
    },

    async isConfirmLinkLive(token) {
      return (await findLiveLink(ctx, token, 'recovery_confirm')) !== undefined;
    },

    async confirm(token) {
      const row = await findLiveLink(ctx, token, 'recovery_confirm');
      if (row === undefined) throw new ServiceError('INVALID_LINK');
      const readyAtMs = ctx.nowMs() + ctx.settings.recoveryDelayMs;
      const hours = ctx.settings.recoveryDelayMs / 3_600_000;
      const started = await ctx.db.transaction().execute(async (trx) => {
        if (!(await claimLink(ctx, trx, row))) return false;
        if (!(await startAccountRecovery(trx, { userId: row.user_id, readyAtMs }))) return false;
        await ctx.events.record(trx, { type: 'account_recovery.started', userId: row.user_id, hours });
        return true;
      });
      if (!started) throw new ServiceError('INVALID_LINK');
      const user = await requireUser(ctx, row.user_id);
      const { token: cancel } = await issueMessageCode(ctx, {
        userId: user.id,
        purpose: 'recovery_cancel',
        withCode: false,
        withLink: true,
        validMs: ctx.settings.recoveryDelayMs + CANCEL_GRACE_MS,
      });
      const cancelUrl = `${service().url}/recovery/cancel/${cancel}`;
      const when = new Date(readyAtMs).toUTCString();
      // The owner is told by every channel: whoever holds only the mailbox cannot hide it.
      const message = renderMessage({
        service: service(),
        subject: 'account recovery started',
        paragraphs: [
          `Account recovery was confirmed for your account. On ${when} the second factors will be removed the next time someone signs in with the password.`,
        ],
        link: { href: cancelUrl, label: 'Cancel the recovery (one click)' },
        when: ctx.nowMs(),
        device: deviceNow(),
        ifNotYou:
          'If this was not you, cancel it now with the link above or from the Security page of any signed-in device, then change your password.',
      });
      ctx.messages.sendLater({ channel: 'email', to: user.email, purpose: 'account_recovery', ...message });
      const phone = user.phone_verified_at_ms === null ? null : phoneOf(ctx, user);
      if (phone !== null) {
        ctx.messages.sendLater({
          channel: 'sms',
          to: phone,
          purpose: 'account_recovery',
          subject: '',
          text: `${service().name}: account recovery started; your second factors will be removed on ${when}. Not you? Cancel: ${cancelUrl}`,
        });
      }
    },

    async isCancelLinkLive(token) {
      return (await findLiveLink(ctx, token, 'recovery_cancel')) !== undefined;
    },

    async cancelByLink(token) {
      const row = await findLiveLink(ctx, token, 'recovery_cancel');
      if (row === undefined) throw new ServiceError('INVALID_LINK');
      const cancelled = await ctx.db.transaction().execute(async (trx) => {
        if (!(await claimLink(ctx, trx, row))) return false;
        return cancel(trx, row.user_id, 'link');
      });
      if (!cancelled) throw new ServiceError('INVALID_LINK');
    },

    async cancelBySession(userId) {
      await ctx.db.transaction().execute((trx) => cancel(trx, userId, 'session'));
    },

    async pending(userId) {
      const row = await findAccountRecovery(ctx.db, userId);
      if (row === undefined) return null;
      return { state: row.state, readyAtMs: row.ready_at_ms };
    },
  };

  async function cancel(trx: Kysely<Database>, userId: string, by: 'session' | 'link'): Promise<boolean> {
    if (!(await deleteAccountRecovery(trx, userId))) return false;
    await ctx.events.record(trx, { type: 'account_recovery.cancelled', userId, by });
    return true;
  }
}

/**
 * At the password step: when the user's recovery has waited its time, removes every second factor (in one
 * transaction, with the event) and returns true: the sign-in goes on without a second step.
 */
export async function completeAccountRecovery(ctx: ServiceContext, userId: string): Promise<boolean> {
  // Read first, outside a transaction: nearly every sign-in has no recovery waiting, and must not pay for one.
  const due = await findAccountRecovery(ctx.db, userId);
  if (due?.state !== 'waiting' || due.ready_at_ms === null || ctx.nowMs() < due.ready_at_ms) return false;
  return ctx.db.transaction().execute((trx) => removeLostFactors(ctx, trx, userId));
}

async function removeLostFactors(
  ctx: ServiceContext,
  trx: Kysely<Database>,
  userId: string,
): Promise<boolean> {
  const row = await findAccountRecovery(trx, userId);
  if (row?.state !== 'waiting' || row.ready_at_ms === null || ctx.nowMs() < row.ready_at_ms) return false;
  if (!(await deleteAccountRecovery(trx, userId))) return false;
  await deleteCredentialsOfUser(trx, userId);
  await deleteHotpCredentialsOfUser(trx, userId);
  await deleteRecoveryCodesOfUser(trx, userId);
  await setMessageFactor(trx, { id: userId, channel: 'email', atMs: null });
  await setMessageFactor(trx, { id: userId, channel: 'sms', atMs: null });
  if ((await findUserById(trx, userId)) === undefined) return false;
  // A remembered browser would otherwise skip the second step the owner is about to set up again.
  await revokeDevicesOfUser(ctx, trx, userId, 'account_recovery');
  await ctx.events.record(trx, { type: 'account_recovery.completed', userId });
  return true;
}
