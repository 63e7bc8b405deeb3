import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { decodeHex, encodeHex, generateTOTP, OTPError } from '../src/index.ts';
import { seededRandom, withSeed } from './support/random.ts';
import { SYSTEM_PYTHON, skipUnlessTool } from './support/tools.ts';

test('encodeHex / decodeHex: the RFC 4226 secret both ways, upper case and spaces accepted', () => {
  const ascii = new TextEncoder().encode('12345678901234567890');
  const hex = '3132333435363738393031323334353637383930';
  assert.equal(encodeHex(ascii), hex);
  assert.deepEqual(decodeHex(hex), ascii);
  assert.deepEqual(decodeHex(hex.toUpperCase()), ascii);
  assert.deepEqual(decodeHex('3132 3334 3536 3738 3930 3132 3334 3536 3738 3930'), ascii);
  assert.deepEqual(decodeHex('DEADbeef'), new Uint8Array([0xde, 0xad, 0xbe, 0xef]));
  assert.deepEqual(decodeHex(''), new Uint8Array(0));
  assert.equal(encodeHex(new Uint8Array(0)), '');
});

test('decodeHex refuses bad hex with INVALID_HEX, naming the character and position, never the input', () => {
  const cases: [text: string, message: RegExp][] = [
    ['abcg', /^INVALID_HEX: character 'g' at position 3 is not a hex digit/],
    ['0x3132', /character 'x' at position 1/],
    ['31\t32', /character U\+0009 at position 2/],
    ['31-32', /character '-' at position 2/],
    ['313', /^INVALID_HEX: 3 hex digits: a byte takes two/],
    ['31 3', /3 hex digits/],
  ];
  for (const [text, message] of cases) {
    assert.throws(
      () => decodeHex(text),
      (error: unknown) => {
        assert.ok(error instanceof OTPError);
        assert.equal(error.code, 'INVALID_HEX');
        assert.match(error.message, message);
        assert.ok(!error.message.includes('3132'), error.message);
        return true;
      },
      text,
    );
  }
  assert.throws(() => decodeHex(42 as unknown as string), { code: 'INVALID_HEX' });
  assert.throws(() => encodeHex('31' as unknown as Uint8Array), { code: 'INVALID_OPTION' });
});

test('encodeHex agrees with Python bytes.hex(), decodeHex with bytes.fromhex(), on random bytes', {
  skip: skipUnlessTool('pyotp'),
}, () => {
  const random = seededRandom();
  withSeed(random, () => {
    const samples = Array.from({ length: 50 }, () => random.bytes(random.int(0, 64)));
    const input = samples.map((bytes) => Buffer.from(bytes).toString('base64')).join('\n');
    const script =
      'import sys, base64\nfor line in sys.stdin.read().split("\\n"):\n  print(base64.b64decode(line).hex())';
    const python = spawnSync(SYSTEM_PYTHON, ['-c', script], { input, encoding: 'utf8' });
    assert.equal(python.status, 0, python.stderr);
    const expected = python.stdout.trimEnd().split('\n');
    samples.forEach((bytes, i) => {
      assert.equal(encodeHex(bytes), expected[i]);
      assert.deepEqual(decodeHex(expected[i]!.toUpperCase()), bytes);
    });
  });
});

test("a decodeHex secret gives oathtool's codes for the same hex key", {
  skip: skipUnlessTool('oathtool'),
}, () => {
  const random = seededRandom();
  withSeed(random, () => {
    for (let i = 0; i < 5; i++) {
      const hex = encodeHex(random.bytes(random.int(10, 64)));
      const seconds = random.int(0, 2 ** 32);
      const oathtool = spawnSync('oathtool', ['--totp', '-N', `@${seconds}`, hex], { encoding: 'utf8' });
      assert.equal(oathtool.status, 0, oathtool.stderr);
      assert.equal(generateTOTP({ secret: decodeHex(hex), nowMs: seconds * 1000 }), oathtool.stdout.trim());
    }
  });
});
