import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { generateHOTP, OTPError, prepareHOTP, resyncHOTP, verifyHOTP } from '../src/index.ts';

const vectors = JSON.parse(readFileSync(new URL('./vectors/rfc4226-hotp.json', import.meta.url), 'utf8')) as {
  secretAscii: string;
  rows: { counter: string; hotp: string }[];
};
const secret = new TextEncoder().encode(vectors.secretAscii);

vectors.rows.forEach((row, index) => {
  test(`RFC 4226 Appendix D #${index}: counter ${row.counter} -> ${row.hotp}`, () => {
    const counter = BigInt(row.counter);
    assert.equal(generateHOTP({ secret, counter }), row.hotp);
    if (counter <= BigInt(Number.MAX_SAFE_INTEGER)) {
      assert.equal(generateHOTP({ secret, counter: Number(counter) }), row.hotp);
    }
  });
});

test('base32 secret gives the same codes as the raw bytes', () => {
  // GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ is base32 of "12345678901234567890".
  assert.equal(generateHOTP({ secret: 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ', counter: 1 }), '287082');
  assert.equal(generateHOTP({ secret: 'gezd gnbv gy3t qojq gezd gnbv gy3t qojq', counter: 1 }), '287082');
});

test('the largest counter, 2^64 - 1, is a valid 8-byte counter', () => {
  const max = (1n << 64n) - 1n;
  const code = generateHOTP({ secret, counter: max });
  assert.match(code, /^\d{6}$/);
  assert.notEqual(code, generateHOTP({ secret, counter: max - 1n }));
  assert.throws(() => generateHOTP({ secret, counter: max + 1n }), { code: 'INVALID_COUNTER' });
});

test('digits 6 to 10 keep leading zeros and are prefixes of each other modulo 10^n', () => {
  for (let counter = 0; counter < 50; counter++) {
    const ten = generateHOTP({ secret, counter, digits: 10 });
    assert.equal(ten.length, 10);
    for (let digits = 6; digits <= 9; digits++) {
      assert.equal(generateHOTP({ secret, counter, digits }), ten.slice(10 - digits));
    }
  }
});

test('verifyHOTP: exact counter, look-ahead, and the counter that matched', () => {
  assert.deepEqual(verifyHOTP({ secret, code: '755224', counter: 0 }), { valid: true, counter: 0, delta: 0 });
  assert.deepEqual(verifyHOTP({ secret, code: '969429', counter: 0 }), { valid: false });
  assert.deepEqual(verifyHOTP({ secret, code: '969429', counter: 0, lookAhead: 3 }), {
    valid: true,
    counter: 3,
    delta: 3,
  });
  assert.deepEqual(verifyHOTP({ secret, code: '969429', counter: 0, lookAhead: 2 }), { valid: false });
  // A code for a counter behind the expected one is never accepted (it was used already).
  assert.deepEqual(verifyHOTP({ secret, code: '755224', counter: 1, lookAhead: 10 }), { valid: false });
  // bigint in, bigint out.
  assert.deepEqual(verifyHOTP({ secret, code: '250721', counter: 4294967300n, lookAhead: 1 }), {
    valid: true,
    counter: 4294967301n,
    delta: 1,
  });
});

test('verifyHOTP refuses codes of the wrong length or with non-digits before comparing', () => {
  for (const code of ['75522', '7552240', '75522a', '755_224', '755.224', '', '-55224', '+55224']) {
    assert.deepEqual(
      verifyHOTP({ secret, code, counter: 0 }),
      { valid: false },
      `code ${JSON.stringify(code)}`,
    );
  }
  assert.throws(() => verifyHOTP({ secret, code: 755224 as unknown as string, counter: 0 }), {
    code: 'INVALID_OPTION',
  });
});

test('resyncHOTP finds two consecutive codes far ahead and returns the second counter (RFC 4226 s7.4)', () => {
  assert.deepEqual(resyncHOTP({ secret, counter: 0, codes: ['399871', '520489'] }), {
    valid: true,
    counter: 9,
    delta: 9,
  });
  // Not consecutive: 8 then 6.
  assert.deepEqual(resyncHOTP({ secret, counter: 0, codes: ['399871', '287922'] }), { valid: false });
  // Beyond the look-ahead.
  assert.deepEqual(resyncHOTP({ secret, counter: 0, codes: ['399871', '520489'], lookAhead: 7 }), {
    valid: false,
  });
  assert.deepEqual(resyncHOTP({ secret, counter: 0, codes: ['399871', '520489'], lookAhead: 8 }).valid, true);
  const far = prepareHOTP({ secret });
  const codes = [far.generate(600), far.generate(601)] as const;
  assert.deepEqual(resyncHOTP({ secret, counter: 10, codes }), { valid: true, counter: 601, delta: 591 });
});

test('bad options are OTPErrors with a code and a message naming the field', () => {
  const cases: [() => unknown, string, RegExp][] = [
    [() => generateHOTP({ secret, counter: -1 }), 'INVALID_COUNTER', /counter/],
    [() => generateHOTP({ secret, counter: 1.5 }), 'INVALID_COUNTER', /counter/],
    [() => generateHOTP({ secret, counter: 2 ** 53 }), 'INVALID_COUNTER', /counter/],
    [() => generateHOTP({ secret, counter: 0, digits: 5 }), 'INVALID_DIGITS', /digits/],
    [() => generateHOTP({ secret, counter: 0, digits: 11 }), 'INVALID_DIGITS', /digits/],
    [
      () => generateHOTP({ secret, counter: 0, algorithm: 'MD5' as 'SHA1' }),
      'UNSUPPORTED_ALGORITHM',
      /algorithm/,
    ],
    [() => generateHOTP({ secret: 'JBSWY3DP!', counter: 0 }), 'INVALID_BASE32', /'!'/],
    [() => verifyHOTP({ secret, code: '123456', counter: 0, lookAhead: -1 }), 'INVALID_WINDOW', /lookAhead/],
    [
      () => resyncHOTP({ secret, counter: 0, codes: ['1'] as unknown as [string, string] }),
      'INVALID_OPTION',
      /codes/,
    ],
  ];
  for (const [call, code, message] of cases) {
    assert.throws(call, (error: unknown) => {
      assert.ok(error instanceof OTPError, String(error));
      assert.equal(error.code, code);
      assert.match(error.message, message);
      return true;
    });
  }
});
