/**
 * One attempt at a second factor, the same way wherever a code is taken (signing in, re-authenticating):
 * refuse early while the factor is limited, reserve the attempt under the factor's guess limit, then check and
 * claim the code in one transaction together with whatever the caller changes on success.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../../store/schema.ts';
import type { ServiceContext } from '../context.ts';
import type { FactorPurpose, SecondFactor } from './types.ts';

export type AttemptResult<T> =
  | { readonly ok: true; readonly value: T }
  /** Wrong or already used; `attemptsLeft` under the factor's limit. */
  | { readonly ok: false; readonly attemptsLeft: number };

/** Throws the factor's limit error while its attempts are refused for the user (before anything is spent). */
export async function refuseWhileLimited(
  ctx: ServiceContext,
  factor: SecondFactor,
  userId: string,
): Promise<void> {
  const waitMs = await factor.waitMs(ctx, userId);
  if (waitMs > 0) throw factor.limitedError(waitMs);
}

/**
 * Reserves, checks and claims one normalised code. `onClaimed` runs in the claim's transaction; when it
 * returns undefined (it lost a race), nothing of it is kept but the claim, and the result is `raced`.
 */
export async function attemptFactor<T>(
  ctx: ServiceContext,
  factor: SecondFactor,
  input: { userId: string; code: string; purpose: FactorPurpose },
  onClaimed: (trx: Kysely<Database>) => Promise<T | undefined>,
): Promise<AttemptResult<T> | { readonly ok: 'raced' }> {
  // Counted before the comparison: racing guesses on any number of instances cannot pass the limit.
  const attempt = await factor.reserve(ctx, input.userId);
  const outcome = await ctx.db.transaction().execute(async (trx) => {
    if (!(await factor.claim(ctx, trx, input))) return { claimed: false as const };
    return { claimed: true as const, value: await onClaimed(trx) };
  });
  if (outcome.claimed) {
    await attempt.accept();
    return outcome.value === undefined ? { ok: 'raced' } : { ok: true, value: outcome.value };
  }
  return { ok: false, attemptsLeft: await attempt.reject() };
}
