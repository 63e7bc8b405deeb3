/**
 * Re-authentication of a signed-in user before a sensitive change (turning 2FA off, replacing the app, new
 * recovery codes, changing the password): the current password, and for second-factor changes a current code
 * from any factor the user has (the app's 6 digits, or a recovery code, which is then used up).
 *
 * Threat: a stolen signed-in session. Both checks count against the same limits as signing in (passwords per
 * email, 6-digit codes per user, recovery codes per user), so such a session is no place to guess from.
 */
import type { Kysely } from 'kysely';
import type { Database, UserRow } from '../store/schema.ts';
import { findUserById } from '../store/users-repo.ts';
import { preparePassword } from './accounts.ts';
import type { ServiceContext } from './context.ts';
import { attemptFactor, refuseWhileLimited } from './factors/attempt.ts';
import { codeShapeOf, enrolledFactors, factorsAccepting } from './factors/index.ts';
import { reservePasswordAttempt, runPasswordCheck } from './throttle.ts';
import { ServiceError } from './types.ts';

export async function requireUser(ctx: ServiceContext, userId: string): Promise<UserRow> {
  const user = await findUserById(ctx.db, userId);
  if (user === undefined) throw new ServiceError('SESSION_EXPIRED');
  return user;
}

/**
 * The account's current password, counted against the email's limit as at login: reserved before argon2,
 * settled after (a failure when wrong). Throws WRONG_PASSWORD (details.field = `field`) or RATE_LIMITED.
 */
export async function checkCurrentPassword(
  ctx: ServiceContext,
  user: UserRow,
  password: unknown,
  field = 'password',
): Promise<void> {
  ctx.passwords.admitOrThrow();
  const emailKey = await reservePasswordAttempt(ctx, user.email);
  const { right } = await runPasswordCheck(ctx, emailKey, async () => ({
    right:
      typeof password === 'string' &&
      (await ctx.passwords.verify(preparePassword(password), user.password_hash)),
  }));
  if (!right) {
    await ctx.events.record(ctx.db, { type: 'reauthentication.failed', userId: user.id, step: 'password' });
    throw new ServiceError('WRONG_PASSWORD', { field });
  }
}

/**
 * Password, then a current code of any factor the user has (claimed: it cannot be used again), then
 * `change` in the claim's transaction: the code is used up only together with the change it allowed.
 * Throws TOTP_NOT_ENABLED when the user has no second factor, MALFORMED_CODE when the code fits none of
 * theirs, and the factor's limit and wrong-code errors.
 */
export async function reauthenticate<T>(
  ctx: ServiceContext,
  input: { userId: string; password: unknown; code: unknown },
  change: (trx: Kysely<Database>) => Promise<T>,
): Promise<T> {
  const user = await requireUser(ctx, input.userId);
  const kinds = await enrolledFactors(ctx.db, user.id);
  if (kinds.length === 0) throw new ServiceError('TOTP_NOT_ENABLED');
  // The first kind, in registry order, whose shape fits: the app's 6 digits before emailed ones.
  const [factor] = factorsAccepting(kinds, input.code);
  if (factor === undefined) {
    throw new ServiceError('MALFORMED_CODE', { field: 'code', expected: codeShapeOf(kinds) ?? 'totp' });
  }
  // While that factor is limited the action cannot succeed: say so before spending a password attempt.
  await refuseWhileLimited(ctx, factor, user.id);
  await checkCurrentPassword(ctx, user, input.password);
  const code = factor.normalize(input.code)!;
  const result = await attemptFactor(
    ctx,
    factor,
    { userId: user.id, code, purpose: 'reauthenticate' },
    {
      onClaimed: async (trx) => ({ value: await change(trx) }),
      onRejected: (trx) =>
        ctx.events.record(trx, {
          type: 'reauthentication.failed',
          userId: user.id,
          step: 'second_factor',
          factor: factor.kind,
        }),
    },
  );
  if (result.ok === true) return result.value.value;
  throw new ServiceError(factor.wrongCode, { field: 'code' });
}
