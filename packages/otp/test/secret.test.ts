import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeBase32, encodeBase32 } from '../src/base32.ts';
import { OTPError } from '../src/errors.ts';
import { generateSecret, toSecretBytes } from '../src/secret.ts';

test('generateSecret: 20 bytes by default (RFC 4226 R6: 160 bits recommended), any length from 16', () => {
  assert.equal(generateSecret().length, 20);
  for (const bytes of [16, 20, 32, 64, 65536]) assert.equal(generateSecret(bytes).length, bytes);
});

test('generateSecret refuses fewer than 16 bytes (RFC 4226 R6: at least 128 bits) and nonsense lengths', () => {
  for (const bytes of [15, 10, 1, 0, -20, 16.5, Number.NaN, Number.POSITIVE_INFINITY, 65537, '20']) {
    assert.throws(
      () => generateSecret(bytes as number),
      (error: unknown) => {
        assert.ok(error instanceof OTPError);
        assert.equal(error.code, 'INVALID_SECRET');
        assert.match(error.message, /from 16 \(128 bits, RFC 4226 R6\)/);
        return true;
      },
      String(bytes),
    );
  }
});

test('generateSecret draws from crypto.getRandomValues', (t) => {
  const spy = t.mock.method(globalThis.crypto, 'getRandomValues');
  const secret = generateSecret(32);
  assert.equal(spy.mock.callCount(), 1);
  assert.equal(spy.mock.calls[0]?.arguments[0], secret);
});

test('generateSecret output looks random: every byte value appears in 40,000 bytes, no two secrets equal', () => {
  // A fixed or biased generator fails this; a uniform one misses a value with probability ~256 * e^-156.
  const seen = new Set<number>();
  const texts = new Set<string>();
  for (let i = 0; i < 2000; i++) {
    const secret = generateSecret();
    for (const byte of secret) seen.add(byte);
    texts.add(encodeBase32(secret));
  }
  assert.equal(seen.size, 256);
  assert.equal(texts.size, 2000);
});

test('toSecretBytes: base32 strings are decoded leniently, bytes are returned as they are', () => {
  const bytes = Uint8Array.from([0x48, 0x65, 0x6c, 0x6c, 0x6f, 0x21, 0xde, 0xad, 0xbe, 0xef]);
  assert.deepEqual(toSecretBytes('JBSWY3DPEHPK3PXP'), bytes);
  assert.deepEqual(toSecretBytes('jbsw y3dp ehpk 3pxp'), bytes);
  assert.deepEqual(toSecretBytes('JBSWY3DPEHPK3PXP'), decodeBase32('JBSWY3DPEHPK3PXP'));
  assert.equal(toSecretBytes(bytes), bytes);
  const buffer = Buffer.from(bytes);
  assert.equal(toSecretBytes(buffer), buffer);
});

test('toSecretBytes accepts secrets shorter than 16 bytes for verification (many services issue 10)', () => {
  assert.equal(toSecretBytes('JBSWY3DPEHPK3PXP').length, 10);
  assert.equal(toSecretBytes('MY').length, 1);
  assert.equal(toSecretBytes(new Uint8Array(1)).length, 1);
});

test('toSecretBytes: empty secrets are INVALID_SECRET, named by field', () => {
  for (const secret of ['', '   ', '-', new Uint8Array(0)]) {
    assert.throws(() => toSecretBytes(secret), {
      code: 'INVALID_SECRET',
      message: 'INVALID_SECRET: secret is empty',
    });
  }
  assert.throws(() => toSecretBytes('', 'seed'), {
    code: 'INVALID_SECRET',
    message: 'INVALID_SECRET: seed is empty',
  });
});

test('toSecretBytes: malformed base32 is INVALID_BASE32 naming the field, never the secret', () => {
  assert.throws(() => toSecretBytes('JBSWY3DPEHPK3PX1'), {
    code: 'INVALID_BASE32',
    message: "INVALID_BASE32: secret: character '1' at position 15 is not in the base32 alphabet (A-Z, 2-7)",
  });
  assert.throws(
    () => toSecretBytes('JBSWY3DPE', 'key.secret'),
    (error: unknown) => {
      assert.ok(error instanceof OTPError);
      assert.equal(error.code, 'INVALID_BASE32');
      assert.match(error.message, /^INVALID_BASE32: key\.secret: 9 base32 symbols/);
      assert.ok(!error.message.includes('JBSWY3DP'));
      return true;
    },
  );
});

test('toSecretBytes refuses other types', () => {
  for (const secret of [undefined, null, 42, [1, 2, 3], new Uint16Array(4), new ArrayBuffer(4)]) {
    assert.throws(() => toSecretBytes(secret as unknown as string), {
      code: 'INVALID_SECRET',
      message: 'INVALID_SECRET: secret must be a Uint8Array or a base32 string',
    });
  }
});
