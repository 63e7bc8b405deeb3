import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import {
  type Algorithm,
  generateTOTP,
  getTOTPSecondsRemaining,
  getTOTPStep,
  OTPError,
  prepareTOTP,
  verifyTOTP,
} from '../src/index.ts';

const vectors = JSON.parse(readFileSync(new URL('./vectors/rfc6238-totp.json', import.meta.url), 'utf8')) as {
  seedsAscii: Record<Algorithm, string>;
  rows: ({ timeSeconds: number; step: string } & Record<Algorithm, string>)[];
};
const ascii = (text: string): Uint8Array => new TextEncoder().encode(text);
const ALGORITHMS: Algorithm[] = ['SHA1', 'SHA256', 'SHA512'];

vectors.rows.forEach((row, index) => {
  for (const algorithm of ALGORITHMS) {
    test(`RFC 6238 Appendix B #${index} ${algorithm}: T=${row.timeSeconds}s -> ${row[algorithm]}`, () => {
      const secret = ascii(vectors.seedsAscii[algorithm]);
      const nowMs = row.timeSeconds * 1000;
      assert.equal(generateTOTP({ secret, nowMs, algorithm, digits: 8 }), row[algorithm]);
      assert.equal(getTOTPStep({ nowMs }), Number.parseInt(row.step, 16));
      const result = verifyTOTP({ secret, nowMs, algorithm, digits: 8, code: row[algorithm], window: 0 });
      assert.deepEqual(result, { valid: true, step: Number.parseInt(row.step, 16), delta: 0 });
    });
  }
});

const secret = ascii(vectors.seedsAscii.SHA1);
const key = prepareTOTP({ secret });
const nowMs = 1_111_111_111_000; // step 37037037, 1 s into... see getTOTPSecondsRemaining test
const step = key.step(nowMs);

test('window: the previous and next codes are accepted with their delta; two steps away is not', () => {
  assert.deepEqual(key.verify({ code: key.generateAtStep(step - 1), nowMs }), {
    valid: true,
    step: step - 1,
    delta: -1,
  });
  assert.deepEqual(key.verify({ code: key.generateAtStep(step + 1), nowMs }), {
    valid: true,
    step: step + 1,
    delta: 1,
  });
  assert.deepEqual(key.verify({ code: key.generateAtStep(step - 2), nowMs }), { valid: false });
  assert.deepEqual(key.verify({ code: key.generateAtStep(step + 2), nowMs }), { valid: false });
  assert.deepEqual(key.verify({ code: key.generateAtStep(step - 2), nowMs, window: 2 }).valid, true);
  assert.deepEqual(key.verify({ code: key.generateAtStep(step + 1), nowMs, window: 0 }), { valid: false });
});

test('asymmetric window { past, future }', () => {
  const window = { past: 2, future: 0 };
  assert.deepEqual(key.verify({ code: key.generateAtStep(step - 2), nowMs, window }), {
    valid: true,
    step: step - 2,
    delta: -2,
  });
  assert.deepEqual(key.verify({ code: key.generateAtStep(step + 1), nowMs, window }), { valid: false });
});

test('afterStep: a code is accepted once (RFC 6238 s5.2), older steps are refused too', () => {
  const code = key.generate(nowMs);
  const first = key.verify({ code, nowMs });
  assert.ok(first.valid);
  assert.deepEqual(key.verify({ code, nowMs, afterStep: first.step }), { valid: false });
  // The previous step's code, still inside the window, is refused once a later step was accepted.
  assert.deepEqual(key.verify({ code: key.generateAtStep(step - 1), nowMs, afterStep: first.step }), {
    valid: false,
  });
  // The next step's code is still fine.
  assert.equal(key.verify({ code: key.generateAtStep(step + 1), nowMs, afterStep: first.step }).valid, true);
});

test('codes of the wrong length or with non-digits are refused', () => {
  const code = key.generate(nowMs);
  for (const bad of [
    code.slice(1),
    `${code}0`,
    ` ${code.slice(1)}`,
    `${code.slice(0, 5)}x`,
    '',
    '１２３４５６',
  ]) {
    assert.deepEqual(key.verify({ code: bad, nowMs }), { valid: false }, JSON.stringify(bad));
  }
});

test('period and T0 move the step boundaries', () => {
  const k60 = prepareTOTP({ secret, periodSeconds: 60 });
  assert.equal(k60.generate(59_999), k60.generate(0));
  assert.notEqual(k60.generate(60_000), k60.generate(59_999));
  // T0 = 100 s: at 129.999 s still step 0, at 130 s step 1.
  const shifted = prepareTOTP({ secret, t0Seconds: 100 });
  assert.equal(shifted.step(129_999), 0);
  assert.equal(shifted.step(130_000), 1);
  assert.equal(shifted.generate(130_000), key.generateAtStep(1));
  assert.throws(() => shifted.generate(99_999), { code: 'INVALID_TIME' });
});

test('times past 2038 and past 2^32 steps of a 1-second period', () => {
  const k1 = prepareTOTP({ secret, periodSeconds: 1 });
  const t = 2 ** 32 + 5; // step 2^32 + 5: the RFC 4226 64-bit counter vector
  assert.equal(k1.generate(t * 1000), '250721');
});

test('a time whose step passes 2^53-1 is INVALID_TIME, not the code of another step', () => {
  // Beyond 2^53 the step cannot be held exactly; 1e300 ms once gave the code of step 0.
  const k1 = prepareTOTP({ secret, periodSeconds: 1 });
  assert.equal(k1.step((2 ** 53 - 1) * 1000), 2 ** 53 - 1);
  assert.throws(() => k1.generate(2 ** 53 * 1000), { code: 'INVALID_TIME' });
  for (const nowMs of [2 ** 53 * 30_000, 2 ** 64 * 30_000 + 59_000, 1e300, Number.MAX_VALUE]) {
    assert.throws(() => generateTOTP({ secret, nowMs }), { code: 'INVALID_TIME' }, String(nowMs));
    assert.throws(() => verifyTOTP({ secret, nowMs, code: '282760' }), { code: 'INVALID_TIME' });
    assert.throws(() => getTOTPSecondsRemaining({ nowMs }), { code: 'INVALID_TIME' });
  }
});

test('getTOTPSecondsRemaining counts down to the next step', () => {
  assert.equal(getTOTPSecondsRemaining({ nowMs: 0 }), 30);
  assert.equal(getTOTPSecondsRemaining({ nowMs: 29_001 }), 1);
  assert.equal(getTOTPSecondsRemaining({ nowMs: 30_000 }), 30);
  assert.equal(getTOTPSecondsRemaining({ nowMs: 44_500, periodSeconds: 60 }), 16);
});

test('bad options are OTPErrors naming the field', () => {
  const cases: [() => unknown, string, RegExp][] = [
    [() => generateTOTP({ secret, nowMs: Number.NaN }), 'INVALID_TIME', /nowMs/],
    [() => generateTOTP({ secret, nowMs: -1 }), 'INVALID_TIME', /before/],
    [() => generateTOTP({ secret, periodSeconds: 0 }), 'INVALID_PERIOD', /periodSeconds/],
    [() => generateTOTP({ secret, periodSeconds: 1.5 }), 'INVALID_PERIOD', /periodSeconds/],
    [() => generateTOTP({ secret, t0Seconds: 0.5 }), 'INVALID_TIME', /t0Seconds/],
    [() => generateTOTP({ secret, digits: 12 }), 'INVALID_DIGITS', /digits/],
    [() => generateTOTP({ secret, algorithm: 'sha1' as Algorithm }), 'UNSUPPORTED_ALGORITHM', /algorithm/],
    [() => verifyTOTP({ secret, code: '123456', window: -1 }), 'INVALID_WINDOW', /window/],
    [
      () => verifyTOTP({ secret, code: '123456', window: { past: 1 } as never }),
      'INVALID_WINDOW',
      /window.future/,
    ],
    [() => verifyTOTP({ secret, code: '123456', window: 1000 }), 'INVALID_WINDOW', /window/],
    [() => verifyTOTP({ secret, code: '123456', afterStep: Number.NaN }), 'INVALID_OPTION', /afterStep/],
    [() => generateTOTP({ secret: new Uint8Array(0) }), 'INVALID_SECRET', /secret/],
  ];
  for (const [call, code, message] of cases) {
    assert.throws(call, (error: unknown) => {
      assert.ok(error instanceof OTPError, String(error));
      assert.equal(error.code, code, error.message);
      assert.match(error.message, message);
      return true;
    });
  }
});
