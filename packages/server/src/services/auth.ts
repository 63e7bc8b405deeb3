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
import { findLiveSession, issueSession, purgeExpired, toSessionView, touch } from './sessions.ts';
import {
  clearPasswordFailures,
  codeWaitMs,
  purgeEndedPasswordWindows,
  reservePasswordAttempt,
} from './throttle.ts';
import { type AuthService, type IssuedSession, type LoginResult, ServiceError } from './types.ts';

export function createAuthService(ctx: ServiceContext): AuthService {
  return {
    async login({ email, password, previousToken }): Promise<LoginResult> {
      await purgeExpired(ctx);
      await purgeEndedPasswordWindows(ctx);
      // Session fixation: whatever session the browser arrived with is gone, success or not.
      if (previousToken !== undefined && isWellFormedToken(previousToken)) {
        await deleteSessionByTokenHash(ctx.db, hashToken(previousToken));
      }
      // Password guessing: counted per email before the user is looked up and before any argon2 work, so a
      // limited email is refused cheaply and in the same way whether or not an account has it.
      const emailKey = await reservePasswordAttempt(ctx, email);
      const normalized = normalizeEmail(email);
      const user = normalized === undefined ? undefined : await findUserByEmail(ctx.db, normalized);
      // Account enumeration: an unknown email costs the same argon2 work as a wrong password, and both
      // end in the same error, so neither the answer nor its timing tells whether the account exists.
      const storedHash = user?.password_hash ?? (await ctx.dummyHash());
      const passwordOk = await ctx.passwords.verify(
        preparePassword(typeof password === 'string' ? password : ''),
        storedHash,
      );
      if (user === undefined || !passwordOk) {
        await ctx.events.record(ctx.db, {
          type: 'sign_in.failed',
          userId: user?.id ?? null,
          step: 'password',
        });
        throw new ServiceError('INVALID_CREDENTIALS');
      }
      await clearPasswordFailures(ctx, emailKey);
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

    async verifySecondFactor({ pendingToken, factor: kind = 'totp', code }): Promise<IssuedSession> {
      const row = await findLiveSession(ctx, pendingToken);
      if (row === undefined) throw new ServiceError('SESSION_EXPIRED');
      if (row.state !== 'pending') throw new ServiceError('NOT_PENDING');
      const userId = row.user_id;
      // A pending session from before the factor seam (migration 0004) names no kinds: whatever the user has.
      const allowed =
        row.factors === null ? await enrolledFactors(ctx.db, userId) : decodeFactorKinds(row.factors);
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
      // MAX_CODE_ATTEMPTS however many guesses race in, on however many instances.
      const used = await spendAttempt(ctx.db, {
        id: row.id,
        maxAttempts: MAX_CODE_ATTEMPTS,
        nowMs: ctx.nowMs(),
      });
      if (used === undefined) {
        await deleteSession(ctx.db, row.id);
        if (ctx.nowMs() >= row.expires_at_ms) throw new ServiceError('SESSION_EXPIRED');
        throw new ServiceError('TOO_MANY_ATTEMPTS');
      }
      if (!(await isSecondFactorOn(ctx.db, userId))) {
        // 2FA was turned off while this sign-in waited: start over.
        await deleteSession(ctx.db, row.id);
        throw new ServiceError('SESSION_EXPIRED');
      }
      // Replace the pending session by a full one, in the claim's transaction and once: if two different
      // right codes raced, only the request that deleted the pending row gets a session.
      let result: Awaited<ReturnType<typeof attemptFactor<IssuedSession>>>;
      try {
        result = await attemptFactor(
          ctx,
          factor,
          { userId, code: normalized, purpose: 'sign_in' },
          async (trx) => {
            if (!(await deleteSession(trx, row.id))) return undefined;
            const session = await issueSession(ctx, trx, userId, 'full');
            await ctx.events.record(trx, { type: 'sign_in.succeeded', userId, factor: kind });
            return session;
          },
        );
      } catch (error) {
        // This wrong code started a lock: the sign-in's last attempt, if it was, is gone with it.
        if (used >= MAX_CODE_ATTEMPTS) await deleteSession(ctx.db, row.id);
        throw error;
      }
      if (result.ok === true) return result.value;
      if (result.ok === 'raced') throw new ServiceError('SESSION_EXPIRED');
      if (used >= MAX_CODE_ATTEMPTS) {
        await deleteSession(ctx.db, row.id);
        await ctx.events.record(ctx.db, {
          type: 'sign_in.failed',
          userId,
          step: 'second_factor',
          factor: kind,
        });
        throw new ServiceError('TOO_MANY_ATTEMPTS');
      }
      const attemptsLeft = Math.min(MAX_CODE_ATTEMPTS - used, result.attemptsLeft);
      await ctx.events.record(ctx.db, {
        type: 'sign_in.failed',
        userId,
        step: 'second_factor',
        factor: kind,
        attemptsLeft,
      });
      throw new ServiceError(factor.wrongCode, { field: 'code', attemptsLeft });
    },

    secondFactorWaitMs: (userId) => codeWaitMs(ctx, userId),

    async sendSignInCode({ pendingToken, channel = 'email' }) {
      const row = await findLiveSession(ctx, pendingToken);
      if (row === undefined) throw new ServiceError('SESSION_EXPIRED');
      if (row.state !== 'pending') throw new ServiceError('NOT_PENDING');
      if (!decodeFactorKinds(row.factors).includes(channel)) throw new ServiceError('FACTOR_NOT_AVAILABLE');
      await sendSignInCode(ctx, await requireUser(ctx, row.user_id), channel);
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
