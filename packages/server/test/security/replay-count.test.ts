/**
 * Threat: replays used as a lock-out. A code the owner has just used (seen over a shoulder, in a phishing
 * proxy's log) is sent again and again, many at once. It can never pass, so it is not a guess: answered
 * CODE_ALREADY_USED and not counted against the owner's limits. Before issue #10 every reservation counted as a
 * failure before the comparison, and 199 racing replays of a used code locked the owner for 15 minutes. Each
 * check is now "in flight" while it is compared and given back when it turns out a replay; requests beyond the
 * in-flight slots wait for them and go on. Runs on SQLite and, when TWOFA_TEST_PG_URL is set, PostgreSQL.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { MAX_CODE_ATTEMPTS } from '../../src/services/index.ts';
import { ServiceError, type Services } from '../../src/services/types.ts';
import { codeAt, DIALECTS, openTestServices, signUpWithTotp, type TestClock } from '../support/dialects.ts';

for (const dialect of DIALECTS) {
  describe(`replays are not guesses on ${dialect.name}`, () => {
    let services: Services;
    let clock: TestClock;
    let events: Record<string, unknown>[];

    before(async () => {
      ({ services, clock, events } = await openTestServices(await dialect.makeConfig()));
    });
    after(() => services.close());

    test('199 racing replays of a used code: all refused as already used, the owner is not locked', async () => {
      const user = await signUpWithTotp(services, clock);
      const used = codeAt(user.secret, clock.nowMs());
      const first = await services.auth.login({ email: user.email, password: user.password });
      const ok = await services.auth.verifySecondFactor({ pendingToken: first.issued.token, code: used });
      assert.equal(ok.session.state, 'full');

      // 40 pending sign-ins with the password, 5 attempts each: room for 199 replays.
      // One after another: concurrent correct passwords are another helper's part of issue #10.
      const sessions: Awaited<ReturnType<Services['auth']['login']>>[] = [];
      for (let i = 0; i < 40; i++)
        sessions.push(await services.auth.login({ email: user.email, password: user.password }));
      const results = await Promise.allSettled(
        Array.from({ length: 199 }, (_, i) =>
          services.auth.verifySecondFactor({
            pendingToken: sessions[i % sessions.length]!.issued.token,
            code: used,
          }),
        ),
      );
      const codes = results.map((r) => {
        assert.equal(r.status, 'rejected', 'a replay passed');
        const reason = (r as PromiseRejectedResult).reason;
        assert.ok(reason instanceof ServiceError, String(reason));
        return reason.code;
      });
      const count = (code: string) => codes.filter((c) => c === code).length;
      // Each session's last attempt ends it (TOO_MANY_ATTEMPTS); every other replay is named as one.
      assert.equal(count('CODE_ALREADY_USED') + count('TOO_MANY_ATTEMPTS'), 199, codes.join(','));
      assert.equal(count('TOO_MANY_ATTEMPTS'), Math.floor(199 / MAX_CODE_ATTEMPTS));
      const mine = events.filter((e) => e.userId === user.userId);
      assert.equal(mine.filter((e) => e.event === 'lock.started').length, 0, 'no lock');
      assert.equal(
        mine.filter((e) => e.event === 'sign_in.failed' && e.step === 'second_factor').length,
        0,
        'no replay counted as a wrong code',
      );

      // The owner, next step: straight in.
      assert.equal(await services.auth.secondFactorLimit(user.userId), undefined);
      clock.advance(30_000);
      const owner = await services.auth.login({ email: user.email, password: user.password });
      const again = await services.auth.verifySecondFactor({
        pendingToken: owner.issued.token,
        code: codeAt(user.secret, clock.nowMs()),
      });
      assert.equal(again.session.state, 'full');
    });
  });
}
