/**
 * Turning codes by email on and off from the security page. On needs a confirmed address and the password
 * (a stolen session must not add a factor it controls... nor remove one: off needs the password and a current
 * code). Turning it on makes recovery codes when the user has none: they are the non-email factor a password
 * reset asks for (email must not count twice).
 */
import { countUnusedRecoveryCodes, deleteRecoveryCodesOfUser } from '../store/recovery-codes-repo.ts';
import { setEmailFactor } from '../store/users-repo.ts';
import type { ServiceContext } from './context.ts';
import { emailFactor, sendEmailCode } from './factors/email.ts';
import { isSecondFactorOn } from './factors/index.ts';
import { checkCurrentPassword, reauthenticate, requireUser } from './reauthenticate.ts';
import { issueRecoveryCodes } from './recovery-codes.ts';
import { type EmailFactorService, ServiceError } from './types.ts';

export function createEmailFactorService(ctx: ServiceContext): EmailFactorService {
  return {
    async enable({ userId, password }) {
      const user = await requireUser(ctx, userId);
      if (user.email_verified_at_ms === null) throw new ServiceError('EMAIL_NOT_VERIFIED');
      if (user.email_factor_at_ms !== null) throw new ServiceError('FACTOR_ALREADY_ON');
      await checkCurrentPassword(ctx, user, password);
      return ctx.db.transaction().execute(async (trx) => {
        await setEmailFactor(trx, { id: userId, atMs: ctx.nowMs() });
        await ctx.events.record(trx, { type: 'second_factor.enabled', userId, factor: 'email' });
        const keep = (await countUnusedRecoveryCodes(trx, userId)) > 0;
        return { recoveryCodes: keep ? null : await issueRecoveryCodes(ctx, trx, userId) };
      });
    },

    async disable({ userId, password, code }) {
      if (!(await emailFactor.isEnrolled(ctx.db, userId))) throw new ServiceError('FACTOR_NOT_ON');
      await reauthenticate(ctx, { userId, password, code }, async (trx) => {
        await setEmailFactor(trx, { id: userId, atMs: null });
        if (!(await isSecondFactorOn(trx, userId))) await deleteRecoveryCodesOfUser(trx, userId);
        await ctx.events.record(trx, { type: 'second_factor.disabled', userId, factor: 'email' });
      });
    },

    async sendCode(userId) {
      const user = await requireUser(ctx, userId);
      if (!(await emailFactor.isEnrolled(ctx.db, userId))) throw new ServiceError('FACTOR_NOT_ON');
      await sendEmailCode(ctx, user);
    },
  };
}
