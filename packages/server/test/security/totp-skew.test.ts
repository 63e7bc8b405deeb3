/**
 * Threat: clock-skew learning as a way to widen the window, or as a way to lock the owner out. Learning follows
 * a phone whose clock is steadily off, so its owner keeps signing in; a guess must match at most the centred
 * window and the nominal one around now (2 x 3 steps at the default width), the centre must never move further
 * than 10 steps from now, and replay protection must hold across both windows (a code works once, whatever the
 * offset). Only accepted codes teach it, so someone without the phone cannot move it. And a phone whose clock
 * is set right all at once (a routine sync) must still be accepted: the nominal window stays open.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { generateTOTP } from '@twofa/otp';
import type { Kysely } from 'kysely';
import { TOTP_MAX_SKEW_STEPS, TOTP_SKEW_AGREEING } from '../../src/services/limits.ts';
import type { Services } from '../../src/services/types.ts';
import { openDatabase } from '../../src/store/open.ts';
import type { Database } from '../../src/store/schema.ts';
import {
  DIALECTS,
  openTestServices,
  rejectsCode,
  signUpWithTotp,
  type TestClock,
} from '../support/dialects.ts';

const STEP_MS = 30_000;

for (const dialect of DIALECTS) {
  describe(`TOTP clock-skew learning on ${dialect.name}`, () => {
    let services: Services;
    let clock: TestClock;
    let db: Kysely<Database>;

    before(async () => {
      const config = await dialect.makeConfig(); // TWOFA_TOTP_WINDOW 1 (the default)
      ({ services, clock } = await openTestServices(config));
      db = openDatabase(config).db;
    });
    after(async () => {
      await db.destroy();
      await services.close();
    });

    type User = Awaited<ReturnType<typeof signUpWithTotp>>;
    /** The code a phone `offset` steps off shows now. */
    const phone = (user: User, offset: number) =>
      generateTOTP({ secret: user.secret, nowMs: clock.nowMs() + offset * STEP_MS });

    async function signIn(user: User, code: string) {
      const login = await services.auth.login({ email: user.email, password: user.password });
      return services.auth.verifySecondFactor({ pendingToken: login.issued.token, code });
    }

    /** Signs in TOTP_SKEW_AGREEING times (two steps apart, so a step older offset never replays a code)
     *  with a phone `offset` steps off. */
    async function signInsAt(user: User, offset: number) {
      for (let i = 0; i < TOTP_SKEW_AGREEING; i++) {
        clock.advance(2 * STEP_MS);
        await signIn(user, phone(user, offset));
      }
    }

    const skewOf = async (userId: string) =>
      (
        await db
          .selectFrom('totp_credentials')
          .select('skew_steps')
          .where('user_id', '=', userId)
          .where('state', '=', 'active')
          .executeTakeFirstOrThrow()
      ).skew_steps;

    test('a phone 3 steps slow: refused at first, followed as it drifts, then accepted; the window keeps its width', async () => {
      const user = await signUpWithTotp(services, clock);
      clock.advance(STEP_MS);
      await rejectsCode(signIn(user, phone(user, -3)), 'INVALID_CODE');
      // The phone drifts a step at a time; each step is inside the window centred on the last one learned.
      for (const offset of [-1, -2, -3]) await signInsAt(user, offset);
      assert.equal(await skewOf(user.userId), -3);
      clock.advance(STEP_MS);
      await signIn(user, phone(user, -3));
      // Centred on -3 with width +-1: -4..-2, and the nominal window -1..1. Outside both is refused: -6, -5, 2.
      clock.advance(STEP_MS);
      for (const offset of [-6, -5, 2]) {
        await rejectsCode(signIn(user, phone(user, offset)), 'INVALID_CODE');
      }
      await signIn(user, phone(user, -2)); // the centred window's edge
    });

    test('a phone set right all at once is accepted at once, and the centre follows it back to 0', async () => {
      const user = await signUpWithTotp(services, clock);
      for (const offset of [-1, -2, -3, -4]) await signInsAt(user, offset);
      assert.equal(await skewOf(user.userId), -4);
      // The phone syncs its clock: its codes are 4 steps from the centre, in the nominal window.
      clock.advance(STEP_MS);
      await signIn(user, phone(user, 0));
      clock.advance(2 * STEP_MS);
      await signIn(user, phone(user, 1)); // the nominal window's edge
      clock.advance(2 * STEP_MS);
      await signIn(user, phone(user, 0));
      // Three agreeing codes: not quite (0, 1, 0); a third 0 in a row moves the centre home.
      assert.equal(await skewOf(user.userId), -4);
      await signInsAt(user, 0);
      assert.equal(await skewOf(user.userId), 0);
      // Back to one window: the old centre's steps are refused now.
      clock.advance(2 * STEP_MS);
      await rejectsCode(signIn(user, phone(user, -4)), 'INVALID_CODE');
    });

    test('replay protection holds across both windows', async () => {
      const user = await signUpWithTotp(services, clock);
      for (const offset of [-1, -2, -3]) await signInsAt(user, offset);
      assert.equal(await skewOf(user.userId), -3);
      clock.advance(STEP_MS);
      const nominal = phone(user, 0);
      await signIn(user, nominal);
      await rejectsCode(signIn(user, nominal), 'CODE_ALREADY_USED'); // the same code again
      // A code of the centred window is at an earlier step than the one just used: refused too.
      await rejectsCode(signIn(user, phone(user, -3)), 'CODE_ALREADY_USED');
    });

    test('a code used in the centred window is not taken again by the nominal one', async () => {
      const user = await signUpWithTotp(services, clock);
      for (const offset of [1, 2, 3]) await signInsAt(user, offset);
      assert.equal(await skewOf(user.userId), 3);
      clock.advance(2 * STEP_MS); // past the last used step (+3 a moment ago)
      const centred = phone(user, 2); // the centred window's lower edge (2..4)
      await signIn(user, centred);
      await rejectsCode(signIn(user, centred), 'CODE_ALREADY_USED');
      clock.advance(2 * STEP_MS); // its step is now at 0: inside the nominal window only
      await rejectsCode(signIn(user, centred), 'CODE_ALREADY_USED');
    });

    test('replay protection holds with an offset: the same code twice is refused', async () => {
      const user = await signUpWithTotp(services, clock);
      for (const offset of [-1, -2]) await signInsAt(user, offset);
      assert.equal(await skewOf(user.userId), -2);
      clock.advance(STEP_MS);
      const code = phone(user, -2);
      await signIn(user, code);
      await rejectsCode(signIn(user, code), 'CODE_ALREADY_USED');
      clock.advance(STEP_MS); // a step later the code is still inside the window (-3..-1): still used
      await rejectsCode(signIn(user, code), 'CODE_ALREADY_USED');
    });

    test('codes that do not agree teach nothing; agreeing on 0 brings the centre back', async () => {
      const user = await signUpWithTotp(services, clock);
      for (const offset of [-1, 0, -1, 1, -1]) {
        clock.advance(3 * STEP_MS);
        await signIn(user, phone(user, offset));
      }
      assert.equal(await skewOf(user.userId), 0);
      await signInsAt(user, 1);
      assert.equal(await skewOf(user.userId), 1);
      await signInsAt(user, 0);
      assert.equal(await skewOf(user.userId), 0);
    });

    test(`the centre stays within ${TOTP_MAX_SKEW_STEPS} steps of now`, async () => {
      const user = await signUpWithTotp(services, clock);
      for (let offset = 1; offset <= TOTP_MAX_SKEW_STEPS + 1; offset++) await signInsAt(user, offset);
      assert.equal(await skewOf(user.userId), TOTP_MAX_SKEW_STEPS);
      clock.advance(STEP_MS);
      await rejectsCode(signIn(user, phone(user, TOTP_MAX_SKEW_STEPS + 2)), 'INVALID_CODE');
      // Between the two windows (centred 9..11, nominal -1..1): refused.
      await rejectsCode(signIn(user, phone(user, 2)), 'INVALID_CODE');
      await rejectsCode(signIn(user, phone(user, TOTP_MAX_SKEW_STEPS - 2)), 'INVALID_CODE');
      await signIn(user, phone(user, TOTP_MAX_SKEW_STEPS + 1)); // the edge of the window centred on 10
      // A row that says more (written by hand, an older version) is still held to the bound.
      await db
        .updateTable('totp_credentials')
        .set({ skew_steps: 40 })
        .where('user_id', '=', user.userId)
        .execute();
      clock.advance(2 * STEP_MS);
      await rejectsCode(signIn(user, phone(user, 40)), 'INVALID_CODE');
      await signIn(user, phone(user, TOTP_MAX_SKEW_STEPS));
    });
  });
}
