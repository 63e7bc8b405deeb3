/**
 * Threat: guessing the second factor across sign-ins. A pending sign-in allows 5 codes, but someone with the
 * password can sign in again and again: 5 more guesses each time, so a 6-digit code would fall after about
 * 67,000 sign-ins. Wrong codes therefore also count per user, across sessions and across the security
 * page's code checks: 10 in a row lock the user's codes for 15 minutes (doubling with each further lock),
 * during which even the right code is refused before it is compared. Racing guesses, on one instance or
 * two, cannot get more than 10 codes compared. A right code starts the count over.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Kysely } from 'kysely';
import type { Config } from '../src/config.ts';
import { CODE_BUDGET_REFILL_MS, FIRST_CODE_LOCK_MS, MAX_CODE_FAILURES } from '../src/services/index.ts';
import type { ServiceError, Services } from '../src/services/types.ts';
import { openDatabase } from '../src/store/open.ts';
import type { Database } from '../src/store/schema.ts';
import { findCredential } from '../src/store/totp-credentials-repo.ts';
import {
  codeAt,
  DIALECTS,
  openTestServices,
  rejectsCode,
  signUpWithTotp,
  type TestClock,
} from './support/dialects.ts';

/** A code that is not the right one at this moment (nor in the +-1 window); `n` picks among them. */
function wrongCode(secret: Uint8Array, nowMs: number, n = 0): string {
  const taken = new Set([-1, 0, 1].map((d) => codeAt(secret, nowMs + d * 30_000)));
  for (let i = n; ; i++) {
    const candidate = String(i % 1_000_000).padStart(6, '0');
    if (!taken.has(candidate)) return candidate;
  }
}

/** Every code compared and found wrong records exactly one of these (the one that starts a lock, also
 *  `lock.started`): the owner's count of failed attempts is made of them. */
const isCodeEvent = (e: Record<string, unknown>) =>
  e.event === 'sign_in.failed' && e.step === 'second_factor';

for (const dialect of DIALECTS) {
  describe(`second-factor limit per user on ${dialect.name}`, () => {
    let config: Config;
    let services: Services;
    let clock: TestClock;
    let events: Record<string, unknown>[];

    let db: Kysely<Database>;

    before(async () => {
      config = await dialect.makeConfig();
      ({ services, clock, events } = await openTestServices(config));
      db = openDatabase(config).db; // a second connection, to look at what the services stored
    });
    after(async () => {
      await db.destroy();
      await services.close();
    });

    async function lastUsedStep(userId: string): Promise<number | null | undefined> {
      return (await findCredential(db, userId, 'active'))?.last_used_step;
    }

    type User = Awaited<ReturnType<typeof signUpWithTotp>>;
    const pending = async (user: User) =>
      (await services.auth.login({ email: user.email, password: user.password })).issued.token;
    const guess = (token: string, code: string, on: Services = services) =>
      on.auth.verifySecondFactor({ pendingToken: token, code });

    /** `count` wrong codes on one pending session, each refused as INVALID_CODE; returns the last error. */
    async function wrongCodes(user: User, token: string, count: number): Promise<ServiceError | undefined> {
      let last: ServiceError | undefined;
      for (let i = 0; i < count; i++) {
        last = await rejectsCode(guess(token, wrongCode(user.secret, clock.nowMs(), i)), 'INVALID_CODE');
      }
      return last;
    }

    test('the 11th code over three fresh sign-ins is refused even when right, before it is compared', async () => {
      const user = await signUpWithTotp(services, clock);
      await wrongCodes(user, await pending(user), 4);
      await wrongCodes(user, await pending(user), 4);
      const third = await pending(user);
      const ninth = await wrongCodes(user, third, 1);
      assert.equal(ninth?.attemptsLeft, 1, 'the user limit is nearer than the session limit');
      const tenth = await rejectsCode(
        guess(third, wrongCode(user.secret, clock.nowMs())),
        'SECOND_FACTOR_LOCKED',
      );
      assert.equal(tenth.retryAfterMs, FIRST_CODE_LOCK_MS);

      const right = codeAt(user.secret, clock.nowMs());
      const usedStep = await lastUsedStep(user.userId);
      const refused = await rejectsCode(guess(third, right), 'SECOND_FACTOR_LOCKED');
      assert.equal(refused.retryAfterMs, FIRST_CODE_LOCK_MS);
      // Refused before anything was spent: the pending session keeps its remaining attempts...
      assert.equal((await services.auth.resolveSession(third))?.attemptsLeft, 3);
      // ...and the code was not compared: a right code compared would have been claimed (one use per code).
      assert.equal(await lastUsedStep(user.userId), usedStep);
      // The password step still works (the code step then says to wait), and the right code is refused there.
      const fourth = await services.auth.login({ email: user.email, password: user.password });
      assert.equal(fourth.kind, 'pending');
      await rejectsCode(guess(fourth.issued.token, right), 'SECOND_FACTOR_LOCKED');
      assert.equal(await lastUsedStep(user.userId), usedStep);
      assert.equal(await services.auth.secondFactorWaitMs(user.userId), FIRST_CODE_LOCK_MS);
      clock.advance(FIRST_CODE_LOCK_MS);
      const full = await guess(await pending(user), codeAt(user.secret, clock.nowMs()));
      assert.equal(full.session.state, 'full');
      const mine = events.filter((e) => e.userId === user.userId);
      assert.equal(mine.filter((e) => e.event === 'lock.started').length, 1);
    });

    test('a right code resets the count', async () => {
      const user = await signUpWithTotp(services, clock);
      await wrongCodes(user, await pending(user), 4);
      await wrongCodes(user, await pending(user), 4);
      const token = await pending(user);
      await wrongCodes(user, token, 1);
      assert.equal((await guess(token, codeAt(user.secret, clock.nowMs()))).session.state, 'full');
      clock.advance(30_000);
      // Nine more wrong codes are nine more INVALID_CODE (not a lock at the 10th overall).
      await wrongCodes(user, await pending(user), 4);
      await wrongCodes(user, await pending(user), 4);
      const last = await pending(user);
      assert.equal((await wrongCodes(user, last, 1))?.attemptsLeft, 1);
      await rejectsCode(guess(last, wrongCode(user.secret, clock.nowMs())), 'SECOND_FACTOR_LOCKED');
    });

    test('the lock ends with the clock; the next lock lasts twice as long; a right code starts over', async () => {
      const user = await signUpWithTotp(services, clock);
      const lockOnce = async (): Promise<ServiceError> => {
        for (let session = 0; session < 2; session++) await wrongCodes(user, await pending(user), 4);
        const token = await pending(user);
        await wrongCodes(user, token, 1);
        return rejectsCode(guess(token, wrongCode(user.secret, clock.nowMs())), 'SECOND_FACTOR_LOCKED');
      };
      assert.equal((await lockOnce()).retryAfterMs, FIRST_CODE_LOCK_MS);
      clock.advance(FIRST_CODE_LOCK_MS - 1000);
      const late = await rejectsCode(
        guess(await pending(user), codeAt(user.secret, clock.nowMs())),
        'SECOND_FACTOR_LOCKED',
      );
      assert.equal(late.retryAfterMs, 1000);
      clock.advance(1000);
      assert.equal(await services.auth.secondFactorWaitMs(user.userId), 0);
      assert.equal((await lockOnce()).retryAfterMs, 2 * FIRST_CODE_LOCK_MS, 'the second lock doubles');
      clock.advance(2 * FIRST_CODE_LOCK_MS);
      const full = await guess(await pending(user), codeAt(user.secret, clock.nowMs()));
      assert.equal(full.session.state, 'full');
      // 20 wrong codes so far: let 10 come back to the long-horizon budget (a right code does not refill it),
      // so that the third round meets the short-term lock, not the budget.
      clock.advance(MAX_CODE_FAILURES * CODE_BUDGET_REFILL_MS);
      assert.equal(
        (await lockOnce()).retryAfterMs,
        FIRST_CODE_LOCK_MS,
        'after a right code: 15 minutes again',
      );
    });

    test('30 racing wrong guesses over 6 sign-ins get exactly 10 codes compared', async () => {
      const user = await signUpWithTotp(services, clock);
      const tokens = await Promise.all(Array.from({ length: 6 }, () => pending(user)));
      const before = events.length;
      const results = await Promise.allSettled(
        Array.from({ length: 30 }, (_, i) => guess(tokens[i % 6]!, wrongCode(user.secret, clock.nowMs(), i))),
      );
      assertTenCompared(results, events.slice(before), user.userId);
      await rejectsCode(
        guess(await pending(user), codeAt(user.secret, clock.nowMs())),
        'SECOND_FACTOR_LOCKED',
      );
    });

    test('the security page: wrong codes to turn 2FA off or replace it count against the same user', async () => {
      const user = await signUpWithTotp(services, clock);
      await wrongCodes(user, await pending(user), 4);
      const disable = (code: string) =>
        services.totp.disable({ userId: user.userId, password: user.password, code });
      const replace = (code: string) =>
        services.totp.beginReplacement({ userId: user.userId, password: user.password, code });
      for (let i = 0; i < 3; i++)
        await rejectsCode(disable(wrongCode(user.secret, clock.nowMs(), i)), 'INVALID_CODE');
      for (let i = 0; i < 2; i++)
        await rejectsCode(replace(wrongCode(user.secret, clock.nowMs(), i)), 'INVALID_CODE');
      await rejectsCode(disable(wrongCode(user.secret, clock.nowMs())), 'SECOND_FACTOR_LOCKED');
      const right = codeAt(user.secret, clock.nowMs());
      await rejectsCode(disable(right), 'SECOND_FACTOR_LOCKED');
      await rejectsCode(replace(right), 'SECOND_FACTOR_LOCKED');
      await rejectsCode(guess(await pending(user), right), 'SECOND_FACTOR_LOCKED');
      assert.equal((await services.accounts.getUser(user.userId))?.totpEnabled, true, '2FA still on');
    });

    test(`set-up codes do not count (the secret is on the user's own screen)`, async () => {
      const user = await signUpWithTotp(services, clock);
      await services.totp.disable({
        userId: user.userId,
        password: user.password,
        code: codeAt(user.secret, clock.nowMs()),
      });
      const { secret } = await services.totp.beginEnrollment(user.userId);
      for (let i = 0; i < MAX_CODE_FAILURES + 2; i++) {
        await rejectsCode(
          services.totp.confirmEnrollment({
            userId: user.userId,
            password: user.password,
            code: wrongCode(secret, clock.nowMs(), i),
          }),
          'INVALID_SETUP_CODE',
        );
      }
      await services.totp.confirmEnrollment({
        userId: user.userId,
        password: user.password,
        code: codeAt(secret, clock.nowMs() + 30_000),
      });
      assert.equal(await services.auth.secondFactorWaitMs(user.userId), 0);
    });

    if (dialect.name === 'postgres') {
      test('two instances on one database share the limit: 30 guesses split over both, 10 compared', async () => {
        const second = await openTestServices(config, clock);
        try {
          const user = await signUpWithTotp(services, clock);
          const tokens = await Promise.all(Array.from({ length: 6 }, () => pending(user)));
          const before = events.length;
          const results = await Promise.allSettled(
            Array.from({ length: 30 }, (_, i) =>
              guess(
                tokens[i % 6]!,
                wrongCode(user.secret, clock.nowMs(), i),
                i % 2 ? second.services : services,
              ),
            ),
          );
          assertTenCompared(results, [...events.slice(before), ...second.events], user.userId);
          // Locked on both.
          const right = codeAt(user.secret, clock.nowMs());
          await rejectsCode(guess(await pending(user), right, second.services), 'SECOND_FACTOR_LOCKED');
          assert.ok((await second.services.auth.secondFactorWaitMs(user.userId)) > 0);
        } finally {
          await second.services.close();
        }
      });
    }
  });
}

function assertTenCompared(
  results: PromiseSettledResult<unknown>[],
  events: Record<string, unknown>[],
  userId: string,
) {
  const codes = results.map((r) => {
    assert.equal(r.status, 'rejected', 'a wrong code succeeded');
    return ((r as PromiseRejectedResult).reason as ServiceError).code;
  });
  for (const code of codes) {
    assert.ok(['INVALID_CODE', 'TOO_MANY_ATTEMPTS', 'SECOND_FACTOR_LOCKED'].includes(code), code);
  }
  // Every code compared and found wrong logs exactly one of these events; refusals log none.
  const mine = events.filter((e) => e.userId === userId && isCodeEvent(e));
  assert.equal(mine.length, MAX_CODE_FAILURES, 'codes compared');
  const locks = events.filter((e) => e.userId === userId && e.event === 'lock.started');
  assert.equal(locks.length, 1);
  assert.ok(codes.filter((c) => c === 'SECOND_FACTOR_LOCKED').length >= 30 - MAX_CODE_FAILURES + 1);
}
