/**
 * Threat: a caller (or a request body passed through) hands an export an odd value - null options, an
 * object for `nowMs`, a bigint for `digits`, `Object.create(null)` for `algorithm` - and the library answers
 * with a plain TypeError from deep inside, which callers that catch `OTPError` to turn bad input into a 400
 * do not expect (a 500, or a crash). Every public function must answer bad input with an `OTPError` whose
 * `code` is one of `OTPErrorCode` and whose message names the field.
 *
 * Seeded: a failure prints its seed; rerun with TWOFA_TEST_SEED=<seed>.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as otp from '../src/index.ts';
import { OTPError, type OTPErrorCode } from '../src/index.ts';
import { type SeededRandom, seededRandom, withSeed } from './support/random.ts';

const CODES: readonly OTPErrorCode[] = [
  'INVALID_BASE32',
  'INVALID_HEX',
  'INVALID_SECRET',
  'INVALID_KEY_URI',
  'INVALID_MIGRATION_URI',
  'UNSUPPORTED_ALGORITHM',
  'INVALID_DIGITS',
  'INVALID_PERIOD',
  'INVALID_COUNTER',
  'INVALID_TIME',
  'INVALID_WINDOW',
  'INVALID_OPTION',
];

const SECRET = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';
const NOW_MS = 1_700_000_000_000;

/** Every option name any export reads: a junk value is as likely under a real name as under a made-up one. */
const FIELDS = [
  'secret',
  'algorithm',
  'digits',
  'periodSeconds',
  't0Seconds',
  'nowMs',
  'code',
  'codes',
  'counter',
  'lookAhead',
  'window',
  'afterStep',
  'type',
  'account',
  'issuer',
  'padding',
  'batchSize',
  'batchId',
  'past',
  'future',
] as const;

function junk(random: SeededRandom, depth = 0): unknown {
  switch (random.int(0, 17)) {
    case 0:
      return null;
    case 1:
      return undefined;
    case 2:
      return random.pick([0, -1, 1, 1.5, -0, 6, 8, 10, 30, 2 ** 53, 1e300, -1e300, 2 ** 31, 65537]);
    case 3:
      return random.pick([Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]);
    case 4:
      return random.int(-1e9, 1e9) * random.pick([1, 0.001, 1000]);
    case 5:
      return random.pick([0n, -1n, 6n, 30n, 2n ** 64n, 2n ** 64n - 1n, -(2n ** 70n)]);
    case 6:
      return random.pick([
        '',
        'SHA1',
        'sha256',
        'MD5',
        'totp',
        'hotp',
        '123456',
        '692 147',
        '１２３４５６',
        SECRET,
        'not base32!',
        'otpauth://totp/Example:alice?secret=JBSWY3DPEHPK3PXP',
        'otpauth-migration://offline?data=CgA%3D',
        'deadbeef',
        'toString',
        '__proto__',
      ]);
    case 7:
      return String.fromCharCode(...Array.from({ length: random.int(0, 12) }, () => random.int(0, 0xffff)));
    case 8:
      return Symbol('junk');
    case 9:
      return random.pick([true, false]);
    case 10:
      return depth > 1 ? [] : Array.from({ length: random.int(0, 3) }, () => junk(random, depth + 1));
    case 11:
      return Object.create(null);
    case 12:
      return random.bytes(random.int(0, 40));
    case 13:
      return () => 1;
    case 14:
      return new Date(NaN);
    case 15:
      return { valueOf: () => 6, toString: () => '6' };
    default:
      return depth > 1 ? {} : junkObject(random, depth + 1);
  }
}

function junkObject(random: SeededRandom, depth: number): Record<string, unknown> {
  const object: Record<string, unknown> = {};
  for (let n = random.int(0, 4); n > 0; n--) object[random.pick(FIELDS)] = junk(random, depth);
  return object;
}

/** Mostly-valid options with one to three fields replaced by junk: what reaches the deep checks. */
function spoil(random: SeededRandom, valid: Record<string, unknown>): unknown {
  if (random.int(0, 9) === 0) return junk(random);
  const options: Record<string, unknown> = { ...valid };
  for (let n = random.int(1, 3); n > 0; n--) options[random.pick(FIELDS)] = junk(random, 1);
  return options;
}

const TOTP_KEY = { secret: SECRET, nowMs: NOW_MS, code: '123456' };
const HOTP_KEY = { secret: SECRET, counter: 5, code: '123456', codes: ['123456', '654321'] };
const KEY = { type: 'totp', secret: SECRET, account: 'alice@example.com', issuer: 'Example' };

type Call = (random: SeededRandom) => unknown;

/** One entry per exported function; the test below checks that none is missing. */
const CALLS: Record<string, Call> = {
  decodeBase32: (r) => otp.decodeBase32(junk(r) as string),
  encodeBase32: (r) => otp.encodeBase32(junk(r) as Uint8Array, spoil(r, { padding: false }) as never),
  decodeHex: (r) => otp.decodeHex(junk(r) as string),
  encodeHex: (r) => otp.encodeHex(junk(r) as Uint8Array),
  normalizeCode: (r) => otp.normalizeCode(junk(r) as string),
  generateSecret: (r) => otp.generateSecret(junk(r) as number),
  generateHOTP: (r) => otp.generateHOTP(spoil(r, HOTP_KEY) as never),
  verifyHOTP: (r) => otp.verifyHOTP(spoil(r, HOTP_KEY) as never),
  resyncHOTP: (r) => otp.resyncHOTP(spoil(r, { ...HOTP_KEY, lookAhead: 10 }) as never),
  prepareHOTP: (r) => {
    const key = otp.prepareHOTP(spoil(r, HOTP_KEY) as never);
    if (r.int(0, 1) === 0) return key.generate(junk(r) as number);
    return key.verify(spoil(r, HOTP_KEY) as never);
  },
  generateTOTP: (r) => otp.generateTOTP(spoil(r, TOTP_KEY) as never),
  verifyTOTP: (r) => otp.verifyTOTP(spoil(r, TOTP_KEY) as never),
  prepareTOTP: (r) => {
    const key = otp.prepareTOTP(spoil(r, TOTP_KEY) as never);
    switch (r.int(0, 3)) {
      case 0:
        return key.generate(junk(r) as number);
      case 1:
        return key.generateAtStep(junk(r) as number);
      case 2:
        return key.step(junk(r) as number);
      default:
        return key.verify(spoil(r, TOTP_KEY) as never);
    }
  },
  getTOTPStep: (r) => otp.getTOTPStep(spoil(r, { nowMs: NOW_MS }) as never),
  getTOTPSecondsRemaining: (r) => otp.getTOTPSecondsRemaining(spoil(r, { nowMs: NOW_MS }) as never),
  buildKeyURI: (r) => otp.buildKeyURI(spoil(r, KEY) as never),
  parseKeyURI: (r) => otp.parseKeyURI(junk(r) as string),
  buildMigrationURIs: (r) =>
    otp.buildMigrationURIs(
      (r.int(0, 3) === 0 ? junk(r) : [spoil(r, KEY), spoil(r, KEY)]) as never,
      spoil(r, { batchSize: 1 }) as never,
    ),
  parseMigrationURI: (r) => otp.parseMigrationURI(junk(r) as string),
};

test('the fuzz table covers every exported function', () => {
  const exported = Object.entries(otp)
    .filter(([name, value]) => typeof value === 'function' && name !== 'OTPError')
    .map(([name]) => name)
    .sort();
  assert.deepEqual(Object.keys(CALLS).sort(), exported);
});

test('every export answers junk options with an OTPError (a code from OTPErrorCode, a message), never a TypeError', () => {
  const random = seededRandom();
  const CALLS_PER_EXPORT = 300;
  let thrown = 0;
  withSeed(random, () => {
    for (const [name, call] of Object.entries(CALLS)) {
      for (let i = 0; i < CALLS_PER_EXPORT; i++) {
        try {
          call(random);
        } catch (error) {
          thrown++;
          const what = `${name} call ${i}: ${error instanceof Error ? `${error.name}: ${error.message}` : 'a non-Error'}`;
          assert.ok(error instanceof OTPError, what);
          assert.ok(CODES.includes(error.code), `${what} (code ${error.code})`);
          assert.ok(error.message.length > error.code.length + 2, `${what} (no message)`);
        }
      }
    }
  });
  // The junk must actually be junk: most calls are refused. A generator that made only valid calls fails here.
  assert.ok(thrown > Object.keys(CALLS).length * CALLS_PER_EXPORT * 0.5, `only ${thrown} calls threw`);
});
