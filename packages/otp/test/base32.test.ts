import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { decodeBase32, encodeBase32 } from '../src/base32.ts';
import { OTPError } from '../src/errors.ts';
import { seededRandom, withSeed } from './support/random.ts';
import { SYSTEM_PYTHON, skipUnlessTool } from './support/tools.ts';

const vectors = JSON.parse(
  readFileSync(new URL('./vectors/base32-rfc4648.json', import.meta.url), 'utf8'),
) as {
  rows: { ascii: string; base32: string }[];
};
const ascii = (text: string): Uint8Array => new TextEncoder().encode(text);

vectors.rows.forEach((row, index) => {
  test(`RFC 4648 s10 #${index}: ${JSON.stringify(row.ascii)} <-> ${JSON.stringify(row.base32)}`, () => {
    const unpadded = row.base32.replace(/=+$/, '');
    assert.equal(encodeBase32(ascii(row.ascii)), row.base32);
    assert.equal(encodeBase32(ascii(row.ascii), { padding: false }), unpadded);
    assert.deepEqual(decodeBase32(row.base32), ascii(row.ascii));
    assert.deepEqual(decodeBase32(unpadded), ascii(row.ascii));
    assert.deepEqual(decodeBase32(row.base32.toLowerCase()), ascii(row.ascii));
  });
});

test('decodeBase32 forgives lower case, spaces, hyphens and missing padding', () => {
  const bytes = decodeBase32('JBSWY3DPEHPK3PXP');
  assert.deepEqual(bytes, Uint8Array.from([0x48, 0x65, 0x6c, 0x6c, 0x6f, 0x21, 0xde, 0xad, 0xbe, 0xef]));
  for (const text of [
    'jbswy3dpehpk3pxp',
    'JBSW Y3DP EHPK 3PXP',
    'jbsw-y3dp-ehpk-3pxp',
    ' JbSw y3dP - EHPK 3PXP ',
  ]) {
    assert.deepEqual(decodeBase32(text), bytes, JSON.stringify(text));
  }
  assert.deepEqual(decodeBase32('MZXW 6YTB OI== ===='), ascii('foobar'));
  assert.deepEqual(decodeBase32('mzxw6ytboi'), ascii('foobar'));
  assert.deepEqual(decodeBase32(''), new Uint8Array(0));
  assert.deepEqual(decodeBase32('  - '), new Uint8Array(0));
});

test('decodeBase32 ignores non-zero leftover bits, as authenticator apps do', () => {
  // 'MY' and 'MZ' differ only in the 2 bits after the byte 'f'.
  assert.deepEqual(decodeBase32('MZ'), ascii('f'));
  assert.deepEqual(decodeBase32('MZ======'), ascii('f'));
  // A 26-character secret of random symbols (130 bits) is 16 bytes; the last 2 bits are dropped.
  assert.equal(decodeBase32('ABCDEFGHIJKLMNOPQRSTUVWXYZ').length, 16);
  assert.equal(
    encodeBase32(decodeBase32('ABCDEFGHIJKLMNOPQRSTUVWXY7'), { padding: false }),
    'ABCDEFGHIJKLMNOPQRSTUVWXY4',
  );
});

test('decodeBase32 returns a Uint8Array that owns exactly its bytes', () => {
  const bytes = decodeBase32('MZXW 6YTB OI');
  assert.equal(bytes.byteLength, 6);
  assert.equal(bytes.buffer.byteLength, 6);
});

const malformed: [text: string, message: RegExp][] = [
  ['JBSWY3D1', /character '1' at position 7 is not in the base32 alphabet/],
  ['JBSWY3D0', /character '0' at position 7/],
  ['JBSWY3D8', /character '8' at position 7/],
  ['JBSW_Y3DP', /character '_' at position 4/],
  ['JBSW.Y3DP', /character '.' at position 4/],
  ['JBSWY3DP\n', /character U\+000A at position 8/],
  ['JBSW\tY3DP', /character U\+0009 at position 4/],
  ['JBSW\u00a0Y3DP', /character U\+00A0 at position 4/],
  ['JBSWÉ', /character U\+00C9 at position 4/],
  ['JBSW😀', /character U\+1F600 at position 4/],
  ['ＪBSWY3DP', /character U\+FF2A at position 0/],
  ['JBSWY3DP+', /character '\+' at position 8/],
  ['M', /1 base32 symbols cannot be decoded.*has 1/],
  ['MZX', /3 base32 symbols.*has 3/],
  ['MZXW6Y', /6 base32 symbols.*has 6/],
  ['MZXW6YTBO', /9 base32 symbols.*has 1/],
  ['MZX=====', /3 base32 symbols/],
  ['MY=====', /5 padding characters after 2 symbols, expected 6/],
  ['MY=======', /7 padding characters after 2 symbols, expected 6/],
  ['MY=', /1 padding characters after 2 symbols, expected 6/],
  ['MZXW6YTB========', /8 padding characters after 8 symbols, expected none/],
  ['MZXW6YTB=', /expected none/],
  ['=', /expected none/],
  ['========', /expected none/],
  ['MY======MY', /padding '=' at position 2 is followed by data at position 8/],
  ['MY=A', /padding '=' at position 2 is followed by data at position 3/],
];

malformed.forEach(([text, message], index) => {
  test(`decodeBase32 rejects malformed #${index}: ${JSON.stringify(text)}`, () => {
    assert.throws(
      () => decodeBase32(text),
      (error: unknown) => {
        assert.ok(error instanceof OTPError);
        assert.equal(error.code, 'INVALID_BASE32');
        assert.match(error.message, /^INVALID_BASE32: /);
        assert.match(error.message, message);
        return true;
      },
    );
  });
});

test('decodeBase32 error messages never repeat the input (it may be a secret)', () => {
  const secret = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';
  for (const text of [`${secret}1`, secret.slice(0, 30), `${secret}=`, `${secret.slice(0, 9)}!${secret}`]) {
    assert.throws(
      () => decodeBase32(text),
      (error: unknown) => error instanceof OTPError && !error.message.includes(secret.slice(0, 8)),
      JSON.stringify(text),
    );
  }
});

test('decodeBase32 and encodeBase32 refuse wrong input types', () => {
  assert.throws(() => decodeBase32(123 as unknown as string), { code: 'INVALID_BASE32' });
  assert.throws(() => encodeBase32('foo' as unknown as Uint8Array), { code: 'INVALID_OPTION' });
  assert.equal(encodeBase32(Buffer.from('foobar')), 'MZXW6YTBOI======');
});

test('seeded random round trips: decodeBase32(encodeBase32(x)) = x, padded or not, however it is written', () => {
  const random = seededRandom();
  withSeed(random, () => {
    for (let i = 0; i < 2000; i++) {
      const bytes = random.bytes(random.int(0, 80));
      const padded = encodeBase32(bytes);
      assert.equal(padded.length % 8, 0);
      assert.match(padded, /^[A-Z2-7]*=*$/);
      const unpadded = encodeBase32(bytes, { padding: false });
      assert.equal(unpadded, padded.replace(/=+$/, ''));
      assert.equal(unpadded.length, Math.ceil((bytes.length * 8) / 5));
      assert.deepEqual(decodeBase32(padded), bytes);
      assert.deepEqual(decodeBase32(unpadded), bytes);
      // How people write secrets: lower case in places, grouped with spaces or hyphens.
      let messy = '';
      for (const c of unpadded) {
        messy += random.next() < 0.5 ? c.toLowerCase() : c;
        if (random.next() < 0.2) messy += random.pick([' ', '-', '  ']);
      }
      assert.deepEqual(decodeBase32(messy), bytes, messy);
    }
  });
});

test('encodeBase32 agrees with Python base64.b32encode on seeded random bytes', {
  skip: skipUnlessTool('pyotp'),
}, () => {
  const random = seededRandom();
  withSeed(random, () => {
    const inputs = Array.from({ length: 300 }, () => random.bytes(random.int(0, 70)));
    const result = spawnSync(
      SYSTEM_PYTHON,
      [
        '-c',
        'import base64,sys\nfor line in sys.stdin.read().split():\n  print(base64.b32encode(bytes.fromhex(line[1:])).decode())',
      ],
      // Each hex string gets a leading 'x' so an empty input is still a line.
      { input: inputs.map((bytes) => `x${Buffer.from(bytes).toString('hex')}`).join('\n'), encoding: 'utf8' },
    );
    assert.equal(result.status, 0, result.stderr);
    const expected = result.stdout.split('\n').slice(0, inputs.length);
    inputs.forEach((bytes, i) => {
      assert.equal(encodeBase32(bytes), expected[i], `input ${Buffer.from(bytes).toString('hex')}`);
    });
  });
});
