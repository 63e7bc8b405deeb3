/**
 * Signing in: the password step, the second step (any factor the pending sign-in may use), session lookup
 * and sign-out. Every change of privilege issues a new token and deletes the old session row (fixation).
 */
import { hashToken, isWellFormedToken } from '../crypto/tokens.ts';
import { deleteSession, deleteSessionByTokenHash, spendAttempt } from '../store/sessions-repo.ts';
import { findUserByEmail, findUserById, updatePasswordHash } from '../store/users-repo.ts';
import { completeAccountRecovery } from './account-recovery.ts';
import { normalizeEmail, preparePassword } from './accounts.ts';
import type { ServiceContext } from './context.ts';
import {
  clearDeviceAttempts,
  lookUpDevice,
  reserveDeviceAttempt,
  rotateDevice,
  runDevicePasswordCheck,
  trustDevice,
} from './devices.ts';
import { attemptFactor } from './factors/attempt.ts';
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
import { codeWaitMs, findCodeLimitState, reservePasswordAttempt, runPasswordCheck } from './throttle.ts';
import {
  type AuthService,
  type DeviceCookie,
  type FactorKind,
  type LoginResult,
  type SecondStepResult,
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

  /** True when the typed email is that of the device's user (a device counts only for its own account). */
  async function isDeviceOf(userId: string, email: unknown): Promise<boolean> {
    const normalized = normalizeEmail(email);
    if (normalized === undefined) return false;
    return (await findUserById(ctx.db, userId))?.email === normalized;
  }

  return {
    async login({ email, password, previousToken, deviceToken }): Promise<LoginResult> {
      // Session fixation: whatever session the browser arrived with is gone, success or not.
      if (previousToken !== undefined && isWellFormedToken(previousToken)) {
        await deleteSessionByTokenHash(ctx.db, hashToken(previousToken));
      }
      // A full password pool (a login storm) refuses before any database work: BUSY, nothing counted.
      ctx.passwords.admitOrThrow();
      // A trusted device of the account behind the typed email: its wrong passwords count against the
      // device, not the email, so whoever guesses the owner's password elsewhere cannot lock the owner out
      // (OWASP "Slow brute force protection with device cookies"). A device that used its attempts is not
      // trusted until the right password is typed on it (the email's limit then applies, and the second step
      // is asked).
      const device = deviceToken === undefined ? undefined : await lookUpDevice(ctx, deviceToken);
      const trusted =
        device?.kind === 'trusted' &&
        (await isDeviceOf(device.device.user_id, email)) &&
        (await reserveDeviceAttempt(ctx, device.device))
          ? device
          : undefined;
      const deviceCookie: { device?: DeviceCookie } =
        device?.kind === 'unknown' || device?.kind === 'reused' ? { device: { forget: true } } : {};
      const checkPassword = async () => {
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
      };
      // Counted while it runs, settled when it ends: a failure only when wrong, so concurrent right
      // passwords for one email never use up its limit. A trusted device's check counts against the device.
      // A check that never ran (BUSY, the database) gives back its email slot or device attempt alike.
      // Password guessing: the email's slot is reserved before the user is looked up and before any argon2
      // work, so a limited email is refused cheaply and in the same way whether or not an account has it.
      const { right, user } =
        trusted !== undefined
          ? await runDevicePasswordCheck(ctx, trusted.device, checkPassword)
          : await runPasswordCheck(ctx, await reservePasswordAttempt(ctx, email), checkPassword);
      if (!right || user === undefined) {
        await ctx.events.record(ctx.db, {
          type: 'sign_in.failed',
          userId: user?.id ?? null,
          step: 'password',
        });
        throw new ServiceError('INVALID_CREDENTIALS');
      }
      // The right password on a device of this account, trusted now or used up: its wrong ones start over.
      if (device?.kind === 'trusted' && device.device.user_id === user.id)
        await clearDeviceAttempts(ctx, device.device);
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
        return recovered
          ? { kind: 'full', issued, recovered, ...deviceCookie }
          : { kind: 'full', issued, ...deviceCookie };
      }
      // The device stands in for the second step, once per token: of two requests racing with one token
      // (two tabs, a retry), the one that lost the rotation asks for the code like a rotated-out token in
      // its grace. Not subject to the code lock: no code is entered. The rotation and the session commit
      // together: a failure in between must not leave the browser with a token its next use takes for a
      // copy, nor a revocation (sign out everywhere) running meanwhile leave the session behind.
      const viaDevice =
        trusted === undefined
          ? undefined
          : await ctx.db.transaction().execute(async (trx) => {
              const device = await rotateDevice(ctx, trx, trusted.tokenHash);
              if (device === undefined) return undefined;
              const issued = await issueSession(ctx, trx, user.id, 'full');
              await ctx.events.record(trx, { type: 'sign_in.succeeded', userId: user.id, factor: 'device' });
              return { issued, device };
            });
      if (viaDevice !== undefined) return { kind: 'full', ...viaDevice };
      ctx.log('auth.password_accepted', { userId: user.id });
      const issued = await issueSession(ctx, ctx.db, user.id, 'pending', factors);
      return { kind: 'pending', issued, ...deviceCookie };
    },

    async verifySecondFactor({
      pendingToken,
      session,
      factor: kind = 'totp',
      code,
      rememberDevice = false,
    }): Promise<SecondStepResult> {
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
          expected: kind === 'email' || kind === 'sms' ? 'message' : kind === 'hotp' ? 'token' : kind,
        });
      // A limited factor is refused by its reservation (inside attemptFactor) before this session's attempts
      // are spent: the reservation is the lock check. Then the attempt is spent before checking the code: the
      // conditional UPDATE caps the total at MAX_CODE_ATTEMPTS however many guesses race in, on however many
      // instances. It also re-checks that the session is still a live pending one, whatever the view it was
      // given; when it refuses, the reservation is given back.
      let used = 0;
      let lastAttempt = false;
      const spendSessionAttempt = async () => {
        const spent = await spendAttempt(ctx.db, {
          id: pending.id,
          maxAttempts: MAX_CODE_ATTEMPTS,
          nowMs: ctx.nowMs(),
        });
        if (spent === undefined) {
          await deleteSession(ctx.db, pending.id);
          if (ctx.nowMs() >= pending.expiresAtMs) throw new ServiceError('SESSION_EXPIRED');
          throw new ServiceError('TOO_MANY_ATTEMPTS');
        }
        used = spent;
        lastAttempt = used >= MAX_CODE_ATTEMPTS;
      };
      // Replace the pending session by a full one, in the claim's transaction and once: if two different
      // right codes raced, only the request that deleted the pending row gets a session. A right code proves
      // the factor is still there (recovery codes go with the app when 2FA is turned off, in one transaction).
      let result: Awaited<ReturnType<typeof attemptFactor<SecondStepResult, 'off' | number>>>;
      try {
        result = await attemptFactor(
          ctx,
          factor,
          { userId, code: normalized, purpose: 'sign_in' },
          {
            afterReserve: spendSessionAttempt,
            onClaimed: async (trx) => {
              if (!(await deleteSession(trx, pending.id))) return undefined;
              const issued = await issueSession(ctx, trx, userId, 'full');
              await ctx.events.record(trx, { type: 'sign_in.succeeded', userId, factor: kind });
              if (!rememberDevice) return issued;
              return { ...issued, device: await trustDevice(ctx, trx, userId) };
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
      // Not a guess (nothing counted): the sign-in keeps its form, and the answer says why.
      if (result.ok === 'replayed') {
        if (!lastAttempt) throw new ServiceError('CODE_ALREADY_USED', { field: 'code' });
        await deleteSession(ctx.db, pending.id);
        throw new ServiceError('TOO_MANY_ATTEMPTS');
      }
      if (result.ok === 'raced' || result.rejected === 'off') throw new ServiceError('SESSION_EXPIRED');
      if (lastAttempt) throw new ServiceError('TOO_MANY_ATTEMPTS');
      throw new ServiceError(factor.wrongCode, { field: 'code', attemptsLeft: result.rejected });
    },

    refuseWhileBusy: () => ctx.passwords.admitOrThrow(),

    secondFactorWaitMs: (userId) => codeWaitMs(ctx, userId),

    async secondFactorLimit(userId) {
      const state = await findCodeLimitState(ctx, userId);
      // Both closed: the longer wait is the one that counts (as the reservation says).
      if (state.lockedMs === 0 && state.budgetWaitMs === 0) return undefined;
      return state.budgetWaitMs >= state.lockedMs
        ? { code: 'SECOND_FACTOR_BUDGET_SPENT', waitMs: state.budgetWaitMs }
        : { code: 'SECOND_FACTOR_LOCKED', waitMs: state.lockedMs };
    },

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
