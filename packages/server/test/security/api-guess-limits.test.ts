/**
 * Threat: guessing a subject's 6-digit code through the API (a compromised or careless calling app that
 * forwards every guess). The API is held to the same limits as the pages, by the same code and tables
 * (services/throttle.ts): 10 wrong 6-digit codes lock the principal's code checks for 15 minutes, the right
 * code included, doubling with each further lock; racing guesses cannot pass the limit; a recovery code is
 * never refused by that lock. The same scenario runs through both front ends and must give the same
 * answers.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { generateTOTP } from '@twofa/otp';
import {
  CODE_BUDGET_CAPACITY,
  CODE_BUDGET_REFILL_MS,
  FIRST_CODE_LOCK_MS,
  MAX_CODE_FAILURES,
} from '../../src/services/limits.ts';
import { type ApiTestApp, enrollSubject, makeApiTestApp } from '../support/api.ts';
import { DIALECTS } from '../support/dialects.ts';
import {
  accountWithTOTP,
  browserFor,
  enableTOTPWithCodes,
  logIn,
  logOut,
  signUp,
  uniqueEmail,
} from '../support/flows.ts';

/** What a front end answered to one code: accepted, wrong, or locked (with the wait in seconds). */
type Answer = 'ok' | 'wrong' | `locked ${string}`;

/** A principal as each front end reaches it: send one code, get the answer. */
interface FrontEnd {
  readonly secret: Uint8Array;
  readonly recoveryCode: string;
  send(code: string): Promise<Answer>;
}

function wrongCode(t: ApiTestApp, secret: Uint8Array, n: number): string {
  const window = [-1, 0, 1].map((offset) => generateTOTP({ secret, nowMs: t.clock.now() + offset * 30_000 }));
  for (let i = n; ; i++) {
    const candidate = String(i).padStart(6, '0');
    if (!window.includes(candidate)) return candidate;
  }
}

async function apiFrontEnd(t: ApiTestApp, subject: string): Promise<FrontEnd> {
  const { secret, recoveryCodes } = await enrollSubject(t, subject);
  return {
    secret,
    recoveryCode: recoveryCodes[0]!,
    async send(code) {
      const res = await t.call('POST', `/api/v1/subjects/${subject}/verify`, { body: { code } });
      if (res.status === 429) return `locked ${res.headers.get('retry-after')}`;
      assert.equal(res.status, 200, res.text);
      return res.json.valid ? 'ok' : 'wrong';
    },
  };
}

/** The sign-in page: a new sign-in whenever the pending one has used its 5 attempts. */
async function pagesFrontEnd(t: ApiTestApp): Promise<FrontEnd> {
  const b = browserFor(t);
  const email = uniqueEmail('limits');
  await signUp(b, email);
  const { secret, recoveryCodes } = await enableTOTPWithCodes(b, t.clock);
  await logOut(b);
  t.clock.advance(30_000);
  let pending = browserFor(t);
  let used = 5;
  return {
    secret,
    recoveryCode: recoveryCodes[0]!,
    async send(code) {
      if (used === 5) {
        pending = browserFor(t);
        assert.equal((await logIn(pending, email)).location, '/login/code');
        await pending.get('/login/code');
        used = 0;
      }
      used++;
      const page = await pending.post(code.includes('-') ? '/login/recovery' : '/login/code', { code });
      // The sign-in's own 5 attempts ending (429 without a wait) is a wrong code, counted for the user.
      if (page.status === 429 && page.headers.get('retry-after') === null) return 'wrong';
      if (page.status === 429) return `locked ${page.headers.get('retry-after')}`;
      if (page.status === 303) return 'ok';
      assert.equal(page.status, 401);
      return 'wrong';
    },
  };
}

for (const dialect of DIALECTS) {
  describe(`guess limits, API and pages alike (${dialect.name})`, () => {
    let t: ApiTestApp;
    before(async () => {
      t = await makeApiTestApp({ dialect });
    });
    after(() => t.close());

    async function transcript(frontEnd: FrontEnd): Promise<Answer[]> {
      const answers: Answer[] = [];
      for (let i = 0; i < MAX_CODE_FAILURES; i++)
        answers.push(await frontEnd.send(wrongCode(t, frontEnd.secret, i)));
      // Locked: the right code is refused too; a recovery code is not.
      answers.push(await frontEnd.send(generateTOTP({ secret: frontEnd.secret, nowMs: t.clock.now() })));
      answers.push(await frontEnd.send(frontEnd.recoveryCode));
      return answers;
    }

    test('10 wrong codes lock; the right code is refused for 15 minutes; a recovery code still works', async () => {
      const lockSeconds = String(FIRST_CODE_LOCK_MS / 1000);
      const expected: Answer[] = [
        ...Array<Answer>(MAX_CODE_FAILURES - 1).fill('wrong'),
        `locked ${lockSeconds}`,
        `locked ${lockSeconds}`,
        'ok',
      ];
      assert.deepEqual(await transcript(await apiFrontEnd(t, 'guessed')), expected, 'through the API');
      assert.deepEqual(await transcript(await pagesFrontEnd(t)), expected, 'through the pages');
    });

    test('after the lock, the next one lasts twice as long (API)', async () => {
      const frontEnd = await apiFrontEnd(t, 'twice');
      for (let i = 0; i < MAX_CODE_FAILURES; i++) await frontEnd.send(wrongCode(t, frontEnd.secret, i));
      t.clock.advance(FIRST_CODE_LOCK_MS);
      const answers: Answer[] = [];
      for (let i = 0; i < MAX_CODE_FAILURES; i++)
        answers.push(await frontEnd.send(wrongCode(t, frontEnd.secret, i)));
      assert.equal(answers.at(-1), `locked ${(2 * FIRST_CODE_LOCK_MS) / 1000}`);
    });

    test(`the long-horizon budget holds through the API: ${CODE_BUDGET_CAPACITY} wrong codes, then the right one refused until a refill`, async () => {
      const frontEnd = await apiFrontEnd(t, 'budget');
      const answers: Answer[] = [];
      for (let i = 0; answers.length < CODE_BUDGET_CAPACITY; i++) {
        const answer = await frontEnd.send(wrongCode(t, frontEnd.secret, i));
        answers.push(answer);
        // Wait out each short-term lock (not the last refusal: the budget's).
        if (answer !== 'wrong' && answers.length < CODE_BUDGET_CAPACITY)
          t.clock.advance(Number(answer.split(' ')[1]) * 1000);
      }
      assert.deepEqual(
        answers.filter((a) => a !== 'wrong').length,
        CODE_BUDGET_CAPACITY / MAX_CODE_FAILURES,
        `every ${MAX_CODE_FAILURES}th refused: ${answers.join(',')}`,
      );
      // Spent: the right code is refused with the budget's own error and wait (not the 15-minute lock's).
      const res = await t.call('POST', '/api/v1/subjects/budget/verify', {
        body: { code: generateTOTP({ secret: frontEnd.secret, nowMs: t.clock.now() }) },
      });
      assert.equal(res.status, 429, res.text);
      assert.match(res.text, /SECOND_FACTOR_BUDGET_SPENT/);
      const waitMs = Number(res.headers.get('retry-after')) * 1000;
      assert.ok(
        waitMs > CODE_BUDGET_REFILL_MS - 3 * 60 * 60 * 1000 && waitMs <= CODE_BUDGET_REFILL_MS,
        `${waitMs}`,
      );
      assert.equal(await frontEnd.send(frontEnd.recoveryCode), 'ok', 'a recovery code still works');
      t.clock.advance(waitMs);
      assert.equal(
        await frontEnd.send(generateTOTP({ secret: frontEnd.secret, nowMs: t.clock.now() })),
        'ok',
      );
    });

    test(`${3 * MAX_CODE_FAILURES} wrong codes racing: at most ${MAX_CODE_FAILURES} are compared`, async () => {
      const frontEnd = await apiFrontEnd(t, 'raced');
      const answers = await Promise.all(
        Array.from({ length: 3 * MAX_CODE_FAILURES }, (_, i) =>
          frontEnd.send(wrongCode(t, frontEnd.secret, i)),
        ),
      );
      assert.ok(answers.filter((a) => a === 'wrong').length <= MAX_CODE_FAILURES - 1, answers.join(','));
      assert.equal(answers.filter((a) => a === 'ok').length, 0);
      const compared = await t.call('GET', '/api/v1/subjects/raced/events?limit=100');
      const failed = compared.json.events.filter((e: { type: string }) => e.type === 'sign_in.failed');
      assert.ok(failed.length <= MAX_CODE_FAILURES, `${failed.length} wrong codes recorded`);
    });

    test('a web account is not reachable through the API (its id is not a subject of any tenant)', async () => {
      const { email } = await accountWithTOTP(t);
      const user = await t.services.accounts.getUser(
        (await t.services.auth.login({ email, password: 'correct horse battery staple' })).issued.session
          .userId,
      );
      assert.ok(user);
      const res = await t.call('POST', `/api/v1/subjects/${user.id}/verify`, { body: { code: '123456' } });
      assert.equal(res.status, 404);
    });
  });
}
