import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import type { Algorithm } from '../src/internal/algorithm.ts';
import { sha1 } from '../src/internal/sha1.ts';
import { sha256 } from '../src/internal/sha256.ts';
import { sha512 } from '../src/internal/sha512.ts';
import { seededRandom, withSeed } from './support/random.ts';

interface HashVector {
  algorithm: Algorithm;
  description: string;
  message: string;
  repeat?: number;
  digest: string;
}

const fips = JSON.parse(readFileSync(new URL('./vectors/fips-180-4.json', import.meta.url), 'utf8')) as {
  vectors: HashVector[];
};

const HASHES: Record<Algorithm, (data: Uint8Array) => Uint8Array> = {
  SHA1: sha1,
  SHA256: sha256,
  SHA512: sha512,
};
const NODE_NAMES: Record<Algorithm, string> = { SHA1: 'sha1', SHA256: 'sha256', SHA512: 'sha512' };
const BLOCK_BYTES: Record<Algorithm, number> = { SHA1: 64, SHA256: 64, SHA512: 128 };
const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

fips.vectors.forEach((row, index) => {
  test(`FIPS 180-4 #${index}: ${row.algorithm} of ${row.description}`, () => {
    const message = new TextEncoder().encode(row.message.repeat(row.repeat ?? 1));
    assert.equal(hex(HASHES[row.algorithm](message)), row.digest);
  });
});

test('the vector file covers every algorithm with empty, "abc", 448-bit, 896-bit and 10^6 x "a"', () => {
  for (const algorithm of ['SHA1', 'SHA256', 'SHA512'] as const) {
    const rows = fips.vectors.filter((row) => row.algorithm === algorithm);
    const bits = rows.map((row) => row.message.length * (row.repeat ?? 1) * 8).sort((a, b) => a - b);
    assert.deepEqual(bits, [0, 24, 448, 896, 8_000_000], algorithm);
  }
});

/**
 * Every length from 0 to 300 bytes for each hash (this crosses the padding boundaries 55/56 and 64 of
 * SHA-1 and SHA-256, 111/112 and 128 of SHA-512, and the same one and two blocks later), then random
 * lengths up to 2000, all with seeded random contents, against node:crypto.
 */
for (const algorithm of ['SHA1', 'SHA256', 'SHA512'] as const) {
  test(`${algorithm} agrees with node:crypto for lengths 0..300 and random lengths to 2000`, () => {
    const random = seededRandom();
    withSeed(random, () => {
      const lengths = Array.from({ length: 301 }, (_, i) => i);
      for (let i = 0; i < 300; i++) lengths.push(random.int(301, 2000));
      for (const length of lengths) {
        const data = random.bytes(length);
        const expected = createHash(NODE_NAMES[algorithm]).update(data).digest('hex');
        assert.equal(hex(HASHES[algorithm](data)), expected, `${algorithm}, ${length} bytes`);
      }
    });
  });
}

test('hashing a subarray at an odd offset reads only that view, and leaves the input unchanged', () => {
  const random = seededRandom();
  withSeed(random, () => {
    for (const algorithm of ['SHA1', 'SHA256', 'SHA512'] as const) {
      const block = BLOCK_BYTES[algorithm];
      for (const length of [0, block - 9, block - 8, block, block + 1, 3 * block + 5]) {
        const backing = random.bytes(length + 10);
        const before = backing.slice();
        const view = backing.subarray(3, 3 + length);
        const expected = createHash(NODE_NAMES[algorithm]).update(view).digest('hex');
        assert.equal(hex(HASHES[algorithm](view)), expected, `${algorithm}, ${length} bytes at offset 3`);
        assert.deepEqual(backing, before);
      }
    }
  });
});

test('calls do not leak state into each other (same input, same digest, in any order)', () => {
  const abc = new TextEncoder().encode('abc');
  const first = hex(sha1(abc));
  sha256(new Uint8Array(1000).fill(7));
  sha512(new Uint8Array(1000).fill(7));
  sha1(new Uint8Array(333).fill(1));
  assert.equal(hex(sha1(abc)), first);
  assert.equal(first, 'a9993e364706816aba3e25717850c26c9cd0d89d');
});
