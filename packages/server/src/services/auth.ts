/**
 * Signing in: the password step, the second step (any factor the pending sign-in may use), session lookup
 * and sign-out. Every change of privilege issues a new token and deletes the old session row (fixation).
 */
import { hashToken, isWellFormedToken } from '../crypto/tokens.ts';
import { deleteSession, deleteSessionByTokenHash, spendAttempt } from '../store/sessions-repo.ts';
import { findUserByEmail, updatePasswordHash } from '../store/users-repo.ts';
import { completeAccountRecovery } from './account-recovery.ts';
import { normalizeEmail, preparePassword } from './accounts.ts';
import type { ServiceContext } from './context.ts';
import { attemptFactor, refuseWhileLimited } from './factors/attempt.ts';
import {
  decodeFactorKinds,
  enrolledFactors,
  factorOf,
  hasPrimaryFactor,
  isSecondFactorOn,
} from './factors/index.ts';
import { sendSignInCode } from './factors/message.ts';
import { MAX_CODE_ATTEMPTS } from './limits.ts';
import { requireUser } from './reauthenticate.ts';
import { findLiveSession, issueSession, toSessionView, touch } from './sessions.ts';
import { codeWaitMs, reservePasswordAttempt, runPasswordCheck } from './throttle.ts';
import {
  type AuthService,
  type FactorKind,
  type IssuedSession,
  type LoginResult,
  ServiceError,
  type SessionState,
  type SessionView,
} from './types.ts';

/** What the second step needs of a pending sign-in; `factors` null for one from before migration 0004. */
interface PendingSignIn {
  readonly id: string;
  readonly userId: string;
  readonly state: SessionState;
  readonly expiresAtMs: number;
  readonly factors: readonly FactorKind[] | null;
}

/** A view the session middleware resolved in this request (a pending sign-in always names its kinds). */
function pendingOfView(view: SessionView): PendingSignIn {
  const { id, userId, state, expiresAtMs, factors } = view;
  return { id, userId, state, expiresAtMs, factors: factors.length === 0 ? null : factors };
}

export function createAuthService(ctx: ServiceContext): AuthService {
  /** The pending sign-in a token names; throws SESSION_EXPIRED when none is live. */
  async function findPending(token: string): Promise<PendingSignIn> {
    const row = await findLiveSession(ctx, token);
    if (row === undefined) throw new ServiceError('SESSION_EXPIRED');
    return {
      id: row.id,
      userId: row.user_id,
      state: row.state,
      expiresAtMs: row.expires_at_ms,
      factors: row.factors === null ? null : decodeFactorKinds(row.factors),
    };
  }

  return {
    async login({ email, password, previousToken }): Promise<LoginResult> {
      // Session fixation: whatever session the browser arrived with is gone, success or not.
      if (previousToken !== undefined && isWellFormedToken(previousToken)) {
        await deleteSessionByTokenHash(ctx.db, hashToken(previousToken));
      }
      // Password guessing: counted per email before the user is looked up and before any argon2 work, so a
      // limited email is refused cheaply and in the same way whether or not an account has it.
      // A full password pool (a login storm) refuses before any database work: BUSY, nothing counted.
      ctx.passwords.admitOrThrow();
      const emailKey = await reservePasswordAttempt(ctx, email);
      // Counted while it runs, settled when it ends: a failure only when wrong, so concurrent right
      // passwords for one email never use up its limit.
      const { right, user } = await runPasswordCheck(ctx, emailKey, async () => {
        const normalized = normalizeEmail(email);
        const found = normalized === undefined ? undefined : await findUserByEmail(ctx.db, normalized);
        // Account enumeration: an unknown email costs the same argon2 work as a wrong password, and both
        // end in the same error, so neither the answer nor its timing tells whether the account exists.
        const storedHash = found?.password_hash ?? (await ctx.dummyHash());
        const passwordOk = await ctx.passwords.verify(
          preparePassword(typeof password === 'string' ? password : ''),
          storedHash,
        );
        return { right: found !== undefined && passwordOk, user: found };
      });
      if (!right || user === undefined) {
        await ctx.events.record(ctx.db, {
          type: 'sign_in.failed',
          userId: user?.id ?? null,
          step: 'password',
        });
        throw new ServiceError('INVALID_CREDENTIALS');
      }
      if (ctx.passwords.needsRehash(user.password_hash)) {
        const passwordHash = await ctx.passwords.hash(preparePassword(password as string));
        await updatePasswordHash(ctx.db, {
          id: user.id,
          passwordHash,
          nowMs: ctx.nowMs(),
          expectedHash: user.password_hash,
        });
        ctx.log('auth.password_rehashed', { userId: user.id });
      }
      // An account recovery that has waited its time completes here: the lost factors go.
      const recovered = await completeAccountRecovery(ctx, user.id);
      const factors = await enrolledFactors(ctx.db, user.id);
      if (!hasPrimaryFactor(factors)) {
        // The audit row last in each transaction: it holds the chain's head until the commit.
        const issued = await ctx.db.transaction().execute(async (trx) => {
          const session = await issueSession(ctx, trx, user.id, 'full');
          await ctx.events.record(trx, { type: 'sign_in.succeeded', userId: user.id, factor: 'none' });
          return session;
        });
        return recovered ? { kind: 'full', issued, recovered } : { kind: 'full', issued };
      }
      ctx.log('auth.password_accepted', { userId: user.id });
      return { kind: 'pending', issued: await issueSession(ctx, ctx.db, user.id, 'pending', factors) };
    },

    async verifySecondFactor({ pendingToken, session, factor: kind = 'totp', code }): Promise<IssuedSession> {
      const pending = session === undefined ? await findPending(pendingToken) : pendingOfView(session);
      if (pending.state !== 'pending') throw new ServiceError('NOT_PENDING');
      const { userId } = pending;
      // A pending session from before the factor seam (migration 0004) names no kinds: whatever the user has.
      const allowed = pending.factors ?? (await enrolledFactors(ctx.db, userId));
      if (!allowed.includes(kind)) throw new ServiceError('FACTOR_NOT_AVAILABLE');
      const factor = factorOf(kind);
      // What cannot be a code is no guess: it spends no attempt.
      const normalized = factor.normalize(code);
      if (normalized === undefined)
        throw new ServiceError('MALFORMED_CODE', {
          field: 'code',
          expected: kind === 'email' || kind === 'sms' ? 'message' : kind,
        });
      // A limited factor is refused before this session's attempts are spent (the reservation decides).
      await refuseWhileLimited(ctx, factor, userId);
      // Spend the attempt before checking the code: the conditional UPDATE caps the total at
      // MAX_CODE_ATTEMPTS however many guesses race in, on however many instances. It also re-checks that the
      // session is still a live pending one, whatever the view it was given.
      const used = await spendAttempt(ctx.db, {
        id: pending.id,
        maxAttempts: MAX_CODE_ATTEMPTS,
        nowMs: ctx.nowMs(),
      });
      if (used === undefined) {
        await deleteSession(ctx.db, pending.id);
        if (ctx.nowMs() >= pending.expiresAtMs) throw new ServiceError('SESSION_EXPIRED');
        throw new ServiceError('TOO_MANY_ATTEMPTS');
      }
      const lastAttempt = used >= MAX_CODE_ATTEMPTS;
      // Replace the pending session by a full one, in the claim's transaction and once: if two different
      // right codes raced, only the request that deleted the pending row gets a session. A right code proves
      // the factor is still there (recovery codes go with the app when 2FA is turned off, in one transaction).
      let result: Awaited<ReturnType<typeof attemptFactor<IssuedSession, 'off' | number>>>;
      try {
        result = await attemptFactor(
          ctx,
          factor,
          { userId, code: normalized, purpose: 'sign_in' },
          {
            onClaimed: async (trx) => {
              if (!(await deleteSession(trx, pending.id))) return undefined;
              const issued = await issueSession(ctx, trx, userId, 'full');
              await ctx.events.record(trx, { type: 'sign_in.succeeded', userId, factor: kind });
              return issued;
            },
            onRejected: async (trx, { attemptsLeft, absent }) => {
              // 2FA turned off while this sign-in waited: start over. A wrong code of a primary factor the
              // user still has shows it is on without asking.
              if ((absent || factor.role !== 'primary') && !(await isSecondFactorOn(trx, userId))) {
                await deleteSession(trx, pending.id);
                return 'off';
              }
              // The sign-in's last attempt went wrong: it is over.
              if (lastAttempt) await deleteSession(trx, pending.id);
              const left = Math.min(MAX_CODE_ATTEMPTS - used, attemptsLeft);
              await ctx.events.record(trx, {
                type: 'sign_in.failed',
                userId,
                step: 'second_factor',
                factor: kind,
                ...(lastAttempt ? {} : { attemptsLeft: left }),
              });
              return left;
            },
          },
        );
      } catch (error) {
        // This wrong code started a lock: the sign-in's last attempt, if it was, is gone with it.
        if (lastAttempt) await deleteSession(ctx.db, pending.id);
        throw error;
      }
      if (result.ok === true) return result.value;
      if (result.ok === 'raced' || result.rejected === 'off') throw new ServiceError('SESSION_EXPIRED');
      if (lastAttempt) throw new ServiceError('TOO_MANY_ATTEMPTS');
      throw new ServiceError(factor.wrongCode, { field: 'code', attemptsLeft: result.rejected });
    },

    refuseWhileBusy: () => ctx.passwords.admitOrThrow(),

    secondFactorWaitMs: (userId) => codeWaitMs(ctx, userId),

    async sendSignInCode({ pendingToken, channel = 'email' }) {
      const pending = await findPending(pendingToken);
      if (pending.state !== 'pending') throw new ServiceError('NOT_PENDING');
      if (!(pending.factors ?? []).includes(channel)) throw new ServiceError('FACTOR_NOT_AVAILABLE');
      await sendSignInCode(ctx, await requireUser(ctx, pending.userId), channel);
    },

    async resolveSession(token) {
      const row = await findLiveSession(ctx, token);
      if (row === undefined) return null;
      return toSessionView(ctx, await touch(ctx, row));
    },

    async logout(token) {
      if (typeof token === 'string' && isWellFormedToken(token)) {
        await deleteSessionByTokenHash(ctx.db, hashToken(token));
      }
    },
  };
}
