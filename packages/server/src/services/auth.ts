/**
 * Signing in: the password step, the second step (a code from the authenticator app), session lookup and
 * sign-out. Every change of privilege issues a new token and deletes the old session row (fixation).
 */
import { hashPassword, needsRehash, verifyPassword } from '../crypto/passwords.ts';
import { hashToken, isWellFormedToken } from '../crypto/tokens.ts';
import { deleteSession, deleteSessionByTokenHash, spendAttempt } from '../store/sessions-repo.ts';
import { findCredential } from '../store/totp-credentials-repo.ts';
import { findUserByEmail, updatePasswordHash } from '../store/users-repo.ts';
import { normalizeEmail, preparePassword } from './accounts.ts';
import { MAX_CODE_ATTEMPTS, type ServiceContext } from './context.ts';
import { findLiveSession, issueSession, purgeExpired, toSessionView, touch } from './sessions.ts';
import {
  acceptCode,
  clearPasswordFailures,
  codeWaitMs,
  purgeEndedPasswordWindows,
  refuseWhileCodesLocked,
  rejectCode,
  reserveCodeCheck,
  reservePasswordAttempt,
} from './throttle.ts';
import { checkAndClaimCode } from './totp.ts';
import { type AuthService, type IssuedSession, type LoginResult, ServiceError } from './types.ts';

export function createAuthService(ctx: ServiceContext): AuthService {
  const sessionExpired = () =>
    new ServiceError('SESSION_EXPIRED', 'Your sign-in has expired. Sign in again.');

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
      const passwordOk = await verifyPassword(
        preparePassword(typeof password === 'string' ? password : ''),
        storedHash,
      );
      if (user === undefined || !passwordOk) {
        ctx.event('auth.login_failed');
        throw new ServiceError('INVALID_CREDENTIALS', 'The email or password is not correct.');
      }
      await clearPasswordFailures(ctx, emailKey);
      if (needsRehash(user.password_hash)) {
        const passwordHash = await hashPassword(preparePassword(password as string));
        await updatePasswordHash(ctx.db, {
          id: user.id,
          passwordHash,
          nowMs: ctx.nowMs(),
          expectedHash: user.password_hash,
        });
        ctx.event('auth.password_rehashed', { userId: user.id });
      }
      const active = await findCredential(ctx.db, user.id, 'active');
      if (active === undefined) {
        ctx.event('auth.login', { userId: user.id, secondFactor: false });
        return { kind: 'full', issued: await issueSession(ctx, ctx.db, user.id, 'full') };
      }
      ctx.event('auth.password_accepted', { userId: user.id });
      return { kind: 'pending', issued: await issueSession(ctx, ctx.db, user.id, 'pending') };
    },

    async verifySecondFactor({ pendingToken, code }): Promise<IssuedSession> {
      const row = await findLiveSession(ctx, pendingToken);
      if (row === undefined) throw sessionExpired();
      if (row.state !== 'pending') {
        throw new ServiceError('NOT_PENDING', 'This sign-in is not waiting for a code.');
      }
      // A locked user is refused before this session's attempts are spent (the reservation below decides).
      await refuseWhileCodesLocked(ctx, row.user_id);
      // Spend the attempt before checking the code: the conditional UPDATE caps the total at
      // MAX_CODE_ATTEMPTS however many guesses race in, on however many instances.
      const used = await spendAttempt(ctx.db, {
        id: row.id,
        maxAttempts: MAX_CODE_ATTEMPTS,
        nowMs: ctx.nowMs(),
      });
      if (used === undefined) {
        await deleteSession(ctx.db, row.id);
        if (ctx.nowMs() >= row.expires_at_ms) throw sessionExpired();
        throw tooManyAttempts();
      }
      const credential = await findCredential(ctx.db, row.user_id, 'active');
      if (credential === undefined) {
        // 2FA was turned off while this sign-in waited: start over.
        await deleteSession(ctx.db, row.id);
        throw sessionExpired();
      }
      // Codes are limited per user too, across pending sessions: logging in again gives no new guesses. The
      // check is reserved (counted as a failure) before the code is compared; a locked user is refused here.
      const check = await reserveCodeCheck(ctx, row.user_id);
      if (await checkAndClaimCode(ctx, credential, code)) {
        await acceptCode(ctx, row.user_id);
        // Replace the pending session by a full one, once: if two different valid codes raced, only the
        // request that deleted the pending row gets a session.
        const issued = await ctx.db.transaction().execute(async (trx) => {
          if (!(await deleteSession(trx, row.id))) return undefined;
          return issueSession(ctx, trx, row.user_id, 'full');
        });
        if (issued === undefined) throw sessionExpired();
        ctx.event('auth.login', { userId: row.user_id, secondFactor: true });
        return issued;
      }
      if (used >= MAX_CODE_ATTEMPTS) await deleteSession(ctx.db, row.id);
      const userAttemptsLeft = rejectCode(ctx, row.user_id, check); // throws if this failure starts a lock
      if (used >= MAX_CODE_ATTEMPTS) {
        ctx.event('auth.second_factor_locked', { userId: row.user_id });
        throw tooManyAttempts();
      }
      const attemptsLeft = Math.min(MAX_CODE_ATTEMPTS - used, userAttemptsLeft);
      ctx.event('auth.second_factor_failed', { userId: row.user_id, attemptsLeft });
      throw new ServiceError(
        'INVALID_CODE',
        'That code is not valid. Enter the current code from your app.',
        {
          attemptsLeft,
        },
      );
    },

    secondFactorWaitMs: (userId) => codeWaitMs(ctx, userId),

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

function tooManyAttempts(): ServiceError {
  return new ServiceError('TOO_MANY_ATTEMPTS', 'Too many wrong codes. Sign in again with your password.');
}
