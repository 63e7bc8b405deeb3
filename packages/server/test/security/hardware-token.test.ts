/**
 * Threat: guessing, replaying or racing a hardware token's codes (OATH-HOTP, RFC 4226). Someone with the
 * password guesses 6-digit codes: each guess may match only the look-ahead's 11 counter values, and counts
 * against the same 6-digit limit as the app's codes. A code seen once (over a shoulder, in a phishing proxy)
 * must never work again, and two requests racing with right codes, on either database, must not both sign
 * in. A copy of the database must not hold the token's key in clear. Codes are checked against oathtool, an
 * independent implementation.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { buildKeyURI, encodeBase32, encodeHex, generateHOTP } from '@twofa/otp';
import type { Kysely } from 'kysely';
import { skipUnlessTool } from '../../../otp/test/support/tools.ts';
import type { Config } from '../../src/config.ts';
import { HOTP_LOOK_AHEAD, HOTP_RESYNC_LOOK_AHEAD } from '../../src/services/limits.ts';
import { openOperator } from '../../src/services/operator.ts';
import type { Services } from '../../src/services/types.ts';
import { advanceCounter } from '../../src/store/hotp-credentials-repo.ts';
import { openDatabase } from '../../src/store/open.ts';
import type { Database } from '../../src/store/schema.ts';
import {
  codeAt,
  DIALECTS,
  openTestServices,
  operatorEnv,
  rejectsCode,
  signUpWithTotp,
  type TestClock,
  uniqueEmail,
} from '../support/dialects.ts';
import { dumpTables } from '../support/dump.ts';

const PASSWORD = 'correct horse battery';
/** The system Python, where the python3-pyotp package installs (a pyenv shim may come first in PATH). */
const PYTHON = '/usr/bin/python3';
function pyotpMissing(): string | false {
  try {
    execFileSync(PYTHON, ['-c', 'import pyotp'], { stdio: 'ignore' });
    return false;
  } catch {
    return 'needs python3 with pyotp (apt install python3-pyotp)';
  }
}
/** 160 bits, as on a token's seed card. */
const SECRET = Uint8Array.from({ length: 20 }, (_, i) => (i * 37 + 11) & 0xff);
const BASE32 = encodeBase32(SECRET, { padding: false });
const code = (counter: number) => generateHOTP({ secret: SECRET, counter });

for (const dialect of DIALECTS) {
  describe(`hardware tokens on ${dialect.name}`, () => {
    let config: Config;
    let services: Services;
    let clock: TestClock;
    let db: Kysely<Database>;

    before(async () => {
      config = await dialect.makeConfig();
      ({ services, clock } = await openTestServices(config));
      db = openDatabase(config).db;
    });
    after(async () => {
      await db.destroy();
      await services.close();
    });

    /** A user with the token registered with the codes at `at` and `at + 1` (next expected: at + 2). */
    async function userWithToken(at = 0, key = BASE32) {
      const email = uniqueEmail('token');
      const { session } = await services.accounts.signUp({ email, password: PASSWORD });
      const { recoveryCodes } = await services.hardwareToken.register({
        userId: session.userId,
        password: PASSWORD,
        key,
        code: code(at),
        nextCode: code(at + 1),
      });
      return { email, userId: session.userId, recoveryCodes };
    }

    async function pending(email: string): Promise<string> {
      const login = await services.auth.login({ email, password: PASSWORD });
      assert.equal(login.kind, 'pending');
      return login.issued.token;
    }

    const signIn = async (email: string, typed: string) =>
      services.auth.verifySecondFactor({ pendingToken: await pending(email), factor: 'hotp', code: typed });

    const nextCounter = async (userId: string) =>
      (
        await db
          .selectFrom('hotp_credentials')
          .select('next_counter')
          .where('user_id', '=', userId)
          .executeTakeFirstOrThrow()
      ).next_counter;

    test('codes agree with oathtool', { skip: skipUnlessTool('oathtool') }, () => {
      for (const counter of [0, 1, 9, 500, 1000]) {
        const theirs = execFileSync('oathtool', ['--hotp', '-b', '-c', String(counter), BASE32], {
          encoding: 'utf8',
        }).trim();
        assert.equal(code(counter), theirs, `counter ${counter}`);
      }
    });

    test('codes agree with pyotp (another independent implementation), SHA-1 and SHA-256', {
      skip: pyotpMissing(),
    }, () => {
      const script =
        'import sys, hashlib, pyotp; h = pyotp.HOTP(sys.argv[1], digest=getattr(hashlib, sys.argv[2]));' +
        ' print(" ".join(h.at(int(c)) for c in sys.argv[3:]))';
      const counters = [0, 1, 9, 500, 1000, 2 ** 31 + 5];
      for (const [algorithm, digest] of [
        ['SHA1', 'sha1'],
        ['SHA256', 'sha256'],
      ] as const) {
        const theirs = execFileSync(PYTHON, ['-c', script, BASE32, digest, ...counters.map(String)], {
          encoding: 'utf8',
        }).trim();
        const ours = counters
          .map((counter) => generateHOTP({ secret: SECRET, counter, algorithm }))
          .join(' ');
        assert.equal(ours, theirs, algorithm);
      }
    });

    test('registration finds the counter from two consecutive codes: at 0, and at 500 (a pressed token)', async () => {
      const fresh = await userWithToken(0);
      assert.equal(await nextCounter(fresh.userId), 2);
      assert.equal(fresh.recoveryCodes?.length, 10, 'the first factor brings recovery codes');
      const pressed = await userWithToken(500);
      assert.equal(await nextCounter(pressed.userId), 502);
      // 2FA is on: the password alone no longer signs in.
      assert.equal((await services.auth.login({ email: pressed.email, password: PASSWORD })).kind, 'pending');
    });

    test('registration: an otpauth://hotp URI with its counter; a key with spaces; wrong or far codes refused', async () => {
      const uri = buildKeyURI({ type: 'hotp', secret: SECRET, account: 'a@example.com', counter: 1200 });
      const viaUri = await userWithToken(1203, uri);
      assert.equal(await nextCounter(viaUri.userId), 1205);
      const spaced = (BASE32.toLowerCase().match(/.{1,4}/g) ?? []).join(' ');
      await userWithToken(3, spaced);

      const { session } = await services.accounts.signUp({ email: uniqueEmail('token'), password: PASSWORD });
      const register = (fields: { key?: string; code: string; nextCode: string; password?: string }) =>
        services.hardwareToken.register({
          userId: session.userId,
          password: PASSWORD,
          key: BASE32,
          ...fields,
        });
      // Beyond 0..1000: the first code at 1001 is not found.
      await rejectsCode(
        register({ code: code(HOTP_RESYNC_LOOK_AHEAD + 1), nextCode: code(HOTP_RESYNC_LOOK_AHEAD + 2) }),
        'INVALID_TOKEN_CODES',
      );
      await rejectsCode(register({ code: code(5), nextCode: code(7) }), 'INVALID_TOKEN_CODES');
      await rejectsCode(
        register({ code: code(0), nextCode: code(1), key: 'not base32!' }),
        'INVALID_TOKEN_KEY',
      );
      await rejectsCode(
        register({ code: code(0), nextCode: code(1), key: encodeBase32(SECRET.slice(0, 10)) }),
        'INVALID_TOKEN_KEY',
      );
      await rejectsCode(
        register({
          code: code(0),
          nextCode: code(1),
          key: buildKeyURI({ type: 'totp', secret: SECRET, account: 'a@example.com' }),
        }),
        'INVALID_TOKEN_KEY',
      );
      await rejectsCode(register({ code: '12345', nextCode: code(1) }), 'MALFORMED_CODE');
      await rejectsCode(register({ code: code(0), nextCode: code(1), password: 'wrong' }), 'WRONG_PASSWORD');
      // The last code of the search: first at 1000, second at 1001.
      await register({ code: code(HOTP_RESYNC_LOOK_AHEAD), nextCode: code(HOTP_RESYNC_LOOK_AHEAD + 1) });
      assert.equal(await nextCounter(session.userId), HOTP_RESYNC_LOOK_AHEAD + 2);
      await rejectsCode(register({ code: code(0), nextCode: code(1) }), 'FACTOR_ALREADY_ON');
    });

    test('registration refuses keys anyone could compute codes from, even with their right codes', async () => {
      const email = uniqueEmail('weak');
      const { session } = await services.accounts.signUp({ email, password: PASSWORD });
      const registerKey = (secret: Uint8Array, key = encodeBase32(secret)) =>
        services.hardwareToken.register({
          userId: session.userId,
          password: PASSWORD,
          key,
          code: generateHOTP({ secret, counter: 0 }),
          nextCode: generateHOTP({ secret, counter: 1 }),
        });
      const ascii = (text: string) => new TextEncoder().encode(text);
      const weak = [
        new Uint8Array(20), // zeros: "AAAA..." in base32
        new Uint8Array(16).fill(0xff),
        Uint8Array.from({ length: 20 }, (_, i) => [1, 2, 3, 4][i % 4]!), // a short pattern repeated
        ascii('12345678901234567890'), // RFC 4226 appendix D
        ascii('12345678901234567890123456789012'), // RFC 6238 appendix B, SHA-256
      ];
      for (const secret of weak) await rejectsCode(registerKey(secret), 'WEAK_TOKEN_KEY');
      const uri = buildKeyURI({ type: 'hotp', secret: weak[3]!, account: 'a@example.com', counter: 0 });
      await rejectsCode(registerKey(weak[3]!, uri), 'WEAK_TOKEN_KEY');
      // Other digits in a URI: refused (6-digit codes only); a SHA-256 token: its own codes work.
      const eight = buildKeyURI({
        type: 'hotp',
        secret: SECRET,
        account: 'a@example.com',
        digits: 8,
        counter: 0,
      });
      await rejectsCode(registerKey(SECRET, eight), 'INVALID_TOKEN_KEY');
      const sha256 = buildKeyURI({
        type: 'hotp',
        secret: SECRET,
        account: 'a@example.com',
        algorithm: 'SHA256',
        counter: 0,
      });
      await rejectsCode(registerKey(SECRET, sha256), 'INVALID_TOKEN_CODES'); // SHA-1 codes for a SHA-256 key
      await services.hardwareToken.register({
        userId: session.userId,
        password: PASSWORD,
        key: sha256,
        code: generateHOTP({ secret: SECRET, counter: 0, algorithm: 'SHA256' }),
        nextCode: generateHOTP({ secret: SECRET, counter: 1, algorithm: 'SHA256' }),
      });
      await rejectsCode(signIn(email, code(2)), 'INVALID_CODE');
      await signIn(email, generateHOTP({ secret: SECRET, counter: 2, algorithm: 'SHA256' }));
    });

    test('a URI counter near 2^53 is refused at registration: the counter would leave the safe integers and every sign-in fail', async () => {
      const email = uniqueEmail('counter');
      const { session } = await services.accounts.signUp({ email, password: PASSWORD });
      const last = Number.MAX_SAFE_INTEGER;
      const uri = buildKeyURI({ type: 'hotp', secret: SECRET, account: 'a@example.com', counter: last - 1 });
      await rejectsCode(
        services.hardwareToken.register({
          userId: session.userId,
          password: PASSWORD,
          key: uri,
          code: code(last - 1),
          nextCode: code(last),
        }),
        'INVALID_TOKEN_KEY',
      );
      // Well below: registered, and it signs in.
      const high = 2 ** 40;
      await services.hardwareToken.register({
        userId: session.userId,
        password: PASSWORD,
        key: buildKeyURI({ type: 'hotp', secret: SECRET, account: 'a@example.com', counter: high }),
        code: code(high),
        nextCode: code(high + 1),
      });
      await signIn(email, code(high + 3));
    });

    test(`sign-in accepts the next code up to ${HOTP_LOOK_AHEAD} presses ahead, not ${HOTP_LOOK_AHEAD + 1}`, async () => {
      const a = await userWithToken(0); // next expected: 2
      await rejectsCode(signIn(a.email, code(2 + HOTP_LOOK_AHEAD + 1)), 'INVALID_CODE');
      await signIn(a.email, code(2 + HOTP_LOOK_AHEAD));
      assert.equal(await nextCounter(a.userId), 2 + HOTP_LOOK_AHEAD + 1);
      await signIn(a.email, code(2 + HOTP_LOOK_AHEAD + 1)); // the next one, in step again
    });

    test('a used code never works again, nor does an earlier one: answered already used, not counted', async () => {
      const a = await userWithToken(0);
      await signIn(a.email, code(4));
      const throttle = () =>
        db
          .selectFrom('second_factor_throttle')
          .select(['failures', 'budget_full_at_ms', 'in_flight'])
          .where('user_id', '=', a.userId)
          .executeTakeFirstOrThrow();
      await rejectsCode(signIn(a.email, '000000'), 'INVALID_CODE');
      const before = await throttle();
      await rejectsCode(signIn(a.email, code(4)), 'CODE_ALREADY_USED');
      await rejectsCode(signIn(a.email, code(3)), 'CODE_ALREADY_USED'); // passed over by code(4)
      await rejectsCode(signIn(a.email, code(1)), 'CODE_ALREADY_USED'); // used at registration
      await rejectsCode(signIn(a.email, `${code(0)}|${code(1)}`), 'CODE_ALREADY_USED'); // a used pair
      for (let i = 0; i < 3; i++) await rejectsCode(signIn(a.email, code(4)), 'CODE_ALREADY_USED');
      assert.deepEqual(await throttle(), before, 'the replays spent no attempt, nor any of the budget');
      await signIn(a.email, code(5));
    });

    test('racing right codes: exactly one sign-in wins; the counter moves once', async () => {
      const a = await userWithToken(0);
      const racers = 8;
      const tokens = await Promise.all(Array.from({ length: racers }, () => pending(a.email)));
      const results = await Promise.allSettled(
        tokens.map((pendingToken) =>
          services.auth.verifySecondFactor({ pendingToken, factor: 'hotp', code: code(2) }),
        ),
      );
      assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
      for (const r of results) {
        // The losers' code is used now: a replay, not a guess.
        if (r.status === 'rejected') assert.equal((r.reason as { code: string }).code, 'CODE_ALREADY_USED');
      }
      assert.equal(await nextCounter(a.userId), 3);
      // The statement itself: of two moves from the same expected counter (two different right codes read
      // the row at once), one changes it.
      const { id } = await db
        .selectFrom('hotp_credentials')
        .select('id')
        .where('user_id', '=', a.userId)
        .executeTakeFirstOrThrow();
      const moves = await Promise.all(
        [5, 7].map((next) => advanceCounter(db, { id, expected: 3, next, nowMs: clock.nowMs() })),
      );
      assert.deepEqual(moves.filter(Boolean).length, 1);
      assert.ok([5, 7].includes(await nextCounter(a.userId)));
    });

    test('racing registrations: one token per account, the others told it is already on (never a 500)', async () => {
      const email = uniqueEmail('race');
      const { session } = await services.accounts.signUp({ email, password: PASSWORD });
      const results = await Promise.allSettled(
        Array.from({ length: 8 }, (_, i) =>
          services.hardwareToken.register({
            userId: session.userId,
            password: PASSWORD,
            key: BASE32,
            code: code(2 * i),
            nextCode: code(2 * i + 1),
          }),
        ),
      );
      assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
      for (const r of results) {
        if (r.status === 'rejected') assert.equal((r.reason as { code: string }).code, 'FACTOR_ALREADY_ON');
      }
      const rows = await db
        .selectFrom('hotp_credentials')
        .select('id')
        .where('user_id', '=', session.userId)
        .execute();
      assert.equal(rows.length, 1);
      const recoverySets = await db
        .selectFrom('audit_events')
        .select('type')
        .where('user_id', '=', session.userId)
        .where('type', '=', 'second_factor.enabled')
        .execute();
      assert.equal(recoverySets.length, 1, 'one enabling event');
    });

    test('a token code that confirms a change is used up: it neither signs in nor confirms again', async () => {
      const a = await userWithToken(0); // next expected: 2
      const fresh = await services.recovery.regenerate({
        userId: a.userId,
        password: PASSWORD,
        code: code(3),
      });
      assert.equal(fresh.length, 10);
      assert.equal(await nextCounter(a.userId), 4);
      await rejectsCode(
        services.recovery.regenerate({ userId: a.userId, password: PASSWORD, code: code(3) }),
        'INVALID_CODE',
      );
      await rejectsCode(signIn(a.email, code(3)), 'CODE_ALREADY_USED');
      await rejectsCode(signIn(a.email, code(2)), 'CODE_ALREADY_USED'); // skipped over: earlier than the one used
      await signIn(a.email, code(4));
    });

    test('a token pressed far ahead: two consecutive codes within 1000 resynchronise it; beyond, they do not', async () => {
      const a = await userWithToken(0); // next expected: 2
      await rejectsCode(signIn(a.email, code(600)), 'INVALID_CODE');
      // The first code at 2 + 1001: outside the search.
      const far = 2 + HOTP_RESYNC_LOOK_AHEAD + 1;
      await rejectsCode(signIn(a.email, `${code(far)}|${code(far + 1)}`), 'INVALID_CODE');
      await rejectsCode(signIn(a.email, `${code(600)}|${code(602)}`), 'INVALID_CODE');
      await signIn(a.email, `${code(600)}|${code(601)}`);
      assert.equal(await nextCounter(a.userId), 602);
      await signIn(a.email, code(602));
      // The edge: first code at exactly expected + 1000.
      const edge = 603 + HOTP_RESYNC_LOOK_AHEAD;
      await signIn(a.email, `${code(edge)}|${code(edge + 1)}`);
    });

    test('wrong codes (and wrong resync pairs, one attempt each) count in the 6-digit limit shared with the app', async () => {
      const user = await signUpWithTotp(services, clock, PASSWORD);
      await services.hardwareToken.register({
        userId: user.userId,
        password: PASSWORD,
        key: BASE32,
        code: code(0),
        nextCode: code(1),
      });
      const token = await pending(user.email);
      const first = await rejectsCode(
        services.auth.verifySecondFactor({ pendingToken: token, factor: 'hotp', code: '000000' }),
        'INVALID_CODE',
      );
      const second = await rejectsCode(
        services.auth.verifySecondFactor({ pendingToken: token, factor: 'hotp', code: '000000|111111' }),
        'INVALID_CODE',
      );
      assert.equal(second.attemptsLeft, (first.attemptsLeft ?? 0) - 1, 'a pair is one attempt');
      // Keep guessing with the token until the shared limit closes...
      let locked = false;
      for (let i = 0; i < 200 && !locked; i++) {
        try {
          await signIn(user.email, String(100000 + i));
        } catch (error) {
          const errorCode = (error as { code: string }).code;
          if (errorCode === 'SECOND_FACTOR_LOCKED') locked = true;
          else assert.ok(['INVALID_CODE', 'TOO_MANY_ATTEMPTS'].includes(errorCode), errorCode);
        }
      }
      assert.ok(locked, 'wrong token codes closed the 6-digit limit');
      assert.ok((await services.auth.secondFactorWaitMs(user.userId)) > 0);
      // ...which then refuses the app's right code too (switching factor buys no guesses).
      const login = await services.auth.login({ email: user.email, password: PASSWORD });
      await rejectsCode(
        services.auth.verifySecondFactor({
          pendingToken: login.issued.token,
          code: codeAt(user.secret, clock.nowMs()),
        }),
        'SECOND_FACTOR_LOCKED',
      );
    });

    test('the key is sealed at rest: a copy of the database does not hold it', async () => {
      await userWithToken(0);
      const dump = await dumpTables(db, dialect.name);
      assert.ok(dump.includes('hotp_credentials'));
      for (const form of [
        BASE32,
        BASE32.toLowerCase(),
        encodeHex(SECRET),
        Buffer.from(SECRET).toString('base64'),
        Buffer.from(SECRET).toString('base64url'),
        Buffer.from(SECRET).toString('latin1'),
      ]) {
        assert.ok(!dump.includes(form), `the key appears in the dump as ${form.slice(0, 6)}...`);
      }
      const row = await db.selectFrom('hotp_credentials').selectAll().limit(1).executeTakeFirstOrThrow();
      assert.ok(row.secret_ciphertext.length > 40);
    });

    test('removal needs the password and a current code; the operator reset removes the token', async () => {
      const a = await userWithToken(0);
      await rejectsCode(
        services.hardwareToken.remove({ userId: a.userId, password: 'wrong', code: code(2) }),
        'WRONG_PASSWORD',
      );
      await services.hardwareToken.remove({ userId: a.userId, password: PASSWORD, code: code(2) });
      assert.equal(await services.hardwareToken.registeredAtMs(a.userId), null);
      assert.equal((await services.auth.login({ email: a.email, password: PASSWORD })).kind, 'full');
      assert.equal(
        (await services.accounts.getUser(a.userId))?.recoveryCodesLeft,
        0,
        'its recovery codes went too',
      );

      const b = await userWithToken(0);
      const operator = await openOperator({ env: operatorEnv(config) });
      try {
        const reset = await operator.resetSecondFactor(b.email);
        assert.deepEqual(reset.factors, ['hotp', 'recovery']);
      } finally {
        await operator.close();
      }
      assert.equal(await services.hardwareToken.registeredAtMs(b.userId), null);
      assert.equal((await services.auth.login({ email: b.email, password: PASSWORD })).kind, 'full');
    });
  });
}
