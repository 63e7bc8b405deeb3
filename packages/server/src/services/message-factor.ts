/**
 * Turning codes by email or by text message on and off from the security page. On needs a confirmed address
 * (a verified number) and the password; off needs the password and a current code. Turning one on makes
 * recovery codes when the user has none: they are the non-email factor a password reset asks for (email must
 * not count twice).
 */
import { countUnusedRecoveryCodes, deleteRecoveryCodesOfUser } from '../store/recovery-codes-repo.ts';
import { setMessageFactor } from '../store/users-repo.ts';
import type { ServiceContext } from './context.ts';
import { isSecondFactorOn } from './factors/index.ts';
import { hasMessageFactor, type MessageChannel, sendSignInCode } from './factors/message.ts';
import { checkCurrentPassword, reauthenticate, requireUser } from './reauthenticate.ts';
import { issueRecoveryCodes } from './recovery-codes.ts';
import { type MessageFactorService, ServiceError } from './types.ts';

export function createMessageFactorService(
  ctx: ServiceContext,
  channel: MessageChannel,
): MessageFactorService {
  return {
    async enable({ userId, password }) {
      const user = await requireUser(ctx, userId);
      const ready =
        channel === 'email' ? user.email_verified_at_ms !== null : user.phone_verified_at_ms !== null;
      if (!ready) throw new ServiceError(channel === 'email' ? 'EMAIL_NOT_VERIFIED' : 'NO_PHONE_TO_VERIFY');
      if (hasMessageFactor(user, channel)) throw new ServiceError('FACTOR_ALREADY_ON');
      await checkCurrentPassword(ctx, user, password);
      return ctx.db.transaction().execute(async (trx) => {
        await setMessageFactor(trx, { id: userId, channel, atMs: ctx.nowMs() });
        await ctx.events.record(trx, { type: 'second_factor.enabled', userId, factor: channel });
        const keep = (await countUnusedRecoveryCodes(trx, userId)) > 0;
        return { recoveryCodes: keep ? null : await issueRecoveryCodes(ctx, trx, userId) };
      });
    },

    async disable({ userId, password, code }) {
      if (!hasMessageFactor(await requireUser(ctx, userId), channel)) throw new ServiceError('FACTOR_NOT_ON');
      await reauthenticate(ctx, { userId, password, code }, async (trx) => {
        await setMessageFactor(trx, { id: userId, channel, atMs: null });
        if (!(await isSecondFactorOn(trx, userId))) await deleteRecoveryCodesOfUser(trx, userId);
        await ctx.events.record(trx, { type: 'second_factor.disabled', userId, factor: channel });
      });
    },

    async sendCode(userId) {
      const user = await requireUser(ctx, userId);
      if (!hasMessageFactor(user, channel)) throw new ServiceError('FACTOR_NOT_ON');
      await sendSignInCode(ctx, user, channel);
    },
  };
}
