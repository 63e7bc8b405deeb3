/**
 * One attempt at a second factor, the same way wherever a code is taken (signing in, re-authenticating):
 * refuse early while the factor is limited, reserve the attempt under the factor's guess limit, then check and
 * claim the code in one transaction together with whatever the caller changes on success, or records on a
 * failure (the limit's bookkeeping and the audit row commit with the claim: one transaction per attempt).
 */
import type { Kysely } from 'kysely';
import type { Database } from '../../store/schema.ts';
import type { ServiceContext } from '../context.ts';
import type { FactorPurpose, SecondFactor } from './types.ts';

export type AttemptResult<T, R> =
  | { readonly ok: true; readonly value: T }
  /** Wrong, or nothing to check against; `rejected` is what `onRejected` returned. */
  | { readonly ok: false; readonly rejected: R }
  /** Right but already used (a replay): not counted as a guess, `onRejected` not called. */
  | { readonly ok: 'replayed' };

/** A wrong code, as `onRejected` hears of it. */
export interface Rejection {
  /** Attempts left under the factor's limit after this one. */
  readonly attemptsLeft: number;
  /** True when the user has nothing of this factor's kind (removed while the code was being typed). */
  readonly absent: boolean;
}

export interface AttemptHooks<T, R> {
  /** A right code, in the claim's transaction; undefined when it lost a race (nothing of it is kept). A code
   *  that lost the claim's own compare-and-set is `replayed` instead. */
  onClaimed(trx: Kysely<Database>): Promise<T | undefined>;
  /**
   * A wrong code, in the same transaction, after the factor's limit counted it. Also when this failure closed
   * the limit (with `attemptsLeft` 0; its error is then thrown after the commit, `lock.started` recorded too):
   * it was compared like any other, and the owner's count of failed attempts must include it.
   */
  onRejected(trx: Kysely<Database>, rejection: Rejection): Promise<R>;
  /**
   * Runs once the attempt is reserved and before the code is compared (the sign-in spends its own attempt
   * here: the reservation is then also the lock check, one statement for both). When it throws, the
   * reservation is given back and the error goes on.
   */
  afterReserve?(): Promise<void>;
}

/** Throws the factor's limit error while its attempts are refused for the user (before anything is spent). */
export async function refuseWhileLimited(
  ctx: ServiceContext,
  factor: SecondFactor,
  userId: string,
): Promise<void> {
  const limited = await factor.limited(ctx, userId);
  if (limited !== undefined) throw limited;
}

/**
 * Reserves, checks and claims one normalised code. The result is `raced` when `onClaimed` returned
 * undefined: the code is used up, nothing else of the success is kept.
 */
export async function attemptFactor<T, R>(
  ctx: ServiceContext,
  factor: SecondFactor,
  input: { userId: string; code: string; purpose: FactorPurpose },
  hooks: AttemptHooks<T, R>,
): Promise<AttemptResult<T, R> | { readonly ok: 'raced' }> {
  // Counted before the comparison, in its own commit: racing guesses on any number of instances cannot pass
  // the limit, and a failure later in this attempt does not give the guess back.
  const attempt = await factor.reserve(ctx, input.userId);
  if (hooks.afterReserve !== undefined) {
    try {
      await hooks.afterReserve();
    } catch (error) {
      await attempt.release(ctx.db);
      throw error;
    }
  }
  const outcome = await ctx.db.transaction().execute(async (trx) => {
    const claim = await factor.claim(ctx, trx, input);
    if (claim === 'replayed') {
      // Nothing was guessed: the attempt is given back, and the answer says so.
      await attempt.release(trx);
      return { ok: 'replayed' } as const;
    }
    if (claim === 'claimed') {
      await attempt.accept(trx);
      // The caller's change (and its audit row) last: the audit head stays locked until the commit.
      const value = await hooks.onClaimed(trx);
      return value === undefined ? ({ ok: 'raced' } as const) : ({ ok: true, value } as const);
    }
    let attemptsLeft: number;
    try {
      attemptsLeft = await attempt.reject(trx);
    } catch (limitClosed) {
      // Commit the count, the lock's audit row and this wrong code's own, then throw.
      await hooks.onRejected(trx, { attemptsLeft: 0, absent: claim === 'absent' });
      return { ok: 'limited', error: limitClosed } as const;
    }
    const rejected = await hooks.onRejected(trx, { attemptsLeft, absent: claim === 'absent' });
    return { ok: false, rejected } as const;
  });
  if (outcome.ok === 'limited') throw outcome.error;
  return outcome;
}
