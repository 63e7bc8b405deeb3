/**
 * Threat: guessing the second factor. With the password known, an attacker tries codes. A pending sign-in
 * allows 5 attempts, counted by an atomic UPDATE ... WHERE attempts < 5, so guesses sent in parallel (or to
 * several instances) cannot get a sixth; the fifth failure deletes the pending session.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Config } from '../src/config.ts';
import type { ServiceError, Services } from '../src/services/types.ts';
import {
  codeAt,
  DIALECTS,
  openTestServices,
  rejectsCode,
  signUpWithTotp,
  type TestClock,
} from './support/dialects.ts';

/** A code that is not the right one at this moment (nor in the +-1 window). */
function wrongCode(secret: Uint8Array, nowMs: number, offset = 0): string {
  const taken = new Set([-1, 0, 1].map((d) => codeAt(secret, nowMs + d * 30_000)));
  for (let n = offset; ; n++) {
    const candidate = String(n % 1_000_000).padStart(6, '0');
    if (!taken.has(candidate)) return candidate;
  }
}

for (const dialect of DIALECTS) {
  describe(`second-factor lockout on ${dialect.name}`, () => {
    let config: Config;
    let services: Services;
    let clock: TestClock;
    let events: Record<string, unknown>[];

    before(async () => {
      config = await dialect.makeConfig();
      ({ services, clock, events } = await openTestServices(config));
    });
    after(() => services.close());

    test('4 wrong codes count down, the 5th ends the sign-in, the right code then no longer works', async () => {
      const user = await signUpWithTotp(services, clock);
      const { issued } = await services.auth.login({ email: user.email, password: user.password });
      for (let left = 4; left >= 1; left--) {
        const error = await rejectsCode(
          services.auth.verifySecondFactor({
            pendingToken: issued.token,
            code: wrongCode(user.secret, clock.nowMs(), left),
          }),
          'INVALID_CODE',
        );
        assert.equal(error.attemptsLeft, left);
        assert.equal((await services.auth.resolveSession(issued.token))?.attemptsLeft, left);
      }
      await rejectsCode(
        services.auth.verifySecondFactor({
          pendingToken: issued.token,
          code: wrongCode(user.secret, clock.nowMs()),
        }),
        'TOO_MANY_ATTEMPTS',
      );
      assert.equal(await services.auth.resolveSession(issued.token), null, 'the pending session is gone');
      await rejectsCode(
        services.auth.verifySecondFactor({
          pendingToken: issued.token,
          code: codeAt(user.secret, clock.nowMs()),
        }),
        'SESSION_EXPIRED',
      );
    });

    test('the right code on the 5th attempt still works', async () => {
      const user = await signUpWithTotp(services, clock);
      const { issued } = await services.auth.login({ email: user.email, password: user.password });
      for (let i = 0; i < 4; i++) {
        await rejectsCode(
          services.auth.verifySecondFactor({
            pendingToken: issued.token,
            code: wrongCode(user.secret, clock.nowMs(), i),
          }),
          'INVALID_CODE',
        );
      }
      const full = await services.auth.verifySecondFactor({
        pendingToken: issued.token,
        code: codeAt(user.secret, clock.nowMs()),
      });
      assert.equal(full.session.state, 'full');
    });

    test('20 guesses in parallel get exactly 5 attempts', async () => {
      const user = await signUpWithTotp(services, clock);
      const { issued } = await services.auth.login({ email: user.email, password: user.password });
      const before = events.length;
      const results = await Promise.allSettled(
        Array.from({ length: 20 }, (_, i) =>
          services.auth.verifySecondFactor({
            pendingToken: issued.token,
            code: wrongCode(user.secret, clock.nowMs(), i),
          }),
        ),
      );
      assertFiveAttempts(results, events.slice(before), user.userId);
    });

    if (dialect.name === 'postgres') {
      test('20 guesses split over two instances on one database still get exactly 5 attempts', async () => {
        const second = await openTestServices(config, clock);
        try {
          const user = await signUpWithTotp(services, clock);
          const { issued } = await services.auth.login({ email: user.email, password: user.password });
          const before = events.length;
          const results = await Promise.allSettled(
            Array.from({ length: 20 }, (_, i) =>
              (i % 2 === 0 ? services : second.services).auth.verifySecondFactor({
                pendingToken: issued.token,
                code: wrongCode(user.secret, clock.nowMs(), i),
              }),
            ),
          );
          assertFiveAttempts(results, [...events.slice(before), ...second.events], user.userId);
        } finally {
          await second.services.close();
        }
      });
    }
  });
}

function assertFiveAttempts(
  results: PromiseSettledResult<unknown>[],
  events: Record<string, unknown>[],
  userId: string,
) {
  const codes = results.map((r) => {
    assert.equal(r.status, 'rejected', 'a wrong code succeeded');
    return (r as PromiseRejectedResult).reason as ServiceError;
  });
  // Each INVALID_CODE reports the attempts left after its own attempt: all distinct, 4 down to 1.
  const left = codes.filter((e) => e.code === 'INVALID_CODE').map((e) => e.attemptsLeft);
  assert.deepEqual(left.sort(), [1, 2, 3, 4]);
  for (const e of codes)
    assert.ok(['INVALID_CODE', 'TOO_MANY_ATTEMPTS', 'SESSION_EXPIRED'].includes(e.code), e.code);
  // Codes actually checked = failures logged + the one lockout.
  const mine = events.filter((e) => e.userId === userId);
  assert.equal(
    mine.filter(
      (e) => e.event === 'sign_in.failed' && e.step === 'second_factor' && e.attemptsLeft !== undefined,
    ).length,
    4,
  );
  assert.equal(
    mine.filter(
      (e) => e.event === 'sign_in.failed' && e.step === 'second_factor' && e.attemptsLeft === undefined,
    ).length,
    1,
  );
}
